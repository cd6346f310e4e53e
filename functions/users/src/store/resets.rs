//! Password reset tokens: single-use, one hour, stored as hashes.

use bson::oid::ObjectId;
use bson::{doc, DateTime};
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use streamia_shared::auth::TokenHash;

use crate::error::UsersError;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PasswordReset {
    #[serde(rename = "_id")]
    hash: String,
    user_id: ObjectId,
    created_at: DateTime,
    expires_at: DateTime,
    used_at: Option<DateTime>,
}

/// Access to `password_resets`.
#[derive(Clone)]
pub struct ResetStore {
    resets: Collection<PasswordReset>,
}

impl ResetStore {
    /// Opens the collection; its index comes from [`super::create_indexes`].
    pub fn new(db: &Database) -> Self {
        Self {
            resets: db.collection::<PasswordReset>("password_resets"),
        }
    }

    /// Resets by user (idempotent).
    pub(crate) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
        db.collection::<PasswordReset>("password_resets")
            .create_index(IndexModel::builder().keys(doc! {"userId": 1}).build())
            .await?;
        Ok(())
    }

    /// Stores a new reset token.
    pub async fn create(
        &self,
        user_id: ObjectId,
        hash: &TokenHash,
        expires_at: DateTime,
    ) -> Result<(), UsersError> {
        self.resets
            .insert_one(PasswordReset {
                hash: hash.0.clone(),
                user_id,
                created_at: DateTime::now(),
                expires_at,
                used_at: None,
            })
            .await?;
        Ok(())
    }

    /// Uses a token atomically: the owner's id if it was unused and unexpired.
    pub async fn consume(&self, hash: &TokenHash) -> Result<Option<ObjectId>, UsersError> {
        let now = DateTime::now();
        let used = self
            .resets
            .find_one_and_update(
                doc! {"_id": &hash.0, "usedAt": null, "expiresAt": {"$gt": now}},
                doc! {"$set": {"usedAt": now}},
            )
            .await?;
        Ok(used.map(|r| r.user_id))
    }

    /// Retires every other outstanding token of the user once one was used.
    pub async fn retire_all(&self, user_id: ObjectId) -> Result<(), UsersError> {
        self.resets
            .update_many(
                doc! {"userId": user_id, "usedAt": null},
                doc! {"$set": {"usedAt": DateTime::now()}},
            )
            .await?;
        Ok(())
    }
}
