//! Forgot password: email a single-use reset link.

use std::time::Duration;

use serde::Deserialize;
use streamia_shared::auth::OpaqueToken;
use streamia_shared::domain::Email;
use streamia_shared::fields;
use streamia_shared::limits::ClientAction;
use streamia_shared::time;

use super::{limit_client, Ctx};
use crate::deps::RESET_REQUEST_LIMIT;
use crate::domain::UserStatus;
use crate::error::UsersError;
use crate::events::PasswordResetRequested;
use crate::Deps;

/// How long a reset link works.
pub const RESET_TOKEN_TTL: Duration = Duration::from_secs(3600);

/// The fields a client sends.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Required.
    pub email: Option<String>,
}

/// A reset request.
#[derive(Debug)]
pub struct Command {
    /// Whose password.
    pub email: Email,
}

/// Checks the email.
pub fn parse(input: Input) -> Result<Command, UsersError> {
    let (email,) = fields::all((fields::parse("email", input.email, Email::parse),))?;
    Ok(Command { email })
}

/// Stores a reset token and stages `user.password_reset_requested` (the notification service
/// emails the link) in one transaction, for an active account, at most `RESET_REQUEST_LIMIT` times an hour
/// per address. Known, unknown, limited and deleting accounts all succeed alike, so the
/// answer reveals nothing about which emails have accounts. A client past its own limit gets a
/// 429 (that reveals nothing about the email either).
pub async fn execute(deps: &Deps, cmd: Command, ctx: &Ctx) -> Result<(), UsersError> {
    limit_client(deps, ClientAction::ForgotPassword, ctx).await?;
    let requests = deps.reset_requests.hit(cmd.email.as_str()).await?;
    if requests > RESET_REQUEST_LIMIT {
        return Ok(());
    }
    let Some(user) = deps
        .users
        .by_email(cmd.email.as_str())
        .await?
        .filter(|u| u.status == UserStatus::Active)
    else {
        return Ok(());
    };
    let token = OpaqueToken::generate();
    let expires_at = time::from_now(RESET_TOKEN_TTL);
    let mut reset_url = deps.users_config.frontend_url.clone();
    reset_url.set_path(&format!(
        "{}/reset-password/{}",
        reset_url.path().trim_end_matches('/'),
        token.expose()
    ));
    let event = PasswordResetRequested {
        user_id: user.id.to_hex(),
        email: user.email.clone(),
        username: user.username.clone(),
        reset_url: reset_url.to_string(),
        expires_at: time::rfc3339(expires_at),
        language: user.language,
    };
    deps.outbox
        .commit(
            &ctx.correlation_id,
            (deps, user.id, token.hash(), event),
            |mut tx, (deps, user_id, hash, event)| {
                Box::pin(async move {
                    deps.resets
                        .create(tx.session(), *user_id, hash, expires_at)
                        .await?;
                    tx.stage(event.clone()).await?;
                    Ok::<_, UsersError>(())
                })
            },
        )
        .await?;
    Ok(())
}
