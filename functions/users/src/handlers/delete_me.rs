//! DELETE /users/me: start the user-deletion saga.

use lambda_http::Request;
use serde::{Deserialize, Serialize};
use streamia_shared::auth::{verify_password, PasswordHash};
use streamia_shared::http::{parse_json, ApiError, ApiResponse, Identity, RequestCtx};

use crate::error::{FieldErrors, UsersError};
use crate::events::UserDeleted;
use crate::{sessions, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    password: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Accepted {
    saga_id: String,
}

/// Handles the route. The password is checked again; the account is marked `deleting` (no
/// more logins), `user.deleted` announces the saga, and every session ends. If the event cannot
/// be published the mark is undone and the client gets a 503 to retry: a saga nobody heard of
/// would leave the account locked for ever.
pub async fn handle(
    state: &AppState,
    req: Request,
    ctx: RequestCtx,
) -> Result<ApiResponse, ApiError> {
    let identity = Identity::from_request(&req)?;
    let body: Body = parse_json(&req, state.config.max_body_bytes)?;
    let mut errors = FieldErrors::default();
    let password = errors
        .required("password", &body.password)
        .map(str::to_owned);
    errors.finish()?;
    let password = password.unwrap_or_default();
    let user = super::current_user(state, &identity).await?;
    let stored = PasswordHash(user.password_hash.clone());
    if !verify_password(&password, Some(&stored))
        .await
        .map_err(UsersError::from)?
    {
        return Err(ApiError::unauthorized_with(
            "INVALID_CREDENTIALS",
            "password is incorrect",
        ));
    }
    let saga_id = uuid::Uuid::new_v4().to_string();
    if !state.users.mark_deleting(user.id, &saga_id).await? {
        return Err(ApiError::conflict(
            "CONFLICT",
            "the account is already being deleted",
        ));
    }
    let event = UserDeleted {
        saga_id: saga_id.clone(),
        user_id: user.id.to_hex(),
        email: user.email.clone(),
        username: user.username.clone(),
    };
    // The saga's id is the correlation id of every event it causes.
    if let Err(err) = state.publisher.publish(&saga_id, event).await {
        state.users.unmark_deleting(user.id, &saga_id).await?;
        return Err(UsersError::Publish(err).into());
    }
    sessions::revoke_all(state, user.id, None).await?;
    tracing::info!(user_id = %user.id, saga_id = %saga_id, correlation_id = %ctx.correlation_id, "user deletion started");
    Ok(ApiResponse::accepted(Accepted { saga_id }).message("account deletion started"))
}
