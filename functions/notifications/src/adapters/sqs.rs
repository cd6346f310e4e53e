//! The SQS side: record body -> envelope (platform) -> event (`events::parse`) -> operation
//! -> acknowledged, or a batch item failure (poison or retry, mapped in `error.rs`).

use std::time::Duration;

use streamia_shared::events::consumer::{self, ConsumeError, Limits};
use streamia_shared::events::Envelope;

use crate::deps::CopyDeps;
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

/// Handles one envelope from the user-changes queue (`notifications-on-user-change`).
pub async fn on_user_change(deps: &CopyDeps, envelope: Envelope) -> Result<(), ConsumeError> {
    let Some(incoming) = events::parse_change(envelope)? else {
        return Ok(());
    };
    ops::copy_user::execute(deps, &incoming).await?;
    Ok(())
}

/// The time limits of the user-changes consumer: a record is one MongoDB transaction, at
/// most a server selection (4 s) and a few round trips. template.yaml's BatchSize times this
/// must fit in the function's Timeout minus the margin.
pub fn change_limits() -> Limits {
    Limits {
        per_record: Duration::from_secs(5),
        ..Limits::default()
    }
}

/// Serves `notifications-on-user-change` for the life of the container.
pub async fn run_on_user_change(deps: CopyDeps) -> Result<(), lambda_runtime::Error> {
    consumer::run(deps, change_limits(), on_user_change).await
}
