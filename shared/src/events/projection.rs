//! "Apply only if newer": a consumer's copies of another service's aggregates (a user's name
//! and email in notifications, a username in comments), right whatever order the events
//! arrive in.
//!
//! # Why
//!
//! SNS to SQS (standard) delivers at least once and in no particular order: `user.deleted` can
//! arrive before `user.registered`, an older `user.updated` after a newer one, and a relay can
//! publish an event minutes late. A copy that simply applied each event as it came would keep
//! what it should have dropped, or go back to an old name. So each copy stores the
//! [`Envelope::aggregate_version`](super::Envelope::aggregate_version) it reflects, and an
//! event's fields are applied only if the event is newer. For that to give the in-order result
//! in ANY arrival order, every event a copy is built from carries the whole snapshot the copy
//! keeps (see `users.rs`), so the newest event alone says what the copy is.
//!
//! Deletion is two steps because sagas can undo it: `*.deleted` means "being deleted"
//! (reversible, an ordinary newer state: a newer `*.deletion_cancelled` restores), and only
//! `*.deletion_completed` is final. It leaves a [`Change::Tombstone`]: the copy's fields are
//! removed, and no event arriving after it brings them back, whatever its version (nothing
//! comes after a completed deletion; anything that arrives later is late).
//!
//! # Version 0
//!
//! Events published before envelopes were numbered (and events published without the outbox)
//! have version 0: older than every numbered one. Such an event applies only where no numbered
//! copy exists (no copy, or one built from version-0 events only, where the last to arrive
//! wins, as before versions existed), and never over a tombstone. A numbered event always
//! applies over a version-0 copy.
//!
//! # How
//!
//! Inside the consumer's inbox transaction ([`Projection::project`] does both): read the copy,
//! decide, write. Two deliveries about one aggregate at once: the server reports a write
//! conflict (snapshot isolation, MongoDB and SecantusDB alike) and the transaction runs again,
//! deciding on what is now stored; the write's filter also names the version read, so a copy
//! moved on in between is never overwritten even without that. Documents:
//! `{_id: <aggregateId>, version, tombstone, state: {...}, updatedAt}` (`state` absent on a
//! tombstone); `_id` is the only index needed. Works on SecantusDB (tested in
//! `shared/tests/projection.rs`).

use std::marker::PhantomData;

use bson::{doc, Bson, DateTime, Document};
use mongodb::{ClientSession, Collection, Database};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{Handled, Inbox, InboxError, Incoming};

/// What one event says about the copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change<T> {
    /// The aggregate's state as of this event (the whole snapshot the copy keeps).
    Set(T),
    /// The aggregate is gone for good (`*.deletion_completed`): the fields are removed and
    /// the copy stays empty for ever.
    Tombstone,
}

/// What [`Projection::apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projected {
    /// The copy now reflects this event.
    Applied,
    /// The copy already reflects this event's version or a newer one: nothing changed.
    Stale,
    /// The aggregate's deletion was completed: nothing changes any more.
    AfterTombstone,
}

/// One stored copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replica<T> {
    /// The aggregate as of `version`.
    Live {
        /// The aggregate version it reflects.
        version: u64,
        /// The copied fields.
        state: T,
    },
    /// Deleted for good; no field is kept.
    Tombstone {
        /// The highest version seen.
        version: u64,
    },
}

/// Why a copy could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// MongoDB failed.
    #[error("projection: mongodb: {0}")]
    Mongo(#[from] mongodb::error::Error),
    /// The inbox around the change failed.
    #[error(transparent)]
    Inbox(#[from] InboxError),
    /// A concurrent transaction changed the copy between our read and our write: running the
    /// transaction again decides on what is stored now.
    #[error("projection: copy {0} was changed by a concurrent delivery")]
    Conflict(String),
    /// A state does not convert to or from BSON (a bug in the copy's type, never event data).
    #[error("projection: copy {id}: {problem}")]
    State {
        /// The aggregate.
        id: String,
        /// What failed.
        problem: String,
    },
}

impl crate::db::TransactionError for ProjectionError {
    fn is_transient(&self) -> bool {
        match self {
            ProjectionError::Mongo(e) => crate::db::TransactionError::is_transient(e),
            ProjectionError::Inbox(e) => crate::db::TransactionError::is_transient(e),
            ProjectionError::Conflict(_) => true,
            ProjectionError::State { .. } => false,
        }
    }
}

/// A collection of copies of type `T` (the fields a consumer keeps), keyed by aggregate id.
/// Cheap to clone; build it once per container.
pub struct Projection<T> {
    copies: Collection<Document>,
    state: PhantomData<fn() -> T>,
}

impl<T> Clone for Projection<T> {
    fn clone(&self) -> Self {
        Self {
            copies: self.copies.clone(),
            state: PhantomData,
        }
    }
}

/// BSON has no unsigned 64-bit integer; versions that large never happen (they would be more
/// events than any aggregate has), and saturating keeps the order.
fn stored_version(version: u64) -> i64 {
    i64::try_from(version).unwrap_or(i64::MAX)
}

impl<T: Serialize + DeserializeOwned + Send + Sync> Projection<T> {
    /// The collection `collection` in `db` (the consumer's own database).
    pub fn new(db: &Database, collection: &str) -> Self {
        Self {
            copies: db.collection(collection),
            state: PhantomData,
        }
    }

    /// The whole consumer step for one delivery: in ONE transaction, records the event in
    /// `inbox` and applies `change` to the copy of `incoming`'s aggregate if it is newer.
    /// [`Handled::Duplicate`] for a redelivery (nothing changed).
    pub async fn project<E>(
        &self,
        client: &mongodb::Client,
        inbox: &Inbox,
        incoming: &Incoming<E>,
        change: Change<T>,
    ) -> Result<Handled<Projected>, ProjectionError> {
        inbox
            .apply(
                client,
                &incoming.event_id,
                (
                    self,
                    incoming.aggregate_id.as_str(),
                    incoming.aggregate_version,
                    change,
                ),
                |session, (copies, id, version, change)| {
                    Box::pin(async move { copies.apply(session, id, *version, change).await })
                },
            )
            .await
    }

    /// Inside the caller's transaction: applies `change`, made at aggregate `version`, to the
    /// copy of `aggregate_id`, if the copy does not already reflect a newer state. See the
    /// module's rules (tombstones, version 0). Call it after [`Inbox::record`] (or use
    /// [`Projection::project`]).
    pub async fn apply(
        &self,
        session: &mut ClientSession,
        aggregate_id: &str,
        version: u64,
        change: &Change<T>,
    ) -> Result<Projected, ProjectionError> {
        let incoming = stored_version(version);
        let now = DateTime::now();
        let stored = self
            .copies
            .find_one(doc! {"_id": aggregate_id})
            .session(&mut *session)
            .await?;
        let Some(stored) = stored else {
            let mut copy = doc! {
                "_id": aggregate_id, "version": incoming,
                "tombstone": matches!(change, Change::Tombstone), "updatedAt": now,
            };
            if let Change::Set(state) = change {
                copy.insert("state", self.to_bson(aggregate_id, state)?);
            }
            return match self.copies.insert_one(copy).session(session).await {
                Ok(_) => Ok(Projected::Applied),
                // Inserted by a concurrent transaction: decide again on what it stored.
                Err(e) if crate::db::duplicate_key_index(&e).is_some() => {
                    Err(ProjectionError::Conflict(aggregate_id.to_owned()))
                }
                Err(e) => Err(e.into()),
            };
        };
        if stored.get_bool("tombstone").unwrap_or(false) {
            return Ok(Projected::AfterTombstone);
        }
        let current = match stored.get("version") {
            Some(Bson::Int64(v)) => *v,
            Some(Bson::Int32(v)) => i64::from(*v),
            _ => 0,
        };
        let update = match change {
            // Final whatever its version: nothing is published after a completed deletion.
            Change::Tombstone => doc! {
                "$set": {"tombstone": true, "version": current.max(incoming), "updatedAt": now},
                "$unset": {"state": ""},
            },
            Change::Set(state) => {
                let newer = incoming > current || (incoming == 0 && current == 0);
                if !newer {
                    return Ok(Projected::Stale);
                }
                doc! {"$set": {
                    "state": self.to_bson(aggregate_id, state)?, "version": incoming, "updatedAt": now,
                }}
            }
        };
        // Only over what we read: if a concurrent transaction moved the copy on, run again.
        let written = self
            .copies
            .update_one(
                doc! {"_id": aggregate_id, "version": current, "tombstone": false},
                update,
            )
            .session(session)
            .await?;
        if written.matched_count == 0 {
            return Err(ProjectionError::Conflict(aggregate_id.to_owned()));
        }
        Ok(Projected::Applied)
    }

    /// The copy of `aggregate_id`, if any event about it arrived.
    pub async fn get(&self, aggregate_id: &str) -> Result<Option<Replica<T>>, ProjectionError> {
        let Some(stored) = self.copies.find_one(doc! {"_id": aggregate_id}).await? else {
            return Ok(None);
        };
        let version = match stored.get("version") {
            Some(Bson::Int64(v)) => u64::try_from(*v).unwrap_or(0),
            Some(Bson::Int32(v)) => u64::try_from(*v).unwrap_or(0),
            _ => 0,
        };
        if stored.get_bool("tombstone").unwrap_or(false) {
            return Ok(Some(Replica::Tombstone { version }));
        }
        let state = stored
            .get_document("state")
            .map_err(|e| self.state_error(aggregate_id, e))?;
        let state =
            bson::from_document(state.clone()).map_err(|e| self.state_error(aggregate_id, e))?;
        Ok(Some(Replica::Live { version, state }))
    }

    fn to_bson(&self, aggregate_id: &str, state: &T) -> Result<Document, ProjectionError> {
        bson::to_document(state).map_err(|e| self.state_error(aggregate_id, e))
    }

    fn state_error(&self, aggregate_id: &str, e: impl std::fmt::Display) -> ProjectionError {
        ProjectionError::State {
            id: aggregate_id.to_owned(),
            problem: format!("{} state: {e}", self.copies.name()),
        }
    }
}
