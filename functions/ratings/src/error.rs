//! Everything that can go wrong in the ratings service, mapped to HTTP (and to SQS's retry or
//! poison) in one place.
//!
//! Operations return [`RatingsError`] and never build an HTTP answer; the adapters turn it
//! into the contract's envelope through the single `From<RatingsError> for ApiError` below,
//! or, for the movie-changes consumer, into a batch item failure through `From<RatingsError>
//! for ConsumeError`.

use streamia_shared::db::TransactionError;
use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::events::movie_copies::UnknownMovie;
use streamia_shared::events::{InboxError, OutboxError, ProjectionError, Unreadable};
use streamia_shared::fields::FieldErrors;
use streamia_shared::http::ApiError;
use streamia_shared::i18n::Msg;
use streamia_shared::service::NotFound;

/// The 404 of a movie the caller has not rated (or no longer has a rating of).
pub const RATING_NOT_FOUND: NotFound = NotFound::of(Msg::RatingNotFound);

/// A ratings-service failure.
#[derive(Debug, thiserror::Error)]
pub enum RatingsError {
    /// Fields failed their domain rules (all of them are listed).
    #[error(transparent)]
    Validation(#[from] FieldErrors),
    /// The movie copies do not know the movie as visible: 404 `MOVIE_NOT_FOUND`, with
    /// `Retry-After: 1` when its id is under a minute old.
    #[error(transparent)]
    MovieNotFound(#[from] UnknownMovie),
    /// The caller has no rating of that movie.
    #[error("rating not found")]
    RatingNotFound,
    /// MongoDB failed.
    #[error(transparent)]
    Mongo(#[from] mongodb::error::Error),
    /// The summary's event could not be staged in the outbox.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// The inbox (a consumed event's record) failed.
    #[error(transparent)]
    Inbox(#[from] InboxError),
    /// The movie copies could not be read or written.
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    /// A consumed event cannot be read (poison).
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
    /// A summary pass found its lease taken over (it ran past the lease): it wrote nothing,
    /// the new holder computes the summary.
    #[error("the summary lease of movie {0} was taken over")]
    LeaseLost(String),
}

/// A write conflict with a concurrent transaction runs the transaction again.
impl TransactionError for RatingsError {
    fn is_transient(&self) -> bool {
        match self {
            RatingsError::Mongo(e) => e.is_transient(),
            RatingsError::Outbox(e) => e.is_transient(),
            RatingsError::Inbox(e) => e.is_transient(),
            RatingsError::Projection(e) => e.is_transient(),
            _ => false,
        }
    }
}

impl From<RatingsError> for ApiError {
    fn from(err: RatingsError) -> Self {
        match err {
            RatingsError::Validation(errors) => errors.into(),
            RatingsError::MovieNotFound(unknown) => unknown.into(),
            RatingsError::RatingNotFound => RATING_NOT_FOUND.into(),
            RatingsError::Mongo(e) => e.into(),
            RatingsError::Outbox(OutboxError::Mongo(e)) => e.into(),
            RatingsError::Outbox(e @ OutboxError::Conflict(_)) => ApiError::unavailable(e),
            RatingsError::Outbox(e) => ApiError::internal(e),
            RatingsError::Inbox(e) => ApiError::unavailable(e),
            RatingsError::Projection(ProjectionError::Mongo(e)) => e.into(),
            RatingsError::Projection(e) => ApiError::internal(e),
            RatingsError::Unreadable(e) => ApiError::internal(e),
            e @ RatingsError::LeaseLost(_) => ApiError::unavailable(e),
        }
    }
}

impl From<RatingsError> for ConsumeError {
    /// Poison goes to the dead-letter queue after its retries; everything else is retried.
    fn from(e: RatingsError) -> Self {
        match e {
            RatingsError::Unreadable(_) | RatingsError::Validation(_) => {
                ConsumeError::Poison(e.to_string())
            }
            other => ConsumeError::Transient(other.to_string()),
        }
    }
}
