//! Change (or clear) the note of one of the caller's favorites.

use bson::oid::ObjectId;
use serde::Deserialize;
use streamia_shared::fields::{self, Patch};

use super::{view, Caller};
use crate::cache;
use crate::domain::{parse_note, FavoriteView};
use crate::error::FavoritesError;
use crate::Deps;

/// The fields a client sends.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// Required: the new note (at most 500 characters once trimmed); `null` or blank clears it.
    #[serde(default)]
    pub note: Patch<String>,
}

/// A valid change.
#[derive(Debug, Clone)]
pub struct Command {
    /// Which favorite (the caller's, by movie).
    pub movie_id: ObjectId,
    /// The new note; `None` clears it.
    pub note: Option<String>,
}

/// Every field checked at once: `note` must be present (a body without it changes nothing and
/// is a mistake).
pub fn parse(movie_id: ObjectId, input: Input) -> Result<Command, FavoritesError> {
    let (note,) = fields::all((match input.note {
        Patch::Absent => fields::required::<Option<String>>("note", None),
        Patch::Null => Ok(None),
        Patch::Value(n) => fields::check("note", parse_note(&n)),
    },))?;
    Ok(Command { movie_id, note })
}

/// Sets the note and `updatedAt`; `FavoriteNotFound` when the caller has no favorite of the
/// movie.
pub async fn execute(
    deps: &Deps,
    cmd: Command,
    caller: &Caller,
) -> Result<FavoriteView, FavoritesError> {
    let set = deps
        .favorites
        .set_note(caller.user_id, cmd.movie_id, cmd.note.as_deref())
        .await;
    deps.answers.bump(&cache::user(caller.user_id)).await;
    let favorite = set?.ok_or(FavoritesError::FavoriteNotFound)?;
    view(deps, &favorite).await
}
