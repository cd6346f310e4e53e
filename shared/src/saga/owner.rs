//! The owner's side of a deletion saga: the service that started it (users for an account,
//! movies for a movie) records it in its own database, keyed by the saga id it generated
//! (never a client's value), with each participant's step, a deadline and how it ended. The
//! owner's own record type says what it keeps about the subject ([`Tracked`]); the writes and
//! the deadline's walk are the same for both sagas and live here once.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bson::oid::ObjectId;
use bson::{doc, DateTime};
use futures_util::TryStreamExt;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{ClientSession, Collection, Database, IndexModel};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::db::BoxFuture;

/// The services that set a deleted subject's data aside, in both sagas; a saga completes
/// when all have.
pub const PARTICIPANTS: [&str; 3] = ["favorites", "ratings", "comments"];

/// Where a saga is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SagaState {
    /// Waiting for the participants.
    Running,
    /// Every participant set the data aside: the subject is gone for good.
    Completed,
    /// A participant failed, or the deadline passed: everything restored.
    Cancelled,
}

impl SagaState {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            SagaState::Running => "running",
            SagaState::Completed => "completed",
            SagaState::Cancelled => "cancelled",
        }
    }
}

/// Where one participant's step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepState {
    /// No reply yet.
    Pending,
    /// Set aside.
    Done,
    /// Failed for good.
    Failed,
}

impl StepState {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::Done => "done",
            StepState::Failed => "failed",
        }
    }
}

/// Every step pending: a new saga's steps.
pub fn pending_steps() -> BTreeMap<String, StepState> {
    PARTICIPANTS
        .iter()
        .map(|p| ((*p).to_owned(), StepState::Pending))
        .collect()
}

/// Whether every participant has set the data aside.
pub fn all_done(steps: &BTreeMap<String, StepState>) -> bool {
    PARTICIPANTS
        .iter()
        .all(|p| steps.get(*p) == Some(&StepState::Done))
}

/// The participants a running saga still waits for.
pub fn waiting_for(state: SagaState, steps: &BTreeMap<String, StepState>) -> Vec<String> {
    match state {
        SagaState::Running => steps
            .iter()
            .filter(|(_, step)| **step == StepState::Pending)
            .map(|(service, _)| service.clone())
            .collect(),
        SagaState::Completed | SagaState::Cancelled => Vec::new(),
    }
}

/// An owner's saga record. Stored with `_id` (the saga id), `state` (as [`SagaState`]),
/// `steps.<service>` (as [`StepState`]), `deadline`, `endedAt` and `reason`, plus the
/// subject's id in [`Tracked::SUBJECT_FIELD`] and whatever else the owner keeps.
pub trait Tracked: Serialize + DeserializeOwned + Send + Sync + Unpin {
    /// The owner (`users`, `movies`): whose database holds the sagas.
    const SERVICE: &'static str;
    /// The field holding the subject's id (`userId`, `movieId`).
    const SUBJECT_FIELD: &'static str;
    /// Fields dropped when the saga ends (a snapshot of personal data kept only for a
    /// cancellation).
    const DROPPED_AT_END: &'static [&'static str];
    /// The saga's id.
    fn id(&self) -> &str;
    /// The subject's id.
    fn subject(&self) -> ObjectId;
    /// The request that started it (a label for logs).
    fn correlation_id(&self) -> &str;
}

/// One owner's sagas (`deletion_sagas` in its database). Cheap to clone.
pub struct Tracker<T: Tracked> {
    sagas: Collection<T>,
}

impl<T: Tracked> Clone for Tracker<T> {
    fn clone(&self) -> Self {
        Self {
            sagas: self.sagas.clone(),
        }
    }
}

/// An owner's operator function (`<service>-saga-status`) needs its sagas and nothing else.
impl<T: Tracked + 'static> crate::service::Service for Tracker<T> {
    type Config = crate::config::MongoConfig;

    async fn build(
        mongo_config: crate::config::MongoConfig,
        _aws: &aws_config::SdkConfig,
    ) -> Result<Self, crate::init::InitError> {
        let mongo = crate::db::connect(&mongo_config.uri).await?;
        Ok(Self::new(
            &mongo.database(&mongo_config.database_name(T::SERVICE)),
        ))
    }
}

/// The collection every owner keeps its sagas in (in its own database).
pub const COLLECTION: &str = "deletion_sagas";

impl<T: Tracked> Tracker<T> {
    /// The collection in `db`.
    pub fn new(db: &Database) -> Self {
        Self {
            sagas: db.collection(COLLECTION),
        }
    }

    /// Inside the deletion's transaction: records the new saga.
    pub async fn insert(
        &self,
        session: &mut ClientSession,
        saga: &T,
    ) -> Result<(), mongodb::error::Error> {
        self.sagas.insert_one(saga).session(session).await?;
        Ok(())
    }

    /// A saga by id (operators, tests).
    pub async fn get(&self, id: &str) -> Result<Option<T>, mongodb::error::Error> {
        self.sagas.find_one(doc! {"_id": id}).await
    }

    /// A saga by id as stored, without what the owner keeps only for a cancellation
    /// ([`Tracked::DROPPED_AT_END`]; for [`super::status`]).
    pub(crate) async fn raw(
        &self,
        id: &str,
    ) -> Result<Option<bson::Document>, mongodb::error::Error> {
        let sagas = self.sagas.clone_with_type::<bson::Document>();
        let find = sagas.find_one(doc! {"_id": id});
        if T::DROPPED_AT_END.is_empty() {
            return find.await;
        }
        let hidden: bson::Document = T::DROPPED_AT_END
            .iter()
            .map(|f| ((*f).to_owned(), bson::Bson::Int32(0)))
            .collect();
        find.projection(hidden).await
    }

    /// Inside a transaction: sets `service`'s step of a RUNNING saga of `subject` and returns
    /// the saga as it is now; `None` when there is no such running saga (unknown, ended, or of
    /// another subject). The write makes two replies of one saga handled at once conflict, so
    /// one runs again and sees the other's step.
    pub async fn set_step(
        &self,
        session: &mut ClientSession,
        id: &str,
        subject: ObjectId,
        service: &str,
        step: StepState,
    ) -> Result<Option<T>, mongodb::error::Error> {
        self.sagas
            .find_one_and_update(
                doc! {"_id": id, T::SUBJECT_FIELD: subject, "state": "running"},
                doc! {"$set": {format!("steps.{service}"): step.as_str()}},
            )
            .return_document(ReturnDocument::After)
            .session(session)
            .await
    }

    /// Inside a transaction: ends a RUNNING saga as `state` (with `reason`); false when it
    /// was not running (ended by a concurrent reply or the deadline).
    pub async fn end(
        &self,
        session: &mut ClientSession,
        id: &str,
        state: SagaState,
        reason: Option<&str>,
    ) -> Result<bool, mongodb::error::Error> {
        let mut update = doc! {
            "$set": {"state": state.as_str(), "endedAt": DateTime::now(), "reason": reason},
        };
        if !T::DROPPED_AT_END.is_empty() {
            let dropped: bson::Document = T::DROPPED_AT_END
                .iter()
                .map(|f| ((*f).to_owned(), bson::Bson::String(String::new())))
                .collect();
            update.insert("$unset", dropped);
        }
        let ended = self
            .sagas
            .update_one(doc! {"_id": id, "state": "running"}, update)
            .session(session)
            .await?;
        Ok(ended.modified_count == 1)
    }

    /// Moves a running saga's deadline to `at` (a cancellation that failed waits there, so it
    /// cannot keep the overdue sagas behind it from their turn).
    pub async fn postpone(&self, id: &str, at: DateTime) -> Result<(), mongodb::error::Error> {
        self.sagas
            .update_one(
                doc! {"_id": id, "state": "running"},
                doc! {"$set": {"deadline": at}},
            )
            .await?;
        Ok(())
    }

    /// Up to `limit` running sagas whose deadline passed before `now`, oldest deadline first.
    pub async fn overdue(
        &self,
        now: DateTime,
        limit: i64,
    ) -> Result<Vec<T>, mongodb::error::Error> {
        self.sagas
            .find(doc! {"state": "running", "deadline": {"$lt": now}})
            .sort(doc! {"deadline": 1})
            .limit(limit)
            .await?
            .try_collect()
            .await
    }

    /// Whether saga `id` is running (the setup step's adoption of a subject left being
    /// deleted without a running saga).
    pub async fn is_running(&self, id: &str) -> Result<bool, mongodb::error::Error> {
        Ok(self
            .sagas
            .find_one(doc! {"_id": id, "state": "running"})
            .await?
            .is_some())
    }
}

/// The index the deadline's query runs on, and the purge of ended sagas
/// [`crate::events::RETENTION`] after `endedAt` (the time a reply can still come back from a
/// dead-letter queue). Idempotent; the owner's setup step calls it.
pub async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let sagas = db.collection::<bson::Document>(COLLECTION);
    sagas
        .create_index(
            IndexModel::builder()
                .keys(doc! {"state": 1, "deadline": 1})
                .options(
                    IndexOptions::builder()
                        .name("running_deadline".to_owned())
                        .build(),
                )
                .build(),
        )
        .await?;
    sagas
        .create_index(
            IndexModel::builder()
                .keys(doc! {"endedAt": 1})
                .options(
                    IndexOptions::builder()
                        .name("ended_ttl".to_owned())
                        .expire_after(crate::events::RETENTION)
                        .build(),
                )
                .build(),
        )
        .await?;
    Ok(())
}

/// What one deadline run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpiryReport {
    /// Sagas cancelled because their deadline passed.
    pub cancelled: usize,
    /// Overdue sagas that had ended meanwhile (a reply got there first).
    pub ended_meanwhile: usize,
    /// Sagas left for the next run (out of time).
    pub left: usize,
    /// Sagas whose cancellation failed (tried again on the next run).
    pub failed: usize,
}

/// The time one cancellation may take (a transaction with its retries, 10 s at most, and the
/// publish after it, 3 s): none is started with less left before the run's deadline.
pub const PER_SAGA: Duration = Duration::from_secs(14);

/// Sagas cancelled per run at most; the rest wait for the next run.
const PER_RUN: i64 = 100;

/// How long a saga whose cancellation failed waits before the next try.
const RETRY_CANCEL_AFTER: Duration = Duration::from_secs(300);

/// The deadline's walk (`<owner>-saga-deadline`, scheduled): every running saga past its
/// deadline is cancelled by `cancel` (its own transaction, staging the cancellation; false
/// when the saga had ended meanwhile), oldest first, until `deadline` (the invocation's). One
/// saga that cannot be cancelled now does not hold back the others: it is postponed and tried
/// again later.
pub async fn expire<T, E>(
    tracker: &Tracker<T>,
    deadline: Option<Instant>,
    cancel: impl for<'s> Fn(&'s T) -> BoxFuture<'s, Result<bool, E>>,
) -> Result<ExpiryReport, mongodb::error::Error>
where
    T: Tracked,
    E: std::fmt::Display,
{
    let overdue = tracker.overdue(DateTime::now(), PER_RUN).await?;
    let mut report = ExpiryReport::default();
    for (i, saga) in overdue.iter().enumerate() {
        if deadline.is_some_and(|d| Instant::now() + PER_SAGA >= d) {
            report.left = overdue.len() - i;
            break;
        }
        match cancel(saga).await {
            Ok(true) => {
                tracing::warn!(saga_id = %saga.id(), subject = %saga.subject(), correlation_id = %saga.correlation_id(), "deletion saga cancelled: deadline passed");
                report.cancelled += 1;
                crate::metrics::count(T::SERVICE, "SagasCompensated");
            }
            Ok(false) => report.ended_meanwhile += 1,
            Err(e) => {
                tracing::error!(saga_id = %saga.id(), error = %e, "could not cancel an overdue deletion saga; tried again in 5 minutes");
                report.failed += 1;
                let later =
                    DateTime::from_system_time(std::time::SystemTime::now() + RETRY_CANCEL_AFTER);
                if let Err(e) = tracker.postpone(saga.id(), later).await {
                    tracing::warn!(saga_id = %saga.id(), error = %e, "could not postpone it either; next run");
                }
            }
        }
    }
    Ok(report)
}
