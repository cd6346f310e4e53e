//! The movies service: the catalog every visitor browses first.
//!
//! Read it in this order: `domain` (what a movie is and which values are valid), `ops` (one
//! file per operation: parse a command, execute it), `store` (the service's own MongoDB
//! database), `cache` (the catalog's cache-aside on the cache Redis), `events` (what it tells
//! other services), `adapters` (how an HTTP request or an SQS record reaches an operation),
//! `error` (the one mapping to HTTP), `deps` (what a cold start builds).

pub mod adapters;
pub mod cache;
pub mod config;
pub mod deps;
pub mod domain;
pub mod error;
pub mod events;
pub mod ops;
pub mod store;

pub use deps::Deps;
pub use error::MoviesError;

/// The source name on every event this service publishes, and its database's suffix.
pub const SERVICE: &str = "movies";

/// The consumer of the ratings queue; its inbox entries carry this name.
pub const ON_RATING_CHANGE: &str = "movies-on-rating-change";

/// The consumer of the movie-deletion saga's replies (its inbox entries carry this name).
pub const ON_DELETION_STEP: &str = "movies-on-deletion-step";
