//! Get one of the caller's favorites: whether a movie is among them, and its note.

use bson::oid::ObjectId;

use super::{view, Caller};
use crate::domain::FavoriteView;
use crate::error::FavoritesError;
use crate::Deps;

/// Which favorite (the caller's, by movie).
#[derive(Debug, Clone)]
pub struct Command {
    /// The movie's id.
    pub movie_id: ObjectId,
}

/// Nothing to check beyond the id the route parsed.
pub fn parse(movie_id: ObjectId) -> Result<Command, FavoritesError> {
    Ok(Command { movie_id })
}

/// The caller's favorite of the movie; `FavoriteNotFound` when they have none.
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    caller: &Caller,
) -> Result<FavoriteView, FavoritesError> {
    let favorite = deps
        .favorites
        .get(caller.user_id, cmd.movie_id)
        .await?
        .ok_or(FavoritesError::FavoriteNotFound)?;
    view(deps, &favorite).await
}
