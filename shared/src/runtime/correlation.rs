//! The correlation id of the work being done now (a request, or one event of a batch), for
//! every log line logged while doing it.
//!
//! One grep for a correlation id then follows a request and every saga step it caused across
//! every function, whatever code logged the line (a store, a client library): the JSON lines
//! carry it as `"correlation_id"` (see `telemetry`). Like the trace id ([`super::trace`]) it
//! lives in a task-local scope around the work, never in the process environment. It is only
//! a label (a client may send it, `is_sane_id` bounds it): nothing keys state by it.

use std::future::Future;
use std::sync::Arc;

tokio::task_local! {
    static CURRENT: Arc<str>;
}

/// The correlation id of the work running now; `None` outside any (a cold start, a tool).
pub fn current() -> Option<Arc<str>> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Runs `work` with `id` as its [`current`] correlation id.
pub async fn scope<F: Future>(id: &str, work: F) -> F::Output {
    CURRENT.scope(Arc::from(id), work).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_piece_of_work_sees_its_own_id() {
        assert_eq!(current(), None);
        let (a, b) = tokio::join!(
            scope("a", async {
                tokio::task::yield_now().await;
                current()
            }),
            scope("b", async { current() })
        );
        assert_eq!(a.as_deref(), Some("a"));
        assert_eq!(b.as_deref(), Some("b"));
        assert_eq!(current(), None);
    }
}
