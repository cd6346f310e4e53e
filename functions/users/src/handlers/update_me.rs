//! PUT /users/me: change profile fields.

use lambda_http::Request;
use serde::Deserialize;
use streamia_shared::domain::Username;
use streamia_shared::http::{parse_json, ApiError, ApiResponse, Identity, Patch, RequestCtx};

use crate::domain::{parse_age, parse_avatar, parse_name, UserView};
use crate::error::{FieldErrors, UsersError};
use crate::events::{publish_best_effort, UserUpdated};
use crate::store::ProfileChanges;
use crate::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Body {
    #[serde(default)]
    username: Patch<String>,
    #[serde(default)]
    first_name: Patch<String>,
    #[serde(default)]
    last_name: Patch<String>,
    #[serde(default)]
    age: Patch<i64>,
    #[serde(default)]
    avatar: Patch<String>,
}

fn parse_patch<T, U>(
    errors: &mut FieldErrors,
    field: &str,
    patch: Patch<T>,
    parse: impl Fn(T) -> Result<U, streamia_shared::domain::Invalid>,
) -> Patch<U> {
    match patch {
        Patch::Absent => Patch::Absent,
        Patch::Null => Patch::Null,
        Patch::Value(v) => match errors.check(field, parse(v)) {
            Some(u) => Patch::Value(u),
            None => Patch::Absent,
        },
    }
}

/// Handles the route. Absent fields stay, `null` clears an optional field (not the username).
pub async fn handle(
    state: &AppState,
    req: Request,
    ctx: RequestCtx,
) -> Result<ApiResponse, ApiError> {
    let identity = Identity::from_request(&req)?;
    let body: Body = parse_json(&req, state.config.max_body_bytes)?;
    let mut errors = FieldErrors::default();
    let username = match body.username {
        Patch::Absent => None,
        Patch::Null => {
            errors.push("username", "cannot be cleared");
            None
        }
        Patch::Value(v) => errors.check("username", Username::parse(&v)),
    };
    let changes = ProfileChanges {
        username: username.map(|u| (u.as_str().to_owned(), u.canonical())),
        first_name: parse_patch(&mut errors, "firstName", body.first_name, |v| {
            parse_name(&v)
        }),
        last_name: parse_patch(&mut errors, "lastName", body.last_name, |v| parse_name(&v)),
        age: parse_patch(&mut errors, "age", body.age, parse_age),
        avatar: parse_patch(&mut errors, "avatar", body.avatar, |v| parse_avatar(&v)),
    };
    errors.finish()?;
    let changed = changes.field_names();
    if changed.is_empty() {
        return Err(UsersError::NothingToUpdate.into());
    }
    let current = super::current_user(state, &identity).await?;
    if let Some((_, lower)) = &changes.username {
        if *lower != current.username_lower && state.users.username_taken(lower).await? {
            return Err(UsersError::UsernameTaken.into());
        }
    }
    let user = state
        .users
        .update_profile(current.id, &changes)
        .await?
        .ok_or(UsersError::UserNotFound)?;
    publish_best_effort(
        state,
        &ctx.correlation_id,
        UserUpdated {
            user_id: user.id.to_hex(),
            username: user.username.clone(),
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            avatar: user.avatar.clone(),
            changed,
        },
    )
    .await;
    Ok(ApiResponse::ok(UserView::from(&user)))
}
