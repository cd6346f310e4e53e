//! The `reports` collection: one document per user and comment, ever (a unique index), kept
//! after an approval so an earlier reporter cannot report the comment again.

use bson::oid::ObjectId;
use bson::{doc, DateTime, Document};
use mongodb::options::IndexOptions;
use mongodb::{ClientSession, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use crate::error::CommentsError;

const COLLECTION: &str = "reports";

/// The unique index's name, which a duplicate-key error names.
const UNIQUE: &str = "one_report_per_user";

/// One user's report of one comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Its id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// The comment.
    pub comment_id: ObjectId,
    /// The reporter.
    pub user_id: ObjectId,
    /// Why, if they said.
    pub reason: Option<String>,
    /// When.
    pub created_at: DateTime,
}

/// The reports.
#[derive(Clone)]
pub struct ReportStore {
    reports: Collection<Report>,
}

impl ReportStore {
    /// The collection in the service's database (opens nothing).
    pub fn new(db: &Database) -> Self {
        Self {
            reports: db.collection(COLLECTION),
        }
    }

    /// Inside a report's transaction: records the report; `AlreadyReported` when this user
    /// reported this comment before (the unique index decides, so concurrent duplicates give
    /// one report and one 409).
    pub async fn insert(
        &self,
        session: &mut ClientSession,
        comment_id: ObjectId,
        user_id: ObjectId,
        reason: Option<String>,
    ) -> Result<(), CommentsError> {
        let report = Report {
            id: ObjectId::new(),
            comment_id,
            user_id,
            reason,
            created_at: DateTime::now(),
        };
        match self.reports.insert_one(&report).session(session).await {
            Ok(_) => Ok(()),
            Err(e) if streamia_shared::db::duplicate_key_index(&e).is_some() => {
                Err(CommentsError::AlreadyReported)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// How many reports `comment_id` has had, ever (tests and moderators).
    pub async fn count(&self, comment_id: ObjectId) -> Result<u64, CommentsError> {
        Ok(self
            .reports
            .count_documents(doc! {"commentId": comment_id})
            .await?)
    }
}

/// One report per (comment, user), ever.
pub(super) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    db.collection::<Document>(COLLECTION)
        .create_index(
            IndexModel::builder()
                .keys(doc! {"commentId": 1, "userId": 1})
                .options(
                    IndexOptions::builder()
                        .name(UNIQUE.to_owned())
                        .unique(true)
                        .build(),
                )
                .build(),
        )
        .await?;
    Ok(())
}
