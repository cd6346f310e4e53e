//! Events the movies service publishes. Consumers (favorites, ratings, comments, the movie
//! deletion saga) keep copies of a movie's `title`, `coverImage` and `status`; an incompatible
//! change is a new version (ARCHITECTURE.md, "An event"), an added optional field is compatible.
//!
//! Every event of a movie's life (`movie.created`, `movie.updated`, `movie.deleted`) carries the
//! whole snapshot such a copy keeps, not only what changed: SNS/SQS deliver them in any order,
//! and a consumer applying only the newest one (`events::projection`, by the envelope's
//! `aggregateVersion`, numbered per movie by the movies outbox) must find in it everything the
//! in-order result would hold.

use serde::{Deserialize, Serialize};

use super::Event;

/// Where a movie is in its life, as copies of it keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MovieStatus {
    /// Listed and readable.
    Active,
    /// The deletion saga is running: hidden from every read (404), reversible until the saga
    /// completes.
    Deleting,
}

/// A movie entered the catalog.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MovieCreated {
    /// The movie's id.
    pub movie_id: String,
    /// Its title.
    pub title: String,
    /// Its cover (an https URL), if any.
    pub cover_image: Option<String>,
    /// `active`.
    pub status: MovieStatus,
}

impl Event for MovieCreated {
    const NAME: &'static str = "movie.created";
    fn aggregate_id(&self) -> &str {
        &self.movie_id
    }
}

/// A movie's fields changed. Carries the current snapshot, plus the camelCase names of the
/// fields the change touched (a copy keeping only the title can skip other changes).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MovieUpdated {
    /// The movie.
    pub movie_id: String,
    /// Current title.
    pub title: String,
    /// Current cover, if any.
    pub cover_image: Option<String>,
    /// `active` (only an active movie can be updated).
    pub status: MovieStatus,
    /// The camelCase names of the fields that changed.
    pub changed: Vec<String>,
}

impl Event for MovieUpdated {
    const NAME: &'static str = "movie.updated";
    fn aggregate_id(&self) -> &str {
        &self.movie_id
    }
}

/// An administrator deleted a movie: it is now BEING deleted (status `deleting`, hidden from
/// every read at once). Starts the movie-deletion saga (favorites, with their alert emails,
/// ratings and comments remove theirs and confirm; the saga itself is a later issue). Carries
/// the snapshot a copy keeps, so a copy that sees it first is already right, and the title the
/// favorites' alert emails name. It may arrive more than once with different event ids (an
/// operator's `movies-republish` sends the snapshot of a movie being deleted again): a saga
/// participant keys its work on `sagaId`, never on the event id alone.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MovieDeleted {
    /// The saga's id (the movies service made it; the correlation id is the request's, a
    /// label for logs only).
    pub saga_id: String,
    /// The movie being deleted.
    pub movie_id: String,
    /// Its title when the deletion started.
    pub title: String,
    /// Its cover when the deletion started, if any.
    pub cover_image: Option<String>,
    /// `deleting`.
    pub status: MovieStatus,
}

impl Event for MovieDeleted {
    const NAME: &'static str = "movie.deleted";
    fn aggregate_id(&self) -> &str {
        &self.movie_id
    }
}

/// An administrator confirmed a movie's video upload: the object is in the media storage,
/// checked against what was signed, and recorded on the movie (a replaced video's old object
/// is deleted). Carries the snapshot copies keep, like every movie event, plus the video's
/// storage key (never a URL: viewers get short-lived signed URLs from the movies service),
/// content type and size.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MovieVideoUploaded {
    /// The movie.
    pub movie_id: String,
    /// Current title.
    pub title: String,
    /// Current cover, if any.
    pub cover_image: Option<String>,
    /// `active` (only an active movie gets a video).
    pub status: MovieStatus,
    /// The video's key in the media storage (`movies/<id>/video/<name>.<ext>`).
    pub video_key: String,
    /// Its content type (`video/mp4`, ...).
    pub format: String,
    /// Its size in bytes.
    pub size_bytes: u64,
}

impl Event for MovieVideoUploaded {
    const NAME: &'static str = "movie.video_uploaded";

    fn aggregate_id(&self) -> &str {
        &self.movie_id
    }
}

/// The movie-deletion saga was compensated (a participant failed for good, or the deadline
/// passed): the movie is `active` again and every participant brings back what it set aside.
/// Carries the snapshot copies keep, so a copy that applies it (it is newer than the
/// `movie.deleted` before it) shows the movie again.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MovieDeletionCancelled {
    /// The saga (from `movie.deleted`).
    pub saga_id: String,
    /// The movie, back in the catalog.
    pub movie_id: String,
    /// Its title.
    pub title: String,
    /// Its cover, if any.
    pub cover_image: Option<String>,
    /// `active`.
    pub status: MovieStatus,
    /// Why, for operators (`<service> failed: ...`, `deadline passed`; no user data).
    pub reason: String,
}

impl Event for MovieDeletionCancelled {
    const NAME: &'static str = "movie.deletion_cancelled";
    fn aggregate_id(&self) -> &str {
        &self.movie_id
    }
}

/// The movie-deletion saga completed: every participant had set the movie's data aside, the
/// movie is gone for good and its media are queued for deletion. Each participant purges what
/// it set aside; favorites tells each user who had favorited it (`favorite.movie_removed`),
/// with the title this event carries. Copies become tombstones.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MovieDeletionCompleted {
    /// The saga.
    pub saga_id: String,
    /// The movie, gone.
    pub movie_id: String,
    /// Its title when it went, for the alert emails.
    pub title: String,
}

impl Event for MovieDeletionCompleted {
    const NAME: &'static str = "movie.deletion_completed";
    fn aggregate_id(&self) -> &str {
        &self.movie_id
    }
}
