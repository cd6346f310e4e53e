//! The `media_deletions` collection: media objects (videos, subtitles) the service is going to
//! delete, each with when, and the tickets of uploads not confirmed yet.
//!
//! A row is written *before* an object exists that no movie references yet (a signed upload's
//! [`Kind::Ticket`], a subtitle being stored) and removed in the transaction that starts
//! referencing it; a [`Kind::Deletion`] row is written in the transaction that stops
//! referencing an object (a replaced video or subtitle). The operation may delete the object at
//! once; the scheduled `movies-media-sweeper` deletes whatever is left and due (storage down, a
//! function that died between the two steps). So an object that was referenced outlives its
//! last reference by at most its due time plus the sweeper's period (the media of a movie being
//! deleted wait for the movie-deletion saga).
//!
//! Confirming an upload first claims its ticket ([`MediaDeletions::claim_ticket`]: one
//! confirmation at a time, for a short hold), and its transaction uses the ticket up
//! ([`MediaDeletions::use_ticket`]): two confirmations of one upload cannot both copy or both
//! commit. The sweeper leases a due row before deleting ([`MediaDeletions::lease_due`]), which
//! turns it into a deletion for good: no confirmation can claim it any more.

use std::time::Duration;

use bson::{doc, DateTime};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{ClientSession, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use crate::error::MoviesError;

const COLLECTION: &str = "media_deletions";

/// What a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A signed upload not confirmed yet: confirmable until due, deleted after.
    Ticket,
    /// An object to delete once due.
    Deletion,
}

/// One row.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Row {
    /// The object's key in the media storage.
    #[serde(rename = "_id")]
    key: String,
    kind: Kind,
    /// When it may be deleted.
    due: DateTime,
    /// Set while a sweeper deletes it or a confirmation holds the ticket (a token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    holder: Option<String>,
    /// Until when a confirmation holds the ticket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    held_until: Option<DateTime>,
}

/// A row someone holds (a sweeper deleting it, a confirmation putting it in place).
#[derive(Debug, Clone)]
pub struct Held {
    /// The object's key.
    pub key: String,
    token: String,
}

/// The scheduled deletions and upload tickets.
#[derive(Clone)]
pub struct MediaDeletions {
    rows: Collection<Row>,
}

fn after(delay: Duration) -> DateTime {
    DateTime::from_millis(DateTime::now().timestamp_millis() + delay.as_millis() as i64)
}

impl MediaDeletions {
    /// The collection in the service's database (no call is made).
    pub fn new(db: &Database) -> Self {
        Self {
            rows: db.collection(COLLECTION),
        }
    }

    /// Records `key` as `kind`, due at `due` (in `session`'s transaction when given),
    /// replacing any earlier row of it.
    pub async fn schedule(
        &self,
        session: Option<&mut ClientSession>,
        key: &str,
        kind: Kind,
        due: DateTime,
    ) -> Result<(), MoviesError> {
        let row = Row {
            key: key.to_owned(),
            kind,
            due,
            holder: None,
            held_until: None,
        };
        let replace = self.rows.replace_one(doc! {"_id": key}, row).upsert(true);
        match session {
            Some(session) => replace.session(session).await?,
            None => replace.await?,
        };
        Ok(())
    }

    /// Claims the upload ticket of `key` for `hold` and moves its due time to `due` at least
    /// (never earlier: a failed confirmation leaves the upload its whole window):
    /// `Ok(None)` when there is no live ticket (never signed, used, expired, or being swept),
    /// [`MoviesError::Busy`] while another confirmation holds it.
    pub async fn claim_ticket(
        &self,
        key: &str,
        hold: Duration,
        due: DateTime,
    ) -> Result<Option<Held>, MoviesError> {
        let now = DateTime::now();
        let token = uuid::Uuid::new_v4().simple().to_string();
        let result = self
            .rows
            .update_one(
                doc! {
                    "_id": key,
                    "kind": "ticket",
                    "due": {"$gt": now},
                    "$or": [{"held_until": {"$exists": false}}, {"held_until": {"$lt": now}}],
                },
                doc! {
                    "$max": {"due": due},
                    "$set": {"holder": token.as_str(), "held_until": after(hold)},
                },
            )
            .await?;
        if result.matched_count == 1 {
            return Ok(Some(Held {
                key: key.to_owned(),
                token,
            }));
        }
        let held = self
            .rows
            .find_one(doc! {"_id": key, "kind": "ticket", "due": {"$gt": now}, "held_until": {"$gte": now}})
            .await?;
        match held {
            Some(_) => Err(MoviesError::Busy),
            None => Ok(None),
        }
    }

    /// Uses up a claimed ticket in `session`'s transaction: `false` when the claim was lost
    /// (held past its hold and claimed again).
    pub async fn use_ticket(
        &self,
        session: &mut ClientSession,
        held: &Held,
    ) -> Result<bool, MoviesError> {
        let result = self
            .rows
            .delete_one(doc! {"_id": held.key.as_str(), "holder": held.token.as_str()})
            .session(session)
            .await?;
        Ok(result.deleted_count == 1)
    }

    /// Gives up a claim (the confirmation failed): the ticket can be claimed again at once. A
    /// failure here only delays that until the hold ends, so it is logged.
    pub async fn release(&self, held: &Held) {
        let released = self
            .rows
            .update_one(
                doc! {"_id": held.key.as_str(), "kind": "ticket", "holder": held.token.as_str()},
                doc! {"$unset": {"holder": "", "held_until": ""}},
            )
            .await;
        if let Err(e) = released {
            tracing::warn!(key = %held.key, error = %e, "upload ticket not released: claimable again when its hold ends");
        }
    }

    /// Drops `key`'s row (in `session`'s transaction when given): a movie references it.
    pub async fn cancel(
        &self,
        session: Option<&mut ClientSession>,
        key: &str,
    ) -> Result<(), MoviesError> {
        let delete = self.rows.delete_one(doc! {"_id": key});
        match session {
            Some(session) => delete.session(session).await?,
            None => delete.await?,
        };
        Ok(())
    }

    /// Leases the earliest due row for `lease`, as a deletion for good (it comes back due after
    /// that, should the sweeper die before [`MediaDeletions::done`]); `None` when nothing is
    /// due.
    pub async fn lease_due(&self, lease: Duration) -> Result<Option<Held>, MoviesError> {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let row = self
            .rows
            .find_one_and_update(
                doc! {"due": {"$lte": DateTime::now()}},
                doc! {
                    "$set": {"kind": "deletion", "due": after(lease), "holder": token.as_str()},
                    "$unset": {"held_until": ""},
                },
            )
            .sort(doc! {"due": 1})
            .return_document(ReturnDocument::After)
            .await?;
        Ok(row.map(|row| Held {
            key: row.key,
            token,
        }))
    }

    /// The leased object is deleted: the row goes (unless rescheduled meanwhile).
    pub async fn done(&self, held: &Held) -> Result<(), MoviesError> {
        self.rows
            .delete_one(doc! {"_id": held.key.as_str(), "holder": held.token.as_str()})
            .await?;
        Ok(())
    }

    /// The leased object could not be deleted: due again at `due`, still a deletion.
    pub async fn retry_at(&self, held: &Held, due: DateTime) -> Result<(), MoviesError> {
        self.rows
            .update_one(
                doc! {"_id": held.key.as_str(), "holder": held.token.as_str()},
                doc! {"$set": {"due": due}, "$unset": {"holder": ""}},
            )
            .await?;
        Ok(())
    }
}

/// The sweeper's query: the earliest due row.
pub(crate) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    db.collection::<Row>(COLLECTION)
        .create_index(
            IndexModel::builder()
                .keys(doc! {"due": 1})
                .options(IndexOptions::builder().name("due".to_owned()).build())
                .build(),
        )
        .await?;
    Ok(())
}
