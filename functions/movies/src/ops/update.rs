//! Update a movie (admin): the change and its `movie.updated` in one transaction.

use bson::oid::ObjectId;
use serde::Deserialize;
use streamia_shared::domain::{parse_https_url, Invalid};
use streamia_shared::fields::{self, Patch};
use streamia_shared::i18n::Msg;

use super::{after_write, Ctx};
use crate::domain::{
    parse_category, parse_description, parse_duration, parse_release_year, parse_title, MovieView,
};
use crate::error::MoviesError;
use crate::events;
use crate::store::MovieChanges;
use crate::Deps;

/// Any of create's fields: absent fields stay, `null` clears an optional one (description,
/// coverImage, releaseYear); title, category and duration cannot be cleared.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// See [`Input`].
    #[serde(default)]
    pub title: Patch<String>,
    /// See [`Input`].
    #[serde(default)]
    pub description: Patch<String>,
    /// See [`Input`].
    #[serde(default)]
    pub category: Patch<String>,
    /// See [`Input`].
    #[serde(default)]
    pub duration: Patch<i64>,
    /// See [`Input`].
    #[serde(default)]
    pub cover_image: Patch<String>,
    /// See [`Input`].
    #[serde(default)]
    pub release_year: Patch<i64>,
}

/// A non-empty set of valid changes to one movie.
#[derive(Debug, Clone)]
pub struct Command {
    /// Which movie.
    pub id: ObjectId,
    /// What changes.
    pub changes: MovieChanges,
}

/// A field every movie has: absent leaves it, a value must parse, `null` is refused.
fn required_patch<T, U>(
    field: &str,
    value: Patch<T>,
    parse: impl FnOnce(T) -> Result<U, Invalid>,
) -> fields::Checked<Option<U>> {
    match fields::patch(field, value, parse)? {
        Patch::Null => fields::check(field, Err(Invalid::from(Msg::FieldCannotBeCleared))),
        Patch::Value(v) => Ok(Some(v)),
        Patch::Absent => Ok(None),
    }
}

/// Every field checked at once; an update with nothing in it is refused. A blank description
/// clears it, like `null`.
pub fn parse(id: ObjectId, input: Input) -> Result<Command, MoviesError> {
    let (title, description, category, duration, cover_image, release_year) = fields::all((
        required_patch("title", input.title, |t| parse_title(&t)),
        fields::patch("description", input.description, |d| parse_description(&d)),
        required_patch("category", input.category, |c| parse_category(&c)),
        required_patch("duration", input.duration, parse_duration),
        fields::patch("coverImage", input.cover_image, |c| parse_https_url(&c)),
        fields::patch("releaseYear", input.release_year, parse_release_year),
    ))?;
    let description = match description {
        Patch::Value(None) => Patch::Null,
        Patch::Value(Some(d)) => Patch::Value(d),
        Patch::Null => Patch::Null,
        Patch::Absent => Patch::Absent,
    };
    let changes = MovieChanges {
        title,
        description,
        category,
        duration,
        cover_image,
        release_year,
    };
    if changes.field_names().is_empty() {
        return Err(MoviesError::NothingToUpdate);
    }
    Ok(Command { id, changes })
}

/// Applies the changes to an active movie and stages `movie.updated` in one transaction;
/// then the cache holds the new state. `MovieNotFound` when unknown or being deleted.
pub async fn execute(deps: &Deps, cmd: Command, ctx: &Ctx) -> Result<MovieView, MoviesError> {
    let movie = deps
        .outbox
        .commit(
            &ctx.correlation_id,
            (deps, cmd.id, &cmd.changes),
            |mut tx, (deps, id, changes)| {
                Box::pin(async move {
                    let movie = deps
                        .movies
                        .update(tx.session(), *id, changes)
                        .await?
                        .ok_or(MoviesError::MovieNotFound)?;
                    tx.stage(events::updated(&movie, changes.field_names()))
                        .await?;
                    Ok::<_, MoviesError>(movie)
                })
            },
        )
        .await?;
    after_write(deps, &movie).await;
    super::playback::sign(deps, MovieView::from(&movie)).await
}
