//! POST /auth/reset-password: set a new password with a reset token.

use lambda_http::Request;
use serde::Deserialize;
use streamia_shared::auth::{hash_password, OpaqueToken};
use streamia_shared::domain::Password;
use streamia_shared::http::{parse_json, ApiError, ApiResponse, RequestCtx};

use crate::domain::UserStatus;
use crate::error::{FieldErrors, UsersError};
use crate::{sessions, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    token: Option<String>,
    password: Option<String>,
}

/// Handles the route. The password is checked before the token is spent, so a weak password
/// does not waste the link. Every session of the user ends: whoever knew the old password is
/// logged out.
pub async fn handle(
    state: &AppState,
    req: Request,
    _ctx: RequestCtx,
) -> Result<ApiResponse, ApiError> {
    let body: Body = parse_json(&req, state.config.max_body_bytes)?;
    let mut errors = FieldErrors::default();
    let token = errors
        .required("token", &body.token)
        .map(OpaqueToken::from_client);
    let password = errors.parse("password", &body.password, Password::parse);
    errors.finish()?;
    let (Some(token), Some(password)) = (token, password) else {
        return Err(UsersError::Validation(Vec::new()).into());
    };
    if token.expose().is_empty() || token.expose().len() > 512 {
        return Err(UsersError::InvalidResetToken.into());
    }
    let hash = hash_password(&password).await.map_err(UsersError::from)?;
    let user_id = state
        .resets
        .consume(&token.hash())
        .await?
        .ok_or(UsersError::InvalidResetToken)?;
    let user = state
        .users
        .by_id(user_id)
        .await?
        .filter(|u| u.status == UserStatus::Active)
        .ok_or(UsersError::InvalidResetToken)?;
    state.users.set_password(user.id, &hash.0).await?;
    state.resets.retire_all(user.id).await?;
    sessions::revoke_all(state, user.id, None).await?;
    state.login_failures.reset(&user.email).await?;
    tracing::info!(user_id = %user.id, "password reset");
    Ok(ApiResponse::ok(()).message("password has been reset; please log in again"))
}
