//! What a favorite is, and the notes a client may write on one (parsed once, at the edge).

mod favorite;
mod note;

pub use favorite::{Favorite, FavoriteView};
pub use note::{parse_note, MAX_NOTE_CHARS};
