//! A user's rating of a movie: one document per (user, movie), as stored and as shown.

use bson::oid::ObjectId;
use bson::DateTime;
use serde::{Deserialize, Serialize};
use streamia_shared::time::rfc3339;

use super::Score;

/// A stored rating (`ratings` collection; unique on `{userId, movieId}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rating {
    /// Its own id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Who rated.
    pub user_id: ObjectId,
    /// Which movie.
    pub movie_id: ObjectId,
    /// The score.
    pub score: Score,
    /// The first time this user rated this movie.
    pub created_at: DateTime,
    /// The last time the score was set (the history's order).
    pub updated_at: DateTime,
}

/// A rating as the contract shows it: `{movieId, score, createdAt, updatedAt}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RatingView {
    /// The movie's id (hex).
    pub movie_id: String,
    /// 1 to 5.
    pub score: u8,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&Rating> for RatingView {
    fn from(r: &Rating) -> Self {
        Self {
            movie_id: r.movie_id.to_hex(),
            score: r.score.value(),
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}
