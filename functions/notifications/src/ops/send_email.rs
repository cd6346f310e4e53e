//! Sends the email an event calls for, once per event even when the event is delivered
//! twice, at once or later: the event is claimed in the inbox (with a lease) before the send,
//! completed after it, released if the send fails so a redelivery can try again.

use streamia_shared::events::Claim;

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
}

/// The email for an event.
pub fn email_for(event: &UserEvent) -> Email {
    match event {
        UserEvent::Registered(e) => emails::welcome(e),
        UserEvent::PasswordResetRequested(e) => emails::password_reset(e),
    }
}

/// Sends `incoming`'s email unless it was sent before. `Busy` when another delivery holds
/// the event (the caller retries later); on a failed send the claim is released.
pub async fn execute(deps: &Deps, incoming: &Incoming<UserEvent>) -> Result<Outcome, NotifyError> {
    let email = email_for(&incoming.event);
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
