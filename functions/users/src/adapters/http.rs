//! API Gateway routes: parse the body, run the operation, answer in the envelope. One function
//! per route, each served by one binary in `src/bin`; errors become the envelope through
//! `UsersError`'s single mapping.

use lambda_http::Request;
use streamia_shared::http::{
    parse_json, parse_optional_json, ApiError, ApiResponse, Identity, RequestCtx,
};

use crate::ops::{self, Caller, Ctx};
use crate::Deps;

/// The signed-in caller, from the authorizer's context.
fn caller(req: &Request) -> Result<Caller, ApiError> {
    Ok(Caller::try_from(Identity::from_request(req)?)?)
}

fn ctx(request: &RequestCtx) -> Ctx {
    Ctx::new(request.correlation_id.clone())
}

/// POST /auth/register: 201 with the first token pair.
pub async fn register(deps: &Deps, req: Request, rc: RequestCtx) -> Result<ApiResponse, ApiError> {
    let cmd = ops::register::parse(parse_json(&req, deps.config.max_body_bytes)?)?;
    let auth = ops::register::execute(deps, cmd, &ctx(&rc)).await?;
    Ok(ApiResponse::created(auth))
}

/// POST /auth/login: 200 with a token pair.
pub async fn login(deps: &Deps, req: Request, rc: RequestCtx) -> Result<ApiResponse, ApiError> {
    let cmd = ops::login::parse(parse_json(&req, deps.config.max_body_bytes)?)?;
    Ok(ApiResponse::ok(
        ops::login::execute(deps, cmd, &ctx(&rc)).await?,
    ))
}

/// POST /auth/refresh: 200 with the next pair.
pub async fn refresh(deps: &Deps, req: Request, rc: RequestCtx) -> Result<ApiResponse, ApiError> {
    let cmd = ops::refresh::parse(parse_json(&req, deps.config.max_body_bytes)?)?;
    Ok(ApiResponse::ok(
        ops::refresh::execute(deps, cmd, &ctx(&rc)).await?,
    ))
}

/// POST /auth/logout (optional body): 200.
pub async fn logout(deps: &Deps, req: Request, rc: RequestCtx) -> Result<ApiResponse, ApiError> {
    let input = parse_optional_json(&req, deps.config.max_body_bytes)?;
    let cmd = ops::logout::parse(caller(&req)?, input)?;
    ops::logout::execute(deps, cmd, &ctx(&rc)).await?;
    Ok(ApiResponse::ok(()).message("logged out"))
}

/// POST /auth/forgot-password: the same 202 whether or not the account exists.
pub async fn forgot_password(
    deps: &Deps,
    req: Request,
    rc: RequestCtx,
) -> Result<ApiResponse, ApiError> {
    let cmd = ops::forgot_password::parse(parse_json(&req, deps.config.max_body_bytes)?)?;
    ops::forgot_password::execute(deps, cmd, &ctx(&rc)).await?;
    Ok(ApiResponse::accepted(()).message(FORGOT_PASSWORD_ANSWER))
}

/// The one answer to a reset request, whether or not the account exists.
pub const FORGOT_PASSWORD_ANSWER: &str =
    "If an account exists for this email, a password reset link has been sent.";

/// POST /auth/reset-password: 200.
pub async fn reset_password(
    deps: &Deps,
    req: Request,
    rc: RequestCtx,
) -> Result<ApiResponse, ApiError> {
    let cmd = ops::reset_password::parse(parse_json(&req, deps.config.max_body_bytes)?)?;
    ops::reset_password::execute(deps, cmd, &ctx(&rc)).await?;
    Ok(ApiResponse::ok(()).message("password has been reset; please log in again"))
}

/// GET /users/me: 200 with the profile.
pub async fn get_me(deps: &Deps, req: Request, rc: RequestCtx) -> Result<ApiResponse, ApiError> {
    let cmd = ops::get_me::parse(caller(&req)?)?;
    Ok(ApiResponse::ok(
        ops::get_me::execute(deps, cmd, &ctx(&rc)).await?,
    ))
}

/// PUT /users/me: 200 with the updated profile.
pub async fn update_me(deps: &Deps, req: Request, rc: RequestCtx) -> Result<ApiResponse, ApiError> {
    let input = parse_json(&req, deps.config.max_body_bytes)?;
    let cmd = ops::update_me::parse(caller(&req)?, input)?;
    Ok(ApiResponse::ok(
        ops::update_me::execute(deps, cmd, &ctx(&rc)).await?,
    ))
}

/// PUT /users/me/password: 200; the caller's other sessions end.
pub async fn change_password(
    deps: &Deps,
    req: Request,
    rc: RequestCtx,
) -> Result<ApiResponse, ApiError> {
    let input = parse_json(&req, deps.config.max_body_bytes)?;
    let cmd = ops::change_password::parse(caller(&req)?, input)?;
    ops::change_password::execute(deps, cmd, &ctx(&rc)).await?;
    Ok(ApiResponse::ok(()).message("password changed; other sessions were logged out"))
}

/// DELETE /users/me: 202 with the deletion saga's id.
pub async fn delete_me(deps: &Deps, req: Request, rc: RequestCtx) -> Result<ApiResponse, ApiError> {
    let input = parse_json(&req, deps.config.max_body_bytes)?;
    let cmd = ops::delete_me::parse(caller(&req)?, input)?;
    let started = ops::delete_me::execute(deps, cmd, &ctx(&rc)).await?;
    Ok(ApiResponse::accepted(started).message("account deletion started"))
}

/// GET /health: 200 when MongoDB and Redis answer, 503 naming the one that does not.
pub async fn health(deps: &Deps, _req: Request, _rc: RequestCtx) -> Result<ApiResponse, ApiError> {
    Ok(ApiResponse::ok(ops::health::execute(deps).await?))
}
