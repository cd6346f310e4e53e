//! The transactional outbox: an event is written in the same MongoDB transaction as the change
//! it announces, so a crash or an SNS outage between the write and the publish loses nothing.
//!
//! A write with its events, as an operation writes it ([`Outbox::commit`]: the transaction,
//! the staging inside it, the flush after the commit):
//!
//! ```ignore
//! let user = deps.outbox.commit(&ctx.correlation_id, (deps, &new_user), |mut tx, (deps, user)| {
//!     Box::pin(async move {
//!         deps.users.insert(tx.session(), user).await?;
//!         tx.stage(events::registered(user)).await?;
//!         Ok::<_, UsersError>(())
//!     })
//! })
//! .await?;
//! ```
//!
//! # How it works
//!
//! `stage` inserts `{_id: eventId, eventName, correlationId, aggregate, version, body, status:
//! "pending", createdAt, leaseUntil: null, attempts}` into the collection `outbox` of the
//! service's own database, inside the caller's transaction: the event exists if and only if the
//! change does.
//!
//! **Order.** SNS and SQS standard queues deliver in any order, so every event carries its
//! aggregate's id and a version (`aggregateId`, `aggregateVersion` in the envelope): `stage`
//! increments the aggregate's counter (`outbox_versions`, `{_id: "<type>:<id>", version}`) in the
//! same transaction, so two concurrent changes of one aggregate conflict and one runs again
//! (the versions follow the commit order, without gaps). Consumers apply an event only when it
//! is newer than what they hold (`events::projection`). `flush` also publishes the older
//! pending rows of the same aggregate first when it can claim them, but never waits for one
//! another publisher holds: consumers do not depend on it, and waiting would hold a saga hop
//! for a relay run.
//! `flush` (after the commit) and `relay` (scheduled) both *claim* a pending row before
//! publishing it: one atomic `findOneAndUpdate` sets `leaseUntil` (and a fresh `leaseOwner`)
//! only where no live lease exists. Two relays running at once therefore never publish the
//! same event in the normal case; a publisher that dies holding a lease delays the event by
//! the lease (a flush cut by its budget gives its rows back at once instead), and a publisher
//! slower than its lease may publish it twice. Delivery stays
//! at-least-once, and `body` (with its `eventId`) is exactly what was staged, so consumers drop
//! duplicates by event id (see `inbox`). Sent rows are kept (`status: "sent"`, `sentAt`) without
//! their body: an event may carry a secret (the password-reset link), which must not outlive
//! its delivery; a TTL index on `sentAt` purges them after [`super::RETENTION`].
//!
//! **Poison rows.** A row whose publish failed [`MAX_ATTEMPTS`] times (claims by flushes and
//! relays, with a growing backoff between them, then every 5 minutes: about a day), at least
//! [`HEALTHY_FAILURES`] of them while other events got through (one was sent within
//! [`GETTING_THROUGH`]), is marked `failed` with an error log line naming it, and is never
//! claimed again, so it cannot head every relay run for ever. While nothing gets through (an SNS outage, throttling, a policy mistake: every row
//! fails alike) no row is given up, however long it lasts: each keeps being retried every 5
//! minutes and goes out once the cause is fixed, so an outage longer than a day loses no
//! event. A row given up is an event the saga never sees until an operator puts it back with
//! `{$set: {status: "pending", attempts: 0}}`; it keeps its body for that.
//!
//! Works on SecantusDB: transactions, `findOneAndUpdate` with sort and upsert, `$or`/null
//! filters (tested in `shared/tests/outbox.rs`), TTL indexes.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bson::{doc, DateTime};
use mongodb::options::ReturnDocument;
use mongodb::{Client, ClientSession, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use super::publisher::EnvelopeIds;
use super::{Envelope, Event, EventPublisher};
use crate::db::{BoxFuture, TransactionError};

/// How long a claim on a row lasts: far longer than one SNS publish (which has its own
/// timeouts), short enough that an event whose publisher died goes out within minutes.
const LEASE: Duration = Duration::from_secs(60);

/// The most a request spends publishing after its commit ([`Outbox::commit`]): about one SNS
/// attempt. Past it the rest is left to the relay, so an SNS outage never pushes a request
/// whose change is committed past its budget (a 503 for a write that happened).
const FLUSH_BUDGET: Duration = Duration::from_secs(3);

/// Of [`FLUSH_BUDGET`], what giving a cut flush's rows back may take.
const RELEASE_BUDGET: Duration = Duration::from_millis(500);

/// Of [`FLUSH_BUDGET`], what is kept for the last publish a flush starts (a healthy SNS
/// answers in tens of milliseconds).
const LAST_PUBLISH: Duration = Duration::from_millis(500);

/// Publish attempts after which a row is marked `failed` instead of being retried (see the
/// module's doc: with [`backoff`], about a day of retries: 77 minutes for the first 30, then
/// one every 5 minutes).
pub const MAX_ATTEMPTS: i32 = 300;

/// A failed publish counts against its row only if another event was sent this recently: the
/// evidence that it is the row SNS refuses, not SNS that refuses everything.
pub const GETTING_THROUGH: Duration = Duration::from_secs(15 * 60);

/// A row is given up past [`MAX_ATTEMPTS`] and after this many failures while other events got
/// through (about an hour at the relay's 5-minute backoff): after an outage longer than a day
/// every row of the backlog is past its attempts, and one throttled publish while it drains
/// must not give a good event up.
pub const HEALTHY_FAILURES: i32 = 12;

/// Kept free before a relay's deadline: one publish (its SDK timeout) and recording its outcome.
pub const RELAY_RESERVE: Duration = Duration::from_secs(7);

/// Why the outbox could not do its part.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// MongoDB failed (inside a transaction: the caller's transaction fails with it).
    #[error("outbox: mongodb: {0}")]
    Mongo(#[from] mongodb::error::Error),
    /// The payload could not be serialized.
    #[error("outbox: cannot serialize event: {0}")]
    Serialize(#[from] serde_json::Error),
    /// A concurrent transaction numbered the same aggregate's first event; running the
    /// transaction again takes the next number.
    #[error("outbox: aggregate {0} was numbered by a concurrent transaction")]
    Conflict(String),
}

impl TransactionError for OutboxError {
    fn is_transient(&self) -> bool {
        match self {
            OutboxError::Mongo(e) => TransactionError::is_transient(e),
            OutboxError::Conflict(_) => true,
            OutboxError::Serialize(_) => false,
        }
    }
}

/// Where a row is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Pending,
    Sent,
    /// Failed [`MAX_ATTEMPTS`] times: never claimed again (an operator may set it pending).
    Failed,
}

/// One staged event, as stored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    #[serde(rename = "_id")]
    event_id: String,
    event_name: String,
    correlation_id: String,
    /// `<aggregate type>:<aggregate id>` (`user:65a4...`); empty in rows staged before
    /// versions existed.
    #[serde(default)]
    aggregate: String,
    /// The aggregate's version this event carries (0 before versions existed).
    #[serde(default)]
    version: i64,
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
    /// Failed publishes while other events got through (see [`HEALTHY_FAILURES`]).
    #[serde(default)]
    healthy_failures: i32,
}

/// An event committed to the outbox, to hand to [`Outbox::flush`] after the commit.
#[derive(Debug, Clone)]
#[must_use = "flush it after the commit (or let the relay publish it)"]
pub struct Staged {
    event_id: String,
    event_name: String,
    aggregate: String,
    version: i64,
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

    /// The aggregate's version the event carries.
    pub fn version(&self) -> u64 {
        self.version.max(0) as u64
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
    /// Of those, events that failed for the last time and were marked `failed`.
    pub given_up: usize,
}

/// The outbox's collections in a service's database: the relay's query (pending, oldest
/// first) and the ordered flush (pending rows of one aggregate by version) each have an index.
/// The service's setup step calls this beside its own indexes, never a cold start.
///
/// Sent rows are purged [`super::RETENTION`] after `sentAt` by a TTL index (pending and failed
/// rows have no `sentAt`: never purged).
pub async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let rows: Collection<Row> = db.collection(ROWS);
    rows.create_index(
        IndexModel::builder()
            .keys(doc! {"sentAt": 1})
            .options(
                mongodb::options::IndexOptions::builder()
                    .name(SENT_TTL_INDEX.to_owned())
                    .expire_after(super::RETENTION)
                    .build(),
            )
            .build(),
    )
    .await?;
    rows.create_index(
        IndexModel::builder()
            .keys(doc! {"status": 1, "createdAt": 1})
            .build(),
    )
    .await?;
    rows.create_index(
        IndexModel::builder()
            .keys(doc! {"aggregate": 1, "version": 1})
            .build(),
    )
    .await?;
    Ok(())
}

/// The collection of staged events.
const ROWS: &str = "outbox";
/// The TTL index purging sent rows.
pub const SENT_TTL_INDEX: &str = "sent_ttl";
/// The collection of aggregate counters.
const VERSIONS: &str = "outbox_versions";

/// An aggregate's counter: the version of its latest staged event.
#[derive(Debug, Deserialize)]
struct Counter {
    version: i64,
}

/// The `outbox` collection of one service's database and the publisher its events go out
/// through. Cheap to clone; build it once per container.
#[derive(Clone)]
pub struct Outbox {
    client: Client,
    rows: Collection<Row>,
    versions: Collection<Counter>,
    publisher: EventPublisher,
}

impl Outbox {
    /// The collections of `db` (the service's own database, on `client`, which runs the
    /// transactions of [`Outbox::commit`]); events go out through `publisher`, whose `source`
    /// every envelope carries.
    pub fn new(client: &Client, db: &Database, publisher: EventPublisher) -> Self {
        Self {
            client: client.clone(),
            rows: db.collection(ROWS),
            versions: db.collection(VERSIONS),
            publisher,
        }
    }

    /// Runs `body` in one MongoDB transaction ([`crate::db::transaction`]: retried on a
    /// conflict) with a [`Tx`] to write through and stage events on, then publishes what it
    /// staged once the transaction committed (see [`Outbox::flush`]). Every event carries
    /// `correlation_id`. A body that fails commits nothing and publishes nothing.
    pub async fn commit<C, T, E, F>(
        &self,
        correlation_id: &str,
        context: C,
        body: F,
    ) -> Result<T, E>
    where
        C: Send,
        E: TransactionError,
        F: for<'s> FnMut(Tx<'s>, &'s mut C) -> BoxFuture<'s, Result<T, E>>,
    {
        self.commit_then(correlation_id, context, body, |_| async { Ok(()) })
            .await
    }

    /// [`Outbox::commit`] that leaves the publishing to the relay (its next run, every minute;
    /// a backlog drains at SNS's pace, oldest first): for staging in bulk (a deleted movie's fans alerted in rounds), where publishing
    /// each round right after its commit would spend the consumer's time on SNS calls instead
    /// of the next round.
    pub async fn commit_for_relay<C, T, E, F>(
        &self,
        correlation_id: &str,
        context: C,
        mut body: F,
    ) -> Result<T, E>
    where
        C: Send,
        E: TransactionError,
        F: for<'s> FnMut(Tx<'s>, &'s mut C) -> BoxFuture<'s, Result<T, E>>,
    {
        crate::db::transaction(&self.client, context, |session, context| {
            let tx = Tx {
                session,
                outbox: self.clone(),
                correlation_id: correlation_id.to_owned(),
                staged: Arc::new(Mutex::new(Vec::new())),
            };
            body(tx, context)
        })
        .await
    }

    /// [`Outbox::commit`] with a step between the commit and the publishing: `after` runs once
    /// the change is committed and before any consumer can hear of it. For what must hold by
    /// the time the event is out (a deleted account's or a demoted admin's sessions revoked
    /// before the saga or any consumer reacts). When `after` fails, its error is returned and
    /// nothing is published now: the committed events go out with the relay (after
    /// [`super::relay::MIN_AGE`]), and a retry of the operation can finish `after`'s work.
    pub async fn commit_then<C, T, E, F, A, AFut>(
        &self,
        correlation_id: &str,
        context: C,
        mut body: F,
        after: A,
    ) -> Result<T, E>
    where
        C: Send,
        E: TransactionError,
        F: for<'s> FnMut(Tx<'s>, &'s mut C) -> BoxFuture<'s, Result<T, E>>,
        A: FnOnce(&T) -> AFut,
        AFut: std::future::Future<Output = Result<(), E>>,
    {
        let staged = Arc::new(Mutex::new(Vec::new()));
        let value = crate::db::transaction(&self.client, context, |session, context| {
            // An attempt that runs again starts over: what the aborted one staged is gone.
            staged
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clear();
            let tx = Tx {
                session,
                outbox: self.clone(),
                correlation_id: correlation_id.to_owned(),
                staged: staged.clone(),
            };
            body(tx, context)
        })
        .await?;
        let staged = std::mem::take(&mut *staged.lock().unwrap_or_else(PoisonError::into_inner));
        after(&value).await?;
        // Every row this flush claims carries its owner: a flush cut by its budget gives back
        // what it still holds, so the next relay run publishes it at once, not a lease later.
        let owner = uuid::Uuid::new_v4().to_string();
        let aggregates: Vec<String> = staged.iter().map(|e| e.aggregate.clone()).collect();
        let ids: Vec<String> = staged.iter().map(|e| e.event_id.clone()).collect();
        let started = std::time::Instant::now();
        let flush_all = async {
            for event in staged {
                // No new publish once most of the budget is spent: the hard cut below is for an
                // SNS that hangs, not for a healthy one (a publish cut after SNS took it goes
                // out twice).
                if started.elapsed() >= FLUSH_BUDGET - RELEASE_BUDGET - LAST_PUBLISH {
                    tracing::info!(
                        "outbox: the flush's budget is spent; the relay publishes the rest"
                    );
                    break;
                }
                if !self.flush_as(event, &owner).await {
                    // SNS is failing: the relay publishes the rest.
                    break;
                }
            }
        };
        if tokio::time::timeout(FLUSH_BUDGET - RELEASE_BUDGET, flush_all)
            .await
            .is_err()
        {
            tracing::warn!("outbox: publishing after the commit ran out of time; the relay will publish the rest");
            self.release(&owner, &aggregates, &ids).await;
        }
        Ok(value)
    }

    /// Inside the caller's transaction: stores the event, pending. Its `eventId` is fixed
    /// here, so every later publish of it (flush, relay, retries) carries the same id.
    pub async fn stage<P: Event>(
        &self,
        session: &mut ClientSession,
        correlation_id: &str,
        payload: P,
    ) -> Result<Staged, OutboxError> {
        let aggregate = format!("{}:{}", P::aggregate_type(), payload.aggregate_id());
        let version = self.next_version(session, &aggregate).await?;
        let mut envelope = Envelope::new(self.publisher.source(), correlation_id, payload);
        envelope.aggregate_version = version.max(0) as u64;
        let row = Row {
            event_id: envelope.event_id.clone(),
            event_name: envelope.event_name.clone(),
            correlation_id: envelope.correlation_id.clone(),
            aggregate,
            version,
            body: serde_json::to_string(&envelope)?,
            status: Status::Pending,
            created_at: DateTime::now(),
            attempts: 0,
            lease_until: None,
            lease_owner: None,
            sent_at: None,
            last_error: None,
            healthy_failures: 0,
        };
        self.rows.insert_one(&row).session(session).await?;
        Ok(Staged {
            event_id: row.event_id,
            event_name: row.event_name,
            aggregate: row.aggregate,
            version: row.version,
        })
    }

    /// Inside the caller's transaction: the aggregate's next version. The counter's update
    /// makes two concurrent transactions of one aggregate conflict, so one of them runs again.
    async fn next_version(
        &self,
        session: &mut ClientSession,
        aggregate: &str,
    ) -> Result<i64, OutboxError> {
        let counter = self
            .versions
            .find_one_and_update(doc! {"_id": aggregate}, doc! {"$inc": {"version": 1_i64}})
            .upsert(true)
            .return_document(ReturnDocument::After)
            .session(session)
            .await;
        match counter {
            Ok(Some(counter)) => Ok(counter.version),
            Ok(None) => Ok(1),
            // Two first events of one aggregate at once: both upserts insert, one loses.
            Err(e) if crate::db::duplicate_key_index(&e).is_some() => {
                Err(OutboxError::Conflict(aggregate.to_owned()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// After the commit: publishes the staged event and marks it sent. Never fails the
    /// caller, whose change is already committed: a failure is logged and the event is left
    /// pending for the relay.
    ///
    /// Older pending events of the same aggregate (an earlier flush that failed, or one still
    /// running in another instance) go out first when they can be claimed now; one that
    /// another publisher holds is not waited for. `false` when a publish failed (SNS is
    /// likely down: the caller leaves the rest to the relay).
    pub async fn flush(&self, staged: Staged) -> bool {
        self.flush_as(staged, &uuid::Uuid::new_v4().to_string())
            .await
    }

    /// [`Outbox::flush`], its claims held as `owner`.
    async fn flush_as(&self, staged: Staged, owner: &str) -> bool {
        if let Older::Failed = self
            .publish_older(&staged.aggregate, staged.version, owner)
            .await
        {
            return false;
        }
        let claimed = match self
            .claim(doc! {"_id": &staged.event_id}, Order::ByAge, owner)
            .await
        {
            Ok(Some(row)) => row,
            // Already sent, or a relay holds it.
            Ok(None) => return true,
            Err(e) => {
                tracing::warn!(event_id = %staged.event_id, error = %e, "outbox: claim failed; the relay will publish");
                return false;
            }
        };
        if let Err(e) = self.publish(&claimed, Duration::ZERO).await {
            tracing::warn!(
                event_id = %staged.event_id,
                event_name = %staged.event_name,
                error = %e,
                "outbox: publish after commit failed; the relay will publish"
            );
            return false;
        }
        true
    }

    /// Publishes the pending events of `aggregate` older than `version`, in version order,
    /// until none is left that can be claimed now or a publish fails. A failed row keeps the
    /// relay's backoff, so a row SNS keeps refusing is not retried on every write.
    async fn publish_older(&self, aggregate: &str, version: i64, owner: &str) -> Older {
        let mut published = 0;
        if aggregate.is_empty() || version <= 1 {
            return Older::Published(published);
        }
        let older = doc! {"aggregate": aggregate, "version": {"$lt": version}};
        loop {
            let row = match self.claim(older.clone(), Order::ByVersion, owner).await {
                Ok(Some(row)) => row,
                Ok(None) => return Older::Published(published),
                Err(e) => {
                    tracing::warn!(aggregate, error = %e, "outbox: claim of older events failed");
                    return Older::Failed;
                }
            };
            if let Err(e) = self.publish(&row, backoff(row.attempts)).await {
                tracing::warn!(event_id = %row.event_id, error = %e, "outbox: publish of an older event failed; the relay will publish");
                return Older::Failed;
            }
            published += 1;
        }
    }

    /// The scheduled relay: publishes pending events created at least `min_age` ago (so it
    /// does not race the flush that follows each commit), oldest first, at most `limit`,
    /// marking each sent. Stops at the first publish failure (SNS is likely down; the failed
    /// event waits a short backoff so it cannot block the ones behind it for ever).
    pub async fn relay(&self, min_age: Duration, limit: usize) -> Result<RelayReport, OutboxError> {
        self.relay_until(min_age, limit, None).await
    }

    /// [`Outbox::relay`] within a time budget: no row is claimed once less than
    /// [`RELAY_RESERVE`] is left before `deadline` (the function's, less a margin), so a run
    /// ends with its report instead of being killed by its timeout with a row claimed.
    /// A row that fails for the last time ([`MAX_ATTEMPTS`]) is marked failed and the run goes
    /// on with the next one; any other failure ends the run (SNS is likely down).
    pub async fn relay_until(
        &self,
        min_age: Duration,
        limit: usize,
        deadline: Option<std::time::Instant>,
    ) -> Result<RelayReport, OutboxError> {
        let mut report = RelayReport::default();
        while report.published < limit {
            if deadline.is_some_and(|d| std::time::Instant::now() + RELAY_RESERVE > d) {
                tracing::warn!(
                    published = report.published,
                    "outbox relay: time budget spent; the next run takes the rest"
                );
                break;
            }
            let cutoff = DateTime::from_millis(
                DateTime::now().timestamp_millis() - min_age.as_millis() as i64,
            );
            let owner = uuid::Uuid::new_v4().to_string();
            let Some(row) = self
                .claim(doc! {"createdAt": {"$lte": cutoff}}, Order::ByAge, &owner)
                .await?
            else {
                break;
            };
            // Its aggregate's older events first, when they are pending and free.
            match self
                .publish_older(&row.aggregate, row.version, &owner)
                .await
            {
                Older::Published(n) => report.published += n,
                Older::Failed => {
                    // SNS is likely down: this row's claim lapses by the next run.
                    report.failed += 1;
                    break;
                }
            }
            match self.publish(&row, backoff(row.attempts)).await {
                Ok(()) => report.published += 1,
                Err(Failure::GivenUp(_)) => {
                    // Marked failed (and logged) by `publish`: it no longer heads the queue.
                    report.failed += 1;
                    report.given_up += 1;
                }
                Err(Failure::Retry(e)) => {
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

    /// Gives back every pending row `owner` still holds (a flush cut by its budget): free at
    /// once for the relay. A publish that reached SNS before the cut goes out again: consumers
    /// drop the twin (same event id). Only the flush's own rows and their aggregates' older
    /// ones are looked at (indexed: `_id`, `aggregate`), and within [`RELEASE_BUDGET`]: a
    /// MongoDB that is what is slow must not hold the request; the leases then lapse as before.
    async fn release(&self, owner: &str, aggregates: &[String], ids: &[String]) {
        let released = tokio::time::timeout(
            RELEASE_BUDGET,
            self.rows.update_many(
                doc! {
                    "$or": [{"_id": {"$in": ids}}, {"aggregate": {"$in": aggregates}}],
                    "leaseOwner": owner,
                    "status": "pending",
                },
                doc! {"$set": {"leaseUntil": null, "leaseOwner": null}},
            ),
        )
        .await;
        match released {
            Ok(Ok(r)) if r.modified_count > 0 => {
                tracing::info!(
                    rows = r.modified_count,
                    "outbox: a cut flush gave its rows back to the relay"
                )
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "outbox: could not give a cut flush's rows back; their leases lapse")
            }
            Err(_) => tracing::warn!(
                "outbox: giving a cut flush's rows back timed out; their leases lapse"
            ),
        }
    }

    /// Atomically takes the first pending row in `order` matching `filter` whose lease is free
    /// or expired, giving it a fresh lease and owner; `None` when there is none.
    async fn claim(
        &self,
        filter: bson::Document,
        order: Order,
        owner: &str,
    ) -> Result<Option<Row>, OutboxError> {
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
                    "$set": {"leaseUntil": lease_until, "leaseOwner": owner},
                    "$inc": {"attempts": 1},
                },
            )
            .sort(match order {
                Order::ByAge => doc! {"createdAt": 1, "_id": 1},
                Order::ByVersion => doc! {"version": 1, "_id": 1},
            })
            .return_document(ReturnDocument::After)
            .await?)
    }

    /// Whether another event was sent within [`GETTING_THROUGH`] (sent rows keep `sentAt`,
    /// indexed for their TTL). A failed query answers no: nothing is given up on a guess.
    async fn others_getting_through(&self) -> bool {
        let since = DateTime::from_millis(
            DateTime::now().timestamp_millis() - GETTING_THROUGH.as_millis() as i64,
        );
        match self
            .rows
            .find_one(doc! {"status": "sent", "sentAt": {"$gte": since}})
            .await
        {
            Ok(found) => found.is_some(),
            Err(e) => {
                tracing::warn!(error = %e, "outbox: could not tell whether other events get through");
                false
            }
        }
    }

    /// Publishes a claimed row; marks it sent, or on failure records the error and keeps the
    /// lease for `backoff` (zero: free at once). Past [`MAX_ATTEMPTS`], and only while other
    /// events get through, the row is marked failed instead.
    async fn publish(&self, row: &Row, backoff: Duration) -> Result<(), Failure> {
        let ids = EnvelopeIds {
            event_name: &row.event_name,
            event_id: &row.event_id,
            correlation_id: &row.correlation_id,
        };
        let outcome = self.publisher.publish_body(&ids, row.body.clone()).await;
        // Only a failure can count against the row, and only while others get through.
        let healthy_failure = outcome.is_err() && self.others_getting_through().await;
        let give_up = healthy_failure
            && row.attempts >= MAX_ATTEMPTS
            && row.healthy_failures + 1 >= HEALTHY_FAILURES;
        if outcome.is_err() && row.attempts >= MAX_ATTEMPTS && !give_up {
            tracing::error!(
                event_id = %row.event_id,
                event_name = %row.event_name,
                attempts = row.attempts,
                healthy_failures = row.healthy_failures + i32::from(healthy_failure),
                "outbox: event still failing; kept pending until it has failed while other events got through (SNS down?)"
            );
        }
        let update = match &outcome {
            Ok(()) => doc! {
                "$set": {"status": "sent", "sentAt": DateTime::now(), "leaseUntil": null, "leaseOwner": null},
                "$unset": {"body": ""},
            },
            Err(e) if give_up => {
                tracing::error!(
                    event_id = %row.event_id,
                    event_name = %row.event_name,
                    aggregate = %row.aggregate,
                    attempts = row.attempts,
                    error = %e,
                    "outbox: event marked failed after its last attempt; it will not be published"
                );
                crate::metrics::count(self.publisher.source(), "OutboxRowsFailed");
                doc! {"$set": {
                    "status": "failed", "lastError": e.to_string(), "failedAt": DateTime::now(),
                    "leaseUntil": null, "leaseOwner": null,
                }}
            }
            Err(e) => {
                let retry_at = DateTime::from_millis(
                    DateTime::now().timestamp_millis() + backoff.as_millis() as i64,
                );
                doc! {
                    // No owner: the backoff's lease is nobody's to give back early.
                    "$set": {"lastError": e.to_string(), "leaseUntil": retry_at, "leaseOwner": null},
                    "$inc": {"healthyFailures": i32::from(healthy_failure)},
                }
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
        outcome.map_err(|e| match give_up {
            true => Failure::GivenUp(e),
            false => Failure::Retry(e),
        })
    }
}

/// Why [`Outbox::publish`] did not send a row.
#[derive(Debug, thiserror::Error)]
enum Failure {
    /// Left pending for a later try (its lease holds it for the backoff).
    #[error(transparent)]
    Retry(super::PublishError),
    /// Marked `failed`: it will not be tried again.
    #[error(transparent)]
    GivenUp(super::PublishError),
}

/// How long a row whose publish failed waits before it is claimed again: longer with each
/// attempt, so one event SNS keeps refusing cannot hold the ones behind it.
fn backoff(attempts: i32) -> Duration {
    Duration::from_secs(10 * attempts.clamp(1, 30) as u64)
}

/// What publishing an aggregate's older pending events did.
enum Older {
    /// This many went out (or none was pending).
    Published(usize),
    /// A claim or a publish failed.
    Failed,
}

/// Which pending row [`Outbox::claim`] takes first.
#[derive(Clone, Copy)]
enum Order {
    /// The oldest (the relay).
    ByAge,
    /// The lowest aggregate version (the ordered flush).
    ByVersion,
}

/// The transaction an [`Outbox::commit`] body writes through: the session every write must
/// use, and [`Tx::stage`] for the events the change causes.
pub struct Tx<'s> {
    session: &'s mut ClientSession,
    outbox: Outbox,
    correlation_id: String,
    staged: Arc<Mutex<Vec<Staged>>>,
}

impl Tx<'_> {
    /// The transaction's session: pass it to every write (`.session(tx.session())`).
    pub fn session(&mut self) -> &mut ClientSession {
        self.session
    }

    /// The correlation id every event of this transaction carries.
    pub fn correlation_id(&self) -> &str {
        &self.correlation_id
    }

    /// Stages `payload` as an event of this transaction, numbered in its aggregate; it is
    /// published after the commit.
    pub async fn stage<P: Event>(&mut self, payload: P) -> Result<(), OutboxError> {
        let staged = self
            .outbox
            .stage(self.session, &self.correlation_id, payload)
            .await?;
        self.staged
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(staged);
        Ok(())
    }
}
