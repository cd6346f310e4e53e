//! Events the ratings service publishes (the service arrives later; the contract lands first so
//! the movies service's consumer is built and tested against it).
//!
//! `rating.changed` is about one movie's rating summary, not one user's rating: its aggregate
//! is the movie (`aggregateId` = `movieId`), so the ratings outbox numbers these events per
//! movie (`aggregateVersion` 1, 2, 3...), in the order the summary changed. Each carries the
//! whole summary after the change (`average`, `count`), never a delta, so a consumer keeps the
//! summary of the highest version it has seen and ignores older ones: duplicates, loss of order
//! and redeliveries end in the in-order result.

use serde::{Deserialize, Serialize};

use super::Event;

/// A movie's rating summary after a rating of it was added, changed or removed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RatingChanged {
    /// The movie rated.
    pub movie_id: String,
    /// Mean score of the movie's ratings, 0 to 5 (0 when none), rounded to 2 decimals as
    /// `GET /ratings/movies/{movieId}` shows it.
    pub average: f64,
    /// How many users rated the movie.
    pub count: u64,
}

impl Event for RatingChanged {
    const NAME: &'static str = "rating.changed";
    fn aggregate_id(&self) -> &str {
        &self.movie_id
    }
}
