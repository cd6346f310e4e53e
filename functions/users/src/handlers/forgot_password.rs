//! POST /auth/forgot-password: email a single-use reset link.

use bson::DateTime;
use lambda_http::Request;
use serde::Deserialize;
use streamia_shared::auth::OpaqueToken;
use streamia_shared::domain::Email;
use streamia_shared::http::{parse_json, ApiError, ApiResponse, RequestCtx};

use crate::domain::{rfc3339, UserStatus};
use crate::error::{FieldErrors, UsersError};
use crate::events::{publish_best_effort, PasswordResetRequested};
use crate::state::RESET_REQUEST_LIMIT;
use crate::AppState;

/// How long a reset link works.
pub const RESET_TOKEN_TTL_SECS: i64 = 3600;

/// The one answer, whether or not the account exists.
pub const ANSWER: &str =
    "If an account exists for this email, a password reset link has been sent.";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    email: Option<String>,
}

/// Handles the route. The answer is the same 202 for known, unknown, rate-limited and deleting
/// accounts, so it reveals nothing about which emails have accounts.
pub async fn handle(
    state: &AppState,
    req: Request,
    ctx: RequestCtx,
) -> Result<ApiResponse, ApiError> {
    let body: Body = parse_json(&req, state.config.max_body_bytes)?;
    let mut errors = FieldErrors::default();
    let email = errors.parse("email", &body.email, Email::parse);
    errors.finish()?;
    let Some(email) = email else {
        return Err(UsersError::Validation(Vec::new()).into());
    };
    let answer = || ApiResponse::accepted(()).message(ANSWER);

    let requests = state.reset_requests.hit(email.as_str()).await?;
    if requests > RESET_REQUEST_LIMIT {
        return Ok(answer());
    }
    let Some(user) = state
        .users
        .by_email(email.as_str())
        .await?
        .filter(|u| u.status == UserStatus::Active)
    else {
        return Ok(answer());
    };
    let token = OpaqueToken::generate();
    let expires_at =
        DateTime::from_millis(DateTime::now().timestamp_millis() + RESET_TOKEN_TTL_SECS * 1000);
    state
        .resets
        .create(user.id, &token.hash(), expires_at)
        .await?;
    let mut reset_url = state.config.frontend_url.clone();
    reset_url.set_path(&format!(
        "{}/reset-password/{}",
        reset_url.path().trim_end_matches('/'),
        token.expose()
    ));
    publish_best_effort(
        state,
        &ctx.correlation_id,
        PasswordResetRequested {
            user_id: user.id.to_hex(),
            email: user.email.clone(),
            username: user.username.clone(),
            reset_url: reset_url.to_string(),
            expires_at: rfc3339(expires_at),
        },
    )
    .await;
    Ok(answer())
}
