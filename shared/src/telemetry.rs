//! Structured JSON logs, one object per line, as CloudWatch Logs Insights reads them.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber once, at init. `RUST_LOG` tunes levels (default `info`).
///
/// Nothing secret is ever passed to a log macro: passwords, hashes and tokens have redacted
/// `Debug` and are not fields of any log line.
pub fn init() {
    init_with_writer(std::io::stdout);
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
        .try_init();
}
