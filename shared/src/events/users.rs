//! Events the users service publishes. Consumers (notifications, favorites, ratings, comments)
//! depend on these shapes; change them only with a version bump.

use serde::{Deserialize, Serialize};

use super::Event;

/// A new account exists; the notification service sends the welcome email.
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
}

impl Event for UserRegistered {
    const NAME: &'static str = "user.registered";
    fn aggregate_id(&self) -> &str {
        &self.user_id
    }
}

/// A profile changed; services that copy the username (comments) refresh it.
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
}

impl Event for PasswordResetRequested {
    const NAME: &'static str = "user.password_reset_requested";
    fn aggregate_id(&self) -> &str {
        &self.user_id
    }
}

/// A user asked to delete their account: starts the deletion saga. Favorites, ratings and
/// comments remove the user's data and confirm; the users service completes or compensates.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserDeleted {
    /// The saga's id, also the correlation id of every event of the saga.
    pub saga_id: String,
    /// The user being deleted.
    pub user_id: String,
    /// For the final email.
    pub email: String,
    /// For the final email.
    pub username: String,
}

impl Event for UserDeleted {
    const NAME: &'static str = "user.deleted";
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
            .finish()
    }
}
