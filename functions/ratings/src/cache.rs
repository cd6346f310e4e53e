//! The ratings' cached answers (the platform's `cache::answers`): each movie's public summary,
//! valid while neither its summary nor its copy changed since.
//!
//! `movie:<id>` is bumped right after every summary pass's commit, before its
//! `rating.changed` is published (and also when the commit failed, or the pass was cut at its
//! time limit: one that committed and then reported an error, or was cut while committing,
//! bumps too), and after every movie event
//! `ratings-on-movie-change` handles for that movie (it may have become hidden or visible
//! again). A summary read is then one cache round trip between two changes of the movie's
//! ratings; a lost bump leaves it stale for at most the cache's TTL (60 s).

use bson::oid::ObjectId;
use streamia_shared::cache::answers::Key;

/// The generation of `movie`'s summary and copy.
pub fn movie(movie: ObjectId) -> String {
    format!("movie:{movie}")
}

/// `movie`'s public summary.
pub fn summary(movie_id: ObjectId) -> Key {
    Key::new(format!("summary:{movie_id}")).depends_on(movie(movie_id))
}
