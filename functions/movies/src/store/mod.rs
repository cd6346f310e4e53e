//! The movies service's own database: `movies` (the catalog), `media_deletions` (the media
//! objects it is going to delete), `deletion_sagas` (the movie-deletion sagas it runs), plus the outbox of the events it
//! publishes and the inbox of the `rating.changed` events it consumed. No other service reads
//! it.
//!
//! Opening a store touches nothing; indexes are set up once by [`create_indexes`] (at deploy
//! and when the local stack starts), not at every cold start.

mod media_deletions;
mod movies;
pub mod sagas;

pub use media_deletions::{Held, Kind, MediaDeletions};
pub use movies::{ListQuery, MovieChanges, MovieStore, INDEXES};
pub use sagas::{DeletionSaga, SagaStore};

/// Creates the service's indexes (idempotent): one per query the functions run (every list
/// sort, with and without the category filter, all under the status filter), the sweeper's,
/// the outbox's and the inbox's. Run by the setup step (`movies-setup`), never at cold start.
pub async fn create_indexes(db: mongodb::Database) -> Result<(), mongodb::error::Error> {
    movies::create_indexes(&db).await?;
    media_deletions::create_indexes(&db).await?;
    sagas::create_indexes(&db).await?;
    streamia_shared::events::outbox::create_indexes(&db).await?;
    streamia_shared::events::inbox::create_indexes(&db).await
}
