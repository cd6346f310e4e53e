//! POST /auth/logout: end the caller's session.

use lambda_http::{Body as LambdaBody, Request};
use serde::Deserialize;
use streamia_shared::auth::OpaqueToken;
use streamia_shared::http::{parse_json, ApiError, ApiResponse, Identity, RequestCtx};

use crate::error::UsersError;
use crate::{sessions, AppState};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Body {
    refresh_token: Option<String>,
}

/// Handles the route: the presented access token and its whole session (so every refresh
/// token of it) stop working; a refresh token in the body, if it is the caller's, ends its
/// session too. Logging out twice is fine.
pub async fn handle(
    state: &AppState,
    req: Request,
    _ctx: RequestCtx,
) -> Result<ApiResponse, ApiError> {
    let identity = Identity::from_request(&req)?;
    let has_body = match req.body() {
        LambdaBody::Empty => false,
        LambdaBody::Text(t) => !t.trim().is_empty(),
        LambdaBody::Binary(b) => !b.is_empty(),
        _ => false,
    };
    let body: Body = if has_body {
        parse_json(&req, state.config.max_body_bytes)?
    } else {
        Body::default()
    };
    state
        .revocations
        .revoke_token(&identity.token_id, identity.expires_at)
        .await
        .map_err(UsersError::from)?;
    let mut ended = vec![identity.session_id.clone()];
    if let Some(raw) = body
        .refresh_token
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    {
        let hash = OpaqueToken::from_client(raw).hash();
        if let Some(session) = state.sessions.session_of_token(&hash).await? {
            if session.user_id.to_hex() == identity.user_id && session.id != identity.session_id {
                ended.push(session.id);
            }
        }
    }
    sessions::revoke(state, &ended).await?;
    Ok(ApiResponse::ok(()).message("logged out"))
}
