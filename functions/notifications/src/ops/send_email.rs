//! Sends the email an event calls for, once per event even when the event is delivered
//! twice, at once or later: the event is claimed in the inbox (with a lease) before the send,
//! completed after it, released if the send fails so a redelivery can try again.

use streamia_shared::events::{Change, Claim, Replica};

use crate::copies::{CopyStatus, UserCopy};
use crate::emails::{self, Email};
use crate::events::{Incoming, UserEvent};
use crate::{Deps, NotifyError};

/// What happened to the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// This call sent the email.
    Sent,
    /// An earlier delivery sent it; nothing done.
    AlreadySent,
    /// Nobody to tell: a favorite's alert for a user whose account is gone (its deletion
    /// completed, so the copy is a tombstone).
    NotSent,
}

/// The email for an event. `user.deletion_completed` and `favorite.movie_removed` carry no
/// personal data: their email is written from `copy`, the service's copy of the user (`None`
/// without one).
pub fn email_for(event: &UserEvent, copy: Option<&UserCopy>) -> Option<Email> {
    Some(match event {
        UserEvent::Registered(e) => emails::welcome(e),
        UserEvent::PasswordResetRequested(e) => emails::password_reset(e),
        UserEvent::DeletionCancelled(e) => emails::deletion_failed(e),
        UserEvent::DeletionCompleted(_) => emails::account_deleted(copy?),
        UserEvent::FavoriteMovieRemoved(e) => emails::favorite_removed(e, copy?),
    })
}

/// The copy an event's email needs (`user.deletion_completed`'s, `favorite.movie_removed`'s),
/// read now: `Err(AlreadySent)` when the account's copy is a tombstone already (the email
/// went out before the copy was ended); `Err(NotSent)` for an alert to a user who is gone;
/// `UserBeingDeleted` (retried later) for an alert to a user whose deletion is still running:
/// cancelled, they get it; completed, nobody does.
async fn copy_for(
    deps: &Deps,
    event: &UserEvent,
) -> Result<Result<Option<UserCopy>, Outcome>, NotifyError> {
    match event {
        UserEvent::DeletionCompleted(e) => match deps.copies.get(&e.user_id).await? {
            Some(Replica::Live { state, .. }) => Ok(Ok(Some(state))),
            Some(Replica::Tombstone { .. }) => Ok(Err(Outcome::AlreadySent)),
            None => Err(NotifyError::NoCopyYet(e.user_id.clone())),
        },
        UserEvent::FavoriteMovieRemoved(e) => match deps.copies.get(&e.user_id).await? {
            Some(Replica::Live { state, .. }) => match state.status {
                CopyStatus::Active => Ok(Ok(Some(state))),
                CopyStatus::Deleting => Err(NotifyError::UserBeingDeleted(e.user_id.clone())),
            },
            Some(Replica::Tombstone { .. }) => Ok(Err(Outcome::NotSent)),
            None => Err(NotifyError::NoCopyYet(e.user_id.clone())),
        },
        _ => Ok(Ok(None)),
    }
}

/// Sends `incoming`'s email unless it was sent before, then, for `user.deletion_completed`,
/// ends the copy of the user (a tombstone: after it nothing here holds the user's name or
/// email). `Busy` when another delivery holds the event (the caller retries later); on a
/// failed send the claim is released.
pub async fn execute(deps: &Deps, incoming: &Incoming<UserEvent>) -> Result<Outcome, NotifyError> {
    let outcome = send(deps, incoming).await?;
    if let UserEvent::DeletionCompleted(_) = &incoming.event {
        deps.copies
            .project(&deps.mongo, &deps.copy_inbox, incoming, Change::Tombstone)
            .await?;
    }
    Ok(outcome)
}

async fn send(deps: &Deps, incoming: &Incoming<UserEvent>) -> Result<Outcome, NotifyError> {
    let copy = match copy_for(deps, &incoming.event).await? {
        Ok(copy) => copy,
        Err(done) => {
            tracing::info!(event_id = %incoming.event_id, outcome = ?done, "no email to send (the user's copy is ended)");
            return Ok(done);
        }
    };
    let Some(email) = email_for(&incoming.event, copy.as_ref()) else {
        return Err(NotifyError::NoCopyYet(incoming.aggregate_id.clone()));
    };
    let token = match deps
        .inbox
        .claim(&incoming.event_id, deps.mailer.claim_lease())
        .await?
    {
        Claim::Acquired(token) => token,
        Claim::AlreadyHandled => {
            tracing::info!(event_id = %incoming.event_id, "duplicate event: email already sent");
            return Ok(Outcome::AlreadySent);
        }
        Claim::Busy { retry_after } => return Err(NotifyError::Busy { retry_after }),
    };
    if let Err(e) = deps.mailer.send(&email).await {
        if let Err(release) = deps.inbox.release(&incoming.event_id, &token).await {
            // The lease runs out by itself; the redelivery waits for it.
            tracing::warn!(event_id = %incoming.event_id, error = %release, "inbox: release failed");
        }
        return Err(e.into());
    }
    // Sent: failing to record it now would send it again on redelivery, so report it but
    // do not fail the record (the lease keeps twins off until it expires).
    if let Err(e) = deps.inbox.complete(&incoming.event_id, &token).await {
        tracing::error!(event_id = %incoming.event_id, error = %e, "inbox: email sent but not recorded");
    }
    tracing::info!(
        event_id = %incoming.event_id,
        correlation_id = %incoming.correlation_id,
        "email sent"
    );
    Ok(Outcome::Sent)
}
