//! API Gateway routes: who may call each one, and what it does — read the request, run the
//! operation, answer in the envelope. One constant per route, each served by one binary in
//! `src/bin` (`streamia_shared::http::serve(ROUTE)`); the platform checks the access before the
//! handler runs, and errors become the envelope through `MoviesError`'s single mapping. Paths
//! are the full ones a client calls (the API's base path is `/api/v1`).
//!
//! Public reads answer with an `ETag` and `Cache-Control: no-cache` (clients keep the answer
//! and revalidate it each time); `If-None-Match` with the current tag gets a 304 without a
//! body.

use streamia_shared::http::query::param;
use streamia_shared::http::{ApiError, ApiResponse, Req, Route};
use streamia_shared::i18n::Msg;

use crate::ops::{self, Caller, Ctx};
use crate::Deps;

type Answer = Result<ApiResponse, ApiError>;

/// GET /api/v1/movies: 200 with a page of visible movies.
pub const LIST: Route<Deps> = Route::Public(|d, r, c| Box::pin(list(d, r, c)));
/// GET /api/v1/movies/{id}: 200 with the movie, 404 when unknown or being deleted.
pub const GET: Route<Deps> = Route::Public(|d, r, c| Box::pin(get(d, r, c)));
/// POST /api/v1/movies (admin): 201 with the movie.
pub const CREATE: Route<Deps> = Route::Admin(|d, r, c, u| Box::pin(create(d, r, c, u)));
/// PUT /api/v1/movies/{id} (admin): 200 with the movie.
pub const UPDATE: Route<Deps> = Route::Admin(|d, r, c, u| Box::pin(update(d, r, c, u)));
/// DELETE /api/v1/movies/{id} (admin): 202 with the deletion saga's id.
pub const DELETE: Route<Deps> = Route::Admin(|d, r, c, u| Box::pin(delete(d, r, c, u)));

/// POST /api/v1/movies/{id}/video/upload-url (admin): 200 with a signed direct upload.
pub const VIDEO_UPLOAD_URL: Route<Deps> =
    Route::Admin(|d, r, c, u| Box::pin(video_upload_url(d, r, c, u)));
/// POST /api/v1/movies/{id}/video (admin): 200 with the movie, its video recorded.
pub const CONFIRM_VIDEO: Route<Deps> =
    Route::Admin(|d, r, c, u| Box::pin(confirm_video(d, r, c, u)));
/// POST /api/v1/movies/{id}/subtitles (admin): 201 with the track.
pub const ADD_SUBTITLE: Route<Deps> = Route::Admin(|d, r, c, u| Box::pin(add_subtitle(d, r, c, u)));
/// GET /api/v1/movies/{id}/subtitles: 200 with the tracks.
pub const LIST_SUBTITLES: Route<Deps> = Route::Public(|d, r, c| Box::pin(list_subtitles(d, r, c)));
/// DELETE /api/v1/movies/{id}/subtitles/{language} (admin): 204.
pub const DELETE_SUBTITLE: Route<Deps> =
    Route::Admin(|d, r, c, u| Box::pin(delete_subtitle(d, r, c, u)));

async fn video_upload_url(deps: &'static Deps, req: Req, ctx: Ctx, _: Caller) -> Answer {
    let max = deps.media()?.1.max_video_bytes;
    let cmd = ops::video_upload_url::parse(req.path_id("id")?, req.json()?, max)?;
    // A signed URL is a credential for one upload: never kept by a cache.
    Ok(ApiResponse::ok(ops::video_upload_url::execute(deps, cmd, &ctx).await?).no_store())
}

async fn confirm_video(deps: &'static Deps, req: Req, ctx: Ctx, _: Caller) -> Answer {
    let cmd = ops::confirm_video::parse(req.path_id("id")?, req.json()?)?;
    Ok(ApiResponse::ok(
        ops::confirm_video::execute(deps, cmd, &ctx).await?,
    ))
}

async fn add_subtitle(deps: &'static Deps, req: Req, ctx: Ctx, _: Caller) -> Answer {
    let cmd = ops::add_subtitle::parse(req.path_id("id")?, req.json()?)?;
    Ok(ApiResponse::created(
        ops::add_subtitle::execute(deps, cmd, &ctx).await?,
    ))
}

async fn list_subtitles(deps: &'static Deps, req: Req, ctx: Ctx) -> Answer {
    let cmd = ops::list_subtitles::parse(req.path_id("id")?)?;
    Ok(ApiResponse::ok(ops::list_subtitles::execute(deps, cmd, &ctx).await?).revalidate())
}

async fn delete_subtitle(deps: &'static Deps, req: Req, ctx: Ctx, _: Caller) -> Answer {
    let id = req.path_id("id")?;
    let cmd = ops::delete_subtitle::parse(id, &req.path_text("language", 35)?)?;
    ops::delete_subtitle::execute(deps, cmd, &ctx).await?;
    Ok(ApiResponse::no_content())
}

async fn list(deps: &'static Deps, req: Req, ctx: Ctx) -> Answer {
    let query = |name: &str| param(req.request(), name).map(str::to_owned);
    let input = ops::list::Input {
        page: query("page"),
        limit: query("limit"),
        search: query("search"),
        category: query("category"),
        sort: query("sort"),
    };
    let cmd = ops::list::parse(input)?;
    Ok(ApiResponse::ok(ops::list::execute(deps, cmd, &ctx).await?).revalidate())
}

async fn get(deps: &'static Deps, req: Req, ctx: Ctx) -> Answer {
    let cmd = ops::get::parse(req.path_id("id")?)?;
    Ok(ApiResponse::ok(ops::get::execute(deps, cmd, &ctx).await?).revalidate())
}

async fn create(deps: &'static Deps, req: Req, ctx: Ctx, _: Caller) -> Answer {
    let cmd = ops::create::parse(req.json()?)?;
    Ok(ApiResponse::created(
        ops::create::execute(deps, cmd, &ctx).await?,
    ))
}

async fn update(deps: &'static Deps, req: Req, ctx: Ctx, _: Caller) -> Answer {
    let id = req.path_id("id")?;
    let cmd = ops::update::parse(id, req.json()?)?;
    Ok(ApiResponse::ok(
        ops::update::execute(deps, cmd, &ctx).await?,
    ))
}

async fn delete(deps: &'static Deps, req: Req, ctx: Ctx, _: Caller) -> Answer {
    let cmd = ops::delete::parse(req.path_id("id")?)?;
    let started = ops::delete::execute(deps, cmd, &ctx).await?;
    Ok(ApiResponse::accepted(started).message(Msg::MovieDeletionStarted))
}
