//! Reset password: set a new password with a reset token.

use serde::Deserialize;
use streamia_shared::auth::OpaqueToken;
use streamia_shared::domain::Password;
use streamia_shared::fields;
use streamia_shared::limits::ClientAction;

use super::{limit_client, Ctx};
use crate::credentials::{self, Change};
use crate::domain::UserStatus;
use crate::error::UsersError;
use crate::Deps;

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

/// Counts the attempt against the client's address, looks the token up (unused, unexpired, an
/// active account) before hashing anything, so a bogus token costs no argon2 work; then, as one
/// unit ([`credentials::replace_password`]), spends the token, sets the password, retires every
/// other outstanding link and ends every session: whoever knew the old password is logged out.
/// The password was checked by `parse`, so a weak one does not waste the link. Not limited per
/// email or user: an owner locked out of login by guesses can still reset, which also clears
/// those guesses.
pub async fn execute(deps: &Deps, cmd: Command, ctx: &Ctx) -> Result<(), UsersError> {
    limit_client(deps, ClientAction::ResetPassword, ctx).await?;
    let token = cmd.token.hash();
    let user_id = deps
        .resets
        .owner(&token)
        .await?
        .ok_or(UsersError::InvalidResetToken)?;
    let user = deps
        .users
        .by_id(user_id)
        .await?
        .filter(|u| u.status == UserStatus::Active)
        .ok_or(UsersError::InvalidResetToken)?;
    let hash = deps.hasher.hash(&cmd.password).await?;
    credentials::replace_password(
        deps,
        Change {
            user_id: user.id,
            hash: &hash,
            keep: None,
            reset_token: Some(&token),
        },
    )
    .await
    .map_err(|e| match e {
        // Deleted meanwhile: the link is as good as unknown.
        UsersError::UserNotFound => UsersError::InvalidResetToken,
        e => e,
    })?;
    // The reset is committed: clearing the guess counters (so the owner is not still locked
    // out) is best effort. A 503 now would tell the client to retry a reset whose link is
    // spent; the counters expire with their window anyway.
    for (counter, subject) in [
        (&deps.login_checks, user.email.clone()),
        (&deps.password_rechecks, user.id.to_hex()),
    ] {
        if let Err(e) = counter.forget(&subject).await {
            tracing::warn!(user_id = %user.id, error = %e, "password reset: guess counter not cleared");
        }
    }
    tracing::info!(user_id = %user.id, "password reset");
    Ok(())
}
