//! Everything that can go wrong in the movies service, mapped to HTTP (and to SQS's retry or
//! poison) in one place.
//!
//! Operations return [`MoviesError`] and never build an HTTP answer; the adapters turn it into
//! the contract's envelope through the single `From<MoviesError> for ApiError` below, or, for
//! the ratings consumer, into a batch item failure through `From<MoviesError> for
//! ConsumeError`.

use streamia_shared::db::TransactionError;
use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::events::{InboxError, OutboxError, Unreadable};
use streamia_shared::fields::{FieldError, FieldErrors};
use streamia_shared::http::ApiError;
use streamia_shared::i18n::Msg;
use streamia_shared::media::MediaError;
use streamia_shared::service::NotFound;

/// The 404 of a movie that does not exist or is being deleted (the same answer for both).
pub const MOVIE_NOT_FOUND: NotFound = NotFound::of(Msg::MovieNotFound);

/// The 404 of a subtitle language a movie has no track in.
pub const SUBTITLE_NOT_FOUND: NotFound = NotFound::of(Msg::SubtitleNotFound);

/// A movies-service failure.
#[derive(Debug, thiserror::Error)]
pub enum MoviesError {
    /// Fields failed their domain rules (all of them are listed).
    #[error(transparent)]
    Validation(#[from] FieldErrors),
    /// No such movie, or it is being deleted.
    #[error("movie not found")]
    MovieNotFound,
    /// An update with nothing in it.
    #[error("nothing to update")]
    NothingToUpdate,
    /// A dependency did not answer a health check.
    #[error("{dependency} unavailable: {source}")]
    DependencyDown {
        /// `mongodb`.
        dependency: &'static str,
        /// What the client reported.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// MongoDB failed.
    #[error(transparent)]
    Mongo(#[from] mongodb::error::Error),
    /// An event could not be staged in the outbox.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// The inbox (a consumed event's record) failed.
    #[error(transparent)]
    Inbox(#[from] InboxError),
    /// A consumed event cannot be read (poison).
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
    /// The media storage refused or did not answer.
    #[error(transparent)]
    Media(#[from] MediaError),
    /// A media route in a function deployed without the media settings.
    #[error("this function has no media storage configured (MEDIA_PROVIDER, MEDIA_BUCKET)")]
    MediaNotConfigured,
    /// No subtitle track in that language.
    #[error("subtitle not found")]
    SubtitleNotFound,
    /// A change kept losing to concurrent ones (subtitle tracks are written without a
    /// transaction, by version): the client may retry.
    #[error("the movie kept changing concurrently")]
    Busy,
}

/// A write conflict with a concurrent transaction runs the transaction again.
impl TransactionError for MoviesError {
    fn is_transient(&self) -> bool {
        match self {
            MoviesError::Mongo(e) => e.is_transient(),
            MoviesError::Outbox(e) => e.is_transient(),
            MoviesError::Inbox(e) => e.is_transient(),
            _ => false,
        }
    }
}

impl From<MoviesError> for ApiError {
    fn from(err: MoviesError) -> Self {
        match err {
            MoviesError::Validation(errors) => errors.into(),
            MoviesError::MovieNotFound => MOVIE_NOT_FOUND.into(),
            MoviesError::NothingToUpdate => ApiError::validation(Msg::NothingToUpdate, Vec::new()),
            e @ MoviesError::DependencyDown { .. } => ApiError::unavailable(e),
            MoviesError::Mongo(e) => e.into(),
            MoviesError::Outbox(OutboxError::Mongo(e)) => e.into(),
            MoviesError::Outbox(e @ OutboxError::Conflict(_)) => ApiError::unavailable(e),
            MoviesError::Outbox(e) => ApiError::internal(e),
            MoviesError::Inbox(e) => ApiError::unavailable(e),
            MoviesError::Unreadable(e) => ApiError::internal(e),
            MoviesError::Media(MediaError::NotFound(_)) => ApiError::validation(
                Msg::Validation,
                vec![FieldError::new("key", Msg::VideoNotUploaded)],
            ),
            MoviesError::Media(MediaError::Mismatch { .. }) => ApiError::validation(
                Msg::Validation,
                vec![FieldError::new("key", Msg::VideoMismatch)],
            ),
            MoviesError::Media(MediaError::Changed(_)) => {
                ApiError::conflict("UPLOAD_CHANGED", Msg::VideoChanged)
            }
            MoviesError::Media(e @ MediaError::Unavailable(_)) => ApiError::unavailable(e),
            MoviesError::Media(MediaError::CircuitOpen { why, retry_after }) => {
                ApiError::unavailable_for(why, retry_after)
            }
            // A rate limit passes; any other refusal is our configuration (a permission, a
            // secret), logged as a 500 for someone to fix.
            MoviesError::Media(
                e @ MediaError::Rejected {
                    throttled: true, ..
                },
            ) => ApiError::unavailable(e),
            MoviesError::Media(e @ MediaError::Rejected { .. }) => ApiError::internal(e),
            e @ MoviesError::MediaNotConfigured => ApiError::internal(e),
            MoviesError::SubtitleNotFound => SUBTITLE_NOT_FOUND.into(),
            e @ MoviesError::Busy => ApiError::unavailable(e),
        }
    }
}

impl From<MoviesError> for ConsumeError {
    /// Poison goes to the dead-letter queue after its retries; everything else is retried.
    fn from(e: MoviesError) -> Self {
        match e {
            MoviesError::Unreadable(_) | MoviesError::Validation(_) => {
                ConsumeError::Poison(e.to_string())
            }
            other => ConsumeError::Transient(other.to_string()),
        }
    }
}
