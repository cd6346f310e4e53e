//! The service's own copy of each user's name, email and language, so an email about a user
//! (the deletion saga's) needs no call to the users service, which owns that data, and is
//! written in the language the user reads.
//!
//! Kept by `notifications-on-user-change` from the events of the user's life with the
//! platform's "apply only if newer" (`streamia_shared::events::projection`): whatever order
//! SNS/SQS deliver them in, the copy ends as if they had arrived in order.

use serde::{Deserialize, Serialize};
use streamia_shared::events::Projection;
use streamia_shared::i18n::Lang;

/// The collection in the notifications database.
pub const COLLECTION: &str = "user_copies";

/// What the service keeps of a user: enough to greet and reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserCopy {
    /// Public handle.
    pub username: String,
    /// Where emails go.
    pub email: String,
    /// For greetings, when given.
    pub first_name: Option<String>,
    /// The language of the emails about the user (copies kept before languages existed, and
    /// events without one, read as `en`).
    #[serde(default)]
    pub language: Lang,
    /// Whether the account is being deleted (no email but the saga's then).
    pub status: CopyStatus,
}

/// Where the user's account is in its life, as far as the events tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CopyStatus {
    /// Registered, or its deletion was cancelled.
    Active,
    /// `user.deleted` seen: being deleted, which may still be cancelled.
    Deleting,
}

/// The copies, keyed by user id. A completed deletion leaves a tombstone with no field.
pub type UserCopies = Projection<UserCopy>;

/// The copies in `db` (the notifications database).
pub fn user_copies(db: &mongodb::Database) -> UserCopies {
    Projection::new(db, COLLECTION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_kept_before_languages_existed_reads_as_english() {
        let copy: UserCopy = bson::from_document(bson::doc! {
            "username": "ana", "email": "ana@example.com", "firstName": null, "status": "active"
        })
        .unwrap();
        assert_eq!(copy.language, Lang::En);
    }
}
