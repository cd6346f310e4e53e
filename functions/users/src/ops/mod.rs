//! The users service's operations, one file each, callable from any adapter (an HTTP route, a
//! direct invocation by an operator for `set_role`, the SQS consumer of the
//! deletion saga's replies) and from tests without HTTP types.
//!
//! Every operation has the same shape:
//! - `Input`: the raw fields as a client sends them (plain data, `deny_unknown_fields`);
//! - `parse(..) -> Result<Command, UsersError>`: every field checked at once into a `Command`
//!   whose fields are domain values, so it cannot be invalid;
//! - `execute(&Deps, Command, &Ctx) -> Result<Output, UsersError>`: the work, against the
//!   service's own store, Redis and events.

pub mod change_password;
pub mod delete_me;
pub mod deletion_saga;
pub mod forgot_password;
pub mod get_me;
pub mod health;
pub mod login;
pub mod logout;
pub mod refresh;
pub mod register;
pub mod republish;
pub mod reset_password;
pub mod set_role;
pub mod update_me;

pub use streamia_shared::service::{Caller, Ctx};

use crate::domain::User;
use crate::error::UsersError;
use crate::Deps;

/// Counts `action` against the client's address and refuses it past the limit: the first thing
/// a public route that leads to argon2 work does.
pub(crate) async fn limit_client(
    deps: &Deps,
    action: streamia_shared::limits::ClientAction,
    ctx: &Ctx,
) -> Result<(), UsersError> {
    use streamia_shared::cache::Attempt;
    match deps
        .client_limits
        .attempt(action, ctx.client_ip.as_deref())
        .await?
    {
        Attempt::Allowed => Ok(()),
        Attempt::Refused { retry_after } => {
            tracing::warn!(action = ?action, "client limit reached");
            Err(UsersError::ClientThrottled { retry_after })
        }
    }
}

/// The caller's account.
pub(crate) async fn current_user(deps: &Deps, caller: &Caller) -> Result<User, UsersError> {
    deps.users
        .by_id(caller.user_id)
        .await?
        .ok_or(UsersError::UserNotFound)
}

/// Re-checks the caller's current password before a sensitive change, under the same limit
/// as login (per user): a stolen access token cannot be used to guess the password.
pub(crate) async fn confirm_password(
    deps: &Deps,
    user: &User,
    candidate: &str,
) -> Result<(), UsersError> {
    use streamia_shared::auth::{PasswordHash, Verdict};
    let stored = PasswordHash(user.password_hash.clone());
    match deps
        .password_rechecks
        .check(&user.id.to_hex(), candidate, Some(&stored))
        .await?
    {
        Verdict::Match => Ok(()),
        Verdict::Mismatch => Err(UsersError::WrongPassword),
        Verdict::Throttled { retry_after } => Err(UsersError::TooManyAttempts { retry_after }),
    }
}
