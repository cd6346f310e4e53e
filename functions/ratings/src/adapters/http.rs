//! API Gateway routes: who may call each one, and what it does — read the request, run the
//! operation, answer in the envelope. One constant per route, each served by one binary in
//! `src/bin` (`streamia_shared::http::serve(ROUTE)`); the platform checks the access before the
//! handler runs, and errors become the envelope through `RatingsError`'s single mapping. Paths
//! are the full ones a client calls (the API's base path is `/api/v1`).
//!
//! Every route but the movie's summary acts for the signed-in caller and only on the caller's
//! own ratings (the user id comes from the authorizer, never from the request), so no route
//! can read or change another user's rating: there is no 403 to give. The public summary
//! answers with an `ETag` and `Cache-Control: no-cache` (clients keep it and revalidate).

use streamia_shared::http::{ApiError, ApiResponse, Req, Route};

use crate::ops::{self, Caller, Ctx};
use crate::Deps;

type Answer = Result<ApiResponse, ApiError>;

/// The path parameter naming the movie.
const MOVIE_ID: &str = "movieId";

/// PUT /api/v1/ratings/{movieId} (user): 201 with the rating the first time, 200 after.
pub const PUT: Route<Deps> = Route::User(|d, r, c, u| Box::pin(put(d, r, c, u)));
/// DELETE /api/v1/ratings/{movieId} (user): 204, 404 when the caller had no rating of it.
pub const DELETE: Route<Deps> = Route::User(|d, r, c, u| Box::pin(delete(d, r, c, u)));
/// GET /api/v1/ratings/me (user): 200 with a page of the caller's ratings.
pub const LIST_MINE: Route<Deps> = Route::User(|d, r, c, u| Box::pin(list_mine(d, r, c, u)));
/// GET /api/v1/ratings/movies/{movieId} (public): 200 with the movie's summary.
pub const MOVIE_STATS: Route<Deps> = Route::Public(|d, r, c| Box::pin(movie_stats(d, r, c)));

async fn put(deps: &'static Deps, req: Req, ctx: Ctx, caller: Caller) -> Answer {
    let cmd = ops::put::parse(req.path_id(MOVIE_ID)?, req.json()?)?;
    let out = ops::put::execute(deps, cmd, &caller, &ctx).await?;
    Ok(match out.created {
        true => ApiResponse::created(out.rating),
        false => ApiResponse::ok(out.rating),
    })
}

async fn delete(deps: &'static Deps, req: Req, ctx: Ctx, caller: Caller) -> Answer {
    let cmd = ops::delete::parse(req.path_id(MOVIE_ID)?)?;
    ops::delete::execute(deps, cmd, &caller, &ctx).await?;
    Ok(ApiResponse::no_content())
}

async fn list_mine(deps: &'static Deps, req: Req, _ctx: Ctx, caller: Caller) -> Answer {
    let cmd = ops::list_mine::parse(req.page(ops::list_mine::RULES)?)?;
    Ok(ApiResponse::ok(
        ops::list_mine::execute(deps, cmd, &caller).await?,
    ))
}

async fn movie_stats(deps: &'static Deps, req: Req, _ctx: Ctx) -> Answer {
    let cmd = ops::movie_stats::parse(req.path_id(MOVIE_ID)?)?;
    Ok(ApiResponse::ok(ops::movie_stats::execute(deps, cmd).await?).revalidate())
}
