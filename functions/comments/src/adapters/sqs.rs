//! The SQS side of the consumers (the copies' two, and the saga's step): record body -> envelope (platform) -> event -> copy ->
//! acknowledged, or a batch item failure (poison or retry).

use std::time::Duration;

use streamia_shared::events::consumer::{self, ConsumeError, Limits};
use streamia_shared::events::Envelope;
use streamia_shared::saga::{MovieDeletion, UserDeletion};

use crate::deps::{CopyDeps, SagaDeps};
use crate::ops::movie_deletion::MovieComments;
use crate::ops::user_deletion::Comments;
use crate::{events, ops};

/// Handles one envelope from the movie-changes queue (`comments-on-movie-change`): the
/// platform's movie copies, whole.
pub async fn on_movie_change(
    deps: &'static CopyDeps,
    envelope: Envelope,
) -> Result<(), ConsumeError> {
    // Comments cache no answer, so the movie the record was about needs nothing more.
    deps.movies
        .consume(&deps.mongo, &deps.movie_inbox, envelope)
        .await
        .map(|_movie| ())
}

/// Handles one envelope from the user-changes queue (`comments-on-user-change`).
pub async fn on_user_change(
    deps: &'static CopyDeps,
    envelope: Envelope,
) -> Result<(), ConsumeError> {
    let Some(incoming) = events::parse_user_change(envelope)? else {
        return Ok(());
    };
    ops::copy_user::execute(deps, &incoming).await?;
    Ok(())
}

/// The longest one record of either consumer may take: one MongoDB transaction, at most a
/// server selection (4 s) and a few round trips. `infra/checks` holds the queues' batch sizes
/// to it.
pub const PER_RECORD: Duration = Duration::from_secs(5);

fn limits() -> Limits {
    Limits {
        per_record: PER_RECORD,
        ..Limits::default()
    }
}

/// Serves `comments-on-movie-change` for the life of the container.
pub async fn serve_movie_changes() -> Result<(), lambda_runtime::Error> {
    consumer::serve(limits(), on_movie_change).await
}

/// Serves `comments-on-user-change` for the life of the container.
pub async fn serve_user_changes() -> Result<(), lambda_runtime::Error> {
    consumer::serve(limits(), on_user_change).await
}

/// Handles one envelope from the comments' user-deletions queue (the saga's step).
pub async fn on_user_deletion(
    deps: &'static SagaDeps,
    envelope: Envelope,
) -> Result<(), ConsumeError> {
    deps.participant
        .consume::<UserDeletion>(&Comments(&deps.comments, &deps.reports), envelope)
        .await
        .map(|_| ())
}

/// The longest one saga record may take: two many-document writes, the reply's transaction
/// and its publish (the outbox's 3 s flush budget). `infra/checks` holds the queue's batch
/// size to it.
pub const SAGA_PER_RECORD: Duration = Duration::from_secs(10);

/// Serves `comments-on-user-deletion` for the life of the container.
pub async fn serve_user_deletions() -> Result<(), lambda_runtime::Error> {
    let limits = Limits {
        per_record: SAGA_PER_RECORD,
        ..Limits::default()
    };
    consumer::serve(limits, on_user_deletion).await
}

/// Handles one envelope from the comments' movie-deletions queue (the saga's step).
pub async fn on_movie_deletion(
    deps: &'static SagaDeps,
    envelope: Envelope,
) -> Result<(), ConsumeError> {
    deps.movie_participant
        .consume::<MovieDeletion>(&MovieComments(&deps.comments, &deps.reports), envelope)
        .await
        .map(|_| ())
}

/// The longest one movie-deletion record may take: the set-aside and its reply like a user's,
/// or a purge in rounds of 500 comments (their reports, then them).
pub const MOVIE_SAGA_PER_RECORD: Duration = Duration::from_secs(20);

/// Serves `comments-on-movie-deletion` for the life of the container.
pub async fn serve_movie_deletions() -> Result<(), lambda_runtime::Error> {
    let limits = Limits {
        per_record: MOVIE_SAGA_PER_RECORD,
        ..Limits::default()
    };
    consumer::serve(limits, on_movie_deletion).await
}
