//! Remove the caller's rating of a movie, then bring the movie's summary up to date.

use bson::oid::ObjectId;

use super::{summarize, Caller, Ctx};
use crate::error::RatingsError;
use crate::Deps;

/// Which rating (the caller's, of this movie).
#[derive(Debug, Clone)]
pub struct Command {
    /// The movie.
    pub movie: ObjectId,
}

/// Nothing to check beyond the id the route parsed.
pub fn parse(movie: ObjectId) -> Result<Command, RatingsError> {
    Ok(Command { movie })
}

/// Deletes the caller's rating (one single-document delete): `RatingNotFound` when there is
/// none. The movie need not be visible: a user may take back a rating of a movie being
/// deleted. As for a put, the movie's mark comes before the delete (a delete never counted
/// still leaves the summary dirty, for the sweeper: a retry answered 404 repairs nothing),
/// then `wanted` and a summary pass. No rating found before: nothing marked. A delete that
/// finds it gone (a concurrent one): its mark is taken back.
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    caller: &Caller,
    ctx: &Ctx,
) -> Result<(), RatingsError> {
    if !deps.ratings.exists(caller.user_id, cmd.movie).await? {
        return Err(RatingsError::RatingNotFound);
    }
    deps.summaries.mark(cmd.movie).await?;
    if !deps.ratings.delete(caller.user_id, cmd.movie).await? {
        deps.summaries.unmark(cmd.movie).await?;
        return Err(RatingsError::RatingNotFound);
    }
    deps.summaries.want(cmd.movie).await?;
    summarize::after_write(deps, cmd.movie, ctx).await;
    Ok(())
}
