//! Change password: a new password, confirmed with the current one.

use serde::Deserialize;
use streamia_shared::domain::{Invalid, Password};
use streamia_shared::fields;
use streamia_shared::i18n::Msg;

use super::{confirm_password, current_user, Caller, Ctx};
use crate::credentials::{self, Change};
use crate::error::UsersError;
use crate::Deps;

/// The fields a client sends.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// Required.
    pub current_password: Option<String>,
    /// Required; must meet the policy and differ from the current one.
    pub new_password: Option<String>,
}

/// A password change.
#[derive(Debug)]
pub struct Command {
    /// Whose password; their session stays.
    pub caller: Caller,
    /// To confirm it is them.
    pub current_password: String,
    /// The new password.
    pub new_password: Password,
}

/// Checks both fields at once.
pub fn parse(caller: Caller, input: Input) -> Result<Command, UsersError> {
    let current = fields::required("currentPassword", input.current_password);
    let new = fields::parse("newPassword", input.new_password, Password::parse).and_then(|new| {
        match &current {
            Ok(current) if current == new.expose() => fields::check(
                "newPassword",
                Err(Invalid::from(Msg::FieldMustDifferFromCurrent)),
            ),
            _ => Ok(new),
        }
    });
    let (current_password, new_password) = fields::all((current, new))?;
    Ok(Command {
        caller,
        current_password,
        new_password,
    })
}

/// Confirms the current password (limited per user like login), then, as one unit
/// ([`credentials::replace_password`]), sets the new one, retires every outstanding reset link
/// (it was sent for the old password) and ends every other session; the caller's own stays
/// logged in.
pub async fn execute(deps: &Deps, cmd: Command, _ctx: &Ctx) -> Result<(), UsersError> {
    let user = current_user(deps, &cmd.caller).await?;
    confirm_password(deps, &user, &cmd.current_password).await?;
    let hash = deps.hasher.hash(&cmd.new_password).await?;
    credentials::replace_password(
        deps,
        Change {
            user_id: user.id,
            hash: &hash,
            keep: Some(&cmd.caller.session_id),
            reset_token: None,
        },
    )
    .await
}
