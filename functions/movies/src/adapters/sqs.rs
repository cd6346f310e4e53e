//! The SQS side of `movies-on-rating-change`: record body -> envelope (platform) -> event
//! (`events::parse_rating`) -> operation -> acknowledged, or a batch item failure (poison or
//! retry, mapped in `error.rs`).

use std::time::Duration;

use streamia_shared::events::consumer::{self, ConsumeError, Limits};
use streamia_shared::events::Envelope;

use crate::{events, ops, Deps};

/// Handles one envelope from the movies' ratings queue.
pub async fn on_rating_change(deps: &'static Deps, envelope: Envelope) -> Result<(), ConsumeError> {
    let Some(incoming) = events::parse_rating(envelope)? else {
        return Ok(());
    };
    ops::apply_rating::execute(deps, &incoming).await?;
    Ok(())
}

/// The longest one record may take: one MongoDB transaction (a server selection of 4 s at
/// most and a few round trips) and the cache's invalidation (bounded by its own timeouts).
/// `infra/checks` holds the queue's batch size to it.
pub const PER_RECORD: Duration = Duration::from_secs(6);

/// Serves `movies-on-rating-change` for the life of the container.
pub async fn serve_rating_changes() -> Result<(), lambda_runtime::Error> {
    let limits = Limits {
        per_record: PER_RECORD,
        ..Limits::default()
    };
    consumer::serve(limits, on_rating_change).await
}

/// Handles one envelope from the movies' deletion-steps queue (the participants' replies to
/// movie-deletion sagas).
pub async fn on_deletion_step(deps: &'static Deps, envelope: Envelope) -> Result<(), ConsumeError> {
    let Some(incoming) = ops::deletion_saga::parse(envelope)? else {
        return Ok(());
    };
    ops::deletion_saga::on_reply(deps, &incoming)
        .await
        .map_err(|e| ConsumeError::Transient(e.to_string()))?;
    Ok(())
}

/// The longest one reply may take: one MongoDB transaction (a server selection of 4 s at most
/// and a few round trips), the publish after it (the outbox's 3 s), and, for the completing
/// reply, the deletion of the movie's media objects (a video and its subtitle tracks, each
/// bounded by the storage client's timeouts; what is not deleted in time is the sweeper's).
/// `infra/checks` holds the queue's batch size to it.
pub const SAGA_PER_RECORD: Duration = Duration::from_secs(20);

/// Serves `movies-on-deletion-step` for the life of the container.
pub async fn serve_deletion_steps() -> Result<(), lambda_runtime::Error> {
    let limits = Limits {
        per_record: SAGA_PER_RECORD,
        ..Limits::default()
    };
    consumer::serve(limits, on_deletion_step).await
}
