//! PUT /users/me/password: change the password knowing the current one.

use lambda_http::Request;
use serde::Deserialize;
use streamia_shared::auth::{hash_password, verify_password, PasswordHash};
use streamia_shared::domain::Password;
use streamia_shared::http::{parse_json, ApiError, ApiResponse, Identity, RequestCtx};

use crate::error::{FieldErrors, UsersError};
use crate::{sessions, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Body {
    current_password: Option<String>,
    new_password: Option<String>,
}

/// Handles the route. Other sessions end; the caller's own stays logged in.
pub async fn handle(
    state: &AppState,
    req: Request,
    _ctx: RequestCtx,
) -> Result<ApiResponse, ApiError> {
    let identity = Identity::from_request(&req)?;
    let body: Body = parse_json(&req, state.config.max_body_bytes)?;
    let mut errors = FieldErrors::default();
    let current = errors
        .required("currentPassword", &body.current_password)
        .map(str::to_owned);
    let new = errors.parse("newPassword", &body.new_password, Password::parse);
    if let (Some(c), Some(n)) = (&current, &new) {
        if c == n.expose() {
            errors.push("newPassword", "must differ from the current password");
        }
    }
    errors.finish()?;
    let (Some(current), Some(new)) = (current, new) else {
        return Err(UsersError::Validation(Vec::new()).into());
    };
    let user = super::current_user(state, &identity).await?;
    let stored = PasswordHash(user.password_hash.clone());
    if !verify_password(&current, Some(&stored))
        .await
        .map_err(UsersError::from)?
    {
        return Err(ApiError::unauthorized_with(
            "INVALID_CREDENTIALS",
            "current password is incorrect",
        ));
    }
    let hash = hash_password(&new).await.map_err(UsersError::from)?;
    state.users.set_password(user.id, &hash.0).await?;
    sessions::revoke_all(state, user.id, Some(&identity.session_id)).await?;
    Ok(ApiResponse::ok(()).message("password changed; other sessions were logged out"))
}
