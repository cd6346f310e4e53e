//! Login: exchange email and password for a session.

use serde::Deserialize;
use streamia_shared::auth::{PasswordHash, Verdict};
use streamia_shared::domain::Email;
use streamia_shared::fields;

use streamia_shared::limits::ClientAction;

use super::{limit_client, Ctx};
use crate::domain::UserStatus;
use crate::error::UsersError;
use crate::sessions::{self, AuthResponse};
use crate::Deps;

/// The fields a client sends.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Required.
    pub email: Option<String>,
    /// Required.
    pub password: Option<String>,
}

/// A login attempt.
#[derive(Debug)]
pub struct Command {
    /// Who.
    pub email: Email,
    /// The candidate password (not checked against the policy: old accounts may predate it).
    pub password: String,
}

/// Checks every field at once.
pub fn parse(input: Input) -> Result<Command, UsersError> {
    let (email, password) = fields::all((
        fields::parse("email", input.email, Email::parse),
        fields::required("password", input.password),
    ))?;
    Ok(Command { email, password })
}

/// Starts a session when the password matches an active account. Each attempt is counted
/// per email before the password is verified, so at most `PASSWORD_CHECK_LIMIT` guesses per
/// window are ever verified, however many run at once. Unknown email, wrong password and an
/// account being deleted all answer alike, in the same time (a dummy hash is verified).
/// Before any of it, the attempt is counted against the client's address: one client trying
/// many emails is refused before it costs an argon2 verification or locks anyone out.
pub async fn execute(deps: &Deps, cmd: Command, ctx: &Ctx) -> Result<AuthResponse, UsersError> {
    limit_client(deps, ClientAction::Login, ctx).await?;
    let user = deps.users.by_email(cmd.email.as_str()).await?;
    let stored = user.as_ref().map(|u| PasswordHash(u.password_hash.clone()));
    let verdict = deps
        .login_checks
        .check(cmd.email.as_str(), &cmd.password, stored.as_ref())
        .await?;
    match (verdict, user) {
        (Verdict::Throttled { retry_after }, _) => Err(UsersError::TooManyAttempts { retry_after }),
        (Verdict::Match, Some(user)) if user.status == UserStatus::Active => {
            sessions::start(deps, &user).await
        }
        _ => Err(UsersError::InvalidCredentials),
    }
}
