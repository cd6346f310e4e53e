//! The events this service consumes, parsed from their envelope into the platform's typed
//! contracts (`streamia_shared::events::users`). Each subscribed event name (the filter policy
//! of the queue in infra/messaging.yaml) must have a variant here: the contract test in
//! `tests/contracts.rs` fails otherwise.

use serde::de::DeserializeOwned;
use streamia_shared::events::users::{PasswordResetRequested, UserRegistered};
use streamia_shared::events::{Envelope, Event};

use crate::NotifyError;

/// A user event that calls for an email.
#[derive(Debug, Clone, PartialEq)]
pub enum UserEvent {
    /// `user.registered` v1: welcome email.
    Registered(UserRegistered),
    /// `user.password_reset_requested` v1: the reset link.
    PasswordResetRequested(PasswordResetRequested),
}

/// One parsed delivery: the id it is deduplicated by, and the event.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// The envelope's `eventId` (the inbox key).
    pub event_id: String,
    /// For logs.
    pub correlation_id: String,
    /// What happened.
    pub event: UserEvent,
}

/// Parses an envelope from the user-events queue. `Ok(None)`: an event this service does
/// not act on (acknowledged). An event it does act on but cannot read is `Unreadable`.
pub fn parse(envelope: Envelope) -> Result<Option<Incoming>, NotifyError> {
    let event = match envelope.event_name.as_str() {
        UserRegistered::NAME => UserEvent::Registered(payload(&envelope)?),
        PasswordResetRequested::NAME => UserEvent::PasswordResetRequested(payload(&envelope)?),
        _ => return Ok(None),
    };
    Ok(Some(Incoming {
        event_id: envelope.event_id,
        correlation_id: envelope.correlation_id,
        event,
    }))
}

fn payload<E: Event + DeserializeOwned>(envelope: &Envelope) -> Result<E, NotifyError> {
    if envelope.version != E::VERSION {
        return Err(NotifyError::Unreadable(format!(
            "{} version {} is not understood (expected {})",
            envelope.event_name,
            envelope.version,
            E::VERSION
        )));
    }
    // The payload may hold a secret (reset link): the error names the field, not the value.
    serde_json::from_value(envelope.payload.clone())
        .map_err(|e| NotifyError::Unreadable(format!("{} payload: {e}", envelope.event_name)))
}
