//! Everything that can go wrong in the favorites service, mapped to HTTP (and to SQS's retry or
//! poison) in one place.
//!
//! Operations return [`FavoritesError`] and never build an HTTP answer; the routes turn it into
//! the contract's envelope through the single `From<FavoritesError> for ApiError` below.

use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::events::movie_copies::UnknownMovie;
use streamia_shared::events::ProjectionError;
use streamia_shared::fields::FieldErrors;
use streamia_shared::http::ApiError;
use streamia_shared::i18n::Msg;
use streamia_shared::service::NotFound;

/// The 404 of a favorite the caller does not have (never added, removed, or someone else's:
/// the same answer, so a user learns nothing about other users' favorites).
pub const FAVORITE_NOT_FOUND: NotFound = NotFound::of(Msg::FavoriteNotFound);

/// The contract's 409 code for a movie already among the caller's favorites.
pub const ALREADY_FAVORITE: &str = "ALREADY_FAVORITE";

/// A favorites-service failure.
#[derive(Debug, thiserror::Error)]
pub enum FavoritesError {
    /// Fields failed their domain rules (all of them are listed).
    #[error(transparent)]
    Validation(#[from] FieldErrors),
    /// The movie is unknown to the copies, or not visible (being deleted): 404
    /// `MOVIE_NOT_FOUND`, with `Retry-After: 1` when its id is under a minute old.
    #[error(transparent)]
    MovieNotFound(#[from] UnknownMovie),
    /// The caller has no favorite for that movie.
    #[error("favorite not found")]
    FavoriteNotFound,
    /// The caller already has that movie among their favorites (the unique index said so).
    #[error("already a favorite")]
    AlreadyFavorite,
    /// MongoDB failed.
    #[error(transparent)]
    Mongo(#[from] mongodb::error::Error),
    /// The movie copies could not be read.
    #[error(transparent)]
    Copies(#[from] ProjectionError),
}

impl From<FavoritesError> for ApiError {
    fn from(err: FavoritesError) -> Self {
        match err {
            FavoritesError::Validation(errors) => errors.into(),
            FavoritesError::MovieNotFound(unknown) => unknown.into(),
            FavoritesError::FavoriteNotFound => FAVORITE_NOT_FOUND.into(),
            FavoritesError::AlreadyFavorite => {
                ApiError::conflict(ALREADY_FAVORITE, Msg::AlreadyFavorite)
            }
            FavoritesError::Mongo(e) => e.into(),
            FavoritesError::Copies(ProjectionError::Mongo(e)) => e.into(),
            FavoritesError::Copies(e @ ProjectionError::State { .. }) => ApiError::internal(e),
            FavoritesError::Copies(e) => ApiError::unavailable(e),
        }
    }
}

impl From<FavoritesError> for ConsumeError {
    /// What no redelivery can fix (a copy that does not convert, a rejected field) is poison,
    /// for the dead-letter queue; everything else is retried.
    fn from(e: FavoritesError) -> Self {
        match e {
            FavoritesError::Copies(ProjectionError::State { .. })
            | FavoritesError::Validation(_) => ConsumeError::Poison(e.to_string()),
            other => ConsumeError::Transient(other.to_string()),
        }
    }
}
