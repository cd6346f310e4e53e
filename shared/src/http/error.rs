//! The one error type every handler returns, and its mapping to the contract's envelope.

use std::error::Error as StdError;

use http::StatusCode;

use crate::fields::{FieldError, FieldErrors};
use crate::i18n::{Lang, Msg, Text};

/// A failed request: status, machine code, human message (a catalogue [`Text`], rendered in
/// the request's language by [`ApiError::body`]), and for server faults the cause, which is
/// logged and never sent. The code never depends on the language.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: Text,
    details: Vec<FieldError>,
    retry_after: Option<u64>,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<Text>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
            source: None,
        }
    }

    /// 400 VALIDATION_ERROR with the fields at fault.
    pub fn validation(message: impl Into<Text>, details: Vec<FieldError>) -> Self {
        let mut err = Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message);
        err.details = details;
        err
    }

    /// 400 with a specific code (e.g. INVALID_TOKEN).
    pub fn bad_request(code: &'static str, message: impl Into<Text>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401 UNAUTHORIZED.
    pub fn unauthorized(message: impl Into<Text>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
    }

    /// 401 with a specific code (e.g. INVALID_CREDENTIALS).
    pub fn unauthorized_with(code: &'static str, message: impl Into<Text>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// 403 FORBIDDEN.
    pub fn forbidden(message: impl Into<Text>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }

    /// 404 with a code (NOT_FOUND, MOVIE_NOT_FOUND, ...).
    pub fn not_found(code: &'static str, message: impl Into<Text>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 409 with a code (CONFLICT, EMAIL_TAKEN, ...).
    pub fn conflict(code: &'static str, message: impl Into<Text>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 413 PAYLOAD_TOO_LARGE.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            Text::new(Msg::PayloadTooLarge).arg("limit", limit),
        )
    }

    /// 429 RATE_LIMITED, telling the client when to come back.
    pub fn rate_limited(message: impl Into<Text>, retry_after_secs: u64) -> Self {
        let mut err = Self::new(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", message);
        err.retry_after = Some(retry_after_secs.max(1));
        err
    }

    /// 503 UNAVAILABLE: a dependency did not answer; the client may retry.
    pub fn unavailable(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            Msg::Unavailable,
        );
        err.source = Some(source.into());
        err
    }

    /// 503 UNAVAILABLE with `Retry-After`: the service is not ready yet and will not try again
    /// for `retry_after` (see `init::Deferred`).
    pub fn unavailable_for(
        source: impl Into<Box<dyn StdError + Send + Sync>>,
        retry_after: std::time::Duration,
    ) -> Self {
        let mut err = Self::unavailable(source);
        err.retry_after = Some(retry_after.as_secs_f64().ceil().max(1.0) as u64);
        err
    }

    /// 500 INTERNAL: the cause is logged, the client learns nothing about it.
    pub fn internal(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        let mut err = Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", Msg::Internal);
        err.source = Some(source.into());
        err
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Seconds to wait before retrying (429, and a 503 that knows).
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// The server-side cause, for logs only.
    pub fn cause(&self) -> Option<&(dyn StdError + Send + Sync)> {
        self.source.as_deref()
    }

    /// The human message, before it is rendered.
    pub fn message(&self) -> &Text {
        &self.message
    }

    /// The envelope body in `lang`: `{success: false, error, message, details?}`; `error` and
    /// each `details[].field` are the same in every language.
    pub fn body(&self, lang: Lang) -> serde_json::Value {
        let mut body = serde_json::json!({
            "success": false,
            "error": self.code,
            "message": self.message.render(lang),
        });
        if !self.details.is_empty() {
            let details: Vec<serde_json::Value> = self
                .details
                .iter()
                .map(|d| serde_json::json!({"field": d.field, "message": d.message.render(lang)}))
                .collect();
            body["details"] = serde_json::Value::Array(details);
        }
        body
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

/// A dependency that does not answer is a 503 the client can retry; anything else the driver
/// reports is our fault, a 500.
impl From<mongodb::error::Error> for ApiError {
    fn from(err: mongodb::error::Error) -> Self {
        use mongodb::error::ErrorKind;
        match *err.kind {
            ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::ConnectionPoolCleared { .. }
            | ErrorKind::DnsResolve { .. } => Self::unavailable(err),
            _ => Self::internal(err),
        }
    }
}

/// Same split as for Mongo: connection trouble is 503, the rest 500. A server that answers
/// but cannot take the command now (`crate::cache::refusal`: full, failing over, loading) is
/// trouble too, not a bug: a logout, or the counter a login needs before its password is
/// checked, answers 503 (failing closed), never 500 and never a 200 that revoked nothing.
impl From<redis::RedisError> for ApiError {
    fn from(err: redis::RedisError) -> Self {
        if err.is_io_error()
            || err.is_connection_refusal()
            || err.is_timeout()
            || err.is_connection_dropped()
            || crate::cache::refusal(&err).is_some()
        {
            Self::unavailable(err)
        } else {
            Self::internal(err)
        }
    }
}

impl From<bson::ser::Error> for ApiError {
    fn from(err: bson::ser::Error) -> Self {
        Self::internal(err)
    }
}

impl From<bson::de::Error> for ApiError {
    fn from(err: bson::de::Error) -> Self {
        Self::internal(err)
    }
}

/// Every rejected field: 400 VALIDATION_ERROR with `details`.
impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        ApiError::validation(Msg::Validation, errors.0)
    }
}

/// An operation refused the caller (not the owner, not an admin): 403.
impl From<crate::service::Forbidden> for ApiError {
    fn from(err: crate::service::Forbidden) -> Self {
        ApiError::forbidden(err.0)
    }
}

/// An unknown resource: 404 with the operation's code and message.
impl From<crate::service::NotFound> for ApiError {
    fn from(err: crate::service::NotFound) -> Self {
        ApiError::not_found(err.code, err.message)
    }
}

/// A movie another service does not know (yet): 404 `MOVIE_NOT_FOUND`, with `Retry-After: 1`
/// when its id is under a minute old (its `movie.created` may be on its way).
impl From<crate::events::movie_copies::UnknownMovie> for ApiError {
    fn from(err: crate::events::movie_copies::UnknownMovie) -> Self {
        let mut answer = ApiError::not_found("MOVIE_NOT_FOUND", Msg::MovieNotFound);
        if err.just_created {
            answer.retry_after = Some(1);
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_or_failing_over_redis_is_503_and_a_bad_command_500() {
        let oom = redis::make_extension_error(
            "OOM".to_owned(),
            Some("command not allowed when used memory > 'maxmemory'.".to_owned()),
        );
        assert_eq!(
            ApiError::from(oom).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        let readonly = redis::RedisError::from((
            redis::ErrorKind::ReadOnly,
            "You can't write against a read only replica.",
        ));
        assert_eq!(
            ApiError::from(readonly).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        // Redis before 7.0 wraps a refusal inside a script (the counters) in a plain ERR.
        let scripted = redis::RedisError::from((
            redis::ErrorKind::ResponseError,
            "An error was signalled by the server",
            "Error running script (call to f_0): @user_script:2: @user_script: 2: -OOM command \
             not allowed when used memory > 'maxmemory'."
                .to_owned(),
        ));
        assert_eq!(
            ApiError::from(scripted).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        let script_bug = redis::RedisError::from((
            redis::ErrorKind::ResponseError,
            "An error was signalled by the server",
            "Error running script (call to f_0): @user_script:1: attempt to call a nil value"
                .to_owned(),
        ));
        assert_eq!(
            ApiError::from(script_bug).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let wrong = redis::RedisError::from((redis::ErrorKind::TypeError, "WRONGTYPE"));
        assert_eq!(
            ApiError::from(wrong).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
