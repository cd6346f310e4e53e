//! `ratings`: one document per (user, movie), written by single-document operations only
//! (never in a transaction: see the crate's docs). The reads, the summary included, see only
//! the ratings no user-deletion saga has set aside (`saga::visible`).

use bson::oid::ObjectId;
use bson::{doc, DateTime, Document};
use futures_util::TryStreamExt;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use streamia_shared::paging::Page;
use streamia_shared::saga::{self, visible};

use crate::domain::{Distribution, Rating, Score, Summary};

const COLLECTION: &str = "ratings";

/// What an upsert found and left.
#[derive(Debug, Clone)]
pub struct Upserted {
    /// The rating as it now is.
    pub rating: Rating,
    /// Whether it did not exist before (201) or did (200).
    pub created: bool,
}

/// The ratings collection. Cheap to clone.
#[derive(Clone)]
pub struct RatingStore {
    ratings: Collection<Rating>,
}

impl RatingStore {
    /// The collection in `db`.
    pub fn new(db: &Database) -> Self {
        Self {
            ratings: db.collection(COLLECTION),
        }
    }

    /// Sets `user`'s score of `movie` in one atomic single-document operation: an upsert on
    /// the unique (user, movie) pair returning the document as it was (none: created now).
    /// Two concurrent first ratings by the same user both try to insert and one fails on the
    /// unique index; it runs once more and finds the other's document (an update).
    pub async fn upsert(
        &self,
        user: ObjectId,
        movie: ObjectId,
        score: Score,
    ) -> Result<Upserted, mongodb::error::Error> {
        match self.upsert_once(user, movie, score).await {
            Err(e) if streamia_shared::db::duplicate_key_index(&e).is_some() => {
                self.upsert_once(user, movie, score).await
            }
            other => other,
        }
    }

    async fn upsert_once(
        &self,
        user: ObjectId,
        movie: ObjectId,
        score: Score,
    ) -> Result<Upserted, mongodb::error::Error> {
        let now = DateTime::now();
        let id = ObjectId::new();
        let before = self
            .ratings
            .find_one_and_update(
                doc! {"userId": user, "movieId": movie},
                doc! {
                    "$set": {"score": i32::from(score), "updatedAt": now},
                    "$setOnInsert": {"_id": id, "createdAt": now},
                },
            )
            .upsert(true)
            .return_document(ReturnDocument::Before)
            .await?;
        let created = before.is_none();
        let (id, created_at) = before.map_or((id, now), |b| (b.id, b.created_at));
        Ok(Upserted {
            rating: Rating {
                id,
                user_id: user,
                movie_id: movie,
                score,
                created_at,
                updated_at: now,
            },
            created,
        })
    }

    /// When `user` already rated `movie` with `score`: the rating with `updatedAt` now (a PUT
    /// of the same score is still a "set": first in the history), in one single-document
    /// update filtered on the score. `None`: no rating, or another score (the caller then
    /// writes it as a change). Filtering on the score makes the skipped summary work exact: a
    /// concurrent change of the score makes this match nothing.
    pub async fn touch_unchanged(
        &self,
        user: ObjectId,
        movie: ObjectId,
        score: Score,
    ) -> Result<Option<Rating>, mongodb::error::Error> {
        self.ratings
            .find_one_and_update(
                visible(doc! {"userId": user, "movieId": movie, "score": i32::from(score)}),
                doc! {"$set": {"updatedAt": DateTime::now()}},
            )
            .return_document(ReturnDocument::After)
            .await
    }

    /// Whether `user` has a rating of `movie` (a DELETE with nothing to delete marks nothing).
    pub async fn exists(
        &self,
        user: ObjectId,
        movie: ObjectId,
    ) -> Result<bool, mongodb::error::Error> {
        let n = self
            .ratings
            .count_documents(visible(doc! {"userId": user, "movieId": movie}))
            .limit(1)
            .await?;
        Ok(n > 0)
    }

    /// Deletes `user`'s rating of `movie`; whether there was one.
    pub async fn delete(
        &self,
        user: ObjectId,
        movie: ObjectId,
    ) -> Result<bool, mongodb::error::Error> {
        let deleted = self
            .ratings
            .delete_one(visible(doc! {"userId": user, "movieId": movie}))
            .await?;
        Ok(deleted.deleted_count > 0)
    }

    /// One page of `user`'s ratings, most recently set first, and how many there are in all
    /// (index `{userId, updatedAt, _id}`). A page past the end is not fetched.
    pub async fn of_user(
        &self,
        user: ObjectId,
        page: Page,
    ) -> Result<(Vec<Rating>, u64), mongodb::error::Error> {
        let filter = visible(doc! {"userId": user});
        let total = self.ratings.count_documents(filter.clone()).await?;
        if page.is_past_end(total) {
            return Ok((Vec::new(), total));
        }
        let ratings = self
            .ratings
            .find(filter)
            .sort(doc! {"updatedAt": -1, "_id": -1})
            .skip(page.skip())
            .limit(page.limit())
            .await?
            .try_collect()
            .await?;
        Ok((ratings, total))
    }

    /// `movie`'s summary computed from its ratings: one aggregation (`$match` on the movie,
    /// `$group` by score) over the index `{movieId, score}`, five groups at most.
    pub async fn summarize(&self, movie: ObjectId) -> Result<Summary, mongodb::error::Error> {
        let mut cursor = self
            .ratings
            .clone_with_type::<Document>()
            .aggregate([
                doc! {"$match": visible(doc! {"movieId": movie})},
                doc! {"$group": {"_id": "$score", "n": {"$sum": 1}}},
            ])
            .await?;
        let mut distribution = Distribution::default();
        while let Some(group) = cursor.try_next().await? {
            let score = integer(&group, "_id")
                .and_then(|s| u8::try_from(s).ok())
                .and_then(Score::new);
            let n = integer(&group, "n").and_then(|n| u64::try_from(n).ok());
            match (score, n) {
                (Some(score), Some(n)) => *distribution.of_mut(score) += n,
                // Only `Score`s are ever written; a stray value is not counted (and logged).
                _ => tracing::warn!(group = %group, "ratings: a score group that is not 1-5"),
            }
        }
        Ok(Summary { distribution })
    }
}

impl RatingStore {
    /// Every movie `user` rated (any rating, set aside or not): the summaries a saga's change
    /// of the user's ratings makes stale.
    pub async fn movies_of(&self, user: ObjectId) -> Result<Vec<ObjectId>, mongodb::error::Error> {
        let mut movies = Vec::new();
        let mut cursor = self
            .ratings
            .clone_with_type::<Document>()
            .find(doc! {"userId": user})
            .projection(doc! {"movieId": 1, "_id": 0})
            .await?;
        while let Some(rating) = cursor.try_next().await? {
            if let Ok(movie) = rating.get_object_id("movieId") {
                movies.push(movie);
            }
        }
        Ok(movies)
    }

    /// The user-deletion saga `saga` sets aside every rating of `user`.
    pub async fn set_aside_user(
        &self,
        saga: &str,
        user: ObjectId,
    ) -> Result<(), mongodb::error::Error> {
        self.ratings
            .update_many(doc! {"userId": user}, saga::set_aside(saga))
            .await?;
        Ok(())
    }

    /// The cancelled saga `saga` brings back the ratings of `user` it set aside.
    pub async fn restore_user(
        &self,
        saga: &str,
        user: ObjectId,
    ) -> Result<(), mongodb::error::Error> {
        self.ratings
            .update_many(
                saga::set_aside_by(doc! {"userId": user}, saga),
                saga::bring_back(),
            )
            .await?;
        Ok(())
    }

    /// The completed saga deletes every rating of `user`.
    pub async fn purge_user(&self, user: ObjectId) -> Result<(), mongodb::error::Error> {
        self.ratings.delete_many(doc! {"userId": user}).await?;
        Ok(())
    }

    /// The movie-deletion saga `saga` sets aside every rating of `movie`.
    pub async fn set_aside_movie(
        &self,
        saga: &str,
        movie: ObjectId,
    ) -> Result<(), mongodb::error::Error> {
        self.ratings
            .update_many(doc! {"movieId": movie}, saga::set_aside_movie(saga))
            .await?;
        Ok(())
    }

    /// The cancelled saga `saga` brings back the ratings of `movie` it set aside.
    pub async fn restore_movie(
        &self,
        saga: &str,
        movie: ObjectId,
    ) -> Result<(), mongodb::error::Error> {
        self.ratings
            .update_many(
                saga::set_aside_by_movie(doc! {"movieId": movie}, saga),
                saga::bring_back_movie(),
            )
            .await?;
        Ok(())
    }

    /// The completed saga deletes every rating of `movie`.
    pub async fn purge_movie(&self, movie: ObjectId) -> Result<(), mongodb::error::Error> {
        self.ratings.delete_many(doc! {"movieId": movie}).await?;
        Ok(())
    }
}

/// An integer field whichever width the server chose.
fn integer(doc: &Document, key: &str) -> Option<i64> {
    match doc.get(key)? {
        bson::Bson::Int32(n) => Some(i64::from(*n)),
        bson::Bson::Int64(n) => Some(*n),
        bson::Bson::Double(f) if f.fract() == 0.0 => Some(*f as i64),
        _ => None,
    }
}

/// The ratings' indexes: the unique pair every write filters on, the history's order, and the
/// summary aggregation's.
pub(crate) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let named = |name: &str, keys: Document, unique: bool| {
        IndexModel::builder()
            .keys(keys)
            .options(
                IndexOptions::builder()
                    .name(name.to_owned())
                    .unique(unique.then_some(true))
                    .build(),
            )
            .build()
    };
    db.collection::<Document>(COLLECTION)
        .create_indexes([
            named("user_movie_unique", doc! {"userId": 1, "movieId": 1}, true),
            named(
                "user_history",
                doc! {"userId": 1, "updatedAt": -1, "_id": -1},
                false,
            ),
            named("movie_score", doc! {"movieId": 1, "score": 1}, false),
        ])
        .await?;
    Ok(())
}
