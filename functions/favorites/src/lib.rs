//! The favorites service: each user's favorite movies, with a private note.
//!
//! Read it in this order: `domain` (what a favorite is, which notes are valid), `ops` (one file
//! per operation: parse a command, execute it), `store` (the service's own MongoDB database:
//! favorites, and the movie copies the platform keeps in it), `adapters` (how an HTTP request
//! or an SQS record reaches an operation), `error` (the one mapping to HTTP and to SQS), `deps`
//! (what a cold start builds), `cache` (which cached answers each write makes stale).
//!
//! What it knows about movies (whether one exists, its title and cover) comes from the movies
//! service's events, kept in its own `movie_copies` by `favorites-on-movie-change`
//! (`streamia_shared::events::movie_copies`): no call to the movies service, no read of its
//! database. It publishes only its replies to the user-deletion saga (`ops::user_deletion`,
//! the platform's `saga` participant), through its outbox to the favorite-events topic.

pub mod adapters;
pub mod cache;
pub mod deps;
pub mod domain;
pub mod error;
pub mod ops;
pub mod store;

pub use deps::Deps;
pub use error::FavoritesError;

/// The service name: its database's suffix.
pub const SERVICE: &str = "favorites";

/// The consumer of the movie-changes queue; its inbox entries carry this name.
pub const ON_MOVIE_CHANGE: &str = "favorites-on-movie-change";

/// The consumer of the user-deletions queue (the saga's step); its inbox entries carry this
/// name.
pub const ON_USER_DELETION: &str = "favorites-on-user-deletion";

/// The consumer of the movie-deletion saga's events; its inbox entries carry this name.
pub const ON_MOVIE_DELETION: &str = "favorites-on-movie-deletion";
