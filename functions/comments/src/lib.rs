//! The comments service: what visitors say about a movie, replies included, with reports from
//! other users and an admin's moderation of what they flag.
//!
//! Read it in this order: `domain` (what a comment is, which texts are accepted), `ops` (one
//! file per operation: parse a command, execute it), `store` (the service's own MongoDB
//! database), `limits` (how many comments and reports one account may send an hour),
//! `events` (the user events it follows), `adapters` (how an HTTP request or an SQS record
//! reaches an operation), `error` (the one mapping to HTTP and SQS), `deps` (what a cold start
//! builds).
//!
//! It never reads another service's database: which movies exist comes from the movie events
//! (`streamia_shared::events::movie_copies`), and the authors' usernames from the user events
//! (`domain::UserName`, kept by `comments-on-user-change`). A username is looked up when
//! comments are read, so a rename shows on every comment at once.

pub mod adapters;
pub mod deps;
pub mod domain;
pub mod error;
pub mod events;
pub mod limits;
pub mod ops;
pub mod store;

pub use deps::{CopyDeps, Deps};
pub use error::CommentsError;

/// The service name: its database's suffix (it publishes no event yet).
pub const SERVICE: &str = "comments";

/// The consumer of the movie-changes queue; its inbox entries carry this name.
pub const ON_MOVIE_CHANGE: &str = "comments-on-movie-change";

/// The consumer of the user-changes queue; its inbox entries carry this name.
pub const ON_USER_CHANGE: &str = "comments-on-user-change";

/// The consumer of the user-deletions queue (the saga's step); its inbox entries carry this
/// name.
pub const ON_USER_DELETION: &str = "comments-on-user-deletion";

/// The consumer of the movie-deletion saga's events; its inbox entries carry this name.
pub const ON_MOVIE_DELETION: &str = "comments-on-movie-deletion";
