//! API Gateway routes: who may call each one, and what it does — read the request, run the
//! operation, answer in the envelope. One constant per route, each served by one binary in
//! `src/bin` (`streamia_shared::http::serve(ROUTE)`); the platform checks the access before the
//! handler runs, and errors become the envelope through `CommentsError`'s single mapping. Paths
//! are the full ones a client calls (the API's base path is `/api/v1`).
//!
//! The public list answers with an `ETag` and `Cache-Control: no-cache` (clients keep the
//! answer and revalidate it each time); `If-None-Match` with the current tag gets a 304.

use streamia_shared::http::query::param;
use streamia_shared::http::{ApiError, ApiResponse, Req, Route};

use crate::ops::{self, Caller, Ctx};
use crate::Deps;

type Answer = Result<ApiResponse, ApiError>;

/// GET /api/v1/comments/movies/{movieId}: 200 with a page of the movie's visible comments.
pub const LIST: Route<Deps> = Route::Public(|d, r, c| Box::pin(list(d, r, c)));
/// POST /api/v1/comments (signed in): 201 with the comment.
pub const CREATE: Route<Deps> = Route::User(|d, r, c, u| Box::pin(create(d, r, c, u)));
/// PUT /api/v1/comments/{id} (its author): 200 with the edited comment.
pub const UPDATE: Route<Deps> = Route::User(|d, r, c, u| Box::pin(update(d, r, c, u)));
/// DELETE /api/v1/comments/{id} (its author or an admin): 204.
pub const DELETE: Route<Deps> = Route::User(|d, r, c, u| Box::pin(delete(d, r, c, u)));
/// POST /api/v1/comments/{id}/reports (signed in, not its author): 202.
pub const REPORT: Route<Deps> = Route::User(|d, r, c, u| Box::pin(report(d, r, c, u)));
/// GET /api/v1/comments/moderation (admin): 200 with a page of flagged or hidden comments.
pub const MODERATION_LIST: Route<Deps> =
    Route::Admin(|d, r, c, u| Box::pin(moderation_list(d, r, c, u)));
/// PUT /api/v1/comments/{id}/moderation (admin): 200 with the comment after the decision.
pub const MODERATE: Route<Deps> = Route::Admin(|d, r, c, u| Box::pin(moderate(d, r, c, u)));

async fn list(deps: &'static Deps, req: Req, ctx: Ctx) -> Answer {
    let movie_id = req.path_id("movieId")?;
    let page = req.page(ops::list::RULES)?;
    let cmd = ops::list::parse(movie_id, page)?;
    Ok(ApiResponse::ok(ops::list::execute(deps, cmd, &ctx).await?).revalidate())
}

async fn create(deps: &'static Deps, req: Req, _ctx: Ctx, caller: Caller) -> Answer {
    let cmd = ops::create::parse(req.json()?)?;
    Ok(ApiResponse::created(
        ops::create::execute(deps, cmd, &caller).await?,
    ))
}

async fn update(deps: &'static Deps, req: Req, _ctx: Ctx, caller: Caller) -> Answer {
    let cmd = ops::update::parse(req.path_id("id")?, req.json()?)?;
    Ok(ApiResponse::ok(
        ops::update::execute(deps, cmd, &caller).await?,
    ))
}

async fn delete(deps: &'static Deps, req: Req, _ctx: Ctx, caller: Caller) -> Answer {
    let cmd = ops::delete::parse(req.path_id("id")?)?;
    ops::delete::execute(deps, cmd, &caller).await?;
    Ok(ApiResponse::no_content())
}

async fn report(deps: &'static Deps, req: Req, _ctx: Ctx, caller: Caller) -> Answer {
    let cmd = ops::report::parse(req.path_id("id")?, req.optional_json()?)?;
    Ok(ApiResponse::accepted(
        ops::report::execute(deps, cmd, &caller).await?,
    ))
}

async fn moderation_list(deps: &'static Deps, req: Req, ctx: Ctx, _: Caller) -> Answer {
    let query = |name: &str| param(req.request(), name).map(str::to_owned);
    let input = ops::moderation_list::Input {
        page: query("page"),
        limit: query("limit"),
        status: query("status"),
    };
    let cmd = ops::moderation_list::parse(input)?;
    // A moderator's view changes with every report: never kept by a cache.
    Ok(ApiResponse::ok(ops::moderation_list::execute(deps, cmd, &ctx).await?).no_store())
}

async fn moderate(deps: &'static Deps, req: Req, _ctx: Ctx, caller: Caller) -> Answer {
    let cmd = ops::moderate::parse(req.path_id("id")?, req.json()?)?;
    Ok(ApiResponse::ok(
        ops::moderate::execute(deps, cmd, &caller).await?,
    ))
}
