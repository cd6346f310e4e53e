//! Keeps a movie's `ratingAverage` and `ratingCount` in step with the ratings service's
//! `rating.changed` events: each event applied once (inbox) and only if its per-movie version
//! is newer than the summary the movie holds, so duplicates and any arrival order end in the
//! in-order state. The list can then sort by rating without calling the ratings service.

use streamia_shared::domain::parse_object_id;
use streamia_shared::events::{Handled, Incoming};
use streamia_shared::fields::{FieldError, FieldErrors};

use super::refresh_movie;
use crate::error::MoviesError;
use crate::events::RatingChanged;
use crate::Deps;

/// What one delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The movie now holds this summary.
    Applied,
    /// The movie holds a newer summary (this event arrived late), or is unknown here.
    Stale,
}

/// Applies `incoming` once. `Duplicate` for a redelivery. An average outside 0-5 or a movie
/// id that is not one is poison (no redelivery fixes it).
pub async fn execute(
    deps: &Deps,
    incoming: &Incoming<RatingChanged>,
) -> Result<Handled<Outcome>, MoviesError> {
    let event = &incoming.event;
    let id = parse_object_id(&event.movie_id)
        .map_err(|e| FieldErrors(vec![FieldError::from_invalid("movieId", e)]))?;
    if !(0.0..=5.0).contains(&event.average) {
        return Err(FieldErrors(vec![FieldError::new(
            "average",
            streamia_shared::i18n::Msg::FieldInvalid,
        )])
        .into());
    }
    let count = i64::try_from(event.count).unwrap_or(i64::MAX);
    let version = i64::try_from(incoming.aggregate_version).unwrap_or(i64::MAX);
    let handled = deps
        .inbox
        .apply(
            &deps.mongo,
            &incoming.event_id,
            (deps, id, event.average, count, version),
            |session, (deps, id, average, count, version)| {
                Box::pin(async move {
                    deps.movies
                        .apply_rating(session, *id, *average, *count, *version)
                        .await
                })
            },
        )
        .await?;
    let outcome = match &handled {
        Handled::Applied(Some(movie)) => {
            // The movie's own entry follows at once; list pages keep their generation and
            // show the new summary within their TTL (60 s): every rating of a popular movie
            // would otherwise empty every cached list page of the catalog.
            refresh_movie(deps, movie).await;
            Handled::Applied(Outcome::Applied)
        }
        Handled::Applied(None) => Handled::Applied(Outcome::Stale),
        Handled::Duplicate => Handled::Duplicate,
    };
    tracing::info!(
        event_id = %incoming.event_id,
        correlation_id = %incoming.correlation_id,
        movie_id = %incoming.aggregate_id,
        aggregate_version = incoming.aggregate_version,
        outcome = ?outcome,
        "rating summary"
    );
    Ok(outcome)
}
