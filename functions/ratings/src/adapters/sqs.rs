//! The SQS side of `ratings-on-movie-change`: record body -> envelope (platform) -> the
//! platform's movie-copies step (`MovieCopies::consume`: parsed, recorded in the inbox and
//! applied if newer, in one transaction) -> acknowledged, or a batch item failure (poison
//! after its retries goes to the queue's DLQ; a MongoDB failure is retried).

use std::time::Duration;

use streamia_shared::events::consumer::{self, ConsumeError, Limits};
use streamia_shared::events::Envelope;
use streamia_shared::saga::{MovieDeletion, UserDeletion};

use crate::ops::movie_deletion::MovieRatings;
use crate::ops::user_deletion::Ratings;
use crate::{cache, Deps};

/// Handles one envelope from the ratings' movie-changes queue.
pub async fn on_movie_change(deps: &'static Deps, envelope: Envelope) -> Result<(), ConsumeError> {
    let movie = deps
        .copies
        .consume(&deps.mongo, &deps.inbox, envelope)
        .await?;
    if let Some(movie) = movie {
        // Its summary may have become hidden or visible again.
        deps.answers.bump(&cache::movie(movie)).await;
    }
    Ok(())
}

/// The longest one record may take: one MongoDB transaction, at most a server selection (4 s)
/// and a few round trips. `infra/checks` holds the queue's batch size to it.
pub const PER_RECORD: Duration = Duration::from_secs(5);

/// Serves `ratings-on-movie-change` for the life of the container.
pub async fn serve_movie_changes() -> Result<(), lambda_runtime::Error> {
    let limits = Limits {
        per_record: PER_RECORD,
        ..Limits::default()
    };
    consumer::serve(limits, on_movie_change).await
}

/// Handles one envelope from the ratings' user-deletions queue (the saga's step).
pub async fn on_user_deletion(deps: &'static Deps, envelope: Envelope) -> Result<(), ConsumeError> {
    deps.participant
        .consume::<UserDeletion>(&Ratings(deps), envelope)
        .await
        .map(|_| ())
}

/// The longest one saga record may take: the user's ratings changed (a few many-document
/// writes), summary passes started for 3 s (the last may take 2.5 s more), the reply's
/// transaction and its publish (3 s).
/// `infra/checks` holds the queue's batch size to it.
pub const SAGA_PER_RECORD: Duration = Duration::from_secs(15);

/// Serves `ratings-on-user-deletion` for the life of the container.
pub async fn serve_user_deletions() -> Result<(), lambda_runtime::Error> {
    let limits = Limits {
        per_record: SAGA_PER_RECORD,
        ..Limits::default()
    };
    consumer::serve(limits, on_user_deletion).await
}

/// Handles one envelope from the ratings' movie-deletions queue (the saga's step).
pub async fn on_movie_deletion(
    deps: &'static Deps,
    envelope: Envelope,
) -> Result<(), ConsumeError> {
    deps.movie_participant
        .consume::<MovieDeletion>(&MovieRatings(deps), envelope)
        .await
        .map(|_| ())
}

/// Serves `ratings-on-movie-deletion` for the life of the container (a movie's step is one
/// many-document write and one summary pass: within the user step's budget).
pub async fn serve_movie_deletions() -> Result<(), lambda_runtime::Error> {
    let limits = Limits {
        per_record: SAGA_PER_RECORD,
        ..Limits::default()
    };
    consumer::serve(limits, on_movie_deletion).await
}
