//! Sessions and their refresh tokens.
//!
//! A session is one login on one device; its refresh tokens form a family. A refresh spends
//! the presented token and records its successor (sealed, see `ops::refresh`); a spent token
//! presented again after the grace window means it was stolen, so the whole session is revoked.

use bson::oid::ObjectId;
use bson::{doc, DateTime};
use mongodb::{ClientSession, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use streamia_shared::auth::TokenHash;

use crate::error::UsersError;

/// One login.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// Random id, carried as `sid` in access tokens.
    #[serde(rename = "_id")]
    pub id: String,
    /// Owner.
    pub user_id: ObjectId,
    /// Start.
    pub created_at: DateTime,
    /// Set when logged out or revoked.
    pub revoked_at: Option<DateTime>,
    /// When its latest refresh token expires: past it the session is over, and a TTL index
    /// purges it (logged out or not). `None` in sessions from before it was stored.
    #[serde(default)]
    pub expires_at: Option<DateTime>,
}

/// One refresh token, stored as its hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshToken {
    /// SHA-256 of the token.
    #[serde(rename = "_id")]
    pub hash: String,
    /// Its session.
    pub session_id: String,
    /// The session's owner.
    pub user_id: ObjectId,
    /// Issue time.
    pub created_at: DateTime,
    /// After this the token is refused.
    pub expires_at: DateTime,
    /// When it was exchanged for its successor.
    pub spent_at: Option<DateTime>,
    /// The hash of the successor it was exchanged for.
    pub successor_hash: Option<String>,
    /// The successor sealed with this token (only its holder can open it), so a retry within
    /// the grace window can be given the same successor.
    pub successor_sealed: Option<String>,
}

/// Access to `sessions` and `refresh_tokens`.
#[derive(Clone)]
pub struct SessionStore {
    sessions: Collection<Session>,
    tokens: Collection<RefreshToken>,
}

/// Sessions are found by user (revoke all), tokens by session; both are purged once expired
/// (TTL indexes on `expiresAt`: a token past it is refused anyway, a spent one included, and a
/// session past it has no token left).
pub(super) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    db.collection::<Session>("sessions")
        .create_indexes([
            IndexModel::builder().keys(doc! {"userId": 1}).build(),
            super::expiry_index(),
        ])
        .await?;
    db.collection::<RefreshToken>("refresh_tokens")
        .create_indexes([
            IndexModel::builder().keys(doc! {"sessionId": 1}).build(),
            super::expiry_index(),
        ])
        .await?;
    Ok(())
}

impl SessionStore {
    /// The `sessions` and `refresh_tokens` collections of `db`.
    pub fn new(db: &Database) -> Self {
        Self {
            sessions: db.collection::<Session>("sessions"),
            tokens: db.collection::<RefreshToken>("refresh_tokens"),
        }
    }

    /// Starts a session for a user, ending at `expires_at` unless refreshed.
    pub async fn create(
        &self,
        user_id: ObjectId,
        expires_at: DateTime,
    ) -> Result<Session, UsersError> {
        let session = Session {
            id: uuid::Uuid::new_v4().to_string(),
            user_id,
            created_at: DateTime::now(),
            revoked_at: None,
            expires_at: Some(expires_at),
        };
        self.sessions.insert_one(&session).await?;
        Ok(session)
    }

    /// Stores a new refresh token of a session, which now lasts until that token expires.
    pub async fn add_token(
        &self,
        session_id: &str,
        user_id: ObjectId,
        hash: &TokenHash,
        expires_at: DateTime,
    ) -> Result<(), UsersError> {
        self.tokens
            .insert_one(RefreshToken {
                hash: hash.0.clone(),
                session_id: session_id.to_owned(),
                user_id,
                created_at: DateTime::now(),
                expires_at,
                spent_at: None,
                successor_hash: None,
                successor_sealed: None,
            })
            .await?;
        self.sessions
            .update_one(
                doc! {"_id": session_id},
                doc! {"$set": {"expiresAt": expires_at}},
            )
            .await?;
        Ok(())
    }

    /// Removes a token nobody was given (a successor prepared for a rotation that lost a race).
    pub async fn remove_token(&self, hash: &TokenHash) -> Result<(), UsersError> {
        self.tokens.delete_one(doc! {"_id": &hash.0}).await?;
        Ok(())
    }

    /// A refresh token by hash.
    pub async fn token(&self, hash: &TokenHash) -> Result<Option<RefreshToken>, UsersError> {
        Ok(self.tokens.find_one(doc! {"_id": &hash.0}).await?)
    }

    /// Drops the sealed successors of a session's tokens spent before `spent_before`: past the
    /// retry grace window they serve nothing, and an old token could open them.
    pub async fn forget_sealed_successors(
        &self,
        session_id: &str,
        spent_before: DateTime,
    ) -> Result<(), UsersError> {
        self.tokens
            .update_many(
                doc! {
                    "sessionId": session_id,
                    "spentAt": {"$lt": spent_before},
                    "successorSealed": {"$ne": null},
                },
                doc! {"$unset": {"successorSealed": ""}},
            )
            .await?;
        Ok(())
    }

    /// Spends a live token atomically, recording its successor; false if it was already spent
    /// or has expired (a concurrent refresh won).
    pub async fn spend(
        &self,
        hash: &TokenHash,
        successor: &TokenHash,
        successor_sealed: &str,
    ) -> Result<bool, UsersError> {
        let now = DateTime::now();
        let spent = self
            .tokens
            .update_one(
                doc! {"_id": &hash.0, "spentAt": null, "expiresAt": {"$gt": now}},
                doc! {"$set": {
                    "spentAt": now,
                    "successorHash": &successor.0,
                    "successorSealed": successor_sealed,
                }},
            )
            .await?;
        Ok(spent.modified_count == 1)
    }

    /// Counts one grace retry of a spent token, atomically: false once it has had `max`.
    pub async fn count_grace_retry(&self, hash: &TokenHash, max: i32) -> Result<bool, UsersError> {
        let counted = self
            .tokens
            .update_one(
                doc! {
                    "_id": &hash.0,
                    "$or": [{"graceRetries": null}, {"graceRetries": {"$lt": max}}],
                },
                doc! {"$inc": {"graceRetries": 1}},
            )
            .await?;
        Ok(counted.modified_count == 1)
    }

    /// Whether a session is still live (not logged out or revoked).
    pub async fn is_live(&self, session_id: &str) -> Result<bool, UsersError> {
        Ok(self
            .sessions
            .find_one(doc! {"_id": session_id, "revokedAt": null})
            .await?
            .is_some())
    }

    /// The owner of the session a refresh token belongs to, if it is still live.
    pub async fn session_of_token(&self, hash: &TokenHash) -> Result<Option<Session>, UsersError> {
        let Some(token) = self.token(hash).await? else {
            return Ok(None);
        };
        Ok(self
            .sessions
            .find_one(doc! {"_id": &token.session_id, "revokedAt": null})
            .await?)
    }

    /// Revokes sessions: their refresh tokens stop working.
    pub async fn revoke(&self, session_ids: &[String]) -> Result<(), UsersError> {
        if session_ids.is_empty() {
            return Ok(());
        }
        self.sessions
            .update_many(
                doc! {"_id": {"$in": session_ids}, "revokedAt": null},
                doc! {"$set": {"revokedAt": DateTime::now()}},
            )
            .await?;
        Ok(())
    }

    /// Inside the credential change's transaction: revokes every live session of a user except
    /// `keep` and returns their ids (their access tokens must be revoked too).
    pub async fn end_all(
        &self,
        session: &mut ClientSession,
        user_id: ObjectId,
        keep: Option<&str>,
    ) -> Result<Vec<String>, UsersError> {
        let mut ids = Vec::new();
        let mut cursor = self
            .sessions
            .find(doc! {"userId": user_id, "revokedAt": null})
            .session(&mut *session)
            .await?;
        while let Some(found) = cursor.next(&mut *session).await {
            let found = found?;
            if Some(found.id.as_str()) != keep {
                ids.push(found.id);
            }
        }
        if !ids.is_empty() {
            self.sessions
                .update_many(
                    doc! {"_id": {"$in": &ids}, "revokedAt": null},
                    doc! {"$set": {"revokedAt": DateTime::now()}},
                )
                .session(session)
                .await?;
        }
        Ok(ids)
    }

    /// The live sessions of a user, except `keep` (the caller's own, when it stays).
    pub async fn live_sessions(
        &self,
        user_id: ObjectId,
        keep: Option<&str>,
    ) -> Result<Vec<String>, UsersError> {
        use futures_util::TryStreamExt;
        let sessions: Vec<Session> = self
            .sessions
            .find(doc! {"userId": user_id, "revokedAt": null})
            .await?
            .try_collect()
            .await?;
        Ok(sessions
            .into_iter()
            .map(|s| s.id)
            .filter(|id| Some(id.as_str()) != keep)
            .collect())
    }
}
