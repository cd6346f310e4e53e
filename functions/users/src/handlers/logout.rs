//! POST /auth/logout: end the caller's session.

use lambda_http::Request;
use serde::Deserialize;
use streamia_shared::auth::OpaqueToken;
use streamia_shared::http::{parse_optional_json, ApiError, ApiResponse, Identity, RequestCtx};

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
    let body: Body = parse_optional_json(&req, state.config.max_body_bytes)?;
    state
        .revocations
        .revoke_token(&identity.token_id, identity.expires_at)
        .await?;
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
