//! What the users service tells other services. The event shapes live in
//! `streamia_shared::events::users`, since their consumers depend on them too; this module only
//! fills them from a user.

pub use streamia_shared::events::users::{
    PasswordResetRequested, UserDeleted, UserRegistered, UserUpdated,
};
use streamia_shared::events::Event;

use crate::domain::User;
use crate::Deps;

/// `user.registered` for a new account.
pub fn registered(user: &User) -> UserRegistered {
    UserRegistered {
        user_id: user.id.to_hex(),
        email: user.email.clone(),
        username: user.username.clone(),
        first_name: user.first_name.clone(),
    }
}

/// `user.updated` after `changed` (camelCase field names) changed.
pub fn updated(user: &User, changed: Vec<String>) -> UserUpdated {
    UserUpdated {
        user_id: user.id.to_hex(),
        username: user.username.clone(),
        email: user.email.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        avatar: user.avatar.clone(),
        changed,
    }
}

/// Publishes an event whose loss costs only a notification (welcome email, profile copy):
/// the request already succeeded, so a failure is logged, not returned.
pub async fn publish_best_effort<E: Event>(deps: &Deps, correlation_id: &str, event: E) {
    if let Err(err) = deps.publisher.publish(correlation_id, event).await {
        tracing::error!(error = %err, correlation_id, "event not published");
    }
}
