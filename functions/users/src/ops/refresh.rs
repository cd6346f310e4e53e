//! Refresh: exchange a refresh token for the next pair of its session.

use std::time::Duration;

use serde::Deserialize;
use streamia_shared::auth::OpaqueToken;
use streamia_shared::fields;
use streamia_shared::time;

use super::Ctx;
use crate::domain::{User, UserStatus};
use crate::error::UsersError;
use crate::sessions::{self, AuthResponse};
use crate::store::RefreshToken;
use crate::Deps;

/// How long after a refresh token was spent a second presentation of it is taken for a retry
/// of the same refresh (two tabs refreshing at once, a client retrying after a timeout or a
/// lost response) and answered with the same successor instead of revoking the session.
///
/// Long enough for a slow mobile retry, short enough that a token stolen later is still
/// caught as reuse: 30 seconds.
pub const RETRY_GRACE: Duration = Duration::from_secs(30);

/// How many retries within [`RETRY_GRACE`] a spent token gets its successor for: a client
/// retrying after a timeout, two or three tabs. One more is reuse (a thief replaying it in a
/// loop within the window would otherwise mint an access token per try).
pub const MAX_GRACE_RETRIES: i32 = 3;

/// Longest token accepted (ours are 43 characters); anything longer is not worth hashing.
const MAX_TOKEN_LEN: usize = 512;

/// The fields a client sends.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// Required.
    pub refresh_token: Option<String>,
}

/// A refresh with a plausible token.
#[derive(Debug)]
pub struct Command {
    /// The presented token.
    pub token: OpaqueToken,
}

/// A missing token is a 400; an empty or oversized one cannot be ours (401).
pub fn parse(input: Input) -> Result<Command, UsersError> {
    let (raw,) = fields::all((fields::required("refreshToken", input.refresh_token),))?;
    let token = OpaqueToken::from_client(&raw);
    if token.expose().is_empty() || token.expose().len() > MAX_TOKEN_LEN {
        return Err(UsersError::InvalidRefreshToken);
    }
    Ok(Command { token })
}

/// Spends the token and returns its successor with a new access token.
///
/// The successor is stored before the token is spent, and the spend records it sealed with the
/// presented token and the server's refresh pepper (see [`OpaqueToken::sealed_for`]), kept only
/// for the grace window: the database never holds a usable token,
/// yet whoever presents the same token again within [`RETRY_GRACE`] can be given the same
/// successor. A spent token presented after the window, or once its successor was itself used,
/// revokes its whole session: only a thief or a replaying client would have it.
pub async fn execute(deps: &Deps, cmd: Command, _ctx: &Ctx) -> Result<AuthResponse, UsersError> {
    let presented = cmd.token;
    let hash = presented.hash();
    let record = deps
        .sessions
        .token(&hash)
        .await?
        .filter(|t| t.expires_at > bson::DateTime::now())
        .ok_or(UsersError::InvalidRefreshToken)?;
    if !deps.sessions.is_live(&record.session_id).await?
        || deps
            .revocations
            .is_session_revoked(&record.session_id)
            .await?
    {
        return Err(UsersError::InvalidRefreshToken);
    }
    let user = deps
        .users
        .by_id(record.user_id)
        .await?
        .filter(|u| u.status == UserStatus::Active)
        .ok_or(UsersError::InvalidRefreshToken)?;
    let successor = match record.spent_at {
        None => rotate(deps, &presented, &record).await?,
        Some(_) => None,
    };
    let successor = match successor {
        Some(successor) => successor,
        // Spent (now or by a concurrent refresh): a retry, or reuse.
        None => retry(deps, &presented, &user).await?,
    };
    sessions::pair(deps, &user, &record.session_id, &successor).await
}

/// Stores a successor and spends `presented` for it; `None` when a concurrent refresh spent
/// it first (the prepared successor is then dropped).
async fn rotate(
    deps: &Deps,
    presented: &OpaqueToken,
    record: &RefreshToken,
) -> Result<Option<OpaqueToken>, UsersError> {
    let successor = OpaqueToken::generate();
    let sealed = successor
        .sealed_for(presented, deps.refresh_pepper()?)
        .ok_or(UsersError::InvalidRefreshToken)?;
    deps.sessions
        .add_token(
            &record.session_id,
            record.user_id,
            &successor.hash(),
            time::from_now(deps.tokens.refresh_ttl),
        )
        .await?;
    if deps
        .sessions
        .spend(&presented.hash(), &successor.hash(), &sealed)
        .await?
    {
        // Sealed successors past the grace window can serve no retry: drop them, so the
        // database holds at most the last few seconds of the chain.
        deps.sessions
            .forget_sealed_successors(&record.session_id, time::ago(RETRY_GRACE))
            .await?;
        return Ok(Some(successor));
    }
    deps.sessions.remove_token(&successor.hash()).await?;
    Ok(None)
}

/// A spent token again: its successor if this is a retry within the grace window, the
/// successor is still unused and the token has had fewer than [`MAX_GRACE_RETRIES`] retries;
/// otherwise the session is revoked.
async fn retry(
    deps: &Deps,
    presented: &OpaqueToken,
    user: &User,
) -> Result<OpaqueToken, UsersError> {
    let record = deps
        .sessions
        .token(&presented.hash())
        .await?
        .ok_or(UsersError::InvalidRefreshToken)?;
    let within_grace = record
        .spent_at
        .is_some_and(|at| at > time::ago(RETRY_GRACE));
    let pepper = deps.refresh_pepper()?;
    let successor = record
        .successor_sealed
        .as_deref()
        .and_then(|sealed| OpaqueToken::unseal(sealed, presented, pepper))
        .filter(|s| Some(&s.hash().0) == record.successor_hash.as_ref());
    if let (true, Some(successor)) = (within_grace, successor) {
        let unused = deps
            .sessions
            .token(&successor.hash())
            .await?
            .is_some_and(|t| t.spent_at.is_none());
        if unused
            && deps
                .sessions
                .count_grace_retry(&presented.hash(), MAX_GRACE_RETRIES)
                .await?
        {
            tracing::info!(session_id = %record.session_id, "refresh retried within the grace window");
            return Ok(successor);
        }
    }
    sessions::revoke(deps, std::slice::from_ref(&record.session_id)).await?;
    tracing::warn!(session_id = %record.session_id, user_id = %user.id, "refresh token reuse: session revoked");
    Err(UsersError::RefreshTokenReuse)
}
