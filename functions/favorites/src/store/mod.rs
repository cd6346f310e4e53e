//! The favorites service's own database: `favorites`, the `movie_copies` the platform keeps
//! from movie events (`streamia_shared::events::movie_copies`), and the inbox of the movie
//! events consumed. No other service reads it.
//!
//! Opening a store touches nothing; indexes are set up once by [`create_indexes`] (at deploy
//! and when the local stack starts), not at every cold start.

mod favorites;

pub use favorites::{FavoriteStore, INDEXES};

/// Creates the service's indexes (idempotent): the favorites' (one favorite per user and
/// movie; each user's newest first) and the inbox's. The copies are read by `_id` only. Run by
/// the setup step (`favorites-setup`), never at cold start.
pub async fn create_indexes(db: mongodb::Database) -> Result<(), mongodb::error::Error> {
    favorites::create_indexes(&db).await?;
    streamia_shared::events::outbox::create_indexes(&db).await?;
    streamia_shared::saga::ledger::create_indexes(&db).await?;
    streamia_shared::events::inbox::create_indexes(&db).await
}
