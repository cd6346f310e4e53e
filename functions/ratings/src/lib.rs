//! The ratings service: each user's 1-5 score per movie, the user's history, and each movie's
//! public summary (average, count, distribution), which it tells the movies service about with
//! `rating.changed`.
//!
//! Read it in this order: `domain` (a score, a rating, a summary), `ops` (one file per
//! operation: parse a command, execute it; `ops::summarize` is the heart of the service),
//! `store` (the service's own MongoDB database), `events` (what it publishes), `adapters`
//! (how an HTTP request, an SQS record or a schedule reaches an operation), `error` (the one
//! mapping to HTTP and to SQS), `deps` (what a cold start builds), `cache` (which cached
//! answers a change makes stale).
//!
//! # Why the summary is not written in the rating's transaction
//!
//! In MongoDB (Atlas), concurrent multi-document transactions that write the same document
//! conflict: all but one abort with `TransientTransactionError` and run again. A per-movie
//! stats document (or the outbox's per-aggregate version counter, `outbox_versions`) written
//! inside every rating's transaction would make a popular movie a retry storm: N concurrent
//! raters, N-1 aborts, again and again. Single-document writes outside transactions do not
//! abort on a hot document: the server serializes them. So a rating is one single-document,
//! non-transactional write, and the summary is derived from the ratings afterwards by one
//! writer at a time per movie (a lease); only that writer runs a transaction (the summary and
//! its `rating.changed`), so those transactions never meet each other. See `ops::summarize`.

pub mod adapters;
pub mod cache;
pub mod deps;
pub mod domain;
pub mod error;
pub mod events;
pub mod ops;
pub mod store;

pub use deps::Deps;
pub use error::RatingsError;

/// The source name on every event this service publishes, and its database's suffix.
pub const SERVICE: &str = "ratings";

/// The consumer of the movie-changes queue; its inbox entries carry this name.
pub const ON_MOVIE_CHANGE: &str = "ratings-on-movie-change";

/// The consumer of the user-deletions queue (the saga's step); its inbox entries carry this
/// name.
pub const ON_USER_DELETION: &str = "ratings-on-user-deletion";

/// The consumer of the movie-deletion saga's events; its inbox entries carry this name.
pub const ON_MOVIE_DELETION: &str = "ratings-on-movie-deletion";
