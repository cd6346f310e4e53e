//! Metrics as CloudWatch Embedded Metric Format (EMF) lines: one JSON object per line on
//! stdout, which CloudWatch Logs turns into metrics by itself (no agent, no API call, nothing
//! to wait for in an invocation). Namespace [`NAMESPACE`].
//!
//! Why EMF: a `PutMetricData` call per invocation costs latency and an IAM grant; a log line
//! costs neither, and the same line is searchable in Logs Insights.
//!
//! Emitted by the platform for every function (per request: `Requests`, `Latency`,
//! `ServerErrors`, `ClientErrors`, `ColdStart`; per SQS batch: `Records`, `RecordsFailed`,
//! `RecordsDeferred`, `RecordsDeadLettered`, `BatchLatency`, `ColdStart`), each under two dimension sets: `Function`
//! (one function) and `LogGroup` (every function of the stack: the template sends them all to
//! one log group, so the stack's alarms and dashboard read one series); and by services for
//! the business counts ([`count`]: dimension `Service`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

/// Every metric of the platform lives here.
pub const NAMESPACE: &str = "Streamia";

/// The CloudWatch units used (the EMF specification's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A number of things.
    Count,
    /// A duration.
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// One EMF document: its dimensions (one set) and its values.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    dimensions: Vec<(&'static str, String)>,
    /// Each set a series of its own; one set of every dimension when none is given.
    sets: Vec<Vec<&'static str>>,
    values: Vec<(&'static str, Unit, f64)>,
}

impl Metrics {
    /// Metrics of this function, as two series: `Function` (`AWS_LAMBDA_FUNCTION_NAME`) and
    /// `LogGroup` (`METRICS_LOG_GROUP`, which the template sets to the stack's one log group;
    /// else Lambda's `AWS_LAMBDA_LOG_GROUP_NAME`); `local` where nothing sets them.
    pub fn of_function() -> Self {
        let mut metrics = Self::default()
            .dimension("Function", from_env(&FUNCTION, "AWS_LAMBDA_FUNCTION_NAME"))
            .dimension("LogGroup", log_group());
        metrics.sets = vec![vec!["Function"], vec!["LogGroup"]];
        metrics
    }

    /// Metrics of a service (`Service` = `service`), whichever function counts them.
    pub fn of_service(service: &str) -> Self {
        Self::default().dimension("Service", service)
    }

    /// Adds a dimension.
    pub fn dimension(mut self, name: &'static str, value: &str) -> Self {
        self.dimensions.push((name, value.to_owned()));
        self
    }

    /// Adds a value.
    pub fn value(mut self, name: &'static str, value: f64, unit: Unit) -> Self {
        self.values.push((name, unit, value));
        self
    }

    /// Adds `ColdStart` = 1 if this is the first request or batch this instance serves (one
    /// flag per process: a function serves one kind), 0 otherwise.
    pub fn cold_start(self) -> Self {
        static SERVED: AtomicBool = AtomicBool::new(false);
        let cold = !SERVED.swap(true, Ordering::Relaxed);
        self.value("ColdStart", f64::from(u8::from(cold)), Unit::Count)
    }

    /// The EMF document, stamped `timestamp_ms` (ms since the epoch).
    pub fn document(&self, timestamp_ms: u64) -> Value {
        let mut root = Map::new();
        let sets = match self.sets.is_empty() {
            true => vec![self.dimensions.iter().map(|(n, _)| *n).collect()],
            false => self.sets.clone(),
        };
        let definitions: Vec<Value> = self
            .values
            .iter()
            .map(|(name, unit, _)| json!({"Name": name, "Unit": unit.as_str()}))
            .collect();
        root.insert(
            "_aws".to_owned(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": sets,
                    "Metrics": definitions,
                }],
            }),
        );
        for (name, value) in &self.dimensions {
            root.insert((*name).to_owned(), Value::String(value.clone()));
        }
        for (name, _, value) in &self.values {
            root.insert((*name).to_owned(), json!(value));
        }
        Value::Object(root)
    }

    /// Writes the document as one line on stdout (where Lambda sends it to CloudWatch Logs).
    pub fn emit(&self) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        // Under stdout's lock, as every log line: another thread's line never lands inside it.
        println!("{}", self.document(now));
    }
}

/// Counts one business event of `service` (`UsersRegistered`, `RatingsSubmitted`...).
pub fn count(service: &str, name: &'static str) {
    Metrics::of_service(service)
        .value(name, 1.0, Unit::Count)
        .emit();
}

static FUNCTION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
static LOG_GROUP: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The stack-wide dimension's value (see [`Metrics::of_function`]), read once.
fn log_group() -> &'static str {
    LOG_GROUP.get_or_init(|| {
        ["METRICS_LOG_GROUP", "AWS_LAMBDA_LOG_GROUP_NAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
            .unwrap_or_else(|| "local".to_owned())
    })
}

/// `var` as Lambda sets it, read once (`local` where nothing does: tests, tools).
fn from_env(cell: &'static std::sync::OnceLock<String>, var: &str) -> &'static str {
    cell.get_or_init(|| std::env::var(var).unwrap_or_else(|_| "local".to_owned()))
}
