//! [`NotFound`] as the contract's 404: the operation's code and message in the envelope.

use super::ApiError;
use crate::not_found::NotFound;

/// `{error: <code>, message: "<what> not found"}` with status 404.
impl From<NotFound> for ApiError {
    fn from(err: NotFound) -> Self {
        ApiError::not_found(err.code, err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_a_404_with_the_given_code() {
        let err = ApiError::from(NotFound::new("MOVIE_NOT_FOUND", "movie"));
        assert_eq!(err.status(), 404);
        assert_eq!(err.code(), "MOVIE_NOT_FOUND");
        assert_eq!(err.body()["message"], "movie not found");
        assert_eq!(ApiError::from(NotFound::of("comment")).code(), "NOT_FOUND");
    }
}
