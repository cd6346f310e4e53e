//! The SQS side of `favorites-on-movie-change`: record body -> envelope (platform) -> the
//! platform's movie-copies step (parse, inbox and "apply only if newer" in one transaction) ->
//! acknowledged, or a batch item failure (poison for the dead-letter queue, or a retry).

use std::time::Duration;

use streamia_shared::events::consumer::{self, ConsumeError, Limits};
use streamia_shared::events::Envelope;
use streamia_shared::saga::{MovieDeletion, UserDeletion};

use crate::ops::movie_deletion::MovieFavorites;
use crate::ops::user_deletion::Favorites;
use crate::{cache, Deps};

/// Handles one envelope from the favorites' movie-changes queue; then every cached list is
/// computed again (any of them may show that movie).
pub async fn on_movie_change(deps: &'static Deps, envelope: Envelope) -> Result<(), ConsumeError> {
    let movie = deps
        .copies
        .consume(&deps.mongo, &deps.inbox, envelope)
        .await?;
    if movie.is_some() {
        deps.answers.bump(cache::COPIES).await;
    }
    Ok(())
}

/// The longest one record may take: one MongoDB transaction, at most a server selection (4 s)
/// and a few round trips. `infra/checks` holds the queue's batch size to it.
pub const PER_RECORD: Duration = Duration::from_secs(5);

/// Serves `favorites-on-movie-change` for the life of the container.
pub async fn serve_movie_changes() -> Result<(), lambda_runtime::Error> {
    let limits = Limits {
        per_record: PER_RECORD,
        ..Limits::default()
    };
    consumer::serve(limits, on_movie_change).await
}

/// Handles one envelope from the favorites' user-deletions queue (the saga's step).
pub async fn on_user_deletion(deps: &'static Deps, envelope: Envelope) -> Result<(), ConsumeError> {
    deps.participant
        .consume::<UserDeletion>(&Favorites(deps), envelope)
        .await
        .map(|_| ())
}

/// Serves `favorites-on-user-deletion` for the life of the container.
pub async fn serve_user_deletions() -> Result<(), lambda_runtime::Error> {
    let limits = Limits {
        per_record: SAGA_PER_RECORD,
        ..Limits::default()
    };
    consumer::serve(limits, on_user_deletion).await
}

/// The longest one saga record may take: a few single-document and many-document writes, one
/// transaction for the reply and its publish (the outbox's 3 s flush budget).
/// `infra/checks` holds the queue's batch size to it.
pub const SAGA_PER_RECORD: Duration = Duration::from_secs(10);

/// Handles one envelope from the favorites' movie-deletions queue (the saga's step).
pub async fn on_movie_deletion(
    deps: &'static Deps,
    envelope: Envelope,
) -> Result<(), ConsumeError> {
    deps.movie_participant
        .consume::<MovieDeletion>(&MovieFavorites(deps), envelope)
        .await
        .map(|_| ())
}

/// The longest one movie-deletion record may take: the set-aside and its reply like a user's,
/// or a purge of a movie's favorites, a bounded transaction per 100 of them (each with its
/// alerts and their publish). `infra/checks` holds the queue's batch size to it.
pub const MOVIE_SAGA_PER_RECORD: Duration = Duration::from_secs(25);

/// Serves `favorites-on-movie-deletion` for the life of the container.
pub async fn serve_movie_deletions() -> Result<(), lambda_runtime::Error> {
    let limits = Limits {
        per_record: MOVIE_SAGA_PER_RECORD,
        ..Limits::default()
    };
    consumer::serve(limits, on_movie_deletion).await
}
