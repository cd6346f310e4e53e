//! What the ratings service publishes: `rating.changed` (the platform's contract,
//! `streamia_shared::events::ratings`), one per summary pass, aggregate = the movie. Only the
//! holder of a movie's summary lease stages them (`ops::summarize`), so the outbox numbers each
//! movie's events (`aggregateVersion`) in the order its summary changed, without two
//! transactions ever competing for the movie's counter.

pub use streamia_shared::events::ratings::RatingChanged;

use bson::oid::ObjectId;

use crate::domain::Summary;

/// The event of `movie`'s new `summary`: the whole summary, never a delta.
pub fn changed(movie: ObjectId, summary: &Summary) -> RatingChanged {
    RatingChanged {
        movie_id: movie.to_hex(),
        average: summary.average(),
        count: summary.count(),
    }
}
