//! What a movie is, and the values a client may set on one (parsed once, at the edge).

mod movie;
pub mod subtitles;

pub use movie::{
    parse_category, parse_description, parse_duration, parse_release_year, parse_title, Movie,
    MovieStatus, MovieView, Sort, Subtitle, SubtitleView, Video, MAX_RELEASE_YEAR,
    MIN_RELEASE_YEAR,
};
