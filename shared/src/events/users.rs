//! Events the users service publishes. Consumers (notifications, favorites, ratings, comments)
//! depend on these shapes: an incompatible change is a new version (ARCHITECTURE.md, "An
//! event"); an added optional field is compatible.
//!
//! The events of a user's life (`user.registered`, `user.updated`, `user.deleted`,
//! `user.deletion_cancelled`, `user.deletion_completed`) each carry the snapshot a copy of the
//! user keeps (`username`, `email`, `firstName`, `language`), or say the user is gone for good:
//! SNS/SQS deliver them in any order, and a consumer applying only the newest one
//! (`events::projection`) must find in it everything the in-order result would hold.
//!
//! `language` (the user's, for emails) was added to v1 as an optional field: consumers do not
//! refuse unknown fields, and an event without it reads as `en`, what every user read before.

use serde::{Deserialize, Serialize};

use super::Event;
use crate::domain::Role;
use crate::i18n::Lang;

/// A new account exists; the notification service sends the welcome email. The first state
/// of a copy of the user (`firstName` absent or null: the user gave none).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserRegistered {
    /// The new user's id.
    pub user_id: String,
    /// Where to send the welcome email.
    pub email: String,
    /// Public handle.
    pub username: String,
    /// For the greeting, when given.
    pub first_name: Option<String>,
    /// The language the user reads (`es` or `en`), for the emails about them. Added to v1
    /// as a compatible optional field: an event published before it reads as `en`.
    #[serde(default)]
    pub language: Lang,
}

impl Event for UserRegistered {
    const NAME: &'static str = "user.registered";
    fn aggregate_id(&self) -> &str {
        &self.user_id
    }
}

/// A profile changed; services that copy the username (comments) refresh it. Carries the
/// whole current profile, not only what changed, so a copy takes it as the newest state.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserUpdated {
    /// The user.
    pub user_id: String,
    /// Current username.
    pub username: String,
    /// Current email.
    pub email: String,
    /// Current first name.
    pub first_name: Option<String>,
    /// Current last name.
    pub last_name: Option<String>,
    /// Current avatar URL.
    pub avatar: Option<String>,
    /// The language the user reads (`es` or `en`), for the emails about them. Added to v1
    /// as a compatible optional field: an event published before it reads as `en`.
    #[serde(default)]
    pub language: Lang,
    /// The camelCase names of the fields that changed.
    pub changed: Vec<String>,
}

impl Event for UserUpdated {
    const NAME: &'static str = "user.updated";
    fn aggregate_id(&self) -> &str {
        &self.user_id
    }
}

/// A user asked to reset their password; carries what the email needs.
///
/// The link holds a secret: consumers must never log the payload (its `Debug` hides the link).
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PasswordResetRequested {
    /// The user.
    pub user_id: String,
    /// Where to send it.
    pub email: String,
    /// For the greeting.
    pub username: String,
    /// `${FRONTEND_URL}/reset-password/<token>`.
    pub reset_url: String,
    /// When the link stops working (RFC 3339).
    pub expires_at: String,
    /// The language the user reads (`es` or `en`), for the emails about them. Added to v1
    /// as a compatible optional field: an event published before it reads as `en`.
    #[serde(default)]
    pub language: Lang,
}

impl Event for PasswordResetRequested {
    const NAME: &'static str = "user.password_reset_requested";
    fn aggregate_id(&self) -> &str {
        &self.user_id
    }
}

/// A user asked to delete their account: it is now BEING deleted (marked `deleting`, no more
/// logins), which is reversible. Starts the deletion saga: favorites, ratings and comments
/// remove the user's data and confirm, then the users service publishes
/// [`UserDeletionCompleted`] (final) or, if a step failed, [`UserDeletionCancelled`] (the
/// account is active again). A copy of the user marks it "being deleted" and keeps its fields.
///
/// `firstName` was added (compatible, still v1: an optional field) so that the event carries
/// the whole snapshot a copy keeps, like every event of a user's life: a copy that sees this
/// event first (before `user.registered`) is already right. An event published before the
/// field existed reads as having no first name; such events are also unnumbered
/// (`aggregateVersion` 0), which every numbered event overrides.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserDeleted {
    /// The saga's id (the users service's; saga state is keyed by it). The envelope's
    /// correlation id is the request's, a label for logs.
    pub saga_id: String,
    /// The user being deleted.
    pub user_id: String,
    /// The user's email when the deletion started.
    pub email: String,
    /// The user's username when the deletion started.
    pub username: String,
    /// The user's first name when the deletion started, if any.
    #[serde(default)]
    pub first_name: Option<String>,
    /// The language the user reads (`es` or `en`), for the emails about them. Added to v1
    /// as a compatible optional field: an event published before it reads as `en`.
    #[serde(default)]
    pub language: Lang,
}

impl Event for UserDeleted {
    const NAME: &'static str = "user.deleted";
    fn aggregate_id(&self) -> &str {
        &self.user_id
    }
}

/// The deletion saga failed (a participant could not set the user's data aside, or the
/// saga's deadline passed) and was compensated: the account is active again, and every
/// participant brings back what it set aside. Published by `users-on-deletion-step` or
/// `users-saga-deadline` (`ops::deletion_saga`); the "deletion failed" email is written from
/// it.
///
/// Carries the same snapshot as [`UserDeleted`], so a copy that never saw the user before
/// (this event arrived first) restores it complete.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserDeletionCancelled {
    /// The saga that was compensated.
    pub saga_id: String,
    /// The user, active again.
    pub user_id: String,
    /// The user's email.
    pub email: String,
    /// The user's username.
    pub username: String,
    /// The user's first name, if any.
    pub first_name: Option<String>,
    /// The language the user reads (`es` or `en`), for the emails about them. Added to v1
    /// as a compatible optional field: an event published before it reads as `en`.
    #[serde(default)]
    pub language: Lang,
}

impl Event for UserDeletionCancelled {
    const NAME: &'static str = "user.deletion_cancelled";
    fn aggregate_id(&self) -> &str {
        &self.user_id
    }
}

/// The deletion saga finished: every service removed the user's data and the account is gone
/// for good. Final: a copy of the user becomes a tombstone that no later-arriving event brings
/// back. Published by `users-on-deletion-step` when the last participant confirms; each
/// participant then purges what it set aside.
///
/// It carries no personal data on purpose: after it nothing should hold the user's name or
/// email (the notification service writes the "account deleted" email from its own copy of
/// the user, then ends the copy).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserDeletionCompleted {
    /// The saga that completed.
    pub saga_id: String,
    /// The user that no longer exists.
    pub user_id: String,
}

impl Event for UserDeletionCompleted {
    const NAME: &'static str = "user.deletion_completed";
    fn aggregate_id(&self) -> &str {
        &self.user_id
    }
}

/// The reset link is a bearer secret: `{:?}` shows everything but it.
impl std::fmt::Debug for PasswordResetRequested {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordResetRequested")
            .field("user_id", &self.user_id)
            .field("email", &self.email)
            .field("username", &self.username)
            .field("reset_url", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("language", &self.language)
            .finish()
    }
}

/// An operator granted or took a role (`users-set-role`, never a client): services that keep
/// a user's role, or act on admins, follow it. The account's sessions were revoked with the
/// change, so the new role applies at once. Who did it and why stay in the users database's
/// audit trail (`role_changes`), not on the bus.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserRoleChanged {
    /// The user.
    pub user_id: String,
    /// The role from now on.
    pub role: Role,
    /// The role before the change.
    pub previous_role: Role,
}

impl Event for UserRoleChanged {
    const NAME: &'static str = "user.role_changed";
    fn aggregate_id(&self) -> &str {
        &self.user_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Events published before `language` existed are still v1 and read as English.
    #[test]
    fn an_event_without_a_language_reads_as_english() {
        let registered: UserRegistered = serde_json::from_value(serde_json::json!({
            "userId": "u1", "email": "ana@example.com", "username": "ana", "firstName": null
        }))
        .unwrap();
        assert_eq!(registered.language, Lang::En);
        let reset: PasswordResetRequested = serde_json::from_value(serde_json::json!({
            "userId": "u1", "email": "ana@example.com", "username": "ana",
            "resetUrl": "https://x/reset-password/t", "expiresAt": "2030-01-01T00:00:00.000Z"
        }))
        .unwrap();
        assert_eq!(reset.language, Lang::En);
        let updated: UserUpdated = serde_json::from_value(serde_json::json!({
            "userId": "u1", "email": "a@b.co", "username": "ana", "firstName": null,
            "lastName": null, "avatar": null, "changed": ["language"], "language": "es"
        }))
        .unwrap();
        assert_eq!(updated.language, Lang::Es);
    }
}
