//! The comments service's own database: `comments`, `reports` (who reported what), the copies
//! it keeps of movies (`movie_copies`) and usernames (`user_copies`), and the inboxes of the
//! events its two consumers handled. No other service reads it.
//!
//! Opening a store touches nothing; indexes are set up once by [`create_indexes`] (at deploy
//! and when the local stack starts), not at every cold start.

mod comments;
mod reports;

pub use comments::CommentStore;
pub use reports::ReportStore;

/// Creates the service's indexes (idempotent), after backfilling the fields they need on older
/// documents: the public list's, the moderation list's, the reports' unique (comment, user,
/// text version) and the inbox's. The copies need only `_id`. Run by the
/// setup step (`comments-setup`), never at cold start.
pub async fn create_indexes(db: mongodb::Database) -> Result<(), mongodb::error::Error> {
    comments::create_indexes(&db).await?;
    reports::create_indexes(&db).await?;
    streamia_shared::events::outbox::create_indexes(&db).await?;
    streamia_shared::saga::ledger::create_indexes(&db).await?;
    streamia_shared::events::inbox::create_indexes(&db).await
}

/// Drops the index `name` if it is there: a setup step run again, or on a new database, finds
/// it already gone (MongoDB's `IndexNotFound`, or `NamespaceNotFound` with no collection).
async fn drop_index_if_exists(
    collection: &mongodb::Collection<bson::Document>,
    name: &str,
) -> Result<(), mongodb::error::Error> {
    match collection.drop_index(name).await {
        Ok(()) => Ok(()),
        Err(e)
            if matches!(
                e.kind.as_ref(),
                mongodb::error::ErrorKind::Command(c) if matches!(c.code, 26 | 27)
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
}
