//! The `favorites` collection. Every method takes the caller's user id and puts it in its
//! filter: no query here can reach another user's favorites. Every read and write of the
//! routes sees only what no deletion saga has set aside (`saga::visible`); the sagas' own
//! effects are the last methods (those of a movie's saga reach every user's favorite of that
//! movie, by design).

use bson::oid::ObjectId;
use bson::{doc, DateTime};
use futures_util::TryStreamExt;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use streamia_shared::paging::Page;
use streamia_shared::saga::{self, visible};

use crate::domain::Favorite;
use crate::error::FavoritesError;

const COLLECTION: &str = "favorites";

/// The names of the collection's indexes: `user_movie_unique` makes a second add of the same
/// movie by the same user fail (one favorite and one 409 under concurrency), and serves the
/// get, update and remove; `user_newest` serves the list's filter and order; `movie` serves a
/// movie-deletion saga's effects (every favorite of one movie).
pub const INDEXES: [&str; 3] = ["user_movie_unique", "user_newest", "movie"];

/// Each user's favorites.
#[derive(Clone)]
pub struct FavoriteStore {
    favorites: Collection<Favorite>,
}

impl FavoriteStore {
    /// The collection in the service's database (opens nothing).
    pub fn new(db: &Database) -> Self {
        Self {
            favorites: db.collection(COLLECTION),
        }
    }

    /// Adds `favorite`; `AlreadyFavorite` when its user already has its movie (the unique
    /// index decides, so two concurrent adds cannot both succeed).
    pub async fn insert(&self, favorite: &Favorite) -> Result<(), FavoritesError> {
        match self.favorites.insert_one(favorite).await {
            Ok(_) => Ok(()),
            Err(e) if streamia_shared::db::duplicate_key_index(&e).is_some() => {
                Err(FavoritesError::AlreadyFavorite)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `user`'s favorite of `movie`, if any.
    pub async fn get(
        &self,
        user: ObjectId,
        movie: ObjectId,
    ) -> Result<Option<Favorite>, FavoritesError> {
        Ok(self
            .favorites
            .find_one(visible(doc! {"userId": user, "movieId": movie}))
            .await?)
    }

    /// Sets the note of `user`'s favorite of `movie` (`None` clears it) and its `updatedAt`;
    /// the favorite as it is now, or `None` when there is no such favorite.
    pub async fn set_note(
        &self,
        user: ObjectId,
        movie: ObjectId,
        note: Option<&str>,
    ) -> Result<Option<Favorite>, FavoritesError> {
        Ok(self
            .favorites
            .find_one_and_update(
                visible(doc! {"userId": user, "movieId": movie}),
                doc! {"$set": {"note": note, "updatedAt": DateTime::now()}},
            )
            .return_document(ReturnDocument::After)
            .await?)
    }

    /// Removes `user`'s favorite of `movie`; whether there was one.
    pub async fn remove(&self, user: ObjectId, movie: ObjectId) -> Result<bool, FavoritesError> {
        let deleted = self
            .favorites
            .delete_one(visible(doc! {"userId": user, "movieId": movie}))
            .await?;
        Ok(deleted.deleted_count > 0)
    }

    /// How many favorites `user` has (on `user_newest`'s prefix).
    pub async fn count(&self, user: ObjectId) -> Result<u64, FavoritesError> {
        Ok(self
            .favorites
            .count_documents(visible(doc! {"userId": user}))
            .await?)
    }

    /// One page of `user`'s favorites, newest first (`user_newest` serves filter and order),
    /// with the next one after it when there is one (`Page::limit_with_next`: the caller
    /// counts only when the list goes on).
    pub async fn page(&self, user: ObjectId, page: Page) -> Result<Vec<Favorite>, FavoritesError> {
        Ok(self
            .favorites
            .find(visible(doc! {"userId": user}))
            .sort(doc! {"createdAt": -1, "_id": -1})
            .skip(page.skip())
            .limit(page.limit_with_next())
            .await?
            .try_collect()
            .await?)
    }

    /// The user-deletion saga `saga` sets aside every favorite of `user`.
    pub async fn set_aside_user(&self, saga: &str, user: ObjectId) -> Result<u64, FavoritesError> {
        let marked = self
            .favorites
            .update_many(doc! {"userId": user}, saga::set_aside(saga))
            .await?;
        Ok(marked.modified_count)
    }

    /// The cancelled saga `saga` brings back the favorites of `user` it set aside.
    pub async fn restore_user(&self, saga: &str, user: ObjectId) -> Result<u64, FavoritesError> {
        let back = self
            .favorites
            .update_many(
                saga::set_aside_by(doc! {"userId": user}, saga),
                saga::bring_back(),
            )
            .await?;
        Ok(back.modified_count)
    }

    /// The completed saga deletes every favorite of `user`.
    pub async fn purge_user(&self, user: ObjectId) -> Result<u64, FavoritesError> {
        Ok(self
            .favorites
            .delete_many(doc! {"userId": user})
            .await?
            .deleted_count)
    }

    /// The movie-deletion saga `saga` sets aside every favorite of `movie`.
    pub async fn set_aside_movie(
        &self,
        saga: &str,
        movie: ObjectId,
    ) -> Result<u64, FavoritesError> {
        let marked = self
            .favorites
            .update_many(doc! {"movieId": movie}, saga::set_aside_movie(saga))
            .await?;
        Ok(marked.modified_count)
    }

    /// The cancelled saga `saga` brings back the favorites of `movie` it set aside.
    pub async fn restore_movie(&self, saga: &str, movie: ObjectId) -> Result<u64, FavoritesError> {
        let back = self
            .favorites
            .update_many(
                saga::set_aside_by_movie(doc! {"movieId": movie}, saga),
                saga::bring_back_movie(),
            )
            .await?;
        Ok(back.modified_count)
    }

    /// Inside a purge's transaction: up to `limit` favorites of `movie`, each owner to be told
    /// (also one whose own deletion is running: it may still be cancelled, and then they had
    /// a favorite that is gone; the notification service waits for that saga's end to decide).
    pub async fn of_movie_to_alert(
        &self,
        session: &mut mongodb::ClientSession,
        movie: ObjectId,
        limit: i64,
    ) -> Result<Vec<Favorite>, mongodb::error::Error> {
        self.favorites
            .find(doc! {"movieId": movie})
            .limit(limit)
            .session(&mut *session)
            .await?
            .stream(session)
            .try_collect()
            .await
    }

    /// Inside a purge's transaction: deletes the favorites `ids`.
    pub async fn delete_ids(
        &self,
        session: &mut mongodb::ClientSession,
        ids: &[ObjectId],
    ) -> Result<u64, mongodb::error::Error> {
        Ok(self
            .favorites
            .delete_many(doc! {"_id": {"$in": ids}})
            .session(session)
            .await?
            .deleted_count)
    }

    /// The completed saga deletes every favorite of `movie` left (none, once the rounds of
    /// alerts are done; a backstop, in case a favorite was written after the last round).
    pub async fn purge_movie(&self, movie: ObjectId) -> Result<u64, FavoritesError> {
        Ok(self
            .favorites
            .delete_many(doc! {"movieId": movie})
            .await?
            .deleted_count)
    }
}

/// The indexes of [`INDEXES`] (idempotent).
pub(crate) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let favorites: Collection<Favorite> = db.collection(COLLECTION);
    let named = |name: &str| IndexOptions::builder().name(name.to_owned()).build();
    let unique = IndexOptions::builder()
        .name(INDEXES[0].to_owned())
        .unique(true)
        .build();
    favorites
        .create_indexes([
            IndexModel::builder()
                .keys(doc! {"userId": 1, "movieId": 1})
                .options(unique)
                .build(),
            IndexModel::builder()
                .keys(doc! {"userId": 1, "createdAt": -1, "_id": -1})
                .options(named(INDEXES[1]))
                .build(),
            IndexModel::builder()
                .keys(doc! {"movieId": 1})
                .options(named(INDEXES[2]))
                .build(),
        ])
        .await?;
    Ok(())
}
