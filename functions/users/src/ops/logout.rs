//! Logout: end the caller's session.

use serde::Deserialize;
use streamia_shared::auth::OpaqueToken;

use super::{Caller, Ctx};
use crate::error::UsersError;
use crate::sessions;
use crate::Deps;

/// The fields a client may send (the body is optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// A refresh token of another of the caller's sessions to end as well.
    pub refresh_token: Option<String>,
}

/// A logout.
#[derive(Debug)]
pub struct Command {
    /// Who, with the access token to revoke.
    pub caller: Caller,
    /// A refresh token whose session ends too, when it is the caller's.
    pub refresh_token: Option<OpaqueToken>,
}

/// A blank refresh token counts as none.
pub fn parse(caller: Caller, input: Input) -> Result<Command, UsersError> {
    let refresh_token = input
        .refresh_token
        .as_deref()
        .map(OpaqueToken::from_client)
        .filter(|t| !t.expose().is_empty());
    Ok(Command {
        caller,
        refresh_token,
    })
}

/// The presented access token and its whole session (so every refresh token of it) stop
/// working; the session of the refresh token in the body, if it is the caller's, ends too.
/// Logging out twice is fine.
pub async fn execute(deps: &Deps, cmd: Command, _ctx: &Ctx) -> Result<(), UsersError> {
    let caller = cmd.caller;
    deps.revocations
        .revoke_token(&caller.token_id, caller.expires_at)
        .await?;
    let mut ended = vec![caller.session_id.clone()];
    if let Some(token) = cmd.refresh_token {
        if let Some(session) = deps.sessions.session_of_token(&token.hash()).await? {
            if session.user_id == caller.user_id && session.id != caller.session_id {
                ended.push(session.id);
            }
        }
    }
    sessions::revoke(deps, &ended).await
}
