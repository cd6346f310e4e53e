//! Update me: change profile fields.

use serde::Deserialize;
use streamia_shared::domain::{parse_https_url, Invalid, Username};
use streamia_shared::fields::{self, Patch};
use streamia_shared::i18n::{Lang, Msg};

use super::{current_user, Caller, Ctx};
use crate::domain::{parse_age, parse_name, UserView};
use crate::error::UsersError;
use crate::events;
use crate::store::ProfileChanges;
use crate::Deps;

/// The fields a client may send: absent fields stay, `null` clears an optional one.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// A new username (cannot be cleared).
    #[serde(default)]
    pub username: Patch<String>,
    /// See [`Input`].
    #[serde(default)]
    pub first_name: Patch<String>,
    /// See [`Input`].
    #[serde(default)]
    pub last_name: Patch<String>,
    /// See [`Input`].
    #[serde(default)]
    pub age: Patch<i64>,
    /// An https URL.
    #[serde(default)]
    pub avatar: Patch<String>,
    /// `es` or `en` (cannot be cleared).
    #[serde(default)]
    pub language: Patch<String>,
}

/// A non-empty set of valid changes.
#[derive(Debug)]
pub struct Command {
    /// Whose profile.
    pub caller: Caller,
    /// What changes.
    pub changes: ProfileChanges,
}

/// Checks every field at once; an update with nothing in it is refused.
pub fn parse(caller: Caller, input: Input) -> Result<Command, UsersError> {
    let (username, first_name, last_name, age, avatar, language) = fields::all((
        required_patch("username", input.username, |v| Username::parse(&v)),
        fields::patch("firstName", input.first_name, |v| parse_name(&v)),
        fields::patch("lastName", input.last_name, |v| parse_name(&v)),
        fields::patch("age", input.age, parse_age),
        fields::patch("avatar", input.avatar, |v| parse_https_url(&v)),
        required_patch("language", input.language, |v| Lang::parse(&v)),
    ))?;
    let changes = ProfileChanges {
        username: username.map(|u| (u.as_str().to_owned(), u.canonical())),
        first_name,
        last_name,
        age,
        avatar,
        language,
    };
    if changes.field_names().is_empty() {
        return Err(UsersError::NothingToUpdate);
    }
    Ok(Command { caller, changes })
}

/// A field every account has (username, language): absent leaves it, a value must parse, and
/// `null` is refused ("cannot be cleared").
fn required_patch<T>(
    field: &str,
    value: Patch<String>,
    parse: impl FnOnce(String) -> Result<T, Invalid>,
) -> fields::Checked<Option<T>> {
    match fields::patch(field, value, parse)? {
        Patch::Null => fields::check(field, Err(Invalid::from(Msg::FieldCannotBeCleared))),
        Patch::Value(v) => Ok(Some(v)),
        Patch::Absent => Ok(None),
    }
}

/// Applies the changes and stages `user.updated` (with the names of the changed fields) in one
/// transaction.
pub async fn execute(deps: &Deps, cmd: Command, ctx: &Ctx) -> Result<UserView, UsersError> {
    let changes = cmd.changes;
    let current = current_user(deps, &cmd.caller).await?;
    if let Some((_, lower)) = &changes.username {
        if *lower != current.username_lower && deps.users.username_taken(lower).await? {
            return Err(UsersError::UsernameTaken);
        }
    }
    let user = deps
        .outbox
        .commit(
            &ctx.correlation_id,
            (deps, current.id, &changes),
            |mut tx, (deps, id, changes)| {
                Box::pin(async move {
                    let user = deps
                        .users
                        .update_profile(tx.session(), *id, changes)
                        .await?
                        .ok_or(UsersError::UserNotFound)?;
                    tx.stage(events::updated(&user, changes.field_names()))
                        .await?;
                    Ok::<_, UsersError>(user)
                })
            },
        )
        .await?;
    Ok(UserView::from(&user))
}
