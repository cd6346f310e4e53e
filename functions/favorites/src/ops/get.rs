//! Get one of the caller's favorites: whether a movie is among them, and its note.

use bson::oid::ObjectId;

use super::Caller;
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

/// The caller's favorite of the movie; `FavoriteNotFound` when they have none. The favorite
/// and the movie's copy are read at once (both are keyed by the movie): one round trip.
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    caller: &Caller,
) -> Result<FavoriteView, FavoritesError> {
    let (favorite, copies) =
        tokio::try_join!(deps.favorites.get(caller.user_id, cmd.movie_id), async {
            Ok(deps.copies.many(&[cmd.movie_id]).await?)
        },)?;
    let favorite = favorite.ok_or(FavoritesError::FavoriteNotFound)?;
    Ok(FavoriteView::new(&favorite, copies.get(&cmd.movie_id)))
}
