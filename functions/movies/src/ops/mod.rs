//! The movies service's operations, one file each, callable from any adapter (an HTTP route,
//! the SQS consumer of ratings, the local stack's seed) and from tests without HTTP types.
//!
//! Every operation has the same shape:
//! - `Input`: the raw fields as a client sends them (plain data, `deny_unknown_fields`);
//! - `parse(..) -> Result<Command, MoviesError>`: every field checked at once into a `Command`
//!   whose fields are domain values, so it cannot be invalid;
//! - `execute(&Deps, Command, &Ctx) -> Result<Output, MoviesError>`: the work, against the
//!   service's own store, its cache and its events.

pub mod add_subtitle;
pub mod apply_rating;
pub mod confirm_video;
pub mod create;
pub mod delete;
pub mod delete_subtitle;
pub mod deletion_saga;
pub mod get;
pub mod list;
pub mod list_subtitles;
pub mod playback;
pub mod republish;
pub mod sweep_media;
pub mod update;
pub mod video_upload_url;

pub use streamia_shared::service::{Caller, Ctx};

use crate::domain::{Movie, MovieView};
use crate::Deps;

/// The movie `id` as visitors see it: `MovieNotFound` when it is unknown or being deleted.
pub(crate) async fn visible_movie(
    deps: &Deps,
    id: bson::oid::ObjectId,
) -> Result<Movie, crate::MoviesError> {
    deps.movies
        .visible(id)
        .await?
        .ok_or(crate::MoviesError::MovieNotFound)
}

/// After a committed write: the movie's cache entry becomes the new state (a tombstone when
/// it is being deleted) and every cached list page is dropped, so the writer's next read, and
/// anyone's after it, sees the write.
pub(crate) async fn after_write(deps: &Deps, movie: &Movie) {
    refresh_movie(deps, movie).await;
    deps.cache.invalidate_lists().await;
}

/// The movie's cache entry becomes `movie` (a tombstone when it is not visible); list pages
/// are left alone.
pub(crate) async fn refresh_movie(deps: &Deps, movie: &Movie) {
    let view = (movie.status == crate::domain::MovieStatus::Active).then(|| MovieView::from(movie));
    deps.cache
        .put_movie(&movie.id.to_hex(), movie.version, view.as_ref(), true)
        .await;
}
