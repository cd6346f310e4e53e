//! The SQS side: record body -> envelope (platform) -> event (`events::parse`) -> operation
//! -> acknowledged, or a batch item failure (poison or retry, mapped in `error.rs`).

use std::time::Duration;

use streamia_shared::events::consumer::{self, ConsumeError, Limits};
use streamia_shared::events::Envelope;

use crate::deps::CopyDeps;
use crate::mailer::SEND_TIMEOUT;
use crate::{events, ops, Deps};

/// Handles one envelope from the user-events queue.
pub async fn on_user_event(deps: &'static Deps, envelope: Envelope) -> Result<(), ConsumeError> {
    let Some(incoming) = events::parse(envelope)? else {
        return Ok(());
    };
    ops::send_email::execute(deps, &incoming).await?;
    Ok(())
}

/// The longest one record may take: one SMTP send (its timeout) plus the inbox's round trips.
/// A record is not started with less time left; `infra/checks` holds the queue's batch size to
/// it (batch size x this must fit the function's timeout).
pub const PER_RECORD: Duration = Duration::from_secs(SEND_TIMEOUT.as_secs() + 2);

/// Serves `notifications-on-user-event` for the life of the container.
pub async fn serve_user_events() -> Result<(), lambda_runtime::Error> {
    let limits = Limits {
        per_record: PER_RECORD,
        ..Limits::default()
    };
    consumer::serve(limits, on_user_event).await
}

/// Serves `notifications-on-favorite-alert` for the life of the container: the favorites'
/// alerts from their own queue, handled as the user events' emails are (the same parsing, the
/// same once-only send).
pub async fn serve_favorite_alerts() -> Result<(), lambda_runtime::Error> {
    serve_user_events().await
}

/// Handles one envelope from the user-changes queue (`notifications-on-user-change`).
pub async fn on_user_change(
    deps: &'static CopyDeps,
    envelope: Envelope,
) -> Result<(), ConsumeError> {
    let Some(incoming) = events::parse_change(envelope)? else {
        return Ok(());
    };
    ops::copy_user::execute(deps, &incoming).await?;
    Ok(())
}

/// The longest one record of the user-changes consumer may take: one MongoDB transaction, at
/// most a server selection (4 s) and a few round trips. `infra/checks` holds the queue's batch
/// size to it.
pub const CHANGE_PER_RECORD: Duration = Duration::from_secs(5);

/// Serves `notifications-on-user-change` for the life of the container.
pub async fn serve_user_changes() -> Result<(), lambda_runtime::Error> {
    let limits = Limits {
        per_record: CHANGE_PER_RECORD,
        ..Limits::default()
    };
    consumer::serve(limits, on_user_change).await
}
