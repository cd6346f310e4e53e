//! The inbox: which events a consumer has already handled, in the consumer's own database, so
//! a redelivered or duplicated event (at-least-once delivery, outbox relays) acts once.
//!
//! Two ways to use it, by the kind of effect:
//!
//! - **A database effect**: [`Inbox::apply`] runs the change in ONE transaction that first
//!   [`Inbox::record`]s the event id: the id and the change commit together, and a second
//!   delivery (later, or at the same moment) finds the id and changes nothing.
//! - **A side effect outside the database** (an email): it cannot join a transaction, so the
//!   event is [`Inbox::claim`]ed with a lease before acting, [`Inbox::complete`]d after, and
//!   [`Inbox::release`]d if the action failed. Two concurrent deliveries: one acquires, the
//!   other sees [`Claim::Busy`] and fails its record so SQS redelivers it later (by then it is
//!   [`Claim::AlreadyHandled`]). A consumer that dies between the send and `complete` leaves
//!   a lease that expires: the event is sent again (at least once, never zero times).
//!
//! Documents: `{_id: "<consumer>:<eventId>", consumer, eventId, status: "claimed"|"handled",
//! token, leaseUntil, handledAt}` in the collection `inbox`. Besides the `_id` unique index, a
//! TTL index on `handledAt` purges handled rows after [`super::RETENTION`] ([`create_indexes`],
//! from the consumer's setup step). Works on SecantusDB (upsert on `_id` with duplicate-key
//! errors, transactions, TTL indexes); tested in `shared/tests/inbox.rs`.

use std::time::Duration;

use bson::{doc, DateTime, Document};
use mongodb::options::ReturnDocument;
use mongodb::{ClientSession, Collection, Database};

/// The inbox could not answer.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// MongoDB failed.
    #[error("inbox: mongodb: {0}")]
    Mongo(#[from] mongodb::error::Error),
    /// A concurrent transaction recorded the same event first; running the transaction again
    /// finds it handled.
    #[error("inbox: event {0} was recorded by a concurrent delivery")]
    Conflict(String),
}

impl crate::db::TransactionError for InboxError {
    fn is_transient(&self) -> bool {
        match self {
            InboxError::Conflict(_) => true,
            InboxError::Mongo(e) => crate::db::TransactionError::is_transient(e),
        }
    }
}

/// The collection of a consumer's handled (and claimed) events.
const COLLECTION: &str = "inbox";
/// The TTL index purging handled rows.
pub const HANDLED_TTL_INDEX: &str = "handled_ttl";

/// The inbox's index in a consumer's database: handled rows are purged [`super::RETENTION`]
/// after `handledAt` (claimed rows have none: a lease expires, it is not purged). The
/// consumer's setup step calls this, never a cold start.
pub async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    db.collection::<Document>(COLLECTION)
        .create_index(
            mongodb::IndexModel::builder()
                .keys(doc! {"handledAt": 1})
                .options(
                    mongodb::options::IndexOptions::builder()
                        .name(HANDLED_TTL_INDEX.to_owned())
                        .expire_after(super::RETENTION)
                        .build(),
                )
                .build(),
        )
        .await?;
    Ok(())
}

/// What [`Inbox::apply`] did with a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled<T> {
    /// This delivery made the change (committed); `T` is what the effect returned.
    Applied(T),
    /// The event was handled before (a redelivery, or a twin delivery that committed first):
    /// nothing changed. Acknowledge it.
    Duplicate,
}

/// Proof of a claim; only its holder can release it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimToken(String);

/// The answer to [`Inbox::claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This delivery acts; then `complete` (or `release` on failure).
    Acquired(ClaimToken),
    /// Handled before: acknowledge without acting.
    AlreadyHandled,
    /// Another delivery holds a live claim: do not act now; fail the record so it comes back
    /// after `retry_after` at most.
    Busy {
        /// Time left on the other delivery's lease.
        retry_after: Duration,
    },
}

/// One consumer's handled events, in the consumer's own database. Cheap to clone.
#[derive(Clone)]
pub struct Inbox {
    entries: Collection<Document>,
    consumer: String,
}

impl Inbox {
    /// The collection `inbox` in `db`; `consumer` names the consuming function (one database
    /// may hold several consumers' inboxes, each handling an event once).
    pub fn new(db: &Database, consumer: &str) -> Self {
        Self {
            entries: db.collection(COLLECTION),
            consumer: consumer.to_owned(),
        }
    }

    fn key(&self, event_id: &str) -> String {
        format!("{}:{event_id}", self.consumer)
    }

    /// For a database effect, inside the caller's transaction: records the event as handled.
    /// `Ok(false)` when it was handled before: the caller then makes no change. Call it first
    /// in the transaction.
    pub async fn record(
        &self,
        session: &mut ClientSession,
        event_id: &str,
    ) -> Result<bool, InboxError> {
        let key = self.key(event_id);
        // Read first: a failed insert would abort the caller's transaction.
        if self
            .entries
            .find_one(doc! {"_id": &key})
            .session(&mut *session)
            .await?
            .is_some()
        {
            return Ok(false);
        }
        let entry = doc! {
            "_id": &key, "consumer": &self.consumer, "eventId": event_id,
            "status": "handled", "handledAt": DateTime::now(),
        };
        match self.entries.insert_one(entry).session(session).await {
            Ok(_) => Ok(true),
            Err(e) if crate::db::duplicate_key_index(&e).is_some() => {
                Err(InboxError::Conflict(event_id.to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A database effect, exactly once per event: runs `effect` in ONE transaction
    /// ([`crate::db::transaction`], with its retries) whose first step records `event_id`, so
    /// the change and the record commit together or not at all.
    ///
    /// Why a helper: every consumer that changes its own database needs exactly this, and
    /// the order matters (record first, inside the transaction, same session). A redelivery,
    /// sequential or concurrent, gets [`Handled::Duplicate`] and changes nothing: of two
    /// deliveries racing, the second's record conflicts and its transaction runs again, now
    /// finding the event handled. The caller's error `E` must therefore treat
    /// [`InboxError`] as [`crate::db::TransactionError::is_transient`] says (delegate to it).
    ///
    /// `context` is what `effect` borrows (see [`crate::db::transaction`]); `effect` may run
    /// more than once (retries) and must pass `session` to every read and write.
    ///
    /// ```ignore
    /// let handled = inbox
    ///     .apply(&mongo, &incoming.event_id, (&store, &incoming), |session, (store, incoming)| {
    ///         Box::pin(async move { Ok(store.change(session, &incoming.event).await?) })
    ///     })
    ///     .await?;
    /// ```
    pub async fn apply<C, T, E, F>(
        &self,
        client: &mongodb::Client,
        event_id: &str,
        context: C,
        effect: F,
    ) -> Result<Handled<T>, E>
    where
        C: Send,
        E: crate::db::TransactionError + From<InboxError>,
        F: for<'s> FnMut(
                &'s mut ClientSession,
                &'s mut C,
            ) -> crate::db::BoxFuture<'s, Result<T, E>>
            + Send,
    {
        crate::db::transaction(
            client,
            (self, event_id, context, effect),
            |session, (inbox, event_id, context, effect)| {
                Box::pin(async move {
                    if !inbox.record(&mut *session, event_id).await? {
                        return Ok(Handled::Duplicate);
                    }
                    Ok(Handled::Applied(effect(session, context).await?))
                })
            },
        )
        .await
    }

    /// For a side effect: claims the event for `lease` before acting. See [`Claim`].
    pub async fn claim(&self, event_id: &str, lease: Duration) -> Result<Claim, InboxError> {
        let key = self.key(event_id);
        let now = DateTime::now();
        let token = uuid::Uuid::new_v4().to_string();
        let lease_until = DateTime::from_millis(now.timestamp_millis() + lease.as_millis() as i64);
        // Matches a missing entry (upsert inserts it) or an expired claim (taken over). A live
        // claim or a handled entry does not match, so the upsert's insert hits the unique _id.
        let taken = self
            .entries
            .find_one_and_update(
                doc! {"_id": &key, "status": "claimed", "leaseUntil": {"$lte": now}},
                doc! {"$set": {
                    "consumer": &self.consumer, "eventId": event_id, "status": "claimed",
                    "token": &token, "leaseUntil": lease_until,
                }},
            )
            .upsert(true)
            .return_document(ReturnDocument::After)
            .await;
        match taken {
            Ok(_) => return Ok(Claim::Acquired(ClaimToken(token))),
            Err(e) if crate::db::duplicate_key_index(&e).is_some() => {}
            Err(e) => return Err(e.into()),
        }
        let Some(entry) = self.entries.find_one(doc! {"_id": &key}).await? else {
            // Released between our two steps: free again, try later.
            return Ok(Claim::Busy {
                retry_after: Duration::ZERO,
            });
        };
        if entry.get_str("status") == Ok("handled") {
            return Ok(Claim::AlreadyHandled);
        }
        let left = entry
            .get_datetime("leaseUntil")
            .map(|until| until.timestamp_millis() - DateTime::now().timestamp_millis())
            .unwrap_or(0);
        Ok(Claim::Busy {
            retry_after: Duration::from_millis(left.max(0) as u64),
        })
    }

    /// After the side effect: marks the event handled for good.
    pub async fn complete(&self, event_id: &str, token: &ClaimToken) -> Result<(), InboxError> {
        let before = self
            .entries
            .find_one_and_update(
                doc! {"_id": self.key(event_id)},
                doc! {
                    "$set": {"status": "handled", "handledAt": DateTime::now()},
                    "$unset": {"token": "", "leaseUntil": ""},
                },
            )
            .return_document(ReturnDocument::Before)
            .await?;
        if before.as_ref().and_then(|e| e.get_str("token").ok()) != Some(token.0.as_str()) {
            // Our lease ran out and another delivery took over: it may act as well.
            tracing::warn!(event_id, consumer = %self.consumer, "inbox: lease expired before completion; the event may have been handled twice");
        }
        Ok(())
    }

    /// The side effect failed: frees the claim at once so a redelivery can act.
    pub async fn release(&self, event_id: &str, token: &ClaimToken) -> Result<(), InboxError> {
        self.entries
            .delete_one(doc! {"_id": self.key(event_id), "status": "claimed", "token": &token.0})
            .await?;
        Ok(())
    }

    /// Whether the event was handled (completed or recorded).
    pub async fn is_handled(&self, event_id: &str) -> Result<bool, InboxError> {
        Ok(self
            .entries
            .find_one(doc! {"_id": self.key(event_id), "status": "handled"})
            .await?
            .is_some())
    }
}
