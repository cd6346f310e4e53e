//! POST /auth/register: create an account and log it in.

use bson::oid::ObjectId;
use bson::DateTime;
use lambda_http::Request;
use serde::Deserialize;
use streamia_shared::auth::hash_password;
use streamia_shared::domain::{Email, Password, Username};
use streamia_shared::http::{parse_json, ApiError, ApiResponse, RequestCtx, Role};

use crate::domain::{parse_age, parse_name, User, UserStatus};
use crate::error::{FieldErrors, UsersError};
use crate::events::{publish_best_effort, UserRegistered};
use crate::{sessions, AppState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Body {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    age: Option<i64>,
}

/// Handles the route.
pub async fn handle(
    state: &AppState,
    req: Request,
    ctx: RequestCtx,
) -> Result<ApiResponse, ApiError> {
    let body: Body = parse_json(&req, state.config.max_body_bytes)?;
    let mut errors = FieldErrors::default();
    let username = errors.parse("username", &body.username, Username::parse);
    let email = errors.parse("email", &body.email, Email::parse);
    let password = errors.parse("password", &body.password, Password::parse);
    let first_name = body
        .first_name
        .as_deref()
        .and_then(|v| errors.check("firstName", parse_name(v)));
    let last_name = body
        .last_name
        .as_deref()
        .and_then(|v| errors.check("lastName", parse_name(v)));
    let age = body.age.and_then(|v| errors.check("age", parse_age(v)));
    errors.finish()?;
    let (Some(username), Some(email), Some(password)) = (username, email, password) else {
        return Err(UsersError::Validation(Vec::new()).into());
    };

    if state.users.by_email(email.as_str()).await?.is_some() {
        return Err(UsersError::EmailTaken.into());
    }
    if state.users.username_taken(&username.canonical()).await? {
        return Err(UsersError::UsernameTaken.into());
    }
    let hash = hash_password(&password).await.map_err(UsersError::from)?;
    let now = DateTime::now();
    let role = if state.config.is_admin_email(&email) {
        Role::Admin
    } else {
        Role::User
    };
    let user = User {
        id: ObjectId::new(),
        username_lower: username.canonical(),
        username: username.as_str().to_owned(),
        email: email.as_str().to_owned(),
        password_hash: hash.0,
        first_name,
        last_name,
        age,
        avatar: None,
        role,
        status: UserStatus::Active,
        deletion_saga_id: None,
        created_at: now,
        updated_at: now,
    };
    state.users.insert(&user).await?;
    let auth = sessions::start(state, &user).await?;
    publish_best_effort(
        state,
        &ctx.correlation_id,
        UserRegistered {
            user_id: user.id.to_hex(),
            email: user.email.clone(),
            username: user.username.clone(),
            first_name: user.first_name.clone(),
        },
    )
    .await;
    tracing::info!(user_id = %user.id, "user registered");
    Ok(ApiResponse::created(auth))
}
