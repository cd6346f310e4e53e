//! API Gateway routes: who may call each one, and what it does — read the body, run the
//! operation, answer in the envelope. One constant per route, each served by one binary in
//! `src/bin` (`streamia_shared::http::serve(ROUTE)`); the platform checks the access before the
//! handler runs, and errors become the envelope through `UsersError`'s single mapping. Paths
//! are the full ones a client calls (the API's base path is `/api/v1`).

use streamia_shared::http::{ApiError, ApiResponse, Req, Route};
use streamia_shared::i18n::Msg;

use crate::ops::{self, Caller, Ctx};
use crate::Deps;

type Answer = Result<ApiResponse, ApiError>;

/// POST /api/v1/auth/register: 201 with the first token pair. Every answer carrying tokens
/// (register, login, refresh) is `Cache-Control: no-store`.
pub const REGISTER: Route<Deps> = Route::Public(|d, r, c| Box::pin(register(d, r, c)));
/// POST /api/v1/auth/login: 200 with a token pair.
pub const LOGIN: Route<Deps> = Route::Public(|d, r, c| Box::pin(login(d, r, c)));
/// POST /api/v1/auth/refresh: 200 with the next pair.
pub const REFRESH: Route<Deps> = Route::Public(|d, r, c| Box::pin(refresh(d, r, c)));
/// POST /api/v1/auth/logout (optional body): 200.
pub const LOGOUT: Route<Deps> = Route::User(|d, r, c, u| Box::pin(logout(d, r, c, u)));
/// POST /api/v1/auth/forgot-password: the same 202 whether or not the account exists.
pub const FORGOT_PASSWORD: Route<Deps> =
    Route::Public(|d, r, c| Box::pin(forgot_password(d, r, c)));
/// POST /api/v1/auth/reset-password: 200.
pub const RESET_PASSWORD: Route<Deps> = Route::Public(|d, r, c| Box::pin(reset_password(d, r, c)));
/// GET /api/v1/users/me: 200 with the profile.
pub const GET_ME: Route<Deps> = Route::User(|d, r, c, u| Box::pin(get_me(d, r, c, u)));
/// PUT /api/v1/users/me: 200 with the updated profile.
pub const UPDATE_ME: Route<Deps> = Route::User(|d, r, c, u| Box::pin(update_me(d, r, c, u)));
/// PUT /api/v1/users/me/password: 200; the caller's other sessions end.
pub const CHANGE_PASSWORD: Route<Deps> =
    Route::User(|d, r, c, u| Box::pin(change_password(d, r, c, u)));
/// DELETE /api/v1/users/me: 202 with the deletion saga's id.
pub const DELETE_ME: Route<Deps> = Route::User(|d, r, c, u| Box::pin(delete_me(d, r, c, u)));
/// GET /api/v1/health: 200 `{status: "ok"}` when MongoDB and Redis answer, else the generic
/// 503; the log line names the dependency.
pub const HEALTH: Route<Deps> = Route::Public(|d, r, c| Box::pin(health(d, r, c)));

async fn register(deps: &'static Deps, req: Req, ctx: Ctx) -> Answer {
    let cmd = ops::register::parse(req.json()?)?;
    Ok(ApiResponse::created(ops::register::execute(deps, cmd, &ctx).await?).no_store())
}

async fn login(deps: &'static Deps, req: Req, ctx: Ctx) -> Answer {
    let cmd = ops::login::parse(req.json()?)?;
    Ok(ApiResponse::ok(ops::login::execute(deps, cmd, &ctx).await?).no_store())
}

async fn refresh(deps: &'static Deps, req: Req, ctx: Ctx) -> Answer {
    let cmd = ops::refresh::parse(req.json()?)?;
    Ok(ApiResponse::ok(ops::refresh::execute(deps, cmd, &ctx).await?).no_store())
}

async fn logout(deps: &'static Deps, req: Req, ctx: Ctx, caller: Caller) -> Answer {
    let cmd = ops::logout::parse(caller, req.optional_json()?)?;
    ops::logout::execute(deps, cmd, &ctx).await?;
    Ok(ApiResponse::ok(()).message(Msg::LoggedOut))
}

async fn forgot_password(deps: &'static Deps, req: Req, ctx: Ctx) -> Answer {
    let cmd = ops::forgot_password::parse(req.json()?)?;
    ops::forgot_password::execute(deps, cmd, &ctx).await?;
    Ok(ApiResponse::accepted(()).message(FORGOT_PASSWORD_ANSWER))
}

/// The one answer to a reset request, whether or not the account exists.
pub const FORGOT_PASSWORD_ANSWER: Msg = Msg::ResetLinkSent;

async fn reset_password(deps: &'static Deps, req: Req, ctx: Ctx) -> Answer {
    let cmd = ops::reset_password::parse(req.json()?)?;
    ops::reset_password::execute(deps, cmd, &ctx).await?;
    Ok(ApiResponse::ok(()).message(Msg::PasswordReset))
}

async fn get_me(deps: &'static Deps, _: Req, ctx: Ctx, caller: Caller) -> Answer {
    let cmd = ops::get_me::parse(caller)?;
    Ok(ApiResponse::ok(
        ops::get_me::execute(deps, cmd, &ctx).await?,
    ))
}

async fn update_me(deps: &'static Deps, req: Req, ctx: Ctx, caller: Caller) -> Answer {
    let cmd = ops::update_me::parse(caller, req.json()?)?;
    Ok(ApiResponse::ok(
        ops::update_me::execute(deps, cmd, &ctx).await?,
    ))
}

async fn change_password(deps: &'static Deps, req: Req, ctx: Ctx, caller: Caller) -> Answer {
    let cmd = ops::change_password::parse(caller, req.json()?)?;
    ops::change_password::execute(deps, cmd, &ctx).await?;
    Ok(ApiResponse::ok(()).message(Msg::PasswordChanged))
}

async fn delete_me(deps: &'static Deps, req: Req, ctx: Ctx, caller: Caller) -> Answer {
    let cmd = ops::delete_me::parse(caller, req.json()?)?;
    let started = ops::delete_me::execute(deps, cmd, &ctx).await?;
    Ok(ApiResponse::accepted(started).message(Msg::DeletionStarted))
}

async fn health(deps: &'static Deps, _: Req, _: Ctx) -> Answer {
    Ok(ApiResponse::ok(ops::health::execute(deps).await?))
}
