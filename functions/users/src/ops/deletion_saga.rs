//! The users service's side of the user-deletion saga (choreography: it only listens and
//! decides the end). `delete_me` started it (account `deleting`, saga recorded, `user.deleted`
//! out); favorites, ratings and comments each set the user's data aside and reply. Here:
//!
//! - [`on_reply`] (`users-on-deletion-step`): records each reply once (inbox), in the saga's
//!   transaction. The last `done` completes the saga: the account is removed for good (its
//!   email free again) and `user.deletion_completed` is staged in the same transaction. A
//!   `failed` cancels it: the account is active again and `user.deletion_cancelled` (with the
//!   user's snapshot, for the participants and the "deletion failed" email) is staged.
//! - [`expire`] (`users-saga-deadline`, scheduled): cancels every running saga past its
//!   deadline the same way, so no account stays `deleting` because a participant is down or
//!   its reply went to a dead-letter queue.
//!
//! A saga ends once: ending is a conditional write on the running saga, so a reply and the
//! deadline racing each other conflict and the second finds it ended. Replies that arrive
//! after the end (late, duplicated, redriven) change nothing.

use std::time::Instant;

use serde::Serialize;
use streamia_shared::events::sagas::{UserDeletionStepDone, UserDeletionStepFailed};
use streamia_shared::events::users::{UserDeletionCancelled, UserDeletionCompleted};
use streamia_shared::events::{Envelope, Event, Incoming, Tx, Unreadable};
use streamia_shared::metrics;

use streamia_shared::db::BoxFuture;

use crate::deps::SagaDeps;
use crate::error::UsersError;
use crate::store::sagas::{SagaState, Snapshot, StepState, PARTICIPANTS};
use crate::store::DeletionSaga;

/// A participant's reply.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `user.deletion_step_done` v1.
    Done(UserDeletionStepDone),
    /// `user.deletion_step_failed` v1.
    Failed(UserDeletionStepFailed),
}

impl Reply {
    fn saga_id(&self) -> &str {
        match self {
            Reply::Done(r) => &r.saga_id,
            Reply::Failed(r) => &r.saga_id,
        }
    }

    fn user_id(&self) -> &str {
        match self {
            Reply::Done(r) => &r.user_id,
            Reply::Failed(r) => &r.user_id,
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
/// or for a reply whose `service` is not the envelope's `source` (the publishing service,
/// which its outbox sets): a guard against a participant's mistake, not a security boundary
/// (a function that may publish on a participant's topic writes the whole envelope; IAM is
/// what limits who may publish there).
pub fn parse(envelope: Envelope) -> Result<Option<Incoming<Reply>>, Unreadable> {
    let source = envelope.source.clone();
    let incoming = match envelope.event_name.as_str() {
        UserDeletionStepDone::NAME => Incoming::parse(envelope)?.map(Reply::Done),
        UserDeletionStepFailed::NAME => Incoming::parse(envelope)?.map(Reply::Failed),
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
    /// The last confirmation: the account is gone, `user.deletion_completed` is out.
    Completed,
    /// A failure: the account is back, `user.deletion_cancelled` is out.
    Cancelled,
    /// This reply was handled before.
    Duplicate,
    /// The saga had ended (or is unknown, or the reply is not a participant's): ignored.
    Ignored,
}

/// Records `incoming` in its saga and ends the saga when the reply decides it.
pub async fn on_reply(deps: &SagaDeps, incoming: &Incoming<Reply>) -> Result<Outcome, UsersError> {
    let outcome = deps
        .outbox
        .commit(
            &incoming.correlation_id,
            (deps, incoming),
            |mut tx, (deps, incoming)| {
                Box::pin(async move {
                    if !deps.inbox.record(tx.session(), &incoming.event_id).await? {
                        return Ok::<_, UsersError>(Outcome::Duplicate);
                    }
                    let reply = &incoming.event;
                    let service = reply.service();
                    if !PARTICIPANTS.contains(&service) {
                        tracing::warn!(
                            service,
                            "a saga reply from a service that is not a participant"
                        );
                        return Ok(Outcome::Ignored);
                    }
                    let step = match reply {
                        Reply::Done(_) => StepState::Done,
                        Reply::Failed(_) => StepState::Failed,
                    };
                    let Ok(user_id) = bson::oid::ObjectId::parse_str(reply.user_id()) else {
                        return Ok(Outcome::Ignored);
                    };
                    // The saga's own user only: a reply naming another user matches nothing.
                    let Some(saga) = deps
                        .sagas
                        .set_step(tx.session(), reply.saga_id(), user_id, service, step)
                        .await?
                    else {
                        return Ok(Outcome::Ignored);
                    };
                    match reply {
                        Reply::Failed(failed) => {
                            let reason = format!("{service} failed: {}", failed.reason);
                            cancel(&mut tx, deps, &saga, &reason).await?;
                            Ok(Outcome::Cancelled)
                        }
                        Reply::Done(_) if saga.all_done() => complete(&mut tx, deps, &saga).await,
                        Reply::Done(_) => Ok(Outcome::Waiting),
                    }
                })
            },
        )
        .await?;
    tracing::info!(
        saga_id = %incoming.event.saga_id(),
        service = %incoming.event.service(),
        event_id = %incoming.event_id,
        correlation_id = %incoming.correlation_id,
        outcome = ?outcome,
        "user deletion saga reply"
    );
    match outcome {
        Outcome::Completed => metrics::count(crate::SERVICE, "SagasCompleted"),
        Outcome::Cancelled => metrics::count(crate::SERVICE, "SagasCompensated"),
        _ => {}
    }
    Ok(outcome)
}

/// Inside the saga's transaction (which found it running): the account removed for good and
/// the completion staged. An account that this saga is not deleting any more (never expected:
/// only the saga's own end reactivates it) is not removed: the saga is cancelled instead, so
/// the participants bring its data back rather than purge it.
async fn complete(
    tx: &mut Tx<'_>,
    deps: &SagaDeps,
    saga: &DeletionSaga,
) -> Result<Outcome, UsersError> {
    if !deps
        .users
        .remove_for_good(tx.session(), saga.user_id, &saga.id)
        .await?
    {
        tracing::error!(saga_id = %saga.id, user_id = %saga.user_id, "a deletion saga whose account it is not deleting: cancelled");
        cancel(
            tx,
            deps,
            saga,
            "the account was not being deleted by this saga",
        )
        .await?;
        return Ok(Outcome::Cancelled);
    }
    deps.sagas
        .end(tx.session(), &saga.id, SagaState::Completed, None)
        .await?;
    tx.stage(UserDeletionCompleted {
        saga_id: saga.id.clone(),
        user_id: saga.user_id.to_hex(),
    })
    .await?;
    Ok(Outcome::Completed)
}

/// Inside the saga's transaction: the account active again and the cancellation staged (with
/// the user's snapshot); false when the saga had ended already.
async fn cancel(
    tx: &mut Tx<'_>,
    deps: &SagaDeps,
    saga: &DeletionSaga,
    reason: &str,
) -> Result<bool, UsersError> {
    if !deps
        .sagas
        .end(tx.session(), &saga.id, SagaState::Cancelled, Some(reason))
        .await?
    {
        return Ok(false);
    }
    // The participants must hear of every end: the snapshot is the account as it is now, or
    // (an account this saga is not deleting any more: never expected) as the deletion found it.
    let snapshot = match deps
        .users
        .reactivate(tx.session(), saga.user_id, &saga.id)
        .await?
    {
        Some(user) => Some(Snapshot::of(&user)),
        None => {
            tracing::error!(saga_id = %saga.id, user_id = %saga.user_id, "a cancelled deletion saga whose account it was not deleting");
            saga.snapshot.clone()
        }
    };
    let Some(snapshot) = snapshot else {
        tracing::error!(saga_id = %saga.id, "a cancelled deletion saga with no snapshot: user.deletion_cancelled not sent");
        return Ok(true);
    };
    tx.stage(UserDeletionCancelled {
        saga_id: saga.id.clone(),
        user_id: saga.user_id.to_hex(),
        email: snapshot.email,
        username: snapshot.username,
        first_name: snapshot.first_name,
        language: snapshot.language,
    })
    .await?;
    Ok(true)
}

/// One overdue saga cancelled in its own transaction; false when it had ended meanwhile.
/// Type-erased: the transaction's future is deep (retries, outbox, publish) and the scheduled
/// runtime nests it further.
fn cancel_overdue<'a>(
    deps: &'a SagaDeps,
    saga: &'a DeletionSaga,
) -> BoxFuture<'a, Result<bool, UsersError>> {
    Box::pin(deps.outbox.commit(
        &saga.correlation_id,
        (deps, saga),
        |mut tx, (deps, saga)| {
            Box::pin(async move { cancel(&mut tx, deps, saga, "deadline passed").await })
        },
    ))
}

pub use streamia_shared::saga::owner::ExpiryReport;

/// `users-saga-deadline`: cancels every running saga whose deadline passed, each in its own
/// transaction with its `user.deletion_cancelled`, until `deadline` (the invocation's).
pub async fn expire(
    deps: &'static SagaDeps,
    deadline: Option<Instant>,
) -> Result<ExpiryReport, UsersError> {
    Ok(
        streamia_shared::saga::owner::expire(&deps.sagas, deadline, |saga| {
            cancel_overdue(deps, saga)
        })
        .await?,
    )
}
