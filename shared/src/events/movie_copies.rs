//! The copy of each movie that favorites, ratings and comments keep in their own databases:
//! whether it exists (and is not being deleted), its title and its cover. Built from the
//! movies service's events (event-carried state transfer), so none of them reads the movies
//! database or calls the movies service.
//!
//! # Why in the platform
//!
//! Three services keep the same copy from the same events with the same rules; written once,
//! they cannot drift apart. Each gets the copies in its own database (`movie_copies`), its own
//! queue subscribed to the movie-events topic (infra/messaging.yaml) and its own consumer
//! function, whose adapter is one call: [`MovieCopies::consume`].
//!
//! # Rules
//!
//! Every movie event carries the whole snapshot the copy keeps (`events::movies`), so the
//! platform's "apply only if newer" (`events::projection`) ends in the in-order state whatever
//! order SNS/SQS deliver them in: a redelivered or late `movie.updated` never brings back an
//! old title, and `movie.deleted` (status `deleting`) stays until a newer event says otherwise
//! (the saga's `movie.deletion_cancelled`, which brings the snapshot back as `active`). Only
//! `movie.deletion_completed` (also the saga's) leaves a tombstone.
//!
//! # A write that outruns the copy
//!
//! A client that creates a movie and favorites it a moment later can be faster than the event.
//! [`UnknownMovie::just_created`] says so from the id alone (an ObjectId's first four bytes are
//! its creation time): the answer is still 404 `MOVIE_NOT_FOUND`, with `Retry-After: 1` when
//! the id is under a minute old.

use std::collections::HashMap;

use bson::oid::ObjectId;
use bson::{doc, Bson, Document};
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};

use super::consumer::ConsumeError;
use super::movies::{
    MovieCreated, MovieDeleted, MovieDeletionCancelled, MovieDeletionCompleted, MovieStatus,
    MovieUpdated, MovieVideoUploaded,
};
use super::{
    Change, Envelope, Event, Handled, Inbox, Incoming, Projected, Projection, ProjectionError,
    Replica, Unreadable,
};

/// The collection in the consuming service's database.
pub const COLLECTION: &str = "movie_copies";

/// The events a copy is built from: the filter policy of every movie-copies queue
/// (infra/messaging.yaml; a contract test holds the two together).
pub const EVENTS: [&str; 6] = [
    MovieCreated::NAME,
    MovieUpdated::NAME,
    MovieDeleted::NAME,
    MovieVideoUploaded::NAME,
    MovieDeletionCancelled::NAME,
    MovieDeletionCompleted::NAME,
];

/// What a service keeps of a movie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MovieCopy {
    /// Its current title.
    pub title: String,
    /// Its current cover (an https URL), if any.
    pub cover_image: Option<String>,
    /// `deleting` from `movie.deleted` on: the movie is hidden (404) while its saga runs.
    pub status: MovieStatus,
}

/// A movie event a copy follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MovieChange {
    /// `movie.created` v1.
    Created(MovieCreated),
    /// `movie.updated` v1.
    Updated(MovieUpdated),
    /// `movie.deleted` v1: being deleted (reversible).
    Deleted(MovieDeleted),
    /// `movie.video_uploaded` v1: carries the snapshot too.
    VideoUploaded(MovieVideoUploaded),
    /// `movie.deletion_cancelled` v1: visible again (the snapshot, `active`).
    DeletionCancelled(MovieDeletionCancelled),
    /// `movie.deletion_completed` v1: gone for good (a tombstone).
    DeletionCompleted(MovieDeletionCompleted),
}

impl MovieChange {
    /// Parses an envelope from a movie-copies queue. `Ok(None)`: an event the copy does not
    /// follow (acknowledged); one it follows but cannot read is [`Unreadable`] (poison).
    pub fn parse(envelope: Envelope) -> Result<Option<Incoming<MovieChange>>, Unreadable> {
        Ok(Some(match envelope.event_name.as_str() {
            MovieCreated::NAME => Incoming::parse(envelope)?.map(MovieChange::Created),
            MovieUpdated::NAME => Incoming::parse(envelope)?.map(MovieChange::Updated),
            MovieDeleted::NAME => Incoming::parse(envelope)?.map(MovieChange::Deleted),
            MovieVideoUploaded::NAME => Incoming::parse(envelope)?.map(MovieChange::VideoUploaded),
            MovieDeletionCancelled::NAME => {
                Incoming::parse(envelope)?.map(MovieChange::DeletionCancelled)
            }
            MovieDeletionCompleted::NAME => {
                Incoming::parse(envelope)?.map(MovieChange::DeletionCompleted)
            }
            _ => return Ok(None),
        }))
    }

    /// What the event makes of the copy: the snapshot it carries.
    pub fn change(&self) -> Change<MovieCopy> {
        let copy = |title: &str, cover_image: &Option<String>, status| {
            Change::Set(MovieCopy {
                title: title.to_owned(),
                cover_image: cover_image.clone(),
                status,
            })
        };
        match self {
            MovieChange::Created(e) => copy(&e.title, &e.cover_image, e.status),
            MovieChange::Updated(e) => copy(&e.title, &e.cover_image, e.status),
            MovieChange::Deleted(e) => copy(&e.title, &e.cover_image, MovieStatus::Deleting),
            MovieChange::VideoUploaded(e) => copy(&e.title, &e.cover_image, e.status),
            MovieChange::DeletionCancelled(e) => copy(&e.title, &e.cover_image, e.status),
            MovieChange::DeletionCompleted(_) => Change::Tombstone,
        }
    }
}

/// A movie the copies do not know as visible (never heard of, being deleted, or gone): the
/// contract's 404 `MOVIE_NOT_FOUND`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("movie not found")]
pub struct UnknownMovie {
    /// The id is under a minute old and no event about it has arrived: the movie may exist and
    /// its `movie.created` be on its way (the answer carries `Retry-After: 1`).
    pub just_created: bool,
}

/// How young an id must be for [`UnknownMovie::just_created`]: far longer than an event takes
/// to arrive (about a second locally), short enough that a client retrying an id that will
/// never exist stops soon.
pub const JUST_CREATED: std::time::Duration = std::time::Duration::from_secs(60);

impl UnknownMovie {
    /// The 404 for `id`, of which no copy exists: `just_created` when the id's creation time
    /// (its first four bytes) is under [`JUST_CREATED`] ago, allowing a few seconds of clock
    /// difference between the movies service's instance and this one.
    pub fn never_seen(id: &ObjectId) -> Self {
        let made = id.timestamp().timestamp_millis();
        let age_ms = bson::DateTime::now().timestamp_millis() - made;
        let window = JUST_CREATED.as_millis() as i64;
        Self {
            just_created: (-5_000..window).contains(&age_ms),
        }
    }

    /// The 404 for a movie the copies know is not visible (being deleted, or gone).
    pub fn not_visible() -> Self {
        Self {
            just_created: false,
        }
    }
}

/// The movie copies of one service (its database's `movie_copies`). Cheap to clone; build it
/// once per container.
#[derive(Clone)]
pub struct MovieCopies {
    copies: Projection<MovieCopy>,
    raw: mongodb::Collection<Document>,
}

impl MovieCopies {
    /// The copies in `db` (the consuming service's own database).
    pub fn new(db: &mongodb::Database) -> Self {
        Self {
            copies: Projection::new(db, COLLECTION),
            raw: db.collection(COLLECTION),
        }
    }

    /// The whole consumer step for one record of a movie-copies queue: parsed (poison when
    /// unreadable), recorded in `inbox` and applied if newer, in one transaction, and logged.
    /// A MongoDB failure is transient (SQS delivers the record again).
    ///
    /// Gives the movie the record was about (`None`: an event this step ignores), whatever
    /// the outcome, so the caller drops what it cached about that movie after the commit: a
    /// redelivery (a `Duplicate`) after a crash between the commit and that drop drops it too.
    pub async fn consume(
        &self,
        client: &mongodb::Client,
        inbox: &Inbox,
        envelope: Envelope,
    ) -> Result<Option<ObjectId>, ConsumeError> {
        let Some(incoming) = MovieChange::parse(envelope)? else {
            return Ok(None);
        };
        let handled = self
            .apply(client, inbox, &incoming)
            .await
            .map_err(|e| ConsumeError::Transient(e.to_string()))?;
        tracing::info!(
            event_id = %incoming.event_id,
            correlation_id = %incoming.correlation_id,
            movie_id = %incoming.aggregate_id,
            aggregate_version = incoming.aggregate_version,
            outcome = ?handled,
            "movie copy"
        );
        Ok(ObjectId::parse_str(&incoming.aggregate_id).ok())
    }

    /// Records `incoming` in `inbox` and applies it to its movie's copy if newer, in one
    /// transaction. `Duplicate` for a redelivery.
    pub async fn apply(
        &self,
        client: &mongodb::Client,
        inbox: &Inbox,
        incoming: &Incoming<MovieChange>,
    ) -> Result<Handled<Projected>, ProjectionError> {
        self.copies
            .project(client, inbox, incoming, incoming.event.change())
            .await
    }

    /// The movie `id` if it is visible (known and not being deleted), or why not.
    pub async fn visible(
        &self,
        id: &ObjectId,
    ) -> Result<Result<MovieCopy, UnknownMovie>, ProjectionError> {
        Ok(match self.copies.get(&id.to_hex()).await? {
            None => Err(UnknownMovie::never_seen(id)),
            Some(Replica::Live { state, .. }) if state.status == MovieStatus::Active => Ok(state),
            Some(_) => Err(UnknownMovie::not_visible()),
        })
    }

    /// The copies of `ids` that exist and are not tombstones (whatever their status), in one
    /// query: for a page of favorites, which shows each movie's current title and cover.
    pub async fn many(
        &self,
        ids: &[ObjectId],
    ) -> Result<HashMap<ObjectId, MovieCopy>, ProjectionError> {
        let keys: Vec<Bson> = ids.iter().map(|id| Bson::String(id.to_hex())).collect();
        let mut found = HashMap::with_capacity(ids.len());
        let mut cursor = self
            .raw
            .find(doc! {"_id": {"$in": keys}, "tombstone": false})
            .projection(doc! {"state": 1})
            .await?;
        while let Some(stored) = cursor.try_next().await? {
            let (Ok(key), Ok(state)) = (stored.get_str("_id"), stored.get_document("state")) else {
                continue;
            };
            let Ok(id) = ObjectId::parse_str(key) else {
                continue;
            };
            let state = bson::from_document(state.clone()).map_err(|e| ProjectionError::State {
                id: key.to_owned(),
                problem: format!("{COLLECTION} state: {e}"),
            })?;
            found.insert(id, state);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_made_now_is_just_created_and_an_old_one_is_not() {
        assert!(UnknownMovie::never_seen(&ObjectId::new()).just_created);
        let old = ObjectId::parse_str("5f0000000000000000000000").unwrap();
        assert!(!UnknownMovie::never_seen(&old).just_created);
        // A made-up id from far in the future is no movie on its way either.
        let future = ObjectId::parse_str("ff0000000000000000000000").unwrap();
        assert!(!UnknownMovie::never_seen(&future).just_created);
        assert!(!UnknownMovie::not_visible().just_created);
    }

    #[test]
    fn every_event_sets_the_snapshot_and_deleted_hides_it() {
        let deleted = MovieChange::Deleted(MovieDeleted {
            saga_id: "s".into(),
            movie_id: "m".into(),
            title: "T".into(),
            cover_image: None,
            status: MovieStatus::Active,
        });
        assert_eq!(
            deleted.change(),
            Change::Set(MovieCopy {
                title: "T".into(),
                cover_image: None,
                status: MovieStatus::Deleting
            })
        );
    }
}
