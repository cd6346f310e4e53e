//! POST /auth/refresh: spend a refresh token for a new pair.

use lambda_http::Request;
use serde::Deserialize;
use streamia_shared::auth::OpaqueToken;
use streamia_shared::http::{parse_json, ApiError, ApiResponse, RequestCtx};

use crate::domain::UserStatus;
use crate::error::{FieldErrors, UsersError};
use crate::store::RefreshOutcome;
use crate::{sessions, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Body {
    refresh_token: Option<String>,
}

/// Handles the route. A token is good once; presenting a spent one revokes its session, since
/// only a thief or a replaying client would have it.
pub async fn handle(
    state: &AppState,
    req: Request,
    _ctx: RequestCtx,
) -> Result<ApiResponse, ApiError> {
    let body: Body = parse_json(&req, state.config.max_body_bytes)?;
    let mut errors = FieldErrors::default();
    let token = errors
        .required("refreshToken", &body.refresh_token)
        .map(str::to_owned);
    errors.finish()?;
    let token = OpaqueToken::from_client(token.as_deref().unwrap_or_default());
    if token.expose().is_empty() || token.expose().len() > 512 {
        return Err(UsersError::InvalidRefreshToken.into());
    }
    match state.sessions.spend(&token.hash()).await? {
        RefreshOutcome::Rotated {
            session_id,
            user_id,
        } => {
            let user = state
                .users
                .by_id(user_id)
                .await?
                .filter(|u| u.status == UserStatus::Active)
                .ok_or(UsersError::InvalidRefreshToken)?;
            let auth = sessions::issue(state, &user, &session_id).await?;
            Ok(ApiResponse::ok(auth))
        }
        RefreshOutcome::Reused { session_id } => {
            state
                .revocations
                .revoke_sessions(std::slice::from_ref(&session_id))
                .await?;
            tracing::warn!(session_id = %session_id, "refresh token reuse: session revoked");
            Err(UsersError::RefreshTokenReuse.into())
        }
        RefreshOutcome::Invalid => Err(UsersError::InvalidRefreshToken.into()),
    }
}
