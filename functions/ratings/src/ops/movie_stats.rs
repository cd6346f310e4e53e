//! A movie's public rating summary: average, count and distribution.

use bson::oid::ObjectId;

use crate::domain::SummaryView;
use crate::error::RatingsError;
use crate::{cache, Deps};

/// Which movie.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// Its id.
    pub movie: ObjectId,
}

/// Nothing to check beyond the id the route parsed.
pub fn parse(movie: ObjectId) -> Result<Command, RatingsError> {
    Ok(Command { movie })
}

/// The cached answer while current (see `crate::cache`: one cache round trip between two
/// changes of the movie's ratings); otherwise, and whenever the cache does not answer, from
/// MongoDB.
pub async fn execute(deps: &Deps, cmd: Command) -> Result<SummaryView, RatingsError> {
    deps.answers
        .cached(&cache::summary(cmd.movie), || from_database(deps, cmd))
        .await
}

/// The stored summary (zeros when never rated): one read of the summary document by `_id`,
/// beside one read of the movie's copy (404 `MOVIE_NOT_FOUND` for an unknown or deleted
/// movie), both at once. Never an aggregation over the ratings: this read is the benchmarked
/// one. It trails a rating by the summary pass that follows it (milliseconds; at most the
/// sweeper's minute when the writer died mid-pass).
async fn from_database(deps: &Deps, cmd: Command) -> Result<SummaryView, RatingsError> {
    let (copy, view) = tokio::join!(
        deps.copies.visible(&cmd.movie),
        deps.summaries.view(cmd.movie)
    );
    copy??;
    Ok(view?)
}
