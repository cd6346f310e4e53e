//! Scheduled functions (an EventBridge `Schedule` event; the local gateway sends the same):
//! housekeeping a service runs every few minutes, such as deleting media no movie references.
//!
//! A run gets the service's dependencies (built on first use, as every HTTP function and
//! consumer does) and the invocation's deadline, and does what fits before it; what is left
//! waits for the next run, so a run never needs to finish everything.

use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde::Serialize;

use crate::init::{log_failure, Deferred};
use crate::service::Service;

/// Kept back from the invocation's deadline to report the run.
const DEADLINE_MARGIN: Duration = Duration::from_secs(1);

/// The run's deadline: the invocation's, less a margin to report the run (`None` when the
/// runtime gave none in the future).
pub fn deadline(context: &lambda_runtime::Context) -> Option<Instant> {
    let left = context.deadline().duration_since(SystemTime::now()).ok()?;
    Some(Instant::now() + left.saturating_sub(DEADLINE_MARGIN))
}

/// Serves a scheduled function of service `D` for the life of the container: every invocation
/// runs `run` with `D` and the run's [`deadline`], and answers its report (logged). A run that
/// fails, or `D` that cannot be built (a dependency down), fails the invocation: the next
/// scheduled run tries again.
pub async fn serve<D, H, Fut, T, E>(run: H) -> Result<(), lambda_runtime::Error>
where
    D: Service,
    H: Fn(&'static D, Option<Instant>) -> Fut + Send + Sync + Copy + 'static,
    Fut: Future<Output = Result<T, E>> + Send,
    T: Serialize + std::fmt::Debug,
    E: Display,
{
    crate::telemetry::init();
    let (deps, ()) = Deferred::<D>::begin::<()>().await.map_err(log_failure)?;
    let deps: &'static Deferred<D> = Box::leak(Box::new(deps));
    crate::runtime::run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        let deadline = deadline(&event.context);
        let deps = deps.get().await.map_err(|e| failed("NotReady", e))?;
        let started = Instant::now();
        match run(deps, deadline).await {
            Ok(report) => {
                tracing::info!(report = ?report, latency_ms = started.elapsed().as_secs_f64() * 1000.0, "scheduled run");
                Ok(report)
            }
            Err(e) => Err(failed("ScheduledRunFailed", e)),
        }
    }))
    .await
}

fn failed(error_type: &str, e: impl Display) -> Diagnostic {
    tracing::error!(error = %e, "scheduled run failed");
    Diagnostic {
        error_type: error_type.to_owned(),
        error_message: e.to_string(),
    }
}
