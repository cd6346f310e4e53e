//! What the ratings service knows: a [`Score`] (valid by construction), a user's [`Rating`]
//! of a movie as stored and as shown, and a movie's [`Summary`] of all its ratings.

mod rating;
mod score;
mod summary;

pub use rating::{Rating, RatingView};
pub use score::Score;
pub use summary::{Distribution, Summary, SummaryView};
