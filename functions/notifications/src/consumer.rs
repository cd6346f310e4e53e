//! Events in, emails out. Handled events are recorded after sending: a crash in between sends
//! the email again on redelivery (at least once), never zero times.

use serde::de::DeserializeOwned;
use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::events::users::{PasswordResetRequested, UserRegistered};
use streamia_shared::events::{Envelope, Event};

use crate::emails::{self, Email};
use crate::mailer::SendError;
use crate::State;

fn payload<E: Event + DeserializeOwned>(envelope: &Envelope) -> Result<E, ConsumeError> {
    if envelope.version != E::VERSION {
        return Err(ConsumeError::Poison(format!(
            "{} version {} is not understood (expected {})",
            envelope.event_name,
            envelope.version,
            E::VERSION
        )));
    }
    serde_json::from_value(envelope.payload.clone())
        .map_err(|e| ConsumeError::Poison(format!("{} payload: {e}", envelope.event_name)))
}

/// The email an event calls for, if any.
pub fn email_for(envelope: &Envelope) -> Result<Option<Email>, ConsumeError> {
    Ok(match envelope.event_name.as_str() {
        UserRegistered::NAME => Some(emails::welcome(&payload(envelope)?)),
        PasswordResetRequested::NAME => Some(emails::password_reset(&payload(envelope)?)),
        _ => None,
    })
}

/// Handles one event from the user-events queue.
pub async fn on_user_event(state: &State, envelope: Envelope) -> Result<(), ConsumeError> {
    let transient = |e: &dyn std::fmt::Display| ConsumeError::Transient(e.to_string());
    let Some(email) = email_for(&envelope)? else {
        tracing::info!(event_name = %envelope.event_name, "event needs no email");
        return Ok(());
    };
    if state
        .inbox
        .seen(&envelope.event_id)
        .await
        .map_err(|e| transient(&e))?
    {
        tracing::info!(event_id = %envelope.event_id, "duplicate event ignored");
        return Ok(());
    }
    match state.mailer.send(&email).await {
        Ok(()) => {}
        Err(SendError::Build(e)) => return Err(ConsumeError::Poison(e)),
        Err(e) => return Err(transient(&e)),
    }
    state
        .inbox
        .record(&envelope.event_id, &envelope.event_name)
        .await
        .map_err(|e| transient(&e))?;
    tracing::info!(
        event_name = %envelope.event_name,
        event_id = %envelope.event_id,
        correlation_id = %envelope.correlation_id,
        "email sent"
    );
    Ok(())
}
