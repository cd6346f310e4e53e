//! `deletion_sagas`: the user-deletion sagas the users service runs, keyed by the saga id it
//! generated (never a client's value): which participants have set the user's data aside,
//! the deadline, and how the saga ended.

use bson::oid::ObjectId;
use bson::{doc, DateTime};
use futures_util::TryStreamExt;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{ClientSession, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use crate::error::UsersError;

const COLLECTION: &str = "deletion_sagas";

/// The services that set a deleted user's data aside; the saga completes when all have.
pub const PARTICIPANTS: [&str; 3] = ["favorites", "ratings", "comments"];

/// Where a saga is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SagaState {
    /// Waiting for the participants.
    Running,
    /// Every participant set the data aside: the account is gone for good.
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

/// One saga, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletionSaga {
    /// The saga id (a UUID the service generated).
    #[serde(rename = "_id")]
    pub id: String,
    /// The user being deleted.
    pub user_id: ObjectId,
    /// The request that started it (a label for logs).
    pub correlation_id: String,
    /// Running, completed or cancelled.
    pub state: SagaState,
    /// Each participant's step, by service name ([`PARTICIPANTS`]).
    pub steps: std::collections::BTreeMap<String, StepState>,
    /// When it started.
    pub started_at: DateTime,
    /// When a saga still running is cancelled by `users-saga-deadline`.
    pub deadline: DateTime,
    /// When it ended.
    #[serde(default)]
    pub ended_at: Option<DateTime>,
    /// Why it was cancelled (`<service> failed: ...`, `deadline passed`).
    #[serde(default)]
    pub reason: Option<String>,
    /// The account as the deletion found it, for a cancellation that cannot read it any more
    /// (the participants must hear of every end); dropped when the saga ends.
    #[serde(default)]
    pub snapshot: Option<Snapshot>,
}

/// What `user.deletion_cancelled` carries about the user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Email.
    pub email: String,
    /// Username.
    pub username: String,
    /// First name, if any.
    pub first_name: Option<String>,
    /// The language of the emails.
    #[serde(default)]
    pub language: streamia_shared::i18n::Lang,
}

impl Snapshot {
    /// The snapshot of `user`.
    pub fn of(user: &crate::domain::User) -> Self {
        Self {
            email: user.email.clone(),
            username: user.username.clone(),
            first_name: user.first_name.clone(),
            language: user.language,
        }
    }
}

impl DeletionSaga {
    /// A new running saga for `user` with every step pending.
    pub fn start(
        id: &str,
        user: &crate::domain::User,
        correlation_id: &str,
        deadline: DateTime,
    ) -> Self {
        Self {
            id: id.to_owned(),
            user_id: user.id,
            correlation_id: correlation_id.to_owned(),
            state: SagaState::Running,
            steps: PARTICIPANTS
                .iter()
                .map(|p| ((*p).to_owned(), StepState::Pending))
                .collect(),
            started_at: DateTime::now(),
            deadline,
            ended_at: None,
            reason: None,
            snapshot: Some(Snapshot::of(user)),
        }
    }

    /// Whether every participant has set the data aside.
    pub fn all_done(&self) -> bool {
        PARTICIPANTS
            .iter()
            .all(|p| self.steps.get(*p) == Some(&StepState::Done))
    }
}

/// The sagas. Cheap to clone.
#[derive(Clone)]
pub struct SagaStore {
    sagas: Collection<DeletionSaga>,
}

impl SagaStore {
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
        saga: &DeletionSaga,
    ) -> Result<(), UsersError> {
        self.sagas.insert_one(saga).session(session).await?;
        Ok(())
    }

    /// A saga by id (operators, tests).
    pub async fn get(&self, id: &str) -> Result<Option<DeletionSaga>, UsersError> {
        Ok(self.sagas.find_one(doc! {"_id": id}).await?)
    }

    /// Inside a transaction: sets `service`'s step of a RUNNING saga and returns the saga as
    /// it is now; `None` when there is no such running saga (unknown, or ended). The write
    /// makes two replies of one saga handled at once conflict, so one runs again and sees the
    /// other's step.
    pub async fn set_step(
        &self,
        session: &mut ClientSession,
        id: &str,
        user_id: ObjectId,
        service: &str,
        step: StepState,
    ) -> Result<Option<DeletionSaga>, UsersError> {
        Ok(self
            .sagas
            .find_one_and_update(
                doc! {"_id": id, "userId": user_id, "state": "running"},
                doc! {"$set": {format!("steps.{service}"): step.as_str()}},
            )
            .return_document(ReturnDocument::After)
            .session(session)
            .await?)
    }

    /// Inside a transaction: ends a RUNNING saga as `state` (with `reason`); false when it
    /// was not running (ended by a concurrent reply or the deadline).
    pub async fn end(
        &self,
        session: &mut ClientSession,
        id: &str,
        state: SagaState,
        reason: Option<&str>,
    ) -> Result<bool, UsersError> {
        let ended = self
            .sagas
            .update_one(
                doc! {"_id": id, "state": "running"},
                doc! {
                    "$set": {"state": state.as_str(), "endedAt": DateTime::now(), "reason": reason},
                    "$unset": {"snapshot": ""},
                },
            )
            .session(session)
            .await?;
        Ok(ended.modified_count == 1)
    }

    /// Moves a running saga's deadline to `at` (a cancellation that failed waits there, so it
    /// cannot keep the overdue sagas behind it from their turn).
    pub async fn postpone(&self, id: &str, at: DateTime) -> Result<(), UsersError> {
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
    ) -> Result<Vec<DeletionSaga>, UsersError> {
        Ok(self
            .sagas
            .find(doc! {"state": "running", "deadline": {"$lt": now}})
            .sort(doc! {"deadline": 1})
            .limit(limit)
            .await?
            .try_collect()
            .await?)
    }
}

/// The index the deadline's query runs on, and the purge of ended sagas
/// [`streamia_shared::events::RETENTION`] after `endedAt` (the time a reply can still come back
/// from a dead-letter queue); then [`adopt_orphans`] (idempotent).
pub(crate) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let sagas = db.collection::<DeletionSaga>(COLLECTION);
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
                        .expire_after(streamia_shared::events::RETENTION)
                        .build(),
                )
                .build(),
        )
        .await?;
    adopt_orphans(db).await
}

/// Accounts marked `deleting` before sagas were recorded (or by a deletion whose record is
/// gone) get a running saga due now, so `users-saga-deadline` cancels it on its next run: the
/// account works again and its owner is told; nothing of it was set aside. Run by the setup
/// step (idempotent: an account that has its saga is left alone).
async fn adopt_orphans(db: &Database) -> Result<(), mongodb::error::Error> {
    let users = db.collection::<crate::domain::User>("users");
    let sagas = db.collection::<DeletionSaga>(COLLECTION);
    let mut deleting = users.find(doc! {"status": "deleting"}).await?;
    while let Some(user) = deleting.try_next().await? {
        // Its saga, if it has one that still runs; else a new id (an ended saga that left
        // the account deleting, or none at all), swapped in only if the account still is as
        // read (a concurrent change wins).
        if let Some(id) = &user.deletion_saga_id {
            let running = sagas
                .find_one(doc! {"_id": id, "state": "running"})
                .await?
                .is_some();
            if running {
                continue;
            }
        }
        let id = uuid::Uuid::new_v4().to_string();
        let swapped = users
            .update_one(
                doc! {
                    "_id": user.id, "status": "deleting",
                    "deletionSagaId": user.deletion_saga_id.as_deref(),
                },
                doc! {"$set": {"deletionSagaId": &id}},
            )
            .await?;
        if swapped.matched_count == 0 {
            continue;
        }
        let saga = DeletionSaga::start(&id, &user, "setup-adopted", DateTime::now());
        sagas.insert_one(&saga).await?;
        tracing::warn!(saga_id = %id, user_id = %user.id, "an account deleting without a running saga: adopted, cancelled at the next deadline run");
    }
    Ok(())
}
