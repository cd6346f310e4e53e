//! The transactional outbox: an event is written in the same MongoDB transaction as the change
//! it announces, so a crash or an SNS outage between the write and the publish loses nothing.
//!
//! # API (final; what services call)
//!
//! ```ignore
//! // shared/src/db.rs
//! pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
//! pub trait TransactionError: From<mongodb::error::Error> { fn is_transient(&self) -> bool; }
//! pub async fn transaction<C, T, E: TransactionError, F>(client: &mongodb::Client, context: C, body: F)
//!     -> Result<T, E>
//! where F: for<'s> FnMut(&'s mut ClientSession, &'s mut C) -> BoxFuture<'s, Result<T, E>>;
//!
//! // shared/src/events/outbox.rs
//! impl Outbox {
//!     pub fn new(db: &mongodb::Database, publisher: EventPublisher) -> Self;
//!     pub async fn ensure_indexes(&self) -> Result<(), OutboxError>;        // setup step
//!     pub async fn stage<P: Event>(&self, session: &mut ClientSession, correlation_id: &str,
//!         payload: P) -> Result<Staged, OutboxError>;                       // inside the transaction
//!     pub async fn flush(&self, staged: Staged);                            // after the commit
//!     pub async fn relay(&self, min_age: Duration, limit: usize) -> Result<RelayReport, OutboxError>;
//! }
//! impl Staged { pub fn event_id(&self) -> &str; pub fn event_name(&self) -> &str; }
//! pub struct RelayReport { pub published: usize, pub failed: usize }
//! pub enum OutboxError { Mongo(mongodb::error::Error), Serialize(serde_json::Error) }  // impl TransactionError
//!
//! // shared/src/events/relay.rs: the scheduled relay function of a service
//! pub async fn run(service: &'static str, topic: Topic) -> Result<(), lambda_runtime::Error>;
//!
//! // shared/src/events/inbox.rs (consumers)
//! impl Inbox {
//!     pub fn new(db: &mongodb::Database, consumer: &str) -> Self;
//!     pub async fn record(&self, session: &mut ClientSession, event_id: &str) -> Result<bool, InboxError>;
//!     pub async fn claim(&self, event_id: &str, lease: Duration) -> Result<Claim, InboxError>;
//!     pub async fn complete(&self, event_id: &str, token: &ClaimToken) -> Result<(), InboxError>;
//!     pub async fn release(&self, event_id: &str, token: &ClaimToken) -> Result<(), InboxError>;
//!     pub async fn is_handled(&self, event_id: &str) -> Result<bool, InboxError>;
//! }
//! pub enum Claim { Acquired(ClaimToken), AlreadyHandled, Busy { retry_after: Duration } }
//! pub enum InboxError { Mongo(mongodb::error::Error), Conflict(String) }  // impl TransactionError
//!
//! // shared/src/events/consumer.rs (SQS adapters)
//! pub async fn run<S, H, Fut>(state: S, limits: Limits, handle: H) -> Result<(), lambda_runtime::Error>;
//! pub async fn process_batch<F, Fut>(event: SqsEvent, budget: Budget, handle: F) -> SqsBatchResponse;
//! pub struct Limits { pub margin: Duration, pub per_record: Duration }   // Default: 1 s, 0
//! impl Budget { fn unlimited(); fn until(Instant); fn per_record(self, Duration); fn from_context(&Context, Limits) }
//!
//! // shared/src/events/contracts.rs: every event type; examples in shared/events/examples
//! pub const ALL: &[Contract]; pub fn find(name: &str, version: u32) -> Option<&'static Contract>;
//! ```
//!
//! A write with its event:
//!
//! ```ignore
//! let staged = db::transaction(&mongo, (&users, &outbox, new_user), |session, (users, outbox, new_user)| {
//!     Box::pin(async move {
//!         users.insert(session, new_user).await?;
//!         Ok(outbox.stage(session, correlation_id, UserRegistered { .. }).await?)
//!     })
//! })
//! .await?;
//! outbox.flush(staged).await; // never fails the request: the relay publishes what is left
//! ```
//!
//! # How it works
//!
//! `stage` inserts `{_id: eventId, eventName, correlationId, body, status: "pending",
//! createdAt, leaseUntil: null, attempts}` into the collection `outbox` of the service's own
//! database, inside the caller's transaction: the event exists if and only if the change does.
//! `flush` (after the commit) and `relay` (scheduled) both *claim* a pending row before
//! publishing it: one atomic `findOneAndUpdate` sets `leaseUntil` (and a fresh `leaseOwner`)
//! only where no live lease exists. Two relays running at once therefore never publish the
//! same event in the normal case; a publisher that dies holding a lease delays the event by
//! the lease, and a publisher slower than its lease may publish it twice. Delivery stays
//! at-least-once, and `body` (with its `eventId`) is exactly what was staged, so consumers drop
//! duplicates by event id (see `inbox`). Sent rows are kept (`status: "sent"`, `sentAt`) without
//! their body: an event may carry a secret (the password-reset link), which must not outlive
//! its delivery.
//!
//! Works on SecantusDB: transactions, `findOneAndUpdate` with sort, `$or`/null filters (tested
//! in `shared/tests/outbox.rs`); no TTL index is used.

use std::time::Duration;

use bson::{doc, DateTime};
use mongodb::options::ReturnDocument;
use mongodb::{ClientSession, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use super::publisher::EnvelopeIds;
use super::{Envelope, Event, EventPublisher};

/// How long a claim on a row lasts: far longer than one SNS publish (which has its own
/// timeouts), short enough that an event whose publisher died goes out within minutes.
const LEASE: Duration = Duration::from_secs(60);

/// Why the outbox could not do its part.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// MongoDB failed (inside a transaction: the caller's transaction fails with it).
    #[error("outbox: mongodb: {0}")]
    Mongo(#[from] mongodb::error::Error),
    /// The payload could not be serialized.
    #[error("outbox: cannot serialize event: {0}")]
    Serialize(#[from] serde_json::Error),
}

impl crate::db::TransactionError for OutboxError {
    fn is_transient(&self) -> bool {
        matches!(self, OutboxError::Mongo(e) if crate::db::TransactionError::is_transient(e))
    }
}

/// Where a row is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Pending,
    Sent,
}

/// One staged event, as stored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    #[serde(rename = "_id")]
    event_id: String,
    event_name: String,
    correlation_id: String,
    /// The envelope JSON, exactly as it is published every time; dropped once sent, since an
    /// event may carry what must not be kept (a password-reset link).
    #[serde(default)]
    body: String,
    status: Status,
    created_at: DateTime,
    attempts: i32,
    lease_until: Option<DateTime>,
    lease_owner: Option<String>,
    sent_at: Option<DateTime>,
    last_error: Option<String>,
}

/// An event committed to the outbox, to hand to [`Outbox::flush`] after the commit.
#[derive(Debug, Clone)]
#[must_use = "flush it after the commit (or let the relay publish it)"]
pub struct Staged {
    event_id: String,
    event_name: String,
}

impl Staged {
    /// The envelope's id (consumers' idempotency key).
    pub fn event_id(&self) -> &str {
        &self.event_id
    }

    /// The event's name.
    pub fn event_name(&self) -> &str {
        &self.event_name
    }
}

/// What one relay run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayReport {
    /// Events published and marked sent.
    pub published: usize,
    /// Events whose publish failed (left for a later run).
    pub failed: usize,
}

/// The `outbox` collection of one service's database and the publisher its events go out
/// through. Cheap to clone; build it once per container.
#[derive(Clone)]
pub struct Outbox {
    rows: Collection<Row>,
    publisher: EventPublisher,
}

impl Outbox {
    /// The collection `outbox` in `db` (the service's own database); events go out through
    /// `publisher`, whose `source` every envelope carries.
    pub fn new(db: &Database, publisher: EventPublisher) -> Self {
        Self {
            rows: db.collection("outbox"),
            publisher,
        }
    }

    /// Creates the index the relay's query uses. Run by the deploy-time setup step, not at
    /// cold start.
    pub async fn ensure_indexes(&self) -> Result<(), OutboxError> {
        self.rows
            .create_index(
                IndexModel::builder()
                    .keys(doc! {"status": 1, "createdAt": 1})
                    .build(),
            )
            .await?;
        Ok(())
    }

    /// Inside the caller's transaction: stores the event, pending. Its `eventId` is fixed
    /// here, so every later publish of it (flush, relay, retries) carries the same id.
    pub async fn stage<P: Event>(
        &self,
        session: &mut ClientSession,
        correlation_id: &str,
        payload: P,
    ) -> Result<Staged, OutboxError> {
        let envelope = Envelope::new(self.publisher.source(), correlation_id, payload);
        let row = Row {
            event_id: envelope.event_id.clone(),
            event_name: envelope.event_name.clone(),
            correlation_id: envelope.correlation_id.clone(),
            body: serde_json::to_string(&envelope)?,
            status: Status::Pending,
            created_at: DateTime::now(),
            attempts: 0,
            lease_until: None,
            lease_owner: None,
            sent_at: None,
            last_error: None,
        };
        self.rows.insert_one(&row).session(session).await?;
        Ok(Staged {
            event_id: row.event_id,
            event_name: row.event_name,
        })
    }

    /// After the commit: publishes the staged event and marks it sent. Never fails the
    /// caller, whose change is already committed: a failure is logged and the event is left
    /// pending for the relay.
    pub async fn flush(&self, staged: Staged) {
        let claimed = match self.claim(doc! {"_id": &staged.event_id}).await {
            Ok(Some(row)) => row,
            // Already sent, or a relay holds it.
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(event_id = %staged.event_id, error = %e, "outbox: claim failed; the relay will publish");
                return;
            }
        };
        if let Err(e) = self.publish(&claimed, Duration::ZERO).await {
            tracing::warn!(
                event_id = %staged.event_id,
                event_name = %staged.event_name,
                error = %e,
                "outbox: publish after commit failed; the relay will publish"
            );
        }
    }

    /// The scheduled relay: publishes pending events created at least `min_age` ago (so it
    /// does not race the flush that follows each commit), oldest first, at most `limit`,
    /// marking each sent. Stops at the first publish failure (SNS is likely down; the failed
    /// event waits a short backoff so it cannot block the ones behind it for ever).
    pub async fn relay(&self, min_age: Duration, limit: usize) -> Result<RelayReport, OutboxError> {
        let mut report = RelayReport::default();
        while report.published < limit {
            let cutoff = DateTime::from_millis(
                DateTime::now().timestamp_millis() - min_age.as_millis() as i64,
            );
            let Some(row) = self.claim(doc! {"createdAt": {"$lte": cutoff}}).await? else {
                break;
            };
            let backoff = Duration::from_secs(10 * row.attempts.clamp(1, 30) as u64);
            match self.publish(&row, backoff).await {
                Ok(()) => report.published += 1,
                Err(e) => {
                    tracing::error!(event_id = %row.event_id, event_name = %row.event_name, error = %e, "outbox relay: publish failed");
                    report.failed += 1;
                    break;
                }
            }
        }
        tracing::info!(
            published = report.published,
            failed = report.failed,
            "outbox relay run"
        );
        Ok(report)
    }

    /// Atomically takes the oldest pending row matching `filter` whose lease is free or
    /// expired, giving it a fresh lease and owner; `None` when there is none.
    async fn claim(&self, filter: bson::Document) -> Result<Option<Row>, OutboxError> {
        let now = DateTime::now();
        let mut query = doc! {
            "status": "pending",
            "$or": [{"leaseUntil": null}, {"leaseUntil": {"$lte": now}}],
        };
        query.extend(filter);
        let lease_until = DateTime::from_millis(now.timestamp_millis() + LEASE.as_millis() as i64);
        Ok(self
            .rows
            .find_one_and_update(
                query,
                doc! {
                    "$set": {"leaseUntil": lease_until, "leaseOwner": uuid::Uuid::new_v4().to_string()},
                    "$inc": {"attempts": 1},
                },
            )
            .sort(doc! {"createdAt": 1, "_id": 1})
            .return_document(ReturnDocument::After)
            .await?)
    }

    /// Publishes a claimed row; marks it sent, or on failure records the error and keeps the
    /// lease for `backoff` (zero: free at once).
    async fn publish(&self, row: &Row, backoff: Duration) -> Result<(), super::PublishError> {
        let ids = EnvelopeIds {
            event_name: &row.event_name,
            event_id: &row.event_id,
            correlation_id: &row.correlation_id,
        };
        let outcome = self.publisher.publish_body(&ids, row.body.clone()).await;
        let update = match &outcome {
            Ok(()) => doc! {
                "$set": {"status": "sent", "sentAt": DateTime::now(), "leaseUntil": null, "leaseOwner": null},
                "$unset": {"body": ""},
            },
            Err(e) => {
                let retry_at = DateTime::from_millis(
                    DateTime::now().timestamp_millis() + backoff.as_millis() as i64,
                );
                doc! {"$set": {"lastError": e.to_string(), "leaseUntil": retry_at}}
            }
        };
        // Only while we still hold the lease: if it expired and another publisher took the row
        // over, that one records the outcome.
        let owner = row.lease_owner.clone();
        if let Err(e) = self
            .rows
            .update_one(doc! {"_id": &row.event_id, "leaseOwner": owner}, update)
            .await
        {
            tracing::warn!(event_id = %row.event_id, error = %e, "outbox: could not record the publish outcome");
        }
        outcome
    }
}
