//! The SQS side of `users-on-deletion-step`: record body -> envelope (platform) -> a
//! participant's reply (`ops::deletion_saga::parse`) -> the saga's step -> acknowledged, or a
//! batch item failure (poison for the dead-letter queue; every other failure is a dependency's
//! and is retried).

use std::time::Duration;

use streamia_shared::events::consumer::{self, ConsumeError, Limits};
use streamia_shared::events::Envelope;

use crate::deps::SagaDeps;
use crate::ops::deletion_saga;

/// Handles one envelope from the deletion-steps queue.
pub async fn on_deletion_step(
    deps: &'static SagaDeps,
    envelope: Envelope,
) -> Result<(), ConsumeError> {
    let Some(incoming) = deletion_saga::parse(envelope)? else {
        return Ok(());
    };
    deletion_saga::on_reply(deps, &incoming)
        .await
        .map_err(|e| ConsumeError::Transient(e.to_string()))?;
    Ok(())
}

/// The longest one record may take: one MongoDB transaction (at most a server selection, 4 s,
/// and a few round trips) and the publish after it (the outbox's flush budget, 3 s).
/// `infra/checks` holds the queue's batch size to it.
pub const PER_RECORD: Duration = Duration::from_secs(8);

/// Serves `users-on-deletion-step` for the life of the container.
pub async fn serve_deletion_steps() -> Result<(), lambda_runtime::Error> {
    let limits = Limits {
        per_record: PER_RECORD,
        ..Limits::default()
    };
    consumer::serve(limits, on_deletion_step).await
}
