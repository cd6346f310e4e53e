//! A participant's memory of the sagas it took part in: `saga_steps` in its own database,
//! `{_id: sagaId, subject, state: "aside"|"restored"|"purged", startedAt, endedAt}`.
//!
//! Why: SNS and SQS deliver in any order and a dead-letter queue can be redriven days later,
//! so a participant may see a saga's start after its end. The ledger says the saga ended
//! (and how): a late start then changes nothing. Ended entries are purged by a TTL index
//! [`crate::events::RETENTION`] after `endedAt`, the time a message can still come back from
//! a dead-letter queue; entries of running sagas are never purged.

use bson::{doc, DateTime, Document};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};

const COLLECTION: &str = "saga_steps";
/// The TTL index purging ended entries.
pub const ENDED_TTL_INDEX: &str = "ended_ttl";

/// Where a saga is, as far as this participant knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    /// Started: the subject's data is set aside (or being set aside).
    Aside,
    /// Cancelled: the data is back.
    Restored,
    /// Completed: the data is gone for good.
    Purged,
}

impl StepState {
    fn as_str(self) -> &'static str {
        match self {
            StepState::Aside => "aside",
            StepState::Restored => "restored",
            StepState::Purged => "purged",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "aside" => Some(StepState::Aside),
            "restored" => Some(StepState::Restored),
            "purged" => Some(StepState::Purged),
            _ => None,
        }
    }
}

/// The `saga_steps` collection of one participant's database. Cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    steps: Collection<Document>,
}

impl Ledger {
    /// The collection in `db` (opens nothing).
    pub fn new(db: &Database) -> Self {
        Self {
            steps: db.collection(COLLECTION),
        }
    }

    /// Records that `saga` started here for `subject`, unless it is known already; the state
    /// it is in now (`Aside`, or how it ended: then the start is late and must change nothing).
    pub async fn begin(
        &self,
        saga: &str,
        subject: &str,
    ) -> Result<StepState, mongodb::error::Error> {
        let upsert = || {
            self.steps
                .find_one_and_update(
                    doc! {"_id": saga},
                    doc! {"$setOnInsert": {
                        "subject": subject, "state": StepState::Aside.as_str(),
                        "startedAt": DateTime::now(),
                    }},
                )
                .upsert(true)
                .return_document(ReturnDocument::After)
        };
        let found = match upsert().await {
            // Two deliveries inserting at once: one lost on `_id`; the entry exists now.
            Err(e) if crate::db::duplicate_key_index(&e).is_some() => upsert().await?,
            other => other?,
        };
        Ok(found
            .as_ref()
            .and_then(|d| d.get_str("state").ok())
            .and_then(StepState::parse)
            .unwrap_or(StepState::Aside))
    }

    /// Records that `saga` ended as `end` (`Restored` or `Purged`), even if its start never
    /// reached this participant; the first end recorded stays (a saga ends once). Returns the
    /// end in effect.
    pub async fn end(
        &self,
        saga: &str,
        subject: &str,
        end: StepState,
    ) -> Result<StepState, mongodb::error::Error> {
        let now = DateTime::now();
        let ended = self
            .steps
            .find_one_and_update(
                doc! {"_id": saga, "state": StepState::Aside.as_str()},
                doc! {"$set": {"state": end.as_str(), "endedAt": now}},
            )
            .await?;
        if ended.is_some() {
            return Ok(end);
        }
        let entry = doc! {
            "_id": saga, "subject": subject, "state": end.as_str(),
            "startedAt": now, "endedAt": now,
        };
        match self.steps.insert_one(entry).await {
            Ok(_) => Ok(end),
            // It exists: ended before (or started just now and must be ended: try again).
            Err(e) if crate::db::duplicate_key_index(&e).is_some() => {
                match self.state(saga).await? {
                    Some(StepState::Aside) => Box::pin(self.end(saga, subject, end)).await,
                    Some(other) => Ok(other),
                    None => Ok(end),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The state of `saga` here, if it was ever seen.
    pub async fn state(&self, saga: &str) -> Result<Option<StepState>, mongodb::error::Error> {
        Ok(self
            .steps
            .find_one(doc! {"_id": saga})
            .await?
            .as_ref()
            .and_then(|d| d.get_str("state").ok())
            .and_then(StepState::parse))
    }
}

/// The ledger's TTL index (idempotent); the participant's setup step calls it.
pub async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    db.collection::<Document>(COLLECTION)
        .create_index(
            IndexModel::builder()
                .keys(doc! {"endedAt": 1})
                .options(
                    IndexOptions::builder()
                        .name(ENDED_TTL_INDEX.to_owned())
                        .expire_after(crate::events::RETENTION)
                        .build(),
                )
                .build(),
        )
        .await?;
    Ok(())
}
