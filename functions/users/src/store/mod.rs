//! The users service's own database: `users`, `sessions`, `refresh_tokens`, `password_resets`.
//! No other service reads it.

mod resets;
mod sessions;
mod users;

pub use resets::ResetStore;
pub use sessions::{RefreshOutcome, SessionStore};
pub use users::{ProfileChanges, UserStore};

/// Creates every collection's indexes (idempotent). Run by the setup step at deploy (the
/// `users-setup` custom resource) and by the local stack's start, never at a cold start.
pub async fn create_indexes(db: &mongodb::Database) -> Result<(), mongodb::error::Error> {
    users::UserStore::create_indexes(db).await?;
    sessions::SessionStore::create_indexes(db).await?;
    resets::ResetStore::create_indexes(db).await?;
    Ok(())
}
