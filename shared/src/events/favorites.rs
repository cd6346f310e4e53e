//! Events the favorites service publishes besides its saga replies (`sagas.rs`).

use serde::{Deserialize, Serialize};

use super::Event;

/// A movie a user had among their favorites was deleted for good (its deletion saga
/// completed): the notification service sends that user the alert email. One per user, staged
/// with the purge of that user's favorite, so a redelivered completion alerts nobody twice.
/// Carries the title (the movie is gone); the user's name and address are the notification
/// service's own copy.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FavoriteMovieRemoved {
    /// The movie-deletion saga that removed it.
    pub saga_id: String,
    /// Whose favorite it was.
    pub user_id: String,
    /// The movie, gone.
    pub movie_id: String,
    /// Its title when it went.
    pub title: String,
}

impl Event for FavoriteMovieRemoved {
    const NAME: &'static str = "favorite.movie_removed";
    fn aggregate_id(&self) -> &str {
        &self.user_id
    }
}
