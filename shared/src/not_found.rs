//! "No such thing": the one failure every read-by-id operation has, said in one line, without
//! an HTTP type (the HTTP layer makes it the 404 with the code given here).
//!
//! ```
//! use streamia_shared::not_found::NotFound;
//!
//! /// The contract's code for an unknown or deleted movie (favorites, ratings, comments).
//! const MOVIE: NotFound = NotFound::new("MOVIE_NOT_FOUND", "movie");
//!
//! fn find(found: Option<&str>) -> Result<&str, NotFound> {
//!     found.ok_or(MOVIE)
//! }
//! assert_eq!(find(None).unwrap_err().to_string(), "movie not found");
//! assert_eq!(NotFound::of("comment").code, "NOT_FOUND");
//! ```
//!
//! A deleted (or being-deleted) resource answers the same as one that never existed, so a
//! client learns nothing from the difference.

/// An unknown resource: the machine code the client gets (`NOT_FOUND` unless the contract
/// names a specific one, such as `MOVIE_NOT_FOUND`) and what was looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{what} not found")]
pub struct NotFound {
    /// The envelope's `error` code.
    pub code: &'static str,
    /// The kind of thing that was not found, for the message (`"movie"`).
    pub what: &'static str,
}

impl NotFound {
    /// The contract's generic code for a 404.
    pub const CODE: &'static str = "NOT_FOUND";

    /// An unknown `what` answered with the contract's specific `code`.
    pub const fn new(code: &'static str, what: &'static str) -> Self {
        Self { code, what }
    }

    /// An unknown `what` answered with the generic `NOT_FOUND`.
    pub const fn of(what: &'static str) -> Self {
        Self::new(Self::CODE, what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_was_not_found() {
        let err = NotFound::new("MOVIE_NOT_FOUND", "movie");
        assert_eq!(err.to_string(), "movie not found");
        assert_eq!(err.code, "MOVIE_NOT_FOUND");
        assert_eq!(
            NotFound::of("comment"),
            NotFound::new("NOT_FOUND", "comment")
        );
    }
}
