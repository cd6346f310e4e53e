//! What a user is, and the values a client may set on one.

use bson::oid::ObjectId;
use bson::DateTime;
use serde::{Deserialize, Serialize};
use streamia_shared::domain::Role;
use streamia_shared::domain::{reject_invisible, Invalid};
use streamia_shared::i18n::{Lang, Msg, Text};
use streamia_shared::time::rfc3339;

/// Where an account is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    /// Can log in.
    Active,
    /// The deletion saga is running: no login, no new sessions.
    Deleting,
}

impl UserStatus {
    /// The stored value, for queries.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Deleting => "deleting",
        }
    }
}

/// A user as stored in the service's `users` collection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// As chosen.
    pub username: String,
    /// Lower-cased, unique.
    pub username_lower: String,
    /// Normalised, unique.
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Optional profile fields.
    pub first_name: Option<String>,
    /// See `first_name`.
    pub last_name: Option<String>,
    /// See `first_name`.
    pub age: Option<i32>,
    /// An https URL.
    pub avatar: Option<String>,
    /// `user` at registration; changed only by an operator (`ops::set_role`).
    pub role: Role,
    /// The language the user reads, for emails (and a client's interface): chosen at
    /// registration, changed with `PUT /users/me`. Accounts stored before languages existed
    /// have no such field and read as `en`.
    #[serde(default)]
    pub language: Lang,
    /// Active or being deleted.
    pub status: UserStatus,
    /// The running deletion saga, if any.
    pub deletion_saga_id: Option<String>,
    /// Creation time.
    pub created_at: DateTime,
    /// Last change.
    pub updated_at: DateTime,
}

/// The user as the API shows it: never any hash or internal state.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    id: String,
    username: String,
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    age: Option<i32>,
    avatar: Option<String>,
    role: Role,
    language: Lang,
    created_at: String,
    updated_at: String,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.to_hex(),
            username: user.username.clone(),
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            age: user.age,
            avatar: user.avatar.clone(),
            role: user.role,
            language: user.language,
            created_at: rfc3339(user.created_at),
            updated_at: rfc3339(user.updated_at),
        }
    }
}

/// A first or last name: trimmed, 1-50 characters, no control characters, and none of the
/// invisible or bidirectional-control ones that make a name read differently than it is.
pub fn parse_name(raw: &str) -> Result<String, Invalid> {
    let name = raw.trim();
    let len = name.chars().count();
    if len == 0 {
        return Err(Msg::FieldNameEmpty.into());
    }
    if len > 50 {
        return Err(Text::new(Msg::FieldMaxChars).arg("max", 50).into());
    }
    if name.chars().any(char::is_control) {
        return Err(Msg::FieldControlChars.into());
    }
    reject_invisible(name)?;
    Ok(name.to_owned())
}

/// An age between 13 and 150.
pub fn parse_age(age: i64) -> Result<i32, Invalid> {
    if (13..=150).contains(&age) {
        Ok(age as i32)
    } else {
        Err(Msg::FieldAgeRange.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_fields() {
        assert_eq!(parse_name("  Ana ").unwrap(), "Ana");
        assert!(parse_name("").is_err());
        assert!(parse_name(&"x".repeat(51)).is_err());
        assert_eq!(parse_name(" María José ").unwrap(), "María José");
        for bad in ["Ana\u{202E}lehcim", "A\u{200B}na", "\u{2067}Ana"] {
            assert_eq!(
                parse_name(bad).unwrap_err().0.msg(),
                Msg::FieldInvisibleChars,
                "{bad:?}"
            );
        }
        assert!(parse_age(12).is_err() && parse_age(151).is_err() && parse_age(13).is_ok());
    }
}
