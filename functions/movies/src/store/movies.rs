//! The `movies` collection.

use bson::oid::ObjectId;
use bson::{doc, Bson, DateTime, Document};
use futures_util::TryStreamExt;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{ClientSession, Collection, Database, IndexModel};
use streamia_shared::fields::Patch;
use streamia_shared::paging::Page;
use streamia_shared::search::SearchTerm;

use crate::domain::{Movie, MovieStatus, Sort, Subtitle, Video};
use crate::error::MoviesError;

const COLLECTION: &str = "movies";

/// What a list asks for besides its page: the filters and the order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Case-insensitive literal substring of the title.
    pub search: Option<SearchTerm>,
    /// Exact (lower-case) category.
    pub category: Option<String>,
    /// Order.
    pub sort: Sort,
}

impl ListQuery {
    /// The filter: visible movies only (`deleting` and later never appear), then the
    /// category and the title search.
    fn filter(&self) -> Document {
        let mut filter = doc! {"status": "active"};
        if let Some(category) = &self.category {
            filter.insert("category", category.as_str());
        }
        if let Some(term) = &self.search {
            filter.extend(term.filter("title"));
        }
        filter
    }

    /// The order, with `_id` last so that equal keys page deterministically.
    fn order(&self) -> Document {
        match self.sort {
            Sort::Newest => doc! {"createdAt": -1, "_id": -1},
            Sort::Title => doc! {"titleSort": 1, "_id": 1},
            Sort::Rating => doc! {"ratingAverage": -1, "ratingCount": -1, "_id": -1},
        }
    }

    /// A stable text naming this query (and `page`), for cache keys.
    pub fn cache_key(&self, page: Page) -> String {
        serde_json::json!([
            self.sort.as_str(),
            self.category,
            self.search.as_ref().map(SearchTerm::as_str),
            page.number(),
            page.size(),
        ])
        .to_string()
    }
}

/// The fields an update may change; `Absent` leaves a field alone, `Null` clears an optional
/// one.
#[derive(Debug, Default, Clone)]
pub struct MovieChanges {
    /// New title.
    pub title: Option<String>,
    /// New description, or cleared.
    pub description: Patch<String>,
    /// New category.
    pub category: Option<String>,
    /// New duration.
    pub duration: Option<i64>,
    /// New cover, or cleared.
    pub cover_image: Patch<String>,
    /// New year, or cleared.
    pub release_year: Patch<i32>,
}

impl MovieChanges {
    /// camelCase names of the fields this change touches.
    pub fn field_names(&self) -> Vec<String> {
        [
            ("title", self.title.is_some()),
            ("description", self.description.is_present()),
            ("category", self.category.is_some()),
            ("duration", self.duration.is_some()),
            ("coverImage", self.cover_image.is_present()),
            ("releaseYear", self.release_year.is_present()),
        ]
        .into_iter()
        .filter(|(_, present)| *present)
        .map(|(name, _)| name.to_owned())
        .collect()
    }

    fn set(&self) -> Document {
        let mut set = doc! {"updatedAt": DateTime::now()};
        if let Some(title) = &self.title {
            set.insert("title", title.as_str());
            set.insert("titleSort", title.to_lowercase());
        }
        if let Some(category) = &self.category {
            set.insert("category", category.as_str());
        }
        if let Some(duration) = self.duration {
            set.insert("duration", duration);
        }
        set_patch(&mut set, "description", &self.description);
        set_patch(&mut set, "coverImage", &self.cover_image);
        set_patch(&mut set, "releaseYear", &self.release_year);
        set
    }
}

fn set_patch<T: Into<Bson> + Clone>(set: &mut Document, key: &str, patch: &Patch<T>) {
    match patch {
        Patch::Absent => {}
        Patch::Null => {
            set.insert(key, Bson::Null);
        }
        Patch::Value(v) => {
            set.insert(key, v.clone().into());
        }
    }
}

/// The catalog.
#[derive(Clone)]
pub struct MovieStore {
    movies: Collection<Movie>,
}

impl MovieStore {
    /// The collection in the service's database (opens nothing).
    pub fn new(db: &Database) -> Self {
        Self {
            movies: db.collection(COLLECTION),
        }
    }

    /// Inside the create's transaction.
    pub async fn insert(
        &self,
        session: &mut ClientSession,
        movie: &Movie,
    ) -> Result<(), MoviesError> {
        self.movies.insert_one(movie).session(session).await?;
        Ok(())
    }

    /// A movie anyone may read: `None` when unknown or being deleted.
    pub async fn visible(&self, id: ObjectId) -> Result<Option<Movie>, MoviesError> {
        Ok(self
            .movies
            .find_one(doc! {"_id": id, "status": "active"})
            .await?)
    }

    /// One page of the visible movies matching `query`, and how many match in all. A page
    /// past the end is not fetched.
    pub async fn list(
        &self,
        query: &ListQuery,
        page: Page,
    ) -> Result<(Vec<Movie>, u64), MoviesError> {
        let filter = query.filter();
        let total = self.movies.count_documents(filter.clone()).await?;
        if page.is_past_end(total) {
            return Ok((Vec::new(), total));
        }
        let movies = self
            .movies
            .find(filter)
            .sort(query.order())
            .skip(page.skip())
            .limit(page.limit())
            .await?
            .try_collect()
            .await?;
        Ok((movies, total))
    }

    /// Inside the update's transaction: applies `changes` to an active movie and counts a new
    /// version; `None` when it is unknown or being deleted.
    pub async fn update(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
        changes: &MovieChanges,
    ) -> Result<Option<Movie>, MoviesError> {
        Ok(self
            .movies
            .find_one_and_update(
                doc! {"_id": id, "status": "active"},
                doc! {"$set": changes.set(), "$inc": {"version": 1}},
            )
            .return_document(ReturnDocument::After)
            .session(session)
            .await?)
    }

    /// Inside the delete's transaction: an active movie becomes `deleting` (hidden from every
    /// read from the commit on) with the saga's id; `None` when it is unknown or already being
    /// deleted.
    pub async fn mark_deleting(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
        saga_id: &str,
    ) -> Result<Option<Movie>, MoviesError> {
        Ok(self
            .movies
            .find_one_and_update(
                doc! {"_id": id, "status": "active"},
                doc! {
                    "$set": {
                        "status": bson::to_bson(&MovieStatus::Deleting).unwrap_or(Bson::Null),
                        "deletionSagaId": saga_id,
                        "updatedAt": DateTime::now(),
                    },
                    "$inc": {"version": 1},
                },
            )
            .return_document(ReturnDocument::After)
            .session(session)
            .await?)
    }

    /// Inside the saga's completion: the movie saga `saga_id` is deleting, removed for good
    /// (as it was: its media keys are scheduled for deletion by the caller); `None` when this
    /// saga is not deleting it.
    pub async fn remove_for_good(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
        saga_id: &str,
    ) -> Result<Option<Movie>, MoviesError> {
        Ok(self
            .movies
            .find_one_and_delete(doc! {"_id": id, "status": "deleting", "deletionSagaId": saga_id})
            .session(session)
            .await?)
    }

    /// Inside the saga's cancellation: the movie saga `saga_id` was deleting is active again (a
    /// new version, visible from the commit on); `None` when this saga is not deleting it.
    pub async fn reactivate(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
        saga_id: &str,
    ) -> Result<Option<Movie>, MoviesError> {
        Ok(self
            .movies
            .find_one_and_update(
                doc! {"_id": id, "status": "deleting", "deletionSagaId": saga_id},
                doc! {
                    "$set": {
                        "status": bson::to_bson(&MovieStatus::Active).unwrap_or(Bson::Null),
                        "updatedAt": DateTime::now(),
                    },
                    "$unset": {"deletionSagaId": ""},
                    "$inc": {"version": 1},
                },
            )
            .return_document(ReturnDocument::After)
            .session(session)
            .await?)
    }

    /// Inside the video confirmation's transaction: records `video` on an active movie (a
    /// new version). The video it replaces (its object is deleted after the commit) and the
    /// movie as it is now; `None` when the movie is unknown or being deleted.
    pub async fn set_video(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
        video: &Video,
    ) -> Result<Option<(Option<Video>, Movie)>, MoviesError> {
        let now = DateTime::now();
        let before = self
            .movies
            .find_one_and_update(
                doc! {"_id": id, "status": "active"},
                doc! {
                    "$set": {
                        "video": {
                            "key": video.key.as_str(),
                            "format": video.format.as_str(),
                            "sizeBytes": video.size_bytes,
                        },
                        "updatedAt": now,
                    },
                    "$inc": {"version": 1},
                },
            )
            .return_document(ReturnDocument::Before)
            .session(session)
            .await?;
        Ok(before.map(|mut movie| {
            let replaced = movie.video.replace(video.clone());
            movie.version += 1;
            movie.updated_at = now;
            (replaced, movie)
        }))
    }

    /// Sets an active movie's subtitle tracks to `subtitles` if it is still at `version`, in
    /// `session`'s transaction (read-modify-write: a concurrent change makes it `None`, and the
    /// caller reads again).
    pub async fn set_subtitles(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
        version: i64,
        subtitles: &[Subtitle],
    ) -> Result<Option<Movie>, MoviesError> {
        let tracks: Vec<Document> = subtitles
            .iter()
            .map(|s| doc! {"language": s.language.as_str(), "label": s.label.as_str(), "key": s.key.as_str()})
            .collect();
        Ok(self
            .movies
            .find_one_and_update(
                doc! {"_id": id, "status": "active", "version": version},
                doc! {
                    "$set": {"subtitles": tracks, "updatedAt": DateTime::now()},
                    "$inc": {"version": 1},
                },
            )
            .return_document(ReturnDocument::After)
            .session(session)
            .await?)
    }

    /// The collection itself, for the operator's republishing (`ops::republish`), which the
    /// platform walks by `_id` (every item, any status) and resumes from the last id reached.
    pub fn collection(&self) -> &mongodb::Collection<Movie> {
        &self.movies
    }

    /// Inside a transaction: the movie as that transaction sees it, any status (`None` when
    /// unknown). The republishing reads it there, so the snapshot it stages is the one of the
    /// version the outbox numbers (a concurrent change conflicts and one of the two runs again).
    pub async fn read_in(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
    ) -> Result<Option<Movie>, MoviesError> {
        Ok(self
            .movies
            .find_one(doc! {"_id": id})
            .session(session)
            .await?)
    }

    /// Inside the consumer's inbox transaction: sets the rating summary of version `version`
    /// if it is newer than the one the movie holds (any status: a movie being deleted may
    /// come back). `None` when the movie is unknown or already holds a newer summary.
    pub async fn apply_rating(
        &self,
        session: &mut ClientSession,
        id: ObjectId,
        average: f64,
        count: i64,
        version: i64,
    ) -> Result<Option<Movie>, MoviesError> {
        Ok(self
            .movies
            .find_one_and_update(
                doc! {"_id": id, "ratingVersion": {"$lt": version}},
                doc! {
                    "$set": {
                        "ratingAverage": average,
                        "ratingCount": count,
                        "ratingVersion": version,
                    },
                    "$inc": {"version": 1},
                },
            )
            .return_document(ReturnDocument::After)
            .session(session)
            .await?)
    }
}

/// An index: its name and how its keys are built.
pub type IndexSpec = (&'static str, fn() -> Document);

/// Index names, one per query shape.
pub const INDEXES: [IndexSpec; 6] = [
    (
        "list_newest",
        || doc! {"status": 1, "createdAt": -1, "_id": -1},
    ),
    (
        "list_title",
        || doc! {"status": 1, "titleSort": 1, "_id": 1},
    ),
    ("list_rating", || {
        doc! {"status": 1, "ratingAverage": -1, "ratingCount": -1, "_id": -1}
    }),
    ("category_newest", || {
        doc! {"status": 1, "category": 1, "createdAt": -1, "_id": -1}
    }),
    ("category_title", || {
        doc! {"status": 1, "category": 1, "titleSort": 1, "_id": 1}
    }),
    ("category_rating", || {
        doc! {"status": 1, "category": 1, "ratingAverage": -1, "ratingCount": -1, "_id": -1}
    }),
];

/// Every list query filters on `status` (and maybe `category`) and sorts by one of three
/// keys: one compound index per shape serves the filter and the sort without an in-memory
/// sort. A title search (an unanchored, case-insensitive regex, which no B-tree index can
/// seek) runs over the same index, filtering the titles it walks. Lookups by id use `_id`.
pub(crate) async fn create_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let models = INDEXES.iter().map(|(name, keys)| {
        IndexModel::builder()
            .keys(keys())
            .options(IndexOptions::builder().name((*name).to_owned()).build())
            .build()
    });
    db.collection::<Document>(COLLECTION)
        .create_indexes(models)
        .await?;
    Ok(())
}
