//! Reset password: set a new password with a reset token.

use serde::Deserialize;
use streamia_shared::auth::{hash_password, OpaqueToken};
use streamia_shared::domain::Password;
use streamia_shared::fields;

use super::Ctx;
use crate::domain::UserStatus;
use crate::error::UsersError;
use crate::{sessions, Deps};

/// Longest token accepted (ours are 43 characters).
const MAX_TOKEN_LEN: usize = 512;

/// The fields a client sends.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Required: the token from the emailed link.
    pub token: Option<String>,
    /// Required; must meet the policy.
    pub password: Option<String>,
}

/// A reset.
#[derive(Debug)]
pub struct Command {
    /// The presented token.
    pub token: OpaqueToken,
    /// The new password.
    pub password: Password,
}

/// Checks both fields at once; an empty or oversized token cannot be ours.
pub fn parse(input: Input) -> Result<Command, UsersError> {
    let (token, password) = fields::all((
        fields::required("token", input.token).map(|t| OpaqueToken::from_client(&t)),
        fields::parse("password", input.password, Password::parse),
    ))?;
    if token.expose().is_empty() || token.expose().len() > MAX_TOKEN_LEN {
        return Err(UsersError::InvalidResetToken);
    }
    Ok(Command { token, password })
}

/// Spends the token and sets the password. The password was checked before the token is
/// spent, so a weak password does not waste the link. Every other outstanding token is retired
/// and every session ends: whoever knew the old password is logged out.
pub async fn execute(deps: &Deps, cmd: Command, _ctx: &Ctx) -> Result<(), UsersError> {
    let hash = hash_password(&cmd.password).await?;
    let user_id = deps
        .resets
        .consume(&cmd.token.hash())
        .await?
        .ok_or(UsersError::InvalidResetToken)?;
    let user = deps
        .users
        .by_id(user_id)
        .await?
        .filter(|u| u.status == UserStatus::Active)
        .ok_or(UsersError::InvalidResetToken)?;
    deps.users.set_password(user.id, &hash.0).await?;
    deps.resets.retire_all(user.id).await?;
    sessions::revoke_all(deps, user.id, None).await?;
    deps.login_checks.forget(&user.email).await?;
    deps.password_rechecks.forget(&user.id.to_hex()).await?;
    tracing::info!(user_id = %user.id, "password reset");
    Ok(())
}
