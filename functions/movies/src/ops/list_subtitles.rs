//! A movie's subtitle tracks (public), each with a short-lived signed URL.

use bson::oid::ObjectId;

use super::Ctx;
use crate::domain::SubtitleView;
use crate::error::MoviesError;
use crate::Deps;

/// Which movie.
#[derive(Debug)]
pub struct Command {
    /// Its id.
    pub id: ObjectId,
}

/// Nothing to check beyond the id the route parsed.
pub fn parse(id: ObjectId) -> Result<Command, MoviesError> {
    Ok(Command { id })
}

/// The tracks of a visible movie (read through the movie's cache, like `GET /movies/{id}`).
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    ctx: &Ctx,
) -> Result<Vec<SubtitleView>, MoviesError> {
    let movie = super::get::execute(deps, super::get::Command { id: cmd.id }, ctx).await?;
    Ok(movie.subtitles)
}
