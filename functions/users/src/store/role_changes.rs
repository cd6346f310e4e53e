//! The `role_changes` collection: the audit trail of every role an operator granted or took,
//! written in the transaction of the change itself, so no change exists without its record.

use bson::oid::ObjectId;
use bson::{doc, DateTime};
use mongodb::{ClientSession, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use streamia_shared::domain::Role;

use crate::error::UsersError;

/// One change of one user's role, as an operator made it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleChange {
    /// The record's id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Whose role.
    pub user_id: ObjectId,
    /// The role from then on.
    pub role: Role,
    /// The role before.
    pub previous_role: Role,
    /// The operator's name as they gave it (CloudTrail records the IAM caller beside it).
    pub operator: String,
    /// Why, as the operator gave it.
    pub reason: String,
    /// When it was committed.
    pub changed_at: DateTime,
    /// The invocation's request id, also the correlation id of `user.role_changed`.
    pub correlation_id: String,
}

/// Access to `role_changes`.
#[derive(Clone)]
pub struct RoleChangeStore {
    changes: Collection<RoleChange>,
}

/// A user's history is read by user, newest first.
pub(super) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    db.collection::<RoleChange>("role_changes")
        .create_index(
            IndexModel::builder()
                .keys(doc! {"userId": 1, "changedAt": -1})
                .build(),
        )
        .await?;
    Ok(())
}

impl RoleChangeStore {
    /// The `role_changes` collection of `db`.
    pub fn new(db: &Database) -> Self {
        Self {
            changes: db.collection("role_changes"),
        }
    }

    /// Records a change inside the caller's transaction (the one that changes the role).
    pub async fn record(
        &self,
        session: &mut ClientSession,
        change: &RoleChange,
    ) -> Result<(), UsersError> {
        self.changes.insert_one(change).session(session).await?;
        Ok(())
    }

    /// A user's changes, newest first.
    pub async fn of_user(&self, user_id: ObjectId) -> Result<Vec<RoleChange>, UsersError> {
        use futures_util::TryStreamExt;
        Ok(self
            .changes
            .find(doc! {"userId": user_id})
            .sort(doc! {"changedAt": -1, "_id": -1})
            .await?
            .try_collect()
            .await?)
    }
}
