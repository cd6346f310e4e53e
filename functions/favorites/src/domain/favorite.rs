//! A favorite as stored, and as a client sees it.

use bson::oid::ObjectId;
use bson::DateTime;
use serde::{Deserialize, Serialize};
use streamia_shared::events::movie_copies::MovieCopy;
use streamia_shared::time::rfc3339;

/// One user's favorite movie, as stored in `favorites` (one per user and movie: a unique
/// index).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Favorite {
    /// Its own id (the newest-first order's tie-breaker).
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Whose favorite: every query is scoped to it.
    pub user_id: ObjectId,
    /// Which movie (the movies service's id).
    pub movie_id: ObjectId,
    /// The user's note, if any.
    pub note: Option<String>,
    /// When it was added: lists are newest first.
    pub created_at: DateTime,
    /// When its note last changed (its creation until then).
    pub updated_at: DateTime,
}

/// A favorite as the contract answers it: the movie's current title and cover come from the
/// service's copy of the movie (`null` while no copy exists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FavoriteView {
    /// The movie's id.
    pub movie_id: String,
    /// Its current title; `null` when the service holds no copy of the movie.
    pub title: Option<String>,
    /// Its current cover, if any.
    pub cover_image: Option<String>,
    /// The user's note.
    pub note: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl FavoriteView {
    /// `favorite` shown with `copy`, the movie as the service knows it (if at all).
    pub fn new(favorite: &Favorite, copy: Option<&MovieCopy>) -> Self {
        Self {
            movie_id: favorite.movie_id.to_hex(),
            title: copy.map(|c| c.title.clone()),
            cover_image: copy.and_then(|c| c.cover_image.clone()),
            note: favorite.note.clone(),
            created_at: rfc3339(favorite.created_at),
            updated_at: rfc3339(favorite.updated_at),
        }
    }
}
