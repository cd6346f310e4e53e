//! Everything that can go wrong in the users service, mapped to HTTP in one place.
//!
//! Operations return [`UsersError`] and never build an HTTP answer; the adapters turn it into
//! the contract's envelope through the single `From<UsersError> for ApiError` below, or, for an
//! operator's direct invocation (`adapters::invoke`), into a Lambda function error through
//! `From<UsersError> for Diagnostic`.

use streamia_shared::auth::{GuessError, PasswordError};
use streamia_shared::db::TransactionError;
use streamia_shared::events::OutboxError;
use streamia_shared::fields::FieldErrors;
use streamia_shared::http::ApiError;
use streamia_shared::i18n::{Lang, Msg};

/// A users-service failure.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// Fields failed their domain rules (all of them are listed).
    #[error(transparent)]
    Validation(#[from] FieldErrors),
    /// Another account has this email.
    #[error("email taken")]
    EmailTaken,
    /// Another account has this username.
    #[error("username taken")]
    UsernameTaken,
    /// Unknown email, wrong password or an account that cannot log in: all look alike.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// The current password given to confirm a sensitive change is wrong.
    #[error("wrong current password")]
    WrongPassword,
    /// Too many password checks for this email or user.
    #[error("too many password attempts")]
    TooManyAttempts {
        /// Seconds until the window resets.
        retry_after: u64,
    },
    /// Too many requests of this kind from the caller's address (limits per client).
    #[error("too many requests from this client")]
    ClientThrottled {
        /// Seconds until the window resets.
        retry_after: u64,
    },
    /// Refresh token unknown, spent, expired or of a revoked session.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// A spent refresh token came back after its grace window: its session is revoked.
    #[error("refresh token reuse")]
    RefreshTokenReuse,
    /// Reset token unknown, used or expired.
    #[error("invalid reset token")]
    InvalidResetToken,
    /// The account behind a valid token no longer exists.
    #[error("user not found")]
    UserNotFound,
    /// An update with nothing in it.
    #[error("nothing to update")]
    NothingToUpdate,
    /// The account's deletion is already under way.
    #[error("already being deleted")]
    AlreadyDeleting,
    /// A dependency did not answer a health check. The message names it, for the log line;
    /// the client's 503 does not.
    #[error("{dependency} unavailable: {source}")]
    DependencyDown {
        /// `mongodb` or `redis`.
        dependency: &'static str,
        /// What the client reported.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A test cut the operation between two steps (never when deployed).
    #[error(transparent)]
    Cut(#[from] streamia_shared::faults::Cut),
    /// Hashing could not run.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// MongoDB failed.
    #[error(transparent)]
    Mongo(#[from] mongodb::error::Error),
    /// Redis failed.
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
    /// A token could not be signed.
    #[error(transparent)]
    Token(#[from] streamia_shared::auth::TokenError),
    /// An event could not be staged in the outbox.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// A consumer's inbox could not record an event (the saga's replies).
    #[error(transparent)]
    Inbox(#[from] streamia_shared::events::InboxError),
}

/// A write conflict with a concurrent transaction runs the transaction again.
impl TransactionError for UsersError {
    fn is_transient(&self) -> bool {
        match self {
            UsersError::Mongo(e) => e.is_transient(),
            UsersError::Outbox(e) => e.is_transient(),
            UsersError::Inbox(e) => e.is_transient(),
            _ => false,
        }
    }
}

impl From<GuessError> for UsersError {
    fn from(err: GuessError) -> Self {
        match err {
            GuessError::Redis(e) => Self::Redis(e),
            GuessError::Password(e) => Self::Password(e),
        }
    }
}

impl From<UsersError> for ApiError {
    fn from(err: UsersError) -> Self {
        match err {
            UsersError::Validation(errors) => errors.into(),
            UsersError::EmailTaken => ApiError::conflict("EMAIL_TAKEN", Msg::EmailTaken),
            UsersError::UsernameTaken => ApiError::conflict("USERNAME_TAKEN", Msg::UsernameTaken),
            UsersError::InvalidCredentials => {
                ApiError::unauthorized_with("INVALID_CREDENTIALS", Msg::InvalidCredentials)
            }
            UsersError::WrongPassword => {
                ApiError::unauthorized_with("INVALID_CREDENTIALS", Msg::WrongCurrentPassword)
            }
            UsersError::TooManyAttempts { retry_after } => {
                ApiError::rate_limited(Msg::TooManyPasswordAttempts, retry_after)
            }
            UsersError::ClientThrottled { retry_after } => {
                ApiError::rate_limited(Msg::RateLimited, retry_after)
            }
            UsersError::InvalidRefreshToken => {
                ApiError::unauthorized_with("INVALID_REFRESH_TOKEN", Msg::InvalidRefreshToken)
            }
            UsersError::RefreshTokenReuse => {
                ApiError::unauthorized_with("INVALID_REFRESH_TOKEN", Msg::RefreshTokenReused)
            }
            UsersError::InvalidResetToken => {
                ApiError::bad_request("INVALID_TOKEN", Msg::InvalidResetToken)
            }
            UsersError::UserNotFound => ApiError::not_found("NOT_FOUND", Msg::UserNotFound),
            UsersError::NothingToUpdate => ApiError::validation(Msg::NothingToUpdate, Vec::new()),
            UsersError::AlreadyDeleting => ApiError::conflict("CONFLICT", Msg::AlreadyDeleting),
            e @ UsersError::DependencyDown { .. } => ApiError::unavailable(e),
            UsersError::Cut(e) => ApiError::internal(e),
            UsersError::Password(e) => ApiError::internal(e),
            UsersError::Mongo(e) => e.into(),
            UsersError::Redis(e) => e.into(),
            UsersError::Token(e) => ApiError::internal(e),
            UsersError::Outbox(OutboxError::Mongo(e)) => e.into(),
            UsersError::Outbox(e @ OutboxError::Conflict(_)) => ApiError::unavailable(e),
            UsersError::Outbox(e) => ApiError::internal(e),
            UsersError::Inbox(e) => ApiError::unavailable(e),
        }
    }
}

/// A failed operator invocation (`users-set-role`): the Lambda function error the operator
/// reads (`aws lambda invoke` prints `FunctionError: Unhandled`, the payload holds this).
/// Unlike a client, an operator is told the cause of a server-side failure.
impl From<UsersError> for lambda_runtime::Diagnostic {
    fn from(err: UsersError) -> Self {
        let error_type = match &err {
            UsersError::Validation(_) => "ValidationError",
            UsersError::UserNotFound => "UserNotFound",
            UsersError::Mongo(_)
            | UsersError::Redis(_)
            | UsersError::Outbox(_)
            | UsersError::Inbox(_) => "Unavailable",
            _ => "InternalError",
        };
        let error_message = match &err {
            UsersError::Validation(FieldErrors(fields)) => fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message.render(Lang::En)))
                .collect::<Vec<_>>()
                .join("; "),
            UsersError::UserNotFound => "no user with this id or email".to_owned(),
            other => other.to_string(),
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message,
        }
    }
}
