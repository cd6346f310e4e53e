//! The `comments` collection. Every read and write of the routes sees only the comments no
//! user-deletion saga has set aside (`saga::visible`); the saga's own three effects are the
//! last methods.

use bson::oid::ObjectId;
use bson::{doc, DateTime, Document};
use futures_util::TryStreamExt;
use mongodb::options::{IndexOptions, ReturnDocument, UpdateModifications};
use mongodb::{ClientSession, Collection, Database, IndexModel};
use streamia_shared::paging::Page;
use streamia_shared::saga::{self, visible};

use crate::domain::{Comment, CommentStatus};
use crate::error::CommentsError;

const COLLECTION: &str = "comments";

/// The comments.
#[derive(Clone)]
pub struct CommentStore {
    comments: Collection<Comment>,
}

/// The public list of a movie: its visible comments, and the deleted ones that have replies
/// (shown as deleted), newest first. Three equalities, all in the `public_listed` index, so
/// both the count and the page read only the listed comments' index keys.
fn public_filter(movie_id: ObjectId) -> Document {
    doc! {
        "movieId": movie_id,
        "status": CommentStatus::Visible.as_str(),
        "listed": true,
    }
}

impl CommentStore {
    /// The collection in the service's database (opens nothing).
    pub fn new(db: &Database) -> Self {
        Self {
            comments: db.collection(COLLECTION),
        }
    }

    /// A comment that is not deleted, whatever its status.
    pub async fn live(&self, id: ObjectId) -> Result<Option<Comment>, CommentsError> {
        Ok(self
            .comments
            .find_one(visible(doc! {"_id": id, "deleted": false}))
            .await?)
    }

    /// Inside a transaction: [`CommentStore::live`].
    pub async fn live_in(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
    ) -> Result<Option<Comment>, CommentsError> {
        Ok(self
            .comments
            .find_one(visible(doc! {"_id": id, "deleted": false}))
            .session(session)
            .await?)
    }

    /// A new comment (one single-document write, no transaction).
    pub async fn insert(&self, comment: &Comment) -> Result<(), CommentsError> {
        self.comments.insert_one(comment).await?;
        Ok(())
    }

    /// Before a reply is inserted: counts it on `parent` and marks the parent `listed` (so it
    /// stays in the public list, as deleted, if it is deleted later), if it is a visible,
    /// live comment of `movie_id`; `false` when it is not (unknown, deleted, flagged, hidden,
    /// or of another movie).
    ///
    /// One atomic single-document update, outside any transaction: the check and the mark
    /// cannot be separated by a deletion (a deletion after it keeps the parent listed, see
    /// [`CommentStore::soft_delete`]), and concurrent replies to a popular comment queue on
    /// the document instead of aborting and retrying each other's transactions.
    pub async fn mark_replied(
        &self,
        parent: ObjectId,
        movie_id: ObjectId,
    ) -> Result<bool, CommentsError> {
        let result = self
            .comments
            .update_one(
                visible(doc! {
                    "_id": parent, "movieId": movie_id, "deleted": false,
                    "status": CommentStatus::Visible.as_str(),
                }),
                doc! {"$inc": {"replyCount": 1}, "$set": {"listed": true}},
            )
            .await?;
        Ok(result.matched_count == 1)
    }

    /// One page of a movie's public list, and how many it holds in all. A page past the end
    /// is not fetched.
    pub async fn public_page(
        &self,
        movie_id: ObjectId,
        page: Page,
    ) -> Result<(Vec<Comment>, u64), CommentsError> {
        self.page(
            public_filter(movie_id),
            doc! {"createdAt": -1, "_id": -1},
            page,
        )
        .await
    }

    /// One page of the live comments in `status`, most recently changed first (what a
    /// moderator works through).
    pub async fn moderation_page(
        &self,
        status: CommentStatus,
        page: Page,
    ) -> Result<(Vec<Comment>, u64), CommentsError> {
        self.page(
            doc! {"status": status.as_str(), "deleted": false},
            doc! {"updatedAt": -1, "_id": -1},
            page,
        )
        .await
    }

    async fn page(
        &self,
        filter: Document,
        order: Document,
        page: Page,
    ) -> Result<(Vec<Comment>, u64), CommentsError> {
        let filter = visible(filter);
        let total = self.comments.count_documents(filter.clone()).await?;
        if page.is_past_end(total) {
            return Ok((Vec::new(), total));
        }
        let comments = self
            .comments
            .find(filter)
            .sort(order)
            .skip(page.skip())
            .limit(page.limit())
            .await?
            .try_collect()
            .await?;
        Ok((comments, total))
    }

    /// Sets a live, visible comment's text (marked edited, its text version one more);
    /// `None` when it is unknown, deleted, flagged or hidden (the status is in the filter, so
    /// a flag between the caller's check and this write still refuses the edit).
    pub async fn edit(&self, id: ObjectId, text: &str) -> Result<Option<Comment>, CommentsError> {
        self.change(
            doc! {"_id": id, "deleted": false, "status": CommentStatus::Visible.as_str()},
            doc! {
                "$set": {"text": text, "edited": true, "updatedAt": DateTime::now()},
                "$inc": {"textVersion": 1_i64},
            },
        )
        .await
    }

    /// Deletes a live comment, keeping the document for its replies (text removed); `None`
    /// when it is unknown or already deleted. It stays `listed` only if it has replies, read
    /// in the same atomic update as the deletion (a pipeline), so a reply counted just before
    /// keeps it listed and one counted just after ([`CommentStore::mark_replied`] refuses a
    /// deleted parent) cannot happen.
    pub async fn soft_delete(&self, id: ObjectId) -> Result<Option<Comment>, CommentsError> {
        self.change(
            doc! {"_id": id, "deleted": false},
            vec![doc! {"$set": {
                "text": null, "deleted": true,
                "listed": {"$gt": ["$replyCount", 0_i64]},
                "updatedAt": DateTime::now(),
            }}],
        )
        .await
    }

    /// Inside a report's transaction: counts one reporter on a live comment; the comment
    /// after the count, `None` when it is unknown or deleted.
    pub async fn count_report(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
    ) -> Result<Option<Comment>, CommentsError> {
        Ok(self
            .comments
            .find_one_and_update(
                visible(doc! {"_id": id, "deleted": false}),
                doc! {"$inc": {"reportCount": 1}},
            )
            .return_document(ReturnDocument::After)
            .session(session)
            .await?)
    }

    /// Inside a report's transaction: flags the comment if it is still visible with at least
    /// `threshold` reports (so it is flagged once per threshold reached, whoever reported
    /// last); the comment after the change, `None` when nothing changed.
    pub async fn flag(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
        threshold: i64,
    ) -> Result<Option<Comment>, CommentsError> {
        Ok(self
            .comments
            .find_one_and_update(
                visible(doc! {
                    "_id": id, "deleted": false,
                    "status": CommentStatus::Visible.as_str(),
                    "reportCount": {"$gte": threshold},
                }),
                doc! {
                    "$set": {"status": CommentStatus::Flagged.as_str(), "updatedAt": DateTime::now()},
                    "$inc": {"timesFlagged": 1},
                },
            )
            .return_document(ReturnDocument::After)
            .session(session)
            .await?)
    }

    /// An admin's approval: visible again, its count of reports since approval back to 0 and
    /// a new round of reports (`approvals`); `None` when the comment is unknown or deleted.
    pub async fn approve(&self, id: ObjectId) -> Result<Option<Comment>, CommentsError> {
        self.change(
            doc! {"_id": id, "deleted": false},
            doc! {
                "$set": {
                    "status": CommentStatus::Visible.as_str(), "reportCount": 0_i64,
                    "updatedAt": DateTime::now(),
                },
                "$inc": {"approvals": 1_i64},
            },
        )
        .await
    }

    /// An admin hides the comment; `None` when it is unknown or deleted.
    pub async fn hide(&self, id: ObjectId) -> Result<Option<Comment>, CommentsError> {
        self.change(
            doc! {"_id": id, "deleted": false},
            doc! {"$set": {
                "status": CommentStatus::Hidden.as_str(), "updatedAt": DateTime::now(),
            }},
        )
        .await
    }

    async fn change(
        &self,
        filter: Document,
        update: impl Into<UpdateModifications>,
    ) -> Result<Option<Comment>, CommentsError> {
        Ok(self
            .comments
            .find_one_and_update(visible(filter), update)
            .return_document(ReturnDocument::After)
            .await?)
    }

    /// The user-deletion saga `saga` sets aside every comment of `user`.
    pub async fn set_aside_user(&self, saga: &str, user: ObjectId) -> Result<(), CommentsError> {
        self.comments
            .update_many(doc! {"userId": user}, saga::set_aside(saga))
            .await?;
        Ok(())
    }

    /// The cancelled saga `saga` brings back the comments of `user` it set aside.
    pub async fn restore_user(&self, saga: &str, user: ObjectId) -> Result<(), CommentsError> {
        self.comments
            .update_many(
                saga::set_aside_by(doc! {"userId": user}, saga),
                saga::bring_back(),
            )
            .await?;
        Ok(())
    }

    /// The completed saga removes every comment of `user`: one with replies becomes a deleted
    /// comment (no text, shown as deleted, as a deletion by its author leaves it, so the
    /// replies of others keep their place), the others are deleted.
    pub async fn purge_user(&self, user: ObjectId) -> Result<(), CommentsError> {
        self.comments
            .update_many(
                doc! {"userId": user, "replyCount": {"$gt": 0_i64}},
                doc! {
                    "$set": {"text": null, "deleted": true, "listed": true, "updatedAt": DateTime::now()},
                    "$unset": {saga::ASIDE_BY_USER: ""},
                },
            )
            .await?;
        self.comments
            .delete_many(doc! {"userId": user, "deleted": false})
            .await?;
        self.comments
            .delete_many(
                doc! {"userId": user, "deleted": true, "replyCount": {"$not": {"$gt": 0_i64}}},
            )
            .await?;
        Ok(())
    }

    /// The movie-deletion saga `saga` sets aside every comment of `movie`.
    pub async fn set_aside_movie(&self, saga: &str, movie: ObjectId) -> Result<(), CommentsError> {
        self.comments
            .update_many(doc! {"movieId": movie}, saga::set_aside_movie(saga))
            .await?;
        Ok(())
    }

    /// The cancelled saga `saga` brings back the comments of `movie` it set aside.
    pub async fn restore_movie(&self, saga: &str, movie: ObjectId) -> Result<(), CommentsError> {
        self.comments
            .update_many(
                saga::set_aside_by_movie(doc! {"movieId": movie}, saga),
                saga::bring_back_movie(),
            )
            .await?;
        Ok(())
    }

    /// Up to `limit` ids of comments of `movie` (any state): the purge deletes their reports,
    /// then them.
    pub async fn ids_of_movie(
        &self,
        movie: ObjectId,
        limit: i64,
    ) -> Result<Vec<ObjectId>, CommentsError> {
        let mut cursor = self
            .comments
            .clone_with_type::<Document>()
            .find(doc! {"movieId": movie})
            .projection(doc! {"_id": 1})
            .limit(limit)
            .await?;
        let mut ids = Vec::new();
        while let Some(found) = cursor.try_next().await? {
            if let Ok(id) = found.get_object_id("_id") {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Deletes the comments `ids` (the movie's purge, after their reports).
    pub async fn delete_ids(&self, ids: &[ObjectId]) -> Result<(), CommentsError> {
        self.comments
            .delete_many(doc! {"_id": {"$in": ids}})
            .await?;
        Ok(())
    }
}

/// The indexes' names before `listed` existed, dropped once their replacements are built.
const OLD_INDEXES: [&str; 2] = ["public_list", "moderation"];

/// The public list's index (its three equalities, newest first, `_id` breaking ties) and the
/// moderation queue's (status and live, most recently changed first, `_id` breaking ties):
/// each list's filter and sort read in index order, its count from the keys alone.
///
/// First `listed` is backfilled on documents written before it existed (live, or deleted
/// with replies: what the public list's `$or` used to read), so that none leaves the list;
/// then the new indexes are built, and only then the old ones dropped (the lists are never
/// without an index).
pub(super) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let comments = db.collection::<Document>(COLLECTION);
    comments
        .update_many(
            doc! {"listed": {"$exists": false}},
            vec![doc! {"$set": {"listed": {"$or": [
                {"$eq": ["$deleted", false]},
                {"$gt": ["$replyCount", 0_i64]},
            ]}}}],
        )
        .await?;
    comments
        .create_indexes([
            IndexModel::builder()
                .keys(doc! {"movieId": 1, "status": 1, "listed": 1, "createdAt": -1, "_id": -1})
                .options(
                    IndexOptions::builder()
                        .name("public_listed".to_owned())
                        .build(),
                )
                .build(),
            IndexModel::builder()
                .keys(doc! {"status": 1, "deleted": 1, "updatedAt": -1, "_id": -1})
                .options(
                    IndexOptions::builder()
                        .name("moderation_queue".to_owned())
                        .build(),
                )
                .build(),
        ])
        .await?;
    for old in OLD_INDEXES {
        super::drop_index_if_exists(&comments, old).await?;
    }
    Ok(())
}
