//! The users service's own database: `users`, `sessions`, `refresh_tokens`, `password_resets`,
//! `role_changes` (the audit trail of roles).
//! No other service reads it.
//!
//! Opening a store touches nothing; collections and indexes are set up once by
//! [`create_indexes`] (at deploy and when the local stack starts), not at every cold start.

mod resets;
mod role_changes;
pub mod sagas;
mod sessions;
mod users;

pub use resets::ResetStore;
pub use role_changes::{RoleChange, RoleChangeStore};
pub use sagas::{DeletionSaga, SagaStore};
pub use sessions::{RefreshToken, Session, SessionStore};
pub use users::{ProfileChanges, UserStore};

/// The TTL index every expiring collection has (`sessions`, `refresh_tokens`,
/// `password_resets`): a document goes once its `expiresAt` has passed (MongoDB's TTL monitor
/// runs every minute; SecantusDB purges too).
pub const EXPIRY_INDEX: &str = "expires_ttl";

fn expiry_index() -> mongodb::IndexModel {
    mongodb::IndexModel::builder()
        .keys(bson::doc! {"expiresAt": 1})
        .options(
            mongodb::options::IndexOptions::builder()
                .name(EXPIRY_INDEX.to_owned())
                .expire_after(std::time::Duration::ZERO)
                .build(),
        )
        .build()
}

/// Creates the service's collections' indexes (idempotent): the unique email and username
/// indexes every registration relies on, the lookups by user and session, the purge of what
/// expired, and the outbox's.
/// Run by the setup step (`users-setup`: at deploy and by the local stack's start), never at
/// cold start.
pub async fn create_indexes(db: mongodb::Database) -> Result<(), mongodb::error::Error> {
    users::create_indexes(&db).await?;
    sessions::create_indexes(&db).await?;
    resets::create_indexes(&db).await?;
    role_changes::create_indexes(&db).await?;
    sagas::create_indexes(&db).await?;
    streamia_shared::events::inbox::create_indexes(&db).await?;
    streamia_shared::events::outbox::create_indexes(&db).await
}
