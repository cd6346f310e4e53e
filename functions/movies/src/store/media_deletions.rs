//! The `media_deletions` collection: media objects (videos, subtitles) the service is going to
//! delete, each with when.
//!
//! An object never outlives its last reference by more than the sweeper's period, whatever
//! fails in between: a row is written *before* an object exists that no movie references yet
//! (a signed upload, a video being confirmed, a subtitle being stored) and removed in the
//! transaction that starts referencing it; a row is written in the transaction that stops
//! referencing an object (a replaced video, a removed or replaced subtitle). The operation then
//! deletes the object at once; the scheduled `movies-media-sweeper` deletes whatever is left
//! and due (storage down, a function that died between the two steps).
//!
//! A row is also an upload's ticket: confirming needs a live one ([`MediaDeletions::extend`]),
//! and the sweeper first leases a due row ([`MediaDeletions::lease_due`]), which no
//! confirmation can extend, so an object is never deleted while a confirmation is putting it
//! in place.

use bson::{doc, DateTime};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{ClientSession, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use crate::error::MoviesError;

const COLLECTION: &str = "media_deletions";

/// One scheduled deletion.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Row {
    /// The object's key in the media storage.
    #[serde(rename = "_id")]
    key: String,
    /// When it may be deleted.
    due: DateTime,
    /// Set while a sweeper deletes it (the lease's token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lease: Option<String>,
}

/// A row the sweeper holds: delete the object, then [`MediaDeletions::done`].
#[derive(Debug, Clone)]
pub struct Leased {
    /// The object's key.
    pub key: String,
    token: String,
}

/// The scheduled deletions.
#[derive(Clone)]
pub struct MediaDeletions {
    rows: Collection<Row>,
}

impl MediaDeletions {
    /// The collection in the service's database (no call is made).
    pub fn new(db: &Database) -> Self {
        Self {
            rows: db.collection(COLLECTION),
        }
    }

    /// Schedules `key`'s deletion at `due` (in `session`'s transaction when given), replacing
    /// any earlier schedule of it.
    pub async fn schedule(
        &self,
        session: Option<&mut ClientSession>,
        key: &str,
        due: DateTime,
    ) -> Result<(), MoviesError> {
        let update = self
            .rows
            .update_one(
                doc! {"_id": key},
                doc! {"$set": {"due": due}, "$unset": {"lease": ""}},
            )
            .upsert(true);
        match session {
            Some(session) => update.session(session).await?,
            None => update.await?,
        };
        Ok(())
    }

    /// Moves a live schedule of `key` to `due`: `false` when there is none, or it is already
    /// due or leased (the sweeper may be deleting the object: it cannot be confirmed).
    pub async fn extend(&self, key: &str, due: DateTime) -> Result<bool, MoviesError> {
        let result = self
            .rows
            .update_one(
                doc! {"_id": key, "due": {"$gt": DateTime::now()}, "lease": {"$exists": false}},
                doc! {"$set": {"due": due}},
            )
            .await?;
        Ok(result.matched_count == 1)
    }

    /// Drops `key`'s schedule (in `session`'s transaction when given): a movie references it.
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

    /// Leases the earliest due row for `lease` (it comes back due after that, should the
    /// sweeper die before [`MediaDeletions::done`]); `None` when nothing is due.
    pub async fn lease_due(
        &self,
        lease: std::time::Duration,
    ) -> Result<Option<Leased>, MoviesError> {
        let now = DateTime::now();
        let token = uuid::Uuid::new_v4().simple().to_string();
        let until = DateTime::from_millis(now.timestamp_millis() + lease.as_millis() as i64);
        let row = self
            .rows
            .find_one_and_update(
                doc! {"due": {"$lte": now}},
                doc! {"$set": {"due": until, "lease": token.as_str()}},
            )
            .sort(doc! {"due": 1})
            .return_document(ReturnDocument::After)
            .await?;
        Ok(row.map(|row| Leased {
            key: row.key,
            token,
        }))
    }

    /// The leased object is deleted: the row goes (unless rescheduled meanwhile).
    pub async fn done(&self, leased: &Leased) -> Result<(), MoviesError> {
        self.rows
            .delete_one(doc! {"_id": leased.key.as_str(), "lease": leased.token.as_str()})
            .await?;
        Ok(())
    }

    /// The leased object could not be deleted: due again at `due`, unleased.
    pub async fn retry_at(&self, leased: &Leased, due: DateTime) -> Result<(), MoviesError> {
        self.rows
            .update_one(
                doc! {"_id": leased.key.as_str(), "lease": leased.token.as_str()},
                doc! {"$set": {"due": due}, "$unset": {"lease": ""}},
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
