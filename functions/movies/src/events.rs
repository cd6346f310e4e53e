//! What the movies service tells other services, and the events it consumes. The shapes live
//! in `streamia_shared::events::{movies, ratings}` (producers and consumers share them); this
//! module fills them from a movie and parses what the ratings consumer receives. Every event
//! goes through the outbox (`Deps::outbox`): staged in the transaction of the change it
//! announces, published after the commit, numbered per movie.

pub use streamia_shared::events::movies::{
    MovieCreated, MovieDeleted, MovieUpdated, MovieVideoUploaded,
};
pub use streamia_shared::events::ratings::RatingChanged;
use streamia_shared::events::{Envelope, Event, Incoming};

use crate::domain::Movie;
use crate::error::MoviesError;

/// `movie.created` for a new movie.
pub fn created(movie: &Movie) -> MovieCreated {
    MovieCreated {
        movie_id: movie.id.to_hex(),
        title: movie.title.clone(),
        cover_image: movie.cover_image.clone(),
        status: movie.status,
    }
}

/// `movie.updated` after `changed` (camelCase field names) changed.
pub fn updated(movie: &Movie, changed: Vec<String>) -> MovieUpdated {
    MovieUpdated {
        movie_id: movie.id.to_hex(),
        title: movie.title.clone(),
        cover_image: movie.cover_image.clone(),
        status: movie.status,
        changed,
    }
}

/// `movie.deleted` for a movie now being deleted by saga `saga_id`.
pub fn deleted(movie: &Movie, saga_id: &str) -> MovieDeleted {
    MovieDeleted {
        saga_id: saga_id.to_owned(),
        movie_id: movie.id.to_hex(),
        title: movie.title.clone(),
        cover_image: movie.cover_image.clone(),
        status: movie.status,
    }
}

/// Parses an envelope from the movies' ratings queue (`movies-on-rating-change`). `Ok(None)`:
/// an event this consumer does not act on (acknowledged).
pub fn parse_rating(envelope: Envelope) -> Result<Option<Incoming<RatingChanged>>, MoviesError> {
    Ok(match envelope.event_name.as_str() {
        RatingChanged::NAME => Some(Incoming::parse(envelope)?),
        _ => None,
    })
}

/// `movie.video_uploaded` once `movie`'s video is confirmed and recorded.
pub fn video_uploaded(movie: &Movie, video: &crate::domain::Video) -> MovieVideoUploaded {
    MovieVideoUploaded {
        movie_id: movie.id.to_hex(),
        title: movie.title.clone(),
        cover_image: movie.cover_image.clone(),
        status: movie.status,
        video_key: video.key.clone(),
        format: video.format.clone(),
        size_bytes: video.size_bytes.max(0) as u64,
    }
}
