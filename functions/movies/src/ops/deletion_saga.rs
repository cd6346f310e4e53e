//! The movies service's side of the movie-deletion saga (choreography: it only listens and
//! decides the end). `delete` started it (movie `deleting`, saga recorded, `movie.deleted`
//! out); favorites, ratings and comments each set the movie's data aside and reply. Here:
//!
//! - [`on_reply`] (`movies-on-deletion-step`): records each reply once (inbox), in the saga's
//!   transaction. The last `done` completes the saga: the movie is removed for good, its media
//!   objects are scheduled for deletion (the irreversible steps come last, only once every
//!   participant has set its part aside) and `movie.deletion_completed` is staged, all in the
//!   same transaction; after the commit the media are deleted at once (the sweeper deletes
//!   whatever is left). A `failed` cancels it: the movie is active again and
//!   `movie.deletion_cancelled` (with its snapshot, so the copies show it again) is staged.
//! - [`expire`] (`movies-saga-deadline`, scheduled): cancels every running saga past its
//!   deadline the same way.
//!
//! A saga ends once: ending is a conditional write on the running saga, so a reply and the
//! deadline racing each other conflict and the second finds it ended. Replies that arrive
//! after the end (late, duplicated, redriven) change nothing.

use std::time::Instant;

use bson::DateTime;
use serde::Serialize;
use streamia_shared::db::BoxFuture;
use streamia_shared::events::movies::{MovieDeletionCancelled, MovieDeletionCompleted};
use streamia_shared::events::sagas::{MovieDeletionStepDone, MovieDeletionStepFailed};
use streamia_shared::events::{Envelope, Event, Incoming, Tx, Unreadable};
use streamia_shared::metrics;

use super::after_write;
use super::sweep_media::delete_now;
use crate::domain::Movie;
use crate::error::MoviesError;
use crate::store::sagas::{SagaState, StepState, PARTICIPANTS};
use crate::store::{DeletionSaga, Kind};
use crate::Deps;

pub use streamia_shared::saga::owner::ExpiryReport;

/// A participant's reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `movie.deletion_step_done` v1.
    Done(MovieDeletionStepDone),
    /// `movie.deletion_step_failed` v1.
    Failed(MovieDeletionStepFailed),
}

impl Reply {
    fn saga_id(&self) -> &str {
        match self {
            Reply::Done(r) => &r.saga_id,
            Reply::Failed(r) => &r.saga_id,
        }
    }

    fn movie_id(&self) -> &str {
        match self {
            Reply::Done(r) => &r.movie_id,
            Reply::Failed(r) => &r.movie_id,
        }
    }

    fn service(&self) -> &str {
        match self {
            Reply::Done(r) => &r.service,
            Reply::Failed(r) => &r.service,
        }
    }
}

/// Parses an envelope from the deletion-steps queue; `None` for another event (acknowledged),
/// or for a reply whose `service` is not the envelope's `source` (a guard against a
/// participant's mistake; IAM is what limits who may publish on a participant's topic).
pub fn parse(envelope: Envelope) -> Result<Option<Incoming<Reply>>, Unreadable> {
    let source = envelope.source.clone();
    let incoming = match envelope.event_name.as_str() {
        MovieDeletionStepDone::NAME => Incoming::parse(envelope)?.map(Reply::Done),
        MovieDeletionStepFailed::NAME => Incoming::parse(envelope)?.map(Reply::Failed),
        _ => return Ok(None),
    };
    if incoming.event.service() != source {
        tracing::warn!(source = %source, service = incoming.event.service(), event_id = %incoming.event_id, "a saga reply for another service than its source; ignored");
        return Ok(None);
    }
    Ok(Some(incoming))
}

/// What a reply did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Recorded; other participants have not replied yet.
    Waiting,
    /// The last confirmation: the movie is gone, `movie.deletion_completed` is out.
    Completed,
    /// A failure: the movie is back, `movie.deletion_cancelled` is out.
    Cancelled,
    /// This reply was handled before.
    Duplicate,
    /// The saga had ended (or is unknown, or the reply is not a participant's): ignored.
    Ignored,
}

/// What a saga's end leaves to do after its commit.
enum After {
    /// Nothing.
    Nothing,
    /// The removed movie's media objects to delete now (their rows are due).
    DeleteMedia(Vec<String>),
    /// The movie is back: its cache entry and the lists.
    Refresh(Box<Movie>),
}

/// Records `incoming` in its saga and ends the saga when the reply decides it.
pub async fn on_reply(deps: &Deps, incoming: &Incoming<Reply>) -> Result<Outcome, MoviesError> {
    let (outcome, after) = deps
        .outbox
        .commit(
            &incoming.correlation_id,
            (deps, incoming),
            |mut tx, (deps, incoming)| {
                Box::pin(async move {
                    if !deps
                        .saga_inbox
                        .record(tx.session(), &incoming.event_id)
                        .await?
                    {
                        return Ok::<_, MoviesError>((Outcome::Duplicate, After::Nothing));
                    }
                    let reply = &incoming.event;
                    let service = reply.service();
                    if !PARTICIPANTS.contains(&service) {
                        tracing::warn!(
                            service,
                            "a saga reply from a service that is not a participant"
                        );
                        return Ok((Outcome::Ignored, After::Nothing));
                    }
                    let step = match reply {
                        Reply::Done(_) => StepState::Done,
                        Reply::Failed(_) => StepState::Failed,
                    };
                    let Ok(movie_id) = bson::oid::ObjectId::parse_str(reply.movie_id()) else {
                        return Ok((Outcome::Ignored, After::Nothing));
                    };
                    // The saga's own movie only: a reply naming another movie matches nothing.
                    let Some(saga) = deps
                        .sagas
                        .set_step(tx.session(), reply.saga_id(), movie_id, service, step)
                        .await?
                    else {
                        return Ok((Outcome::Ignored, After::Nothing));
                    };
                    match reply {
                        Reply::Failed(failed) => {
                            let reason = format!("{service} failed: {}", failed.reason);
                            let after = cancel(&mut tx, deps, &saga, &reason).await?;
                            Ok((Outcome::Cancelled, after.unwrap_or(After::Nothing)))
                        }
                        Reply::Done(_) if saga.all_done() => complete(&mut tx, deps, &saga).await,
                        Reply::Done(_) => Ok((Outcome::Waiting, After::Nothing)),
                    }
                })
            },
        )
        .await?;
    finish(deps, after).await;
    tracing::info!(
        saga_id = %incoming.event.saga_id(),
        service = %incoming.event.service(),
        event_id = %incoming.event_id,
        correlation_id = %incoming.correlation_id,
        outcome = ?outcome,
        "movie deletion saga reply"
    );
    match outcome {
        Outcome::Completed => metrics::count(crate::SERVICE, "SagasCompleted"),
        Outcome::Cancelled => metrics::count(crate::SERVICE, "SagasCompensated"),
        _ => {}
    }
    Ok(outcome)
}

/// After the commit: what the end left to do. Failures are logged and left to the sweeper
/// (media) or the cache's own expiry (the tombstone of a movie back).
async fn finish(deps: &Deps, after: After) {
    match after {
        After::Nothing => {}
        After::DeleteMedia(keys) => {
            // The first failure leaves the rest to the sweeper (every key's row is due): no
            // time spent on a storage that is likely down; a key it refuses is retried there.
            for key in keys {
                if !delete_now(deps, &key).await {
                    break;
                }
            }
        }
        After::Refresh(movie) => after_write(deps, &movie).await,
    }
}

/// Inside the saga's transaction (which found it running): the movie removed for good, its
/// media scheduled for deletion, the completion staged. A movie this saga is not deleting any
/// more (never expected: only the saga's own end reactivates it) is not removed: the saga is
/// cancelled instead, so the participants bring its data back rather than purge it.
async fn complete(
    tx: &mut Tx<'_>,
    deps: &Deps,
    saga: &DeletionSaga,
) -> Result<(Outcome, After), MoviesError> {
    let Some(movie) = deps
        .movies
        .remove_for_good(tx.session(), saga.movie_id, &saga.id)
        .await?
    else {
        tracing::error!(saga_id = %saga.id, movie_id = %saga.movie_id, "a deletion saga whose movie it is not deleting: cancelled");
        let after = cancel(
            tx,
            deps,
            saga,
            "the movie was not being deleted by this saga",
        )
        .await?;
        return Ok((Outcome::Cancelled, after.unwrap_or(After::Nothing)));
    };
    let keys: Vec<String> = movie
        .video
        .iter()
        .map(|v| v.key.clone())
        .chain(movie.subtitles.iter().map(|s| s.key.clone()))
        .collect();
    let now = DateTime::now();
    for key in &keys {
        deps.media_deletions
            .schedule(Some(tx.session()), key, Kind::Deletion, now)
            .await?;
    }
    deps.sagas
        .end(tx.session(), &saga.id, SagaState::Completed, None)
        .await?;
    tx.stage(MovieDeletionCompleted {
        saga_id: saga.id.clone(),
        movie_id: saga.movie_id.to_hex(),
        title: movie.title.clone(),
    })
    .await?;
    Ok((Outcome::Completed, After::DeleteMedia(keys)))
}

/// Inside the saga's transaction: the movie active again and the cancellation staged (with its
/// snapshot); `None` when the saga had ended already.
async fn cancel(
    tx: &mut Tx<'_>,
    deps: &Deps,
    saga: &DeletionSaga,
    reason: &str,
) -> Result<Option<After>, MoviesError> {
    if !deps
        .sagas
        .end(tx.session(), &saga.id, SagaState::Cancelled, Some(reason))
        .await?
    {
        return Ok(None);
    }
    // The participants must hear of every end: the snapshot is the movie as it is now (active
    // again), or, for a movie this saga is not deleting any more (never expected), as it is.
    let (movie, after) = match deps
        .movies
        .reactivate(tx.session(), saga.movie_id, &saga.id)
        .await?
    {
        Some(movie) => (Some(movie.clone()), After::Refresh(Box::new(movie))),
        None => {
            tracing::error!(saga_id = %saga.id, movie_id = %saga.movie_id, "a cancelled deletion saga whose movie it was not deleting");
            (
                deps.movies.read_in(tx.session(), saga.movie_id).await?,
                After::Nothing,
            )
        }
    };
    let Some(movie) = movie else {
        tracing::error!(saga_id = %saga.id, "a cancelled deletion saga whose movie is gone: movie.deletion_cancelled not sent");
        return Ok(Some(After::Nothing));
    };
    tx.stage(MovieDeletionCancelled {
        saga_id: saga.id.clone(),
        movie_id: saga.movie_id.to_hex(),
        title: movie.title.clone(),
        cover_image: movie.cover_image.clone(),
        status: movie.status,
        reason: reason.to_owned(),
    })
    .await?;
    Ok(Some(after))
}

/// One overdue saga cancelled in its own transaction, and what its end left to do done; false
/// when it had ended meanwhile. Type-erased: the transaction's future is deep (retries,
/// outbox, publish) and the scheduled runtime nests it further.
fn cancel_overdue<'a>(
    deps: &'a Deps,
    saga: &'a DeletionSaga,
) -> BoxFuture<'a, Result<bool, MoviesError>> {
    Box::pin(async move {
        let after = deps
            .outbox
            .commit(
                &saga.correlation_id,
                (deps, saga),
                |mut tx, (deps, saga)| {
                    Box::pin(async move { cancel(&mut tx, deps, saga, "deadline passed").await })
                },
            )
            .await?;
        match after {
            Some(after) => {
                finish(deps, after).await;
                Ok(true)
            }
            None => Ok(false),
        }
    })
}

/// `movies-saga-deadline`: adopts a movie left `deleting` without a saga (see
/// `store::sagas::adopt_orphans`), then cancels every running saga whose deadline passed, each in its own
/// transaction with its `movie.deletion_cancelled`, until `deadline` (the invocation's).
pub async fn expire(
    deps: &'static Deps,
    deadline: Option<Instant>,
) -> Result<ExpiryReport, MoviesError> {
    // A failure here is the next run's to retry; the overdue sagas are cancelled regardless.
    if let Err(e) = crate::store::sagas::adopt_orphans(&deps.db).await {
        tracing::warn!(error = %e, "adopting movies left deleting without a saga failed");
    }
    Ok(
        streamia_shared::saga::owner::expire(&deps.sagas, deadline, |saga| {
            cancel_overdue(deps, saga)
        })
        .await?,
    )
}
