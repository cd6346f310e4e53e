//! The X-Ray trace id of the invocation being served, without the process environment.
//!
//! Lambda hands every invocation a trace id (`Lambda-Runtime-Trace-Id`); runtimes traditionally
//! publish it as the `_X_AMZN_TRACE_ID` environment variable, where the AWS SDK and X-Ray
//! libraries read it. A process environment is the wrong home for a per-invocation value: with
//! glibc every new value of a variable is allocated and never freed (its `setenv` keeps every
//! string it ever handed out), so a hot instance grows by ~150 bytes per invocation, and with
//! several invocations in flight (Lambda Managed Instances) one process-wide value is wrong for
//! all but one of them. Here the id lives in a task-local scope around the invocation's future:
//! freed with it, and one per invocation however many run at once.
//!
//! Readers: [`current`] (handlers, anything that calls out), the JSON log lines (every line
//! logged inside the invocation carries `xray_trace_id`, see `telemetry`), and AWS SDK calls
//! (the `X-Amzn-Trace-Id` header, see [`super::TraceHeader`]).

use std::fmt;
use std::future::Future;
use std::sync::Arc;

tokio::task_local! {
    static CURRENT: TraceId;
}

/// An X-Ray trace header value as Lambda sends it (`Root=1-...;Parent=...;Sampled=0`).
#[derive(Clone, PartialEq, Eq)]
pub struct TraceId(Arc<str>);

impl TraceId {
    /// The value, as sent to downstream services in `X-Amzn-Trace-Id`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for TraceId {
    fn from(value: &str) -> Self {
        Self(value.into())
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// The trace id of the invocation whose work is running now: what `_X_AMZN_TRACE_ID` holds in
/// other runtimes. `None` outside an invocation (cold start, tests calling handlers directly)
/// and for an invocation Lambda sent without one.
///
/// It is set for the invocation's own future: work handed to another task
/// (`tokio::spawn`, `spawn_blocking`) does not see it unless it is passed along.
pub fn current() -> Option<TraceId> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Runs `work` with `trace` as its [`current`] trace id (none: `current` is `None` inside).
pub async fn scope<F: Future>(trace: Option<TraceId>, work: F) -> F::Output {
    match trace {
        Some(trace) => CURRENT.scope(trace, work).await,
        None => work.await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_scope_sees_its_own_trace_even_when_interleaved() {
        assert_eq!(current(), None);
        let seen = |name: &'static str| {
            scope(Some(TraceId::from(name)), async move {
                let before = current();
                tokio::task::yield_now().await;
                (before, current())
            })
        };
        let (a, b) = tokio::join!(seen("Root=1-a"), seen("Root=1-b"));
        assert_eq!(a, (Some("Root=1-a".into()), Some("Root=1-a".into())));
        assert_eq!(b, (Some("Root=1-b".into()), Some("Root=1-b".into())));
        assert_eq!(scope(None, async { current() }).await, None);
        assert_eq!(current(), None);
    }
}
