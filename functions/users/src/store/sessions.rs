//! Sessions and their refresh tokens.
//!
//! A session is one login on one device; its refresh tokens form a family. Each refresh spends
//! the presented token and issues the next; a spent token presented again means it was stolen,
//! so the whole session is revoked.

use bson::oid::ObjectId;
use bson::{doc, DateTime};
use mongodb::{Collection, Database, IndexModel};
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
}

/// One refresh token, stored as its hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefreshToken {
    #[serde(rename = "_id")]
    hash: String,
    session_id: String,
    user_id: ObjectId,
    created_at: DateTime,
    expires_at: DateTime,
    spent_at: Option<DateTime>,
}

/// What presenting a refresh token led to.
#[derive(Debug)]
pub enum RefreshOutcome {
    /// The token was live and is now spent; issue the next one in this session.
    Rotated {
        /// The session.
        session_id: String,
        /// Its owner.
        user_id: ObjectId,
    },
    /// The token had been spent before: the session was revoked.
    Reused {
        /// The revoked session.
        session_id: String,
    },
    /// Unknown, expired, or of a revoked session.
    Invalid,
}

/// Access to `sessions` and `refresh_tokens`.
#[derive(Clone)]
pub struct SessionStore {
    sessions: Collection<Session>,
    tokens: Collection<RefreshToken>,
}

impl SessionStore {
    /// Opens the collections; their indexes come from [`super::create_indexes`].
    pub fn new(db: &Database) -> Self {
        Self {
            sessions: db.collection::<Session>("sessions"),
            tokens: db.collection::<RefreshToken>("refresh_tokens"),
        }
    }

    /// Sessions by user, refresh tokens by session (idempotent).
    pub(crate) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
        db.collection::<Session>("sessions")
            .create_index(IndexModel::builder().keys(doc! {"userId": 1}).build())
            .await?;
        db.collection::<RefreshToken>("refresh_tokens")
            .create_index(IndexModel::builder().keys(doc! {"sessionId": 1}).build())
            .await?;
        Ok(())
    }

    /// Starts a session for a user.
    pub async fn create(&self, user_id: ObjectId) -> Result<Session, UsersError> {
        let session = Session {
            id: uuid::Uuid::new_v4().to_string(),
            user_id,
            created_at: DateTime::now(),
            revoked_at: None,
        };
        self.sessions.insert_one(&session).await?;
        Ok(session)
    }

    /// Stores a new refresh token of a session.
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
            })
            .await?;
        Ok(())
    }

    /// Spends a refresh token atomically, or detects its reuse.
    pub async fn spend(&self, hash: &TokenHash) -> Result<RefreshOutcome, UsersError> {
        let now = DateTime::now();
        let spent = self
            .tokens
            .find_one_and_update(
                doc! {"_id": &hash.0, "spentAt": null, "expiresAt": {"$gt": now}},
                doc! {"$set": {"spentAt": now}},
            )
            .await?;
        if let Some(token) = spent {
            let live = self
                .sessions
                .find_one(doc! {"_id": &token.session_id, "revokedAt": null})
                .await?
                .is_some();
            return Ok(if live {
                RefreshOutcome::Rotated {
                    session_id: token.session_id,
                    user_id: token.user_id,
                }
            } else {
                RefreshOutcome::Invalid
            });
        }
        match self.tokens.find_one(doc! {"_id": &hash.0}).await? {
            Some(token) if token.spent_at.is_some() => {
                self.revoke(std::slice::from_ref(&token.session_id)).await?;
                Ok(RefreshOutcome::Reused {
                    session_id: token.session_id,
                })
            }
            _ => Ok(RefreshOutcome::Invalid),
        }
    }

    /// The owner of the session a refresh token belongs to, if it is still live.
    pub async fn session_of_token(&self, hash: &TokenHash) -> Result<Option<Session>, UsersError> {
        let Some(token) = self.tokens.find_one(doc! {"_id": &hash.0}).await? else {
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
