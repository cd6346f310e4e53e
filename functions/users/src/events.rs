//! What the users service tells other services. The event shapes live in
//! `streamia_shared::events::users`, since their consumers depend on them too; this module only
//! fills them from a user. Every event goes through the outbox (`Deps::outbox`): staged in the
//! transaction of the change it announces, published after the commit.

pub use streamia_shared::events::users::{
    PasswordResetRequested, UserDeleted, UserRegistered, UserRoleChanged, UserUpdated,
};

use crate::domain::User;

/// `user.registered` for a new account.
pub fn registered(user: &User) -> UserRegistered {
    UserRegistered {
        user_id: user.id.to_hex(),
        email: user.email.clone(),
        username: user.username.clone(),
        first_name: user.first_name.clone(),
        language: user.language,
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
        language: user.language,
    }
}
