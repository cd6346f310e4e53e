//! The ratings service's own database: `ratings` (one document per user and movie),
//! `summaries` (one per rated movie: its summary and who is computing it), `movie_copies` (its
//! copy of each movie, kept by `ratings-on-movie-change`), plus the outbox of the events it
//! publishes and the inbox of the movie events it consumed. No other service reads it.
//!
//! Opening a store touches nothing; indexes are set up once by [`create_indexes`] (at deploy
//! and when the local stack starts), not at every cold start.

mod ratings;
mod summaries;

pub use ratings::{RatingStore, Upserted};
pub use summaries::{Lease, SummaryStore, LEASE, PENDING};

/// Creates the service's indexes (idempotent): the ratings' unique (user, movie) pair, the
/// history's order, the summary aggregation's (movie, score), the sweeper's (dirty
/// summaries), the outbox's and the inbox's. Run by the setup step (`ratings-setup`), never
/// at cold start. The movie copies are keyed by `_id` alone (no index to add).
pub async fn create_indexes(db: mongodb::Database) -> Result<(), mongodb::error::Error> {
    ratings::create_indexes(&db).await?;
    summaries::create_indexes(&db).await?;
    streamia_shared::events::outbox::create_indexes(&db).await?;
    streamia_shared::saga::ledger::create_indexes(&db).await?;
    streamia_shared::events::inbox::create_indexes(&db).await
}
