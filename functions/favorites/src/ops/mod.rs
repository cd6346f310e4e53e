//! The favorites service's operations, one file each, callable from an HTTP route or a test
//! without HTTP types.
//!
//! Every operation has the same shape:
//! - `Input`: the raw fields as a client sends them (plain data, `deny_unknown_fields`);
//! - `parse(..) -> Result<Command, FavoritesError>`: every field checked at once into a
//!   `Command` whose fields are domain values, so it cannot be invalid;
//! - `execute(&Deps, Command, &Caller) -> Result<Output, FavoritesError>`: the work, on the
//!   caller's own favorites only (the caller's id is in every query).

pub mod add;
pub mod get;
pub mod list;
pub mod movie_deletion;
pub mod remove;
pub mod update;
pub mod user_deletion;

pub use streamia_shared::service::{Caller, Ctx};

use crate::domain::{Favorite, FavoriteView};
use crate::error::FavoritesError;
use crate::Deps;

/// One favorite as shown: with its movie's current title and cover from the copies (whatever
/// the movie's status: a favorite of a movie being deleted still shows what it was).
pub(crate) async fn view(deps: &Deps, favorite: &Favorite) -> Result<FavoriteView, FavoritesError> {
    let copies = deps.copies.many(&[favorite.movie_id]).await?;
    Ok(FavoriteView::new(favorite, copies.get(&favorite.movie_id)))
}
