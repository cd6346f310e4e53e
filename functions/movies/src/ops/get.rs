//! Get a movie: one visible movie, from the cache when it holds it.

use bson::oid::ObjectId;

use super::visible_movie;
use super::Ctx;
use crate::cache::Cached;
use crate::domain::MovieView;
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

/// The movie as shown; `MovieNotFound` when unknown or being deleted. Cache-aside: a hit
/// answers without MongoDB, a miss fills the entry (unless a newer one arrived meanwhile).
/// Video and subtitle URLs are signed for this answer (the cache keeps storage keys).
pub async fn execute(deps: &Deps, cmd: Command, _ctx: &Ctx) -> Result<MovieView, MoviesError> {
    let view = cached_or_stored(deps, cmd).await?;
    super::playback::sign(deps, view).await
}

async fn cached_or_stored(deps: &Deps, cmd: Command) -> Result<MovieView, MoviesError> {
    let id = cmd.id.to_hex();
    match deps.cache.movie(&id).await {
        Some(Cached::Movie(view)) => return Ok(*view),
        Some(Cached::Gone) => return Err(MoviesError::MovieNotFound),
        None => {}
    }
    let movie = visible_movie(deps, cmd.id).await?;
    let view = MovieView::from(&movie);
    deps.cache
        .put_movie(&id, movie.version, Some(&view), false)
        .await;
    Ok(view)
}
