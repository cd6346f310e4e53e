//! Everything that can go wrong in the users service, mapped to HTTP in one place.

use streamia_shared::auth::PasswordError;
use streamia_shared::http::{ApiError, FieldError};

/// A users-service failure.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// Fields failed their domain rules.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Another account has this email.
    #[error("email taken")]
    EmailTaken,
    /// Another account has this username.
    #[error("username taken")]
    UsernameTaken,
    /// Unknown email, wrong password or an account that cannot log in: all look alike.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failed logins for this email.
    #[error("too many failed logins")]
    TooManyAttempts {
        /// Seconds until the window resets.
        retry_after: u64,
    },
    /// Refresh token unknown, spent, expired or of a revoked session.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// A spent refresh token came back: its session is revoked.
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
    /// An event could not be published and the operation was undone.
    #[error(transparent)]
    Publish(#[from] streamia_shared::events::PublishError),
}

impl From<UsersError> for ApiError {
    fn from(err: UsersError) -> Self {
        match err {
            UsersError::Validation(details) => ApiError::validation("invalid request", details),
            UsersError::EmailTaken => {
                ApiError::conflict("EMAIL_TAKEN", "an account with this email already exists")
            }
            UsersError::UsernameTaken => {
                ApiError::conflict("USERNAME_TAKEN", "this username is already taken")
            }
            UsersError::InvalidCredentials => {
                ApiError::unauthorized_with("INVALID_CREDENTIALS", "invalid email or password")
            }
            UsersError::TooManyAttempts { retry_after } => ApiError::rate_limited(
                "too many failed login attempts, try again later",
                retry_after,
            ),
            UsersError::InvalidRefreshToken => ApiError::unauthorized_with(
                "INVALID_REFRESH_TOKEN",
                "refresh token is invalid or expired",
            ),
            UsersError::RefreshTokenReuse => ApiError::unauthorized_with(
                "INVALID_REFRESH_TOKEN",
                "refresh token was already used; the session has been revoked",
            ),
            UsersError::InvalidResetToken => ApiError::bad_request(
                "INVALID_TOKEN",
                "reset token is invalid, already used or expired",
            ),
            UsersError::UserNotFound => ApiError::not_found("NOT_FOUND", "user not found"),
            UsersError::NothingToUpdate => ApiError::validation(
                "the body must contain at least one field to update",
                Vec::new(),
            ),
            UsersError::Password(e) => ApiError::internal(e),
            UsersError::Mongo(e) => e.into(),
            UsersError::Redis(e) => e.into(),
            UsersError::Token(e) => ApiError::internal(e),
            UsersError::Publish(e) => ApiError::unavailable(e),
        }
    }
}

/// Collects field errors while parsing a request, so the client learns every problem at once.
#[derive(Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    /// Parses one field; on failure records it and returns `None`.
    pub fn check<T>(
        &mut self,
        field: &str,
        result: Result<T, streamia_shared::domain::Invalid>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(invalid) => {
                self.0.push(FieldError::from_invalid(field, invalid));
                None
            }
        }
    }

    /// Records a missing required field.
    pub fn required<'a>(&mut self, field: &str, value: &'a Option<String>) -> Option<&'a str> {
        match value.as_deref() {
            Some(v) => Some(v),
            None => {
                self.0.push(FieldError::new(field, "is required"));
                None
            }
        }
    }

    /// A required field parsed by a domain type: records "is required" or the parse error.
    pub fn parse<T>(
        &mut self,
        field: &str,
        value: &Option<String>,
        parse: impl FnOnce(&str) -> Result<T, streamia_shared::domain::Invalid>,
    ) -> Option<T> {
        let raw = self.required(field, value)?;
        self.check(field, parse(raw))
    }

    /// Records a custom problem.
    pub fn push(&mut self, field: &str, message: &str) {
        self.0.push(FieldError::new(field, message));
    }

    /// Ok when nothing was recorded.
    pub fn finish(self) -> Result<(), UsersError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(UsersError::Validation(self.0))
        }
    }
}
