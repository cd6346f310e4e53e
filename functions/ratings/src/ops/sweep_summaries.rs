//! The sweeper (`ratings-summary-sweeper`, every minute): every summary that may be behind
//! (`dirty`: a writer died mid-pass, ran out of its budget, or wrote its rating but never
//! counted it) whose lease is free or expired gets the passes a writer would have run.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::{summarize, Ctx};
use crate::error::RatingsError;
use crate::Deps;

/// Dirty summaries taken per run at most; the next run takes the rest.
pub const BATCH_LIMIT: i64 = 200;

/// Kept free before the run's deadline: each movie's work is cut there (what is left of it,
/// the lease's release, and the report's return fit in it), so the run always reports.
pub const RESERVE: Duration = Duration::from_secs(6);

/// Past a movie's cut, the time its lease release may take before the run moves on.
const CUT_GRACE: Duration = Duration::from_secs(1);

/// The run's length when the runtime gives no deadline (a test).
const NO_DEADLINE: Duration = Duration::from_secs(50);

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Dirty summaries found.
    pub found: usize,
    /// Of those, left clean.
    pub cleaned: usize,
    /// Passes committed (each published a `rating.changed`).
    pub passes: u32,
    /// Movies whose passes failed or were cut at the run's time limit (left dirty for the
    /// next run).
    pub failed: usize,
}

/// Runs the summary passes of every dirty summary found, one movie after the other, until
/// none is left or the deadline (less [`RESERVE`]) is near. Each movie's passes start within
/// [`summarize::PASS_START_BUDGET`] and are cut at the deadline less [`RESERVE`], so a slow
/// pass (transaction retries, a slow publish) cannot run the function into its timeout
/// without a report. A movie whose passes fail or are cut is logged, counted in `failed` and
/// left for the next run; the run goes on.
pub async fn execute(deps: &Deps, deadline: Option<Instant>) -> Result<Report, RatingsError> {
    let deadline = deadline.unwrap_or_else(|| Instant::now() + NO_DEADLINE);
    let stop = deadline.checked_sub(RESERVE).unwrap_or(deadline);
    let ctx = Ctx::new(format!("ratings-summary-sweeper-{}", uuid::Uuid::new_v4()));
    let dirty = deps.summaries.dirty(BATCH_LIMIT).await?;
    let mut report = Report {
        found: dirty.len(),
        ..Report::default()
    };
    for movie in dirty {
        if Instant::now() >= stop {
            tracing::warn!(
                left = report.found - report.cleaned - report.failed,
                "summary sweeper: time budget spent; the next run takes the rest"
            );
            break;
        }
        let movie_deadline = (Instant::now() + summarize::PASS_START_BUDGET).min(stop);
        // Boxed: the passes' future is deep (transaction, outbox, publish) and the scheduled
        // runtime nests it further.
        let work = Box::pin(summarize::execute(deps, movie, &ctx, movie_deadline, stop));
        // The outer limit also bounds taking and releasing the lease.
        let limit = stop + CUT_GRACE;
        match tokio::time::timeout_at(limit.into(), work).await {
            Ok(Ok(outcome)) if outcome.timed_out => {
                report.passes += outcome.passes;
                report.failed += 1;
                tracing::error!(
                    movie_id = %movie,
                    ?outcome,
                    "summary sweeper: passes cut at the time limit"
                );
            }
            Ok(Ok(outcome)) => {
                report.passes += outcome.passes;
                report.cleaned += usize::from(outcome.clean);
            }
            Ok(Err(e)) => {
                report.failed += 1;
                tracing::error!(movie_id = %movie, error = %e, "summary sweeper: passes failed");
            }
            Err(_) => {
                report.failed += 1;
                tracing::error!(movie_id = %movie, "summary sweeper: movie timed out");
            }
        }
    }
    Ok(report)
}
