//! `deletion_sagas`: the user-deletion sagas the users service runs, keyed by the saga id it
//! generated (never a client's value): which participants have set the user's data aside,
//! the deadline, and how the saga ended.

use bson::oid::ObjectId;
use bson::{doc, DateTime};
use futures_util::TryStreamExt;
use mongodb::Database;
use serde::{Deserialize, Serialize};
use streamia_shared::saga::owner::{self, Tracked, Tracker};

pub use streamia_shared::saga::owner::{SagaState, StepState, PARTICIPANTS};

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
            steps: owner::pending_steps(),
            started_at: DateTime::now(),
            deadline,
            ended_at: None,
            reason: None,
            snapshot: Some(Snapshot::of(user)),
        }
    }

    /// Whether every participant has set the data aside.
    pub fn all_done(&self) -> bool {
        owner::all_done(&self.steps)
    }
}

impl Tracked for DeletionSaga {
    const SERVICE: &'static str = crate::SERVICE;
    const SUBJECT_FIELD: &'static str = "userId";
    const DROPPED_AT_END: &'static [&'static str] = &["snapshot"];
    fn id(&self) -> &str {
        &self.id
    }
    fn subject(&self) -> ObjectId {
        self.user_id
    }
    fn correlation_id(&self) -> &str {
        &self.correlation_id
    }
}

/// The sagas (the platform's tracker). Cheap to clone.
pub type SagaStore = Tracker<DeletionSaga>;

/// The platform's indexes (the deadline's, the purge of ended sagas), then
/// [`adopt_orphans`] (idempotent).
pub(crate) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    owner::create_indexes(db).await?;
    adopt_orphans(db).await
}

/// Accounts marked `deleting` before sagas were recorded (or by a deletion whose record is
/// gone) get a running saga due now, so `users-saga-deadline` cancels it on its next run: the
/// account works again and its owner is told; nothing of it was set aside. Run by the setup
/// step (idempotent: an account that has its saga is left alone).
async fn adopt_orphans(db: &Database) -> Result<(), mongodb::error::Error> {
    let users = db.collection::<crate::domain::User>("users");
    let sagas = db.collection::<DeletionSaga>(owner::COLLECTION);
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
