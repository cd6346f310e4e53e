//! The stack's log files, read from their end: one correlation id's lines (every function and
//! event a request touched) and the metrics the functions logged (EMF documents), so the
//! console shows what CloudWatch Logs Insights and CloudWatch Metrics would in AWS.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Map, Value};

/// The files the functions' and the gateway's lines go to (`infra/local/lib.sh`: the default
/// mode's functions write to `functions.log`, the fast mode's to `gateway.log`).
const FILES: [&str; 2] = ["functions.log", "gateway.log"];
/// How much of each file's end a trace reads: the recent past, at a bounded cost however long
/// the stack has run (a benchmark writes hundreds of MB).
const TRACE_TAIL: u64 = 16 * 1024 * 1024;
/// How much the metrics read: the page asks every 3 s, and in the fast mode the gateway that
/// answers is on every request's path (a benchmark's last 15 minutes may be cut short).
const METRICS_TAIL: u64 = 4 * 1024 * 1024;
/// Lines of one trace at most (the newest).
const TRACE_LINES: usize = 400;
/// The metrics' window.
const METRICS_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The last `bytes` of each log file (from a line's start).
async fn tails(dir: &Path, bytes: u64) -> Vec<String> {
    let paths: Vec<PathBuf> = FILES.iter().map(|f| dir.join(f)).collect();
    tokio::task::spawn_blocking(move || paths.iter().filter_map(|p| tail(p, bytes)).collect())
        .await
        .unwrap_or_default()
}

fn tail(path: &Path, bytes: u64) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let from = len.saturating_sub(bytes);
    file.seek(SeekFrom::Start(from)).ok()?;
    let mut bytes = Vec::with_capacity((len - from) as usize);
    file.read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    // A cut first line is dropped.
    Some(match from {
        0 => text,
        _ => text
            .split_once('\n')
            .map(|(_, rest)| rest.to_owned())
            .unwrap_or_default(),
    })
}

/// A line's JSON object (cargo lambda watch may put a prefix before it).
fn json_of(line: &str) -> Option<Map<String, Value>> {
    let start = line.find('{')?;
    match serde_json::from_str::<Value>(&line[start..]).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// Whether a line is about `id`: its `correlation_id`, or one of a batch's `correlation_ids`.
fn names(line: &Map<String, Value>, id: &str) -> bool {
    line.get("correlation_id").and_then(Value::as_str) == Some(id)
        || line
            .get("correlation_ids")
            .and_then(Value::as_str)
            .is_some_and(|ids| ids.split(',').any(|i| i == id))
}

/// Every line naming `id`, oldest first: the functions that logged it (their lines carry the
/// invocation's trace id), the events published under it, the queue deliveries the gateway
/// made of it.
pub(super) async fn trace(dir: Option<&Path>, id: &str) -> Value {
    let Some(dir) = dir else {
        return json!({"correlationId": id, "functions": [], "events": [], "lines": [], "logs": false});
    };
    let mut lines: Vec<Map<String, Value>> = Vec::new();
    for text in tails(dir, TRACE_TAIL).await {
        lines.extend(
            text.lines()
                .filter(|l| l.contains(id))
                .filter_map(json_of)
                .filter(|l| names(l, id) && !l.contains_key("_aws")),
        );
    }
    lines.sort_by(|a, b| {
        let at = |l: &Map<String, Value>| {
            l.get("timestamp")
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        at(a).cmp(&at(b))
    });
    let mut functions = std::collections::BTreeSet::new();
    let mut events = Vec::new();
    for line in &lines {
        let function = line.get("function").and_then(Value::as_str);
        let by_function = line.contains_key("xray_trace_id");
        if let (true, Some(f)) = (by_function, function) {
            functions.insert(f.to_owned());
        }
        if let Some(name) = line.get("event_name").and_then(Value::as_str) {
            events.push(json!({
                "name": name,
                "id": line.get("event_id"),
                "function": function,
                "at": line.get("timestamp"),
                "what": line.get("message"),
            }));
        }
    }
    let skip = lines.len().saturating_sub(TRACE_LINES);
    let lines: Vec<Value> = lines
        .into_iter()
        .skip(skip)
        .map(|mut l| {
            let source = match l.remove("xray_trace_id") {
                Some(_) => "function",
                None => "gateway",
            };
            l.insert("source".into(), json!(source));
            Value::Object(l)
        })
        .collect();
    json!({
        "correlationId": id,
        "functions": functions,
        "events": events,
        "lines": lines,
        "logs": true,
    })
}

/// One metric's samples under one set of dimensions.
#[derive(Default)]
struct Series {
    unit: String,
    samples: u64,
    sum: f64,
    min: f64,
    max: f64,
}

impl Series {
    fn add(&mut self, value: f64) {
        if self.samples == 0 {
            self.min = value;
            self.max = value;
        }
        self.samples += 1;
        self.sum += value;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }
}

/// The metrics the functions logged in the last [`METRICS_WINDOW`], summed per metric and per
/// its first dimension set (`Function`, or `Service` for the business counts): what CloudWatch
/// extracts from the same EMF documents (`shared::metrics`).
pub(super) async fn metrics(dir: Option<&Path>) -> Value {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let since_ms = now_ms - METRICS_WINDOW.as_millis() as i64;
    let mut series: BTreeMap<(String, String, String), Series> = BTreeMap::new();
    if let Some(dir) = dir {
        for text in tails(dir, METRICS_TAIL).await {
            for doc in text
                .lines()
                .filter(|l| l.contains("\"_aws\""))
                .filter_map(json_of)
            {
                add_document(&doc, since_ms, &mut series);
            }
        }
    }
    let metrics: Vec<Value> = series
        .into_iter()
        .map(|((namespace, dimensions, name), s)| {
            json!({
                "namespace": namespace,
                "dimensions": dimensions,
                "name": name,
                "unit": s.unit,
                "samples": s.samples,
                "sum": s.sum,
                "min": s.min,
                "max": s.max,
                "average": if s.samples > 0 { s.sum / s.samples as f64 } else { 0.0 },
            })
        })
        .collect();
    json!({
        "since": chrono::DateTime::from_timestamp_millis(since_ms).map(|t| t.to_rfc3339()),
        "windowSeconds": METRICS_WINDOW.as_secs(),
        "metrics": metrics,
    })
}

fn add_document(
    doc: &Map<String, Value>,
    since_ms: i64,
    into: &mut BTreeMap<(String, String, String), Series>,
) {
    let Some(aws) = doc.get("_aws") else {
        return;
    };
    if aws["Timestamp"].as_i64().is_none_or(|t| t < since_ms) {
        return;
    }
    for directive in aws["CloudWatchMetrics"].as_array().into_iter().flatten() {
        let namespace = directive["Namespace"].as_str().unwrap_or("").to_owned();
        let dimensions = directive["Dimensions"][0]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|d| format!("{d}={}", doc.get(d).and_then(Value::as_str).unwrap_or("")))
            .collect::<Vec<_>>()
            .join(",");
        for metric in directive["Metrics"].as_array().into_iter().flatten() {
            let Some(name) = metric["Name"].as_str() else {
                continue;
            };
            let values: Vec<f64> = match doc.get(name) {
                Some(Value::Array(values)) => values.iter().filter_map(Value::as_f64).collect(),
                Some(v) => v.as_f64().into_iter().collect(),
                None => Vec::new(),
            };
            let s = into
                .entry((namespace.clone(), dimensions.clone(), name.to_owned()))
                .or_default();
            s.unit = metric["Unit"].as_str().unwrap_or("None").to_owned();
            for v in values {
                s.add(v);
            }
        }
    }
}
