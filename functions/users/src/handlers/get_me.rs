//! GET /users/me: the caller's profile.

use lambda_http::Request;
use streamia_shared::http::{ApiError, ApiResponse, Identity, RequestCtx};

use crate::domain::UserView;
use crate::AppState;

/// Handles the route.
pub async fn handle(
    state: &AppState,
    req: Request,
    _ctx: RequestCtx,
) -> Result<ApiResponse, ApiError> {
    let identity = Identity::from_request(&req)?;
    let user = super::current_user(state, &identity).await?;
    Ok(ApiResponse::ok(UserView::from(&user)))
}
