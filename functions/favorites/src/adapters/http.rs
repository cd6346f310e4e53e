//! API Gateway routes: who may call each one, and what it does — read the request, run the
//! operation, answer in the envelope. One constant per route, each served by one binary in
//! `src/bin` (`streamia_shared::http::serve(ROUTE)`); every route is `User` (a bearer token),
//! the platform checks it before the handler runs and hands it the `Caller` whose favorites
//! alone it touches. Paths are the full ones a client calls (the API's base path is `/api/v1`).
//!
//! A user's favorites are personal: answers carry `Cache-Control: no-store`.

use streamia_shared::http::query::param;
use streamia_shared::http::{ApiError, ApiResponse, Req, Route};

use crate::ops::{self, Caller, Ctx};
use crate::Deps;

type Answer = Result<ApiResponse, ApiError>;

/// GET /api/v1/favorites: 200 with a page of the caller's favorites, newest first.
pub const LIST: Route<Deps> = Route::User(|d, r, c, u| Box::pin(list(d, r, c, u)));
/// POST /api/v1/favorites: 201 with the new favorite; 404 MOVIE_NOT_FOUND, 409
/// ALREADY_FAVORITE.
pub const ADD: Route<Deps> = Route::User(|d, r, c, u| Box::pin(add(d, r, c, u)));
/// GET /api/v1/favorites/{movieId}: 200 with the caller's favorite of that movie, or 404.
pub const GET: Route<Deps> = Route::User(|d, r, c, u| Box::pin(get(d, r, c, u)));
/// PUT /api/v1/favorites/{movieId}: 200 with the favorite and its new note, or 404.
pub const UPDATE: Route<Deps> = Route::User(|d, r, c, u| Box::pin(update(d, r, c, u)));
/// DELETE /api/v1/favorites/{movieId}: 204, or 404.
pub const REMOVE: Route<Deps> = Route::User(|d, r, c, u| Box::pin(remove(d, r, c, u)));

async fn list(deps: &'static Deps, req: Req, _: Ctx, caller: Caller) -> Answer {
    let query = |name: &str| param(req.request(), name).map(str::to_owned);
    let cmd = ops::list::parse(ops::list::Input {
        page: query("page"),
        limit: query("limit"),
    })?;
    Ok(ApiResponse::ok(ops::list::execute(deps, cmd, &caller).await?).no_store())
}

async fn add(deps: &'static Deps, req: Req, _: Ctx, caller: Caller) -> Answer {
    let cmd = ops::add::parse(req.json()?)?;
    Ok(ApiResponse::created(ops::add::execute(deps, cmd, &caller).await?).no_store())
}

async fn get(deps: &'static Deps, req: Req, _: Ctx, caller: Caller) -> Answer {
    let cmd = ops::get::parse(req.path_id("movieId")?)?;
    Ok(ApiResponse::ok(ops::get::execute(deps, cmd, &caller).await?).no_store())
}

async fn update(deps: &'static Deps, req: Req, _: Ctx, caller: Caller) -> Answer {
    let cmd = ops::update::parse(req.path_id("movieId")?, req.json()?)?;
    Ok(ApiResponse::ok(ops::update::execute(deps, cmd, &caller).await?).no_store())
}

async fn remove(deps: &'static Deps, req: Req, _: Ctx, caller: Caller) -> Answer {
    let cmd = ops::remove::parse(req.path_id("movieId")?)?;
    ops::remove::execute(deps, cmd, &caller).await?;
    Ok(ApiResponse::no_content())
}
