//! The users service's own database: `users`, `sessions`, `refresh_tokens`, `password_resets`.
//! No other service reads it.
//!
//! Opening a store touches nothing; collections and indexes are set up once by
//! [`create_indexes`] (at deploy and when the local stack starts), not at every cold start.

mod resets;
mod sessions;
mod users;

pub use resets::ResetStore;
pub use sessions::{RefreshToken, Session, SessionStore};
pub use users::{ProfileChanges, UserStore};

/// Creates the service's collections' indexes (idempotent): the unique email and username
/// indexes every registration relies on, the lookups by user and session, and the outbox's.
/// Run at deploy and by the local stack's start, never at cold start.
pub async fn create_indexes(db: &mongodb::Database) -> Result<(), mongodb::error::Error> {
    users::create_indexes(db).await?;
    sessions::create_indexes(db).await?;
    resets::create_indexes(db).await?;
    outbox_indexes(db).await
}

/// The outbox's index; its publisher is never used here, so it needs no AWS settings.
async fn outbox_indexes(db: &mongodb::Database) -> Result<(), mongodb::error::Error> {
    use streamia_shared::events::{EventPublisher, Outbox, OutboxError};
    let sdk = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    let outbox = Outbox::new(db, EventPublisher::new(&sdk, None, crate::SERVICE));
    match outbox.ensure_indexes().await {
        Ok(()) => Ok(()),
        Err(OutboxError::Mongo(e)) => Err(e),
        Err(OutboxError::Serialize(e)) => Err(mongodb::error::Error::custom(e)),
    }
}
