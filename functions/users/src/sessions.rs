//! Issuing and ending sessions: the token pair a login returns, and revocation.

use bson::oid::ObjectId;
use bson::DateTime;
use serde::Serialize;
use streamia_shared::auth::OpaqueToken;

use crate::domain::{User, UserView};
use crate::error::UsersError;
use crate::AppState;

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

/// Starts a new session for `user` and returns its first token pair.
pub async fn start(state: &AppState, user: &User) -> Result<AuthResponse, UsersError> {
    let session = state.sessions.create(user.id).await?;
    issue(state, user, &session.id).await
}

/// Issues the next token pair within an existing session.
pub async fn issue(
    state: &AppState,
    user: &User,
    session_id: &str,
) -> Result<AuthResponse, UsersError> {
    let refresh = OpaqueToken::generate();
    let refresh_expires = DateTime::from_millis(
        DateTime::now().timestamp_millis() + state.config.tokens.refresh_ttl.as_millis() as i64,
    );
    state
        .sessions
        .add_token(session_id, user.id, &refresh.hash(), refresh_expires)
        .await?;
    let access = state
        .signer
        .issue(&user.id.to_hex(), &user.email, user.role, session_id)?;
    Ok(AuthResponse {
        user: UserView::from(user),
        access_token: access.token,
        refresh_token: refresh.expose().to_owned(),
        expires_in: access.expires_in,
    })
}

/// Ends sessions: refresh tokens stop working at once (Mongo), and so do access tokens already
/// issued in them (Redis, checked by the authorizer).
pub async fn revoke(state: &AppState, session_ids: &[String]) -> Result<(), UsersError> {
    state.sessions.revoke(session_ids).await?;
    state.revocations.revoke_sessions(session_ids).await?;
    Ok(())
}

/// Ends every session of a user except `keep`.
pub async fn revoke_all(
    state: &AppState,
    user_id: ObjectId,
    keep: Option<&str>,
) -> Result<(), UsersError> {
    let ids = state.sessions.live_sessions(user_id, keep).await?;
    revoke(state, &ids).await
}
