//! Structured JSON logs, one object per line, as CloudWatch Logs Insights reads them.

use std::fmt;

use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber once, at init. `RUST_LOG` tunes levels (default `info`).
///
/// Nothing secret is ever passed to a log macro: passwords, hashes and tokens have redacted
/// `Debug` and are not fields of any log line.
///
/// Also the first thing a function does: fixes the allocator's thresholds before the cold
/// start allocates (`runtime::malloc`), and logs a panic as one JSON error line (message,
/// location, the invocation's trace id) before the process ends: the release profile aborts
/// on panic, so the instance dies with it and Lambda records `Runtime.ExitError`; the line is
/// what tells why.
pub fn init() {
    crate::runtime::malloc::return_large_frees_to_the_os();
    init_with_writer(std::io::stdout);
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(panic = %message, location = %location, "panicked: the instance ends");
    }));
}

/// Same format into another writer: tests capture the lines to prove no secret is logged.
pub fn init_with_writer<W>(writer: W)
where
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .with_ansi(false)
        .map_event_format(WithTraceId)
        .try_init();
}

/// Puts what ties a line to its invocation first in every line logged while serving it:
/// the X-Ray trace id (`crate::runtime::trace::current`) as `"xray_trace_id"`, the work's
/// correlation id (`crate::runtime::correlation::current`) as `"correlation_id"` unless the
/// line names one itself, and the function (`AWS_LAMBDA_FUNCTION_NAME`) as `"function"`: a
/// line then leads to the trace and back, and one grep for a correlation id finds every
/// line of every function a request and its events touched, whatever logged it.
struct WithTraceId<F>(F);

/// The function's name, read once (Lambda sets it, and so does the local stack).
fn function_name() -> Option<&'static str> {
    static NAME: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    NAME.get_or_init(|| std::env::var("AWS_LAMBDA_FUNCTION_NAME").ok())
        .as_deref()
}

impl<S, N, F> FormatEvent<S, N> for WithTraceId<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let trace = crate::runtime::trace::current();
        let correlation = crate::runtime::correlation::current();
        if trace.is_none() && correlation.is_none() && function_name().is_none() {
            return self.0.format_event(ctx, writer, event);
        }
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        let Some(rest) = line.strip_prefix('{') else {
            return writer.write_str(&line);
        };
        let json = |v: &str| serde_json::to_string(v).map_err(|_| fmt::Error);
        writer.write_char('{')?;
        // A key the line names itself is left to it (no duplicate keys).
        let has = |key: &str| rest.contains(&format!("\"{key}\":"));
        if let Some(trace) = trace.filter(|_| !has("xray_trace_id")) {
            write!(writer, "\"xray_trace_id\":{},", json(trace.as_str())?)?;
        }
        if let Some(id) = correlation.filter(|_| !has("correlation_id")) {
            write!(writer, "\"correlation_id\":{},", json(&id)?)?;
        }
        if let Some(function) = function_name().filter(|_| !has("function")) {
            write!(writer, "\"function\":{},", json(function)?)?;
        }
        writer.write_str(rest)
    }
}
