//! What the users service tells other services. The event shapes live in
//! `streamia_shared::events::users`, since their consumers depend on them too.

pub use streamia_shared::events::users::{
    PasswordResetRequested, UserDeleted, UserRegistered, UserUpdated,
};
use streamia_shared::events::Event;

use crate::AppState;

/// Publishes an event whose loss costs only a notification (welcome email, profile copy):
/// the request already succeeded, so a failure is logged, not returned.
///
/// The transactional outbox (a later issue) replaces this best effort with a guarantee; it
/// slots in behind `EventPublisher::publish` without changing callers.
pub async fn publish_best_effort<E: Event>(state: &AppState, correlation_id: &str, event: E) {
    if let Err(err) = state.publisher.publish(correlation_id, event).await {
        tracing::error!(error = %err, correlation_id, "event not published");
    }
}
