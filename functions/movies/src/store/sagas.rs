//! `deletion_sagas`: the movie-deletion sagas the movies service runs, keyed by the saga id it
//! generated (never a client's value): which participants have set the movie's data aside,
//! the deadline, and how the saga ended. The writes are the platform's
//! (`streamia_shared::saga::owner`); this file says what a movie's saga keeps.

use bson::oid::ObjectId;
use bson::{doc, DateTime};
use futures_util::TryStreamExt;
use mongodb::Database;
use serde::{Deserialize, Serialize};
use streamia_shared::saga::owner::{self, Tracked, Tracker};

pub use streamia_shared::saga::owner::{SagaState, StepState, PARTICIPANTS};

use crate::domain::Movie;

/// One saga, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletionSaga {
    /// The saga id (a UUID the service generated).
    #[serde(rename = "_id")]
    pub id: String,
    /// The movie being deleted.
    pub movie_id: ObjectId,
    /// The request that started it (a label for logs).
    pub correlation_id: String,
    /// Running, completed or cancelled.
    pub state: SagaState,
    /// Each participant's step, by service name ([`PARTICIPANTS`]).
    pub steps: std::collections::BTreeMap<String, StepState>,
    /// When it started.
    pub started_at: DateTime,
    /// When a saga still running is cancelled by `movies-saga-deadline`.
    pub deadline: DateTime,
    /// When it ended.
    #[serde(default)]
    pub ended_at: Option<DateTime>,
    /// Why it was cancelled (`<service> failed: ...`, `deadline passed`).
    #[serde(default)]
    pub reason: Option<String>,
}

impl DeletionSaga {
    /// A new running saga for `movie` with every step pending.
    pub fn start(id: &str, movie: ObjectId, correlation_id: &str, deadline: DateTime) -> Self {
        Self {
            id: id.to_owned(),
            movie_id: movie,
            correlation_id: correlation_id.to_owned(),
            state: SagaState::Running,
            steps: owner::pending_steps(),
            started_at: DateTime::now(),
            deadline,
            ended_at: None,
            reason: None,
        }
    }

    /// Whether every participant has set the data aside.
    pub fn all_done(&self) -> bool {
        owner::all_done(&self.steps)
    }
}

impl Tracked for DeletionSaga {
    const SERVICE: &'static str = crate::SERVICE;
    const SUBJECT_FIELD: &'static str = "movieId";
    const DROPPED_AT_END: &'static [&'static str] = &[];
    fn id(&self) -> &str {
        &self.id
    }
    fn subject(&self) -> ObjectId {
        self.movie_id
    }
    fn correlation_id(&self) -> &str {
        &self.correlation_id
    }
}

/// The sagas (the platform's tracker). Cheap to clone.
pub type SagaStore = Tracker<DeletionSaga>;

/// The platform's indexes, then [`adopt_orphans`] (idempotent).
pub(crate) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    owner::create_indexes(db).await?;
    adopt_orphans(db).await
}

/// Movies marked `deleting` before sagas were recorded (their `movie.deleted` changed only the
/// copies) get a running saga due now, under the id the movie already carries, so
/// `movies-saga-deadline` cancels it on its next run: the movie is visible again (an
/// administrator deletes it again, now with a saga). Run by the setup step and by every
/// deadline run (idempotent; a few indexed reads: `status` leads the list indexes), so a
/// movie an old `movies-delete` marks during a deploy, after the setup step ran, is not left
/// hidden until the next setup.
pub(crate) async fn adopt_orphans(db: &Database) -> Result<(), mongodb::error::Error> {
    let movies = db.collection::<Movie>("movies");
    let sagas = db.collection::<DeletionSaga>(owner::COLLECTION);
    let tracker = SagaStore::new(db);
    let mut deleting = movies.find(doc! {"status": "deleting"}).await?;
    while let Some(movie) = deleting.try_next().await? {
        let id = match &movie.deletion_saga_id {
            Some(id) if tracker.is_running(id).await? => continue,
            // A record under this id that ended (never expected): a new id.
            Some(id) if tracker.get(id).await?.is_none() => id.clone(),
            _ => uuid::Uuid::new_v4().to_string(),
        };
        let swapped = movies
            .update_one(
                doc! {
                    "_id": movie.id, "status": "deleting",
                    "deletionSagaId": movie.deletion_saga_id.as_deref(),
                },
                doc! {"$set": {"deletionSagaId": &id}},
            )
            .await?;
        if swapped.matched_count == 0 {
            continue;
        }
        let saga = DeletionSaga::start(&id, movie.id, "setup-adopted", DateTime::now());
        match sagas.insert_one(&saga).await {
            Ok(_) => {}
            // Another adopter (the setup step and a deadline run at once) recorded it first.
            Err(e) if streamia_shared::db::duplicate_key_index(&e).is_some() => continue,
            Err(e) => return Err(e),
        }
        tracing::warn!(saga_id = %id, movie_id = %movie.id, "a movie deleting without a running saga: adopted, cancelled at the next deadline run");
    }
    Ok(())
}
