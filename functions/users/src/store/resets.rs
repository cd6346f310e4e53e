//! Password reset tokens: single-use, one hour, stored as hashes.

use bson::oid::ObjectId;
use bson::{doc, DateTime};
use mongodb::{ClientSession, Collection, Database, IndexModel};
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

/// Outstanding tokens are found by user, to retire them all at once; every token is purged
/// once expired (used or not: it is refused past `expiresAt` anyway).
pub(super) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    db.collection::<PasswordReset>("password_resets")
        .create_indexes([
            IndexModel::builder().keys(doc! {"userId": 1}).build(),
            super::expiry_index(),
        ])
        .await?;
    Ok(())
}

impl ResetStore {
    /// The `password_resets` collection of `db`.
    pub fn new(db: &Database) -> Self {
        Self {
            resets: db.collection::<PasswordReset>("password_resets"),
        }
    }

    /// Stores a new reset token, inside the caller's transaction.
    pub async fn create(
        &self,
        session: &mut ClientSession,
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
            .session(session)
            .await?;
        Ok(())
    }

    /// The owner of a token that is unused and unexpired, without spending it: a reset looks
    /// the token up before it hashes the new password, so a bogus token costs no argon2 work.
    pub async fn owner(&self, hash: &TokenHash) -> Result<Option<ObjectId>, UsersError> {
        let found = self
            .resets
            .find_one(doc! {"_id": &hash.0, "usedAt": null, "expiresAt": {"$gt": DateTime::now()}})
            .await?;
        Ok(found.map(|r| r.user_id))
    }

    /// Inside the reset's transaction: spends `user_id`'s token if it is still unused and
    /// unexpired; false when a concurrent reset spent it first.
    pub async fn consume(
        &self,
        session: &mut ClientSession,
        hash: &TokenHash,
        user_id: ObjectId,
    ) -> Result<bool, UsersError> {
        let now = DateTime::now();
        let used = self
            .resets
            .update_one(
                doc! {"_id": &hash.0, "userId": user_id, "usedAt": null, "expiresAt": {"$gt": now}},
                doc! {"$set": {"usedAt": now}},
            )
            .session(session)
            .await?;
        Ok(used.modified_count == 1)
    }

    /// Inside the credential change's transaction: retires every outstanding token of the user
    /// (they were sent for the old password).
    pub async fn retire_all(
        &self,
        session: &mut ClientSession,
        user_id: ObjectId,
    ) -> Result<(), UsersError> {
        self.resets
            .update_many(
                doc! {"userId": user_id, "usedAt": null},
                doc! {"$set": {"usedAt": DateTime::now()}},
            )
            .session(session)
            .await?;
        Ok(())
    }
}
