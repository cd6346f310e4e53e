//! The replies of a saga's participants: each service that set aside (or could not set aside)
//! its part of a user's data for a deletion saga says so on its own topic, through its outbox;
//! the users service, which tracks the saga (`deletion_sagas`), consumes them.
//!
//! The aggregate is the user (`user.deletion_step_*`): each participant's outbox numbers its
//! own replies about that user, so `aggregateVersion` orders only one participant's replies.
//! The saga's owner does not depend on that order: a reply is keyed by `sagaId` and the
//! participant's `service`, and a saga that ended ignores every late reply.

use serde::{Deserialize, Serialize};

use super::Event;

/// A participant set aside the user's data for the saga (reversibly: it is out of every read
/// and comes back if the saga is cancelled, or is purged when it completes).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserDeletionStepDone {
    /// The saga (from `user.deleted`).
    pub saga_id: String,
    /// The user being deleted.
    pub user_id: String,
    /// The participant: `favorites`, `ratings` or `comments`.
    pub service: String,
}

impl Event for UserDeletionStepDone {
    const NAME: &'static str = "user.deletion_step_done";
    fn aggregate_id(&self) -> &str {
        &self.user_id
    }
}

/// A participant cannot set aside the user's data, for good (a retry cannot help): the saga
/// is cancelled and every participant restores what it set aside. A participant that fails
/// for a transient reason does not say so: its record comes back from SQS, and a step that
/// never ends is the saga's deadline's business.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserDeletionStepFailed {
    /// The saga (from `user.deleted`).
    pub saga_id: String,
    /// The user whose deletion is cancelled.
    pub user_id: String,
    /// The participant that failed.
    pub service: String,
    /// Why, for operators (no user data).
    pub reason: String,
}

impl Event for UserDeletionStepFailed {
    const NAME: &'static str = "user.deletion_step_failed";
    fn aggregate_id(&self) -> &str {
        &self.user_id
    }
}

/// A participant set aside a movie's data for a movie-deletion saga (its favorites, ratings or
/// comments of that movie: out of every read, back if the saga is cancelled, purged when it
/// completes). The aggregate is the movie; the movies service, which tracks the saga, keys it
/// by `sagaId` and `service`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MovieDeletionStepDone {
    /// The saga (from `movie.deleted`).
    pub saga_id: String,
    /// The movie being deleted.
    pub movie_id: String,
    /// The participant: `favorites`, `ratings` or `comments`.
    pub service: String,
}

impl Event for MovieDeletionStepDone {
    const NAME: &'static str = "movie.deletion_step_done";
    fn aggregate_id(&self) -> &str {
        &self.movie_id
    }
}

/// A participant cannot set aside a movie's data, for good: the saga is cancelled (see
/// [`UserDeletionStepFailed`] for the transient case).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MovieDeletionStepFailed {
    /// The saga (from `movie.deleted`).
    pub saga_id: String,
    /// The movie whose deletion is cancelled.
    pub movie_id: String,
    /// The participant that failed.
    pub service: String,
    /// Why, for operators.
    pub reason: String,
}

impl Event for MovieDeletionStepFailed {
    const NAME: &'static str = "movie.deletion_step_failed";
    fn aggregate_id(&self) -> &str {
        &self.movie_id
    }
}
