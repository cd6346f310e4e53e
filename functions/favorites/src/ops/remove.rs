//! Remove a movie from the caller's favorites.

use bson::oid::ObjectId;

use super::Caller;
use crate::cache;
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

/// Removes it; `FavoriteNotFound` when the caller had none (a second remove is a 404).
pub async fn execute(deps: &Deps, cmd: Command, caller: &Caller) -> Result<(), FavoritesError> {
    let removed = deps.favorites.remove(caller.user_id, cmd.movie_id).await;
    deps.answers.bump(&cache::user(caller.user_id)).await;
    match removed? {
        true => Ok(()),
        false => Err(FavoritesError::FavoriteNotFound),
    }
}
