//! Everything that can go wrong in the comments service, mapped to HTTP (and to SQS's retry or
//! poison) in one place.
//!
//! Operations return [`CommentsError`] and never build an HTTP answer; the adapters turn it
//! into the contract's envelope through the single `From<CommentsError> for ApiError` below,
//! or, for the user-changes consumer, into a batch item failure through `From<CommentsError>
//! for ConsumeError`.

use streamia_shared::db::TransactionError;
use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::events::movie_copies::UnknownMovie;
use streamia_shared::events::{InboxError, ProjectionError, Unreadable};
use streamia_shared::fields::FieldErrors;
use streamia_shared::http::ApiError;
use streamia_shared::i18n::Msg;
use streamia_shared::service::{Forbidden, NotFound};

/// The 404 of a comment that does not exist, was deleted, or (for a reply) is not a visible
/// comment of the same movie.
pub const COMMENT_NOT_FOUND: NotFound = NotFound::new("COMMENT_NOT_FOUND", Msg::CommentNotFound);

/// A comments-service failure.
#[derive(Debug, thiserror::Error)]
pub enum CommentsError {
    /// Fields failed their domain rules (all of them are listed).
    #[error(transparent)]
    Validation(#[from] FieldErrors),
    /// The movie is not known to exist (yet), or is being deleted.
    #[error(transparent)]
    MovieNotFound(#[from] UnknownMovie),
    /// No such comment (or deleted; for a reply, its parent is not a visible comment of the
    /// same movie).
    #[error("comment not found")]
    CommentNotFound,
    /// Not the author (editing), or neither the author nor an admin (deleting).
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// An author reporting their own comment.
    #[error("the author cannot report their own comment")]
    OwnComment,
    /// This user already reported this version of the comment's text (one report per user
    /// and text version: an edit lets earlier reporters report the new text).
    #[error("already reported")]
    AlreadyReported,
    /// An edit of a flagged or hidden comment: moderators decide on the text reporters saw,
    /// so the author cannot change it under them (nor edit the abuse back in once hidden).
    #[error("the comment is under moderation")]
    UnderModeration,
    /// Too many comments or reports from one account in the current window.
    #[error("rate limited for {retry_after} s")]
    RateLimited {
        /// Seconds until the window ends.
        retry_after: u64,
    },
    /// A limited route in a function deployed without the auth Redis (a template mistake).
    #[error("this function has no per-user limits configured (REDIS_URL_SECRET_ARN)")]
    LimitsNotConfigured,
    /// MongoDB failed.
    #[error(transparent)]
    Mongo(#[from] mongodb::error::Error),
    /// The auth Redis (the limits' counters) failed.
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
    /// A copy (movie or username) could not be read or written.
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    /// The inbox (a consumed event's record) failed.
    #[error(transparent)]
    Inbox(#[from] InboxError),
    /// A consumed event cannot be read (poison).
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
}

/// A write conflict with a concurrent transaction (three reports of one comment at once) runs
/// the transaction again.
impl TransactionError for CommentsError {
    fn is_transient(&self) -> bool {
        match self {
            CommentsError::Mongo(e) => e.is_transient(),
            CommentsError::Projection(e) => e.is_transient(),
            CommentsError::Inbox(e) => e.is_transient(),
            _ => false,
        }
    }
}

impl From<CommentsError> for ApiError {
    fn from(err: CommentsError) -> Self {
        match err {
            CommentsError::Validation(errors) => errors.into(),
            CommentsError::MovieNotFound(unknown) => unknown.into(),
            CommentsError::CommentNotFound => COMMENT_NOT_FOUND.into(),
            CommentsError::Forbidden(e) => e.into(),
            CommentsError::OwnComment => ApiError::forbidden(Msg::CannotReportOwnComment),
            CommentsError::AlreadyReported => {
                ApiError::conflict("ALREADY_REPORTED", Msg::AlreadyReported)
            }
            CommentsError::UnderModeration => {
                ApiError::conflict("COMMENT_UNDER_MODERATION", Msg::CommentUnderModeration)
            }
            CommentsError::RateLimited { retry_after } => {
                ApiError::rate_limited(Msg::RateLimited, retry_after)
            }
            e @ CommentsError::LimitsNotConfigured => ApiError::internal(e),
            CommentsError::Mongo(e) => e.into(),
            CommentsError::Redis(e) => e.into(),
            CommentsError::Projection(ProjectionError::Mongo(e)) => e.into(),
            CommentsError::Projection(e @ ProjectionError::Conflict(_)) => ApiError::unavailable(e),
            CommentsError::Projection(e) => ApiError::internal(e),
            CommentsError::Inbox(e) => ApiError::unavailable(e),
            CommentsError::Unreadable(e) => ApiError::internal(e),
        }
    }
}

impl From<CommentsError> for ConsumeError {
    /// Poison goes to the dead-letter queue after its retries; everything else is retried.
    fn from(e: CommentsError) -> Self {
        match e {
            CommentsError::Unreadable(_)
            | CommentsError::Validation(_)
            | CommentsError::Projection(ProjectionError::State { .. }) => {
                ConsumeError::Poison(e.to_string())
            }
            other => ConsumeError::Transient(other.to_string()),
        }
    }
}
