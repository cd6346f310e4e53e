//! Issuing and ending sessions: the token pair a login returns, and revocation.

use bson::oid::ObjectId;
use serde::Serialize;
use streamia_shared::auth::OpaqueToken;

use crate::domain::{User, UserView};
use crate::error::UsersError;
use crate::Deps;

/// What register, login and refresh answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthResponse {
    /// The account.
    pub user: UserView,
    /// Bearer token for protected routes.
    pub access_token: String,
    /// Single-use token for `/auth/refresh`.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// Starts a new session for `user` (the account as read before its password was verified or
/// when it was created) and returns its first token pair; `InvalidCredentials` when the
/// account's password or status changed meanwhile.
///
/// A password change or reset, a role change and a deletion each write the account and then
/// end the sessions they find. A login verifying the old password (a quarter of a second of
/// argon2) while one of them runs would otherwise open a session after that listing, which
/// would outlive the change: the old password, or a demoted admin's role, still at work. So the
/// session is created first, and then the login is recorded on the account only if it is
/// still as verified ([`UserStore::record_login`](crate::store::users::UserStore::record_login),
/// a write that a concurrent change's write cannot pass unseen): a change that comes later
/// finds this session and ends it; one that came first makes the login fail here. The access
/// token carries the role read by that write, so a role change in between is not missed.
pub async fn start(deps: &Deps, user: &User) -> Result<AuthResponse, UsersError> {
    let expires_at = streamia_shared::time::from_now(deps.tokens.refresh_ttl);
    let session = deps.sessions.create(user.id, expires_at).await?;
    let Some(current) = deps
        .users
        .record_login(user.id, &user.password_hash)
        .await?
    else {
        // No token of this session was handed out or stored: ending it in Mongo is enough.
        deps.sessions
            .revoke(std::slice::from_ref(&session.id))
            .await?;
        return Err(UsersError::InvalidCredentials);
    };
    let refresh = OpaqueToken::generate();
    deps.sessions
        .add_token(&session.id, user.id, &refresh.hash(), expires_at)
        .await?;
    pair(deps, &current, &session.id, &refresh).await
}

/// The answer for a session whose refresh token is `refresh` (already stored): a freshly
/// signed access token beside it.
pub async fn pair(
    deps: &Deps,
    user: &User,
    session_id: &str,
    refresh: &OpaqueToken,
) -> Result<AuthResponse, UsersError> {
    let access = deps
        .signer()?
        .issue(&user.id.to_hex(), &user.email, user.role, session_id)
        .await?;
    Ok(AuthResponse {
        user: UserView::from(user),
        access_token: access.token,
        refresh_token: refresh.expose().to_owned(),
        expires_in: access.expires_in,
    })
}

/// Ends sessions: refresh tokens stop working at once (Mongo), and so do access tokens already
/// issued in them (Redis, checked by the authorizer).
pub async fn revoke(deps: &Deps, session_ids: &[String]) -> Result<(), UsersError> {
    // Redis first: the authorizer reads only Redis, and a retry finds the sessions by their
    // live mark in Mongo. Mongo first, a Redis failure would leave the access tokens valid and
    // the retry with nothing left to revoke.
    deps.revocations.revoke_sessions(session_ids).await?;
    deps.sessions.revoke(session_ids).await?;
    Ok(())
}

/// Ends every session of a user except `keep`.
pub async fn revoke_all(
    deps: &Deps,
    user_id: ObjectId,
    keep: Option<&str>,
) -> Result<(), UsersError> {
    let ids = deps.sessions.live_sessions(user_id, keep).await?;
    revoke(deps, &ids).await
}
