//! The `reports` collection: one document per user and version of a comment's text, ever (a
//! unique index), kept after an approval so an earlier reporter cannot report the same text
//! again; an edit makes a new version, which they may report.

use bson::oid::ObjectId;
use bson::{doc, DateTime, Document};
use mongodb::options::IndexOptions;
use mongodb::{ClientSession, Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};

use crate::domain::Comment;
use crate::error::CommentsError;

const COLLECTION: &str = "reports";

/// The unique index's name, which a duplicate-key error names.
const UNIQUE: &str = "one_report_per_text_version";

/// The unique index before text versions (one report per user and comment, ever), dropped once
/// its replacement is built.
const OLD_UNIQUE: &str = "one_report_per_user";

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
    /// The comment's text version it was made on ([`crate::domain::Comment::text_version`]).
    #[serde(default)]
    pub text_version: i64,
    /// The comment's approvals when it was made: its round of moderation
    /// ([`crate::domain::Comment::approvals`]).
    #[serde(default)]
    pub approvals: i64,
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

    /// Inside a report's transaction: records the report of `comment`'s current text;
    /// `AlreadyReported` when this user reported this text version before (the unique index
    /// decides, so concurrent duplicates give one report and one 409).
    pub async fn insert(
        &self,
        session: &mut ClientSession,
        comment: &Comment,
        user_id: ObjectId,
        reason: Option<String>,
    ) -> Result<(), CommentsError> {
        let report = Report {
            id: ObjectId::new(),
            comment_id: comment.id,
            user_id,
            text_version: comment.text_version,
            approvals: comment.approvals,
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

    /// Inside a report's transaction: whether `user_id` already reported another text version
    /// of `comment` in its current round (since its last approval), so is already counted
    /// among its distinct reporters.
    pub async fn counted_in_round(
        &self,
        session: &mut ClientSession,
        comment: &Comment,
        user_id: ObjectId,
    ) -> Result<bool, CommentsError> {
        Ok(self
            .reports
            .find_one(doc! {
                "commentId": comment.id, "userId": user_id,
                "approvals": comment.approvals,
                "textVersion": {"$ne": comment.text_version},
            })
            .session(session)
            .await?
            .is_some())
    }

    /// How many reports `comment_id` has had, ever (tests and moderators).
    pub async fn count(&self, comment_id: ObjectId) -> Result<u64, CommentsError> {
        Ok(self
            .reports
            .count_documents(doc! {"commentId": comment_id})
            .await?)
    }

    /// The completed movie-deletion saga deletes the reports of the movie's comments `comments`.
    pub async fn purge_comments(&self, comments: &[ObjectId]) -> Result<(), CommentsError> {
        self.reports
            .delete_many(doc! {"commentId": {"$in": comments}})
            .await?;
        Ok(())
    }

    /// The completed user-deletion saga deletes the reports `user` wrote (their reasons are
    /// the user's words).
    pub async fn purge_user(&self, user: ObjectId) -> Result<(), CommentsError> {
        self.reports.delete_many(doc! {"userId": user}).await?;
        Ok(())
    }
}

/// One report per (comment, user, text version), ever.
///
/// Reports written before text versions get version 0 and round 0 (every comment's
/// `textVersion` and `approvals` read as 0 when missing) before the new unique index is built;
/// the old (comment, user) one is dropped only after, so uniqueness never lapses. (Approvals
/// made before were not counted: on such a comment, an older reporter who reports a later edit
/// is taken as already counted in the round, a possible under-count by the older reporters
/// only, never a second count.)
pub(super) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let reports = db.collection::<Document>(COLLECTION);
    reports
        .update_many(
            doc! {"textVersion": {"$exists": false}},
            doc! {"$set": {"textVersion": 0_i64, "approvals": 0_i64}},
        )
        .await?;
    reports
        .create_index(
            IndexModel::builder()
                .keys(doc! {"commentId": 1, "userId": 1, "textVersion": 1})
                .options(
                    IndexOptions::builder()
                        .name(UNIQUE.to_owned())
                        .unique(true)
                        .build(),
                )
                .build(),
        )
        .await?;
    super::drop_index_if_exists(&reports, OLD_UNIQUE).await
}
