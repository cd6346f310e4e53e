//! Add a movie to the caller's favorites, with an optional note.

use bson::oid::ObjectId;
use bson::DateTime;
use serde::Deserialize;
use streamia_shared::domain::parse_object_id;
use streamia_shared::fields;

use super::Caller;
use crate::cache;
use crate::domain::{parse_note, Favorite, FavoriteView};
use crate::error::FavoritesError;
use crate::Deps;

/// The fields a client sends.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// The movie's id (24 hex characters).
    pub movie_id: Option<String>,
    /// At most 500 characters once trimmed; blank or `null` is no note.
    #[serde(default)]
    pub note: Option<String>,
}

/// A valid add.
#[derive(Debug, Clone)]
pub struct Command {
    /// Which movie.
    pub movie_id: ObjectId,
    /// The note, trimmed; `None`: no note.
    pub note: Option<String>,
}

/// Every field checked at once.
pub fn parse(input: Input) -> Result<Command, FavoritesError> {
    let (movie_id, note) = fields::all((
        fields::parse("movieId", input.movie_id, parse_object_id),
        fields::optional("note", input.note, |n| parse_note(&n)),
    ))?;
    Ok(Command {
        movie_id,
        note: note.flatten(),
    })
}

/// Adds the favorite if the movie is visible in the copies (`MovieNotFound` otherwise, with
/// `just_created` for a young id whose event may be on its way); `AlreadyFavorite` when the
/// caller already has it. The answer shows the copy's title and cover.
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    caller: &Caller,
) -> Result<FavoriteView, FavoritesError> {
    let copy = deps.copies.visible(&cmd.movie_id).await??;
    let now = DateTime::now();
    let favorite = Favorite {
        id: ObjectId::new(),
        user_id: caller.user_id,
        movie_id: cmd.movie_id,
        note: cmd.note,
        created_at: now,
        updated_at: now,
    };
    let inserted = deps.favorites.insert(&favorite).await;
    deps.answers.bump(&cache::user(caller.user_id)).await;
    inserted?;
    Ok(FavoriteView::new(&favorite, Some(&copy)))
}
