//! Rate a movie: set the caller's score of a visible movie (201 the first time, 200 after),
//! then bring the movie's summary up to date.

use bson::oid::ObjectId;
use serde::Deserialize;
use streamia_shared::fields;

use super::{summarize, Caller, Ctx};
use crate::domain::{RatingView, Score};
use crate::error::RatingsError;
use crate::Deps;

/// The body a client sends.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// A whole number from 1 to 5. Taken as any JSON value so that `3.5` and `"4"` are told
    /// the same field message as `0` and `6` (see [`Score::parse`]).
    pub score: Option<serde_json::Value>,
}

/// A valid rating.
#[derive(Debug, Clone)]
pub struct Command {
    /// The movie rated.
    pub movie: ObjectId,
    /// The score.
    pub score: Score,
}

/// Every field checked at once.
pub fn parse(movie: ObjectId, input: Input) -> Result<Command, RatingsError> {
    let (score,) = fields::all((fields::required("score", input.score)
        .and_then(|raw| fields::check("score", Score::parse(&raw))),))?;
    Ok(Command { movie, score })
}

/// What the rating did.
#[derive(Debug, Clone)]
pub struct Output {
    /// The rating as it now is.
    pub rating: RatingView,
    /// It did not exist before (201), or it did (200, changed or not).
    pub created: bool,
}

/// The movie must be visible in the movie copies (404 `MOVIE_NOT_FOUND` otherwise, with
/// `Retry-After: 1` for an id under a minute old). The same score as stored: only its
/// `updatedAt` is set (200), and the summary, which does not change, is left alone (no
/// count, no pass, no `rating.changed`). Otherwise: the movie's mark
/// ([`SummaryStore::mark`](crate::store::SummaryStore::mark)), one single-document upsert of
/// the rating (no transaction), one `$inc` of the movie's `wanted` counter, and a summary pass
/// if nobody else is computing the movie's summary ([`summarize::after_write`]).
///
/// The mark comes first so that a rating written but never counted (the `$inc` failed: 503;
/// the request was cut; the instance died) still leaves the summary dirty: the sweeper's pass
/// includes it once the mark has expired. The request is idempotent: a retry is never needed
/// to repair the summary.
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    caller: &Caller,
    ctx: &Ctx,
) -> Result<Output, RatingsError> {
    deps.copies.visible(&cmd.movie).await??;
    if let Some(rating) = deps
        .ratings
        .touch_unchanged(caller.user_id, cmd.movie, cmd.score)
        .await?
    {
        return Ok(Output {
            rating: RatingView::from(&rating),
            created: false,
        });
    }
    deps.summaries.mark(cmd.movie).await?;
    let upserted = deps
        .ratings
        .upsert(caller.user_id, cmd.movie, cmd.score)
        .await?;
    deps.summaries.want(cmd.movie).await?;
    summarize::after_write(deps, cmd.movie, ctx).await;
    streamia_shared::metrics::count(crate::SERVICE, "RatingsSubmitted");
    Ok(Output {
        rating: RatingView::from(&upserted.rating),
        created: upserted.created,
    })
}
