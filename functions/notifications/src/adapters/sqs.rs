//! The SQS side: record body -> envelope (platform) -> event (`events::parse`) -> operation
//! -> acknowledged, or a batch item failure (poison or retry, mapped in `error.rs`).

use streamia_shared::events::consumer::{self, ConsumeError, Limits};
use streamia_shared::events::Envelope;

use crate::{events, ops, Deps};

/// Handles one envelope from the user-events queue.
pub async fn on_user_event(deps: &Deps, envelope: Envelope) -> Result<(), ConsumeError> {
    let Some(incoming) = events::parse(envelope)? else {
        return Ok(());
    };
    ops::send_email::execute(deps, &incoming).await?;
    Ok(())
}

/// The time limits of this consumer: a record may take one SMTP send plus the inbox's round
/// trips; it is not started with less time left than that.
pub fn limits(deps: &Deps) -> Limits {
    Limits {
        per_record: deps.mailer.timeout() + std::time::Duration::from_secs(2),
        ..Limits::default()
    }
}

/// Serves `notifications-on-user-event` for the life of the container.
pub async fn run(deps: Deps) -> Result<(), lambda_runtime::Error> {
    let limits = limits(&deps);
    consumer::run(deps, limits, on_user_event).await
}
