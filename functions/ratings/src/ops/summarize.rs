//! A movie's summary, exact under any number of concurrent raters, without a transaction per
//! rating.
//!
//! # The problem
//!
//! In MongoDB (Atlas) two multi-document transactions writing the same document conflict: one
//! commits, the other aborts with `TransientTransactionError` and runs again. Writing a
//! per-movie stats document (or staging an event, whose per-aggregate version counter in
//! `outbox_versions` is one document per movie) inside every rating's transaction would make
//! every rater of a popular movie conflict with every other: a retry storm that grows with
//! the movie's popularity. Single-document writes outside transactions do not abort on a hot
//! document: the server applies them one after the other.
//!
//! # The design
//!
//! 1. A rating write is one single-document, non-transactional operation on `ratings`
//!    (upsert or delete on the unique (user, movie) pair). Before it, the writer marks the
//!    movie's summary document (`$inc pending`, `$max pendingUntil` = now +
//!    [`PENDING`](crate::store::PENDING), `dirty`; single document, non-transactional), so that
//!    a write whose count never comes (below: the count failed, the request was cut, the
//!    instance died) leaves the summary dirty, and not clean before `pendingUntil`. A PUT of
//!    the score already stored writes only its `updatedAt` (filtered on the score) and skips
//!    all of this: the summary does not change.
//! 2. Then the writer counts it: `$inc wanted` (and `pending: -1`) on the movie's summary
//!    document (single document, atomic, non-transactional), after the rating's write has
//!    been acknowledged.
//! 3. Then it tries to become the movie's summary writer: one `findOneAndUpdate` taking a
//!    short lease ([`crate::store::LEASE`]) only where none is live. Not taken: it is done —
//!    the holder will see its `wanted` (or the sweeper will). Taken: passes, each of which
//!    - reads `wanted` = w (the first from the lease's own answer),
//!    - computes the summary from the ratings with one aggregation (`$match` movie, `$group`
//!      by score over the index `{movieId, score}`): it sees every rating write counted in w,
//!      since each was acknowledged before its `$inc`, which came before this read,
//!    - commits, in one [`Outbox::commit`](streamia_shared::events::Outbox::commit)
//!      transaction, the summary (filtered on `holder` = this writer, as its first operation)
//!      with `done: w`, and `rating.changed` (aggregate = the movie: the outbox numbers the
//!      versions per movie),
//!
//!    while `wanted` has grown past w (bounded: [`MAX_PASSES`] and a time budget; a request
//!    cuts its summary work at [`REQUEST_BUDGET`], releasing the lease). Then it releases the
//!    lease, marking the summary clean only if `wanted` is still w and no writer may be
//!    between its mark and its count (`pending` is 0 or `pendingUntil` has passed). If
//!    `wanted` grew in between (a writer found the lease taken just before the release), it
//!    takes the lease again ([`MAX_ROUNDS`]) so that write is not left for the sweeper.
//! 4. `ratings-summary-sweeper` (every minute) runs the same for every dirty summary whose
//!    lease is free or expired: a writer that died mid-pass, ran out of budget, or wrote its
//!    rating but never counted it (its mark left the summary dirty) loses nothing.
//!
//! Exact: every rating write is preceded by a mark that leaves the summary dirty. A write
//! that was counted: the last pass of the movie starts after the last `$inc`, which comes
//! after the last counted rating write, so the summary it stores counts it. A write never
//! counted: its mark keeps the summary from being left clean until `pendingUntil`, by which time
//! the write has happened or never will ([`PENDING`](crate::store::PENDING) exceeds a
//! request's life), so the pass that finally leaves it clean (the sweeper's, at the latest)
//! reads the ratings after it. Passes always count from the ratings, never from the counters.
//! Earlier passes may store an intermediate summary (each one the exact summary of the
//! ratings at its read), and their events carry increasing versions, so consumers keep the
//! last.
//!
//! Why transactions stay calm: only the lease holder runs the summary transaction, one at a
//! time per movie, so two of them never write the same document (the summary or the movie's
//! version counter) at once. The raters' marks and `$inc`s are not transactions: one that
//! reaches the summary document after the holder's transaction wrote it waits for the commit
//! (MongoDB blocks a non-transactional write on a document a running transaction has
//! modified); one that lands between the transaction's snapshot and its write makes the
//! transaction retry.
//! The summary update is the transaction's first operation, so that window is one operation
//! long, and the retry (`streamia_shared::db::transaction`, jittered) is of one transaction,
//! not of every rater's. SecantusDB (the local stand-in) does not behave like Atlas here (its
//! conflicts differ), so the tests check the outcome (exact counts), and this reasoning is
//! about Atlas.

use std::time::{Duration, Instant};

use bson::oid::ObjectId;
use serde::Serialize;

use super::Ctx;
use crate::domain::Summary;
use crate::error::RatingsError;
use crate::store::Lease;
use crate::Deps;
use crate::{cache, events};

/// Passes per lease at most: a movie rated faster than passes take is left dirty after these,
/// for the next writer or the sweeper, so no request loops for ever on a hot movie.
pub const MAX_PASSES: u32 = 4;

/// Times one call takes the lease again when a write arrived just before its release.
pub const MAX_ROUNDS: u32 = 3;

/// The time a rating request gives its summary passes to start: no new pass starts after it.
pub const PASS_START_BUDGET: Duration = Duration::from_secs(2);

/// The time a rating request gives its whole summary work (the lease, the passes, the
/// release): the pass running then is cut (its transaction may retry for up to 10 s and its
/// publish take 3 s, past the rating functions' 10 s timeout), its lease released, the
/// summary left dirty for the next holder or the sweeper. The rating is stored: the request
/// answers it rather than a 503 from its timeout.
pub const REQUEST_BUDGET: Duration = Duration::from_millis(2500);

/// Time kept, past a cut, to release the lease (one update); past it the lease expires.
const RELEASE_GRACE: Duration = Duration::from_millis(500);

/// What one call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// Summary passes committed (each staged one `rating.changed`).
    pub passes: u32,
    /// The lease was held by another writer (it will include what is wanted now).
    pub busy: bool,
    /// The summary was left clean (`done == wanted`).
    pub clean: bool,
    /// A pass was cut at the time limit (the summary stays dirty).
    pub timed_out: bool,
}

/// After a rating write has been counted (`wanted`): a summary pass if nobody is computing
/// the movie's summary, within [`REQUEST_BUDGET`] (no pass starts after
/// [`PASS_START_BUDGET`]). Never fails the request, whose rating is stored: a failure or a
/// timeout is logged and the summary stays dirty for the next holder or the sweeper.
pub async fn after_write(deps: &Deps, movie: ObjectId, ctx: &Ctx) {
    let start = Instant::now();
    // Boxed: the passes' future is deep (timeout, transaction, outbox, publish) and the
    // routes nest it further.
    let work = Box::pin(execute(
        deps,
        movie,
        ctx,
        start + PASS_START_BUDGET,
        start + REQUEST_BUDGET,
    ));
    // The outer limit also bounds taking and releasing the lease (the passes' own limit
    // releases it in [`RELEASE_GRACE`]).
    match tokio::time::timeout(REQUEST_BUDGET + RELEASE_GRACE, work).await {
        Ok(Ok(outcome)) if outcome.timed_out => tracing::warn!(
            movie_id = %movie,
            correlation_id = %ctx.correlation_id,
            ?outcome,
            "rating summary pass timed out; the sweeper or the next holder finishes it"
        ),
        Ok(Ok(outcome)) => tracing::debug!(movie_id = %movie, ?outcome, "rating summary"),
        Ok(Err(e)) => tracing::warn!(
            movie_id = %movie,
            correlation_id = %ctx.correlation_id,
            error = %e,
            "rating summary pass failed; the sweeper will redo it"
        ),
        Err(_) => tracing::warn!(
            movie_id = %movie,
            correlation_id = %ctx.correlation_id,
            "rating summary timed out; the sweeper finishes it once the lease is free"
        ),
    }
}

/// Brings `movie`'s summary up to date if its lease can be taken (see the module's docs); no
/// pass starts after `deadline`, and the pass running at `limit` is cut (`timed_out`): its
/// lease is released at once (its transaction, if it had not committed, wrote nothing) and
/// the summary left dirty.
pub async fn execute(
    deps: &Deps,
    movie: ObjectId,
    ctx: &Ctx,
    deadline: Instant,
    limit: Instant,
) -> Result<Outcome, RatingsError> {
    let mut outcome = Outcome::default();
    for _ in 0..MAX_ROUNDS {
        if Instant::now() >= deadline {
            break;
        }
        let Some(lease) = deps.summaries.take(movie).await? else {
            outcome.busy = true;
            return Ok(outcome);
        };
        let run = passes(deps, &lease, ctx, deadline, &mut outcome);
        let done = match tokio::time::timeout_at(limit.into(), run).await {
            Ok(Ok(done)) => done,
            failed => {
                // Cut while its commit was in flight, the pass may have committed without its
                // bump: the cached summary goes too.
                deps.answers.bump(&crate::cache::movie(movie)).await;
                // Leave it dirty and free at once rather than held until the lease expires.
                let release = deps.summaries.release(&lease, None);
                match tokio::time::timeout(RELEASE_GRACE, release).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(
                        movie_id = %movie,
                        error = %e,
                        "summary lease not released; it expires"
                    ),
                    Err(_) => tracing::warn!(
                        movie_id = %movie,
                        "summary lease release timed out; it expires"
                    ),
                }
                return match failed {
                    Ok(Err(e)) => Err(e),
                    _ => {
                        outcome.timed_out = true;
                        Ok(outcome)
                    }
                };
            }
        };
        if deps.summaries.release(&lease, Some(done)).await? {
            outcome.clean = true;
            return Ok(outcome);
        }
        // Not clean: either `wanted` moved after the last pass read it (that write's writer
        // found the lease taken, so it is ours to include), or a writer is between its mark
        // and its count (it takes the lease after its count; the sweeper if it never does):
        // no pass of ours would add anything then.
        if deps.summaries.wanted(movie).await? <= done {
            break;
        }
    }
    Ok(outcome)
}

/// Passes under `lease` while `wanted` grows, within the bounds; the `done` of the last one.
async fn passes(
    deps: &Deps,
    lease: &Lease,
    ctx: &Ctx,
    deadline: Instant,
    outcome: &mut Outcome,
) -> Result<i64, RatingsError> {
    let mut wanted = lease.wanted;
    let mut passes = 0;
    loop {
        let summary = deps.ratings.summarize(lease.movie).await?;
        commit(deps, lease, wanted, summary, ctx).await?;
        outcome.passes += 1;
        passes += 1;
        if passes >= MAX_PASSES || Instant::now() >= deadline {
            return Ok(wanted);
        }
        let now = deps.summaries.wanted(lease.movie).await?;
        if now <= wanted {
            return Ok(wanted);
        }
        wanted = now;
    }
}

/// One transaction: the summary (only while `lease` is ours) and its `rating.changed`; the
/// cached summary is made stale right after the commit, before the event is published (a
/// slow SNS, or the pass cut at its time limit while publishing, must not leave it served),
/// and again when the transaction failed (it may have committed before the error).
async fn commit(
    deps: &Deps,
    lease: &Lease,
    done: i64,
    summary: Summary,
    ctx: &Ctx,
) -> Result<(), RatingsError> {
    let generation = cache::movie(lease.movie);
    let bump = || deps.answers.bump(&generation);
    let committed = deps
        .outbox
        .commit_then(
            &ctx.correlation_id,
            (deps, lease, done, summary),
            |mut tx, (deps, lease, done, summary)| {
                Box::pin(async move {
                    if !deps
                        .summaries
                        .record(tx.session(), lease, *done, summary)
                        .await?
                    {
                        return Err(RatingsError::LeaseLost(lease.movie.to_hex()));
                    }
                    tx.stage(events::changed(lease.movie, summary)).await?;
                    Ok::<_, RatingsError>(())
                })
            },
            |_| async {
                bump().await;
                Ok(())
            },
        )
        .await;
    if committed.is_err() {
        bump().await;
    }
    committed
}
