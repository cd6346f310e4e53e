//! The service's own copy of each user's username, so that a comment shows its author's
//! current name without calling the users service, which owns it.
//!
//! Kept by `comments-on-user-change` from the events of the user's life with the platform's
//! "apply only if newer" (`streamia_shared::events::projection`): whatever order SNS/SQS
//! deliver them in, the copy ends as if they had arrived in order. Read when comments are
//! read (one `$in` query per page), so a rename shows on every comment at once.

use std::collections::HashMap;

use bson::oid::ObjectId;
use bson::{doc, Bson, Document};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use streamia_shared::events::{Projection, ProjectionError};

/// The collection in the comments database.
pub const USER_COPIES: &str = "user_copies";

/// What the service keeps of a user: the name shown beside their comments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserName {
    /// Public handle.
    pub username: String,
    /// Where the account is in its life.
    pub status: UserNameStatus,
}

/// Where the user's account is in its life, as far as the events tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserNameStatus {
    /// Registered, or its deletion was cancelled.
    Active,
    /// `user.deleted` seen: being deleted (its comments show no name meanwhile).
    Deleting,
}

/// The copies of usernames, keyed by user id (hex). Cheap to clone.
#[derive(Clone)]
pub struct UserNames {
    /// What the consumer writes through.
    pub copies: Projection<UserName>,
    raw: mongodb::Collection<Document>,
}

impl UserNames {
    /// The copies in `db` (the comments database).
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            copies: Projection::new(db, USER_COPIES),
            raw: db.collection(USER_COPIES),
        }
    }

    /// The usernames of the active accounts among `ids`, in one query: unknown users (their
    /// `user.registered` has not arrived), accounts being deleted and deleted ones are absent.
    pub async fn active(
        &self,
        ids: &[ObjectId],
    ) -> Result<HashMap<ObjectId, String>, ProjectionError> {
        let mut keys: Vec<Bson> = ids.iter().map(|id| Bson::String(id.to_hex())).collect();
        keys.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        keys.dedup();
        let mut found = HashMap::with_capacity(keys.len());
        if keys.is_empty() {
            return Ok(found);
        }
        let mut cursor = self
            .raw
            .find(doc! {"_id": {"$in": keys}, "tombstone": false})
            .projection(doc! {"state": 1})
            .await?;
        while let Some(stored) = cursor.try_next().await? {
            let (Ok(key), Ok(state)) = (stored.get_str("_id"), stored.get_document("state")) else {
                continue;
            };
            let Ok(id) = ObjectId::parse_str(key) else {
                continue;
            };
            let state: UserName =
                bson::from_document(state.clone()).map_err(|e| ProjectionError::State {
                    id: key.to_owned(),
                    problem: format!("{USER_COPIES} state: {e}"),
                })?;
            if state.status == UserNameStatus::Active {
                found.insert(id, state.username);
            }
        }
        Ok(found)
    }
}
