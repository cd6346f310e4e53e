//! Get me: the caller's profile.

use super::{current_user, Caller, Ctx};
use crate::domain::UserView;
use crate::error::UsersError;
use crate::Deps;

/// Nothing to parse but who asks.
#[derive(Debug)]
pub struct Command {
    /// Who.
    pub caller: Caller,
}

/// The caller's profile.
pub fn parse(caller: Caller) -> Result<Command, UsersError> {
    Ok(Command { caller })
}

/// The account as the API shows it.
pub async fn execute(deps: &Deps, cmd: Command, _ctx: &Ctx) -> Result<UserView, UsersError> {
    Ok(UserView::from(&current_user(deps, &cmd.caller).await?))
}
