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

/// Puts the invocation's X-Ray trace id (`crate::runtime::trace::current`) first in every line
/// logged while serving it, as `"xray_trace_id"`: a line then leads to the trace and back,
/// whatever logged it. Lines logged outside an invocation are left as they are.
struct WithTraceId<F>(F);

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
        let Some(trace) = crate::runtime::trace::current() else {
            return self.0.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        match line.strip_prefix('{') {
            Some(rest) => {
                let trace = serde_json::to_string(trace.as_str()).map_err(|_| fmt::Error)?;
                write!(writer, "{{\"xray_trace_id\":{trace},{rest}")
            }
            None => writer.write_str(&line),
        }
    }
}
