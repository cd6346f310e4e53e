//! POST /auth/login: exchange email and password for a session.

use lambda_http::Request;
use serde::Deserialize;
use streamia_shared::auth::{verify_password, PasswordHash};
use streamia_shared::domain::Email;
use streamia_shared::http::{parse_json, ApiError, ApiResponse, RequestCtx};

use crate::domain::UserStatus;
use crate::error::{FieldErrors, UsersError};
use crate::state::LOGIN_FAILURE_LIMIT;
use crate::{sessions, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    email: Option<String>,
    password: Option<String>,
}

/// Handles the route. Unknown email, wrong password and an account being deleted all answer
/// the same 401 in the same time (a dummy hash is verified when there is no account).
pub async fn handle(
    state: &AppState,
    req: Request,
    _ctx: RequestCtx,
) -> Result<ApiResponse, ApiError> {
    let body: Body = parse_json(&req, state.config.max_body_bytes)?;
    let mut errors = FieldErrors::default();
    let email = errors.parse("email", &body.email, Email::parse);
    let password = errors
        .required("password", &body.password)
        .map(str::to_owned);
    errors.finish()?;
    let (Some(email), Some(password)) = (email, password) else {
        return Err(UsersError::Validation(Vec::new()).into());
    };

    let (failures, retry_after) = state.login_failures.get(email.as_str()).await?;
    if failures >= LOGIN_FAILURE_LIMIT {
        return Err(UsersError::TooManyAttempts { retry_after }.into());
    }

    let user = state.users.by_email(email.as_str()).await?;
    let stored = user.as_ref().map(|u| PasswordHash(u.password_hash.clone()));
    let matches = verify_password(&password, stored.as_ref())
        .await
        .map_err(UsersError::from)?;
    let user = match user {
        Some(user) if matches && user.status == UserStatus::Active => user,
        _ => {
            state.login_failures.hit(email.as_str()).await?;
            return Err(UsersError::InvalidCredentials.into());
        }
    };
    state.login_failures.reset(email.as_str()).await?;
    let auth = sessions::start(state, &user).await?;
    Ok(ApiResponse::ok(auth))
}
