//! Keeps the copy of a user (`copies`) in step with the events of the user's life: each event
//! is applied once (inbox) and only if it is newer than what the copy reflects, so duplicates
//! and any arrival order end in the in-order state.

use streamia_shared::events::{Change, Handled, Incoming, Projected};

use crate::copies::{CopyStatus, UserCopy};
use crate::deps::CopyDeps;
use crate::events::UserChange;
use crate::NotifyError;

/// What an event makes of the copy. Each event carries the whole snapshot (users.rs), so it
/// alone says what the copy is at its version. (The tombstone, `user.deletion_completed`, is
/// the user-events consumer's: `send_email`.)
pub fn change_for(event: &UserChange) -> Change<UserCopy> {
    let copy = |username: &str, email: &str, first_name: &Option<String>, language, status| {
        Change::Set(UserCopy {
            username: username.to_owned(),
            email: email.to_owned(),
            first_name: first_name.clone(),
            language,
            status,
        })
    };
    use CopyStatus::{Active, Deleting};
    match event {
        UserChange::Registered(e) => copy(&e.username, &e.email, &e.first_name, e.language, Active),
        // Only an active account can be updated.
        UserChange::Updated(e) => copy(&e.username, &e.email, &e.first_name, e.language, Active),
        UserChange::Deleted(e) => copy(&e.username, &e.email, &e.first_name, e.language, Deleting),
        UserChange::DeletionCancelled(e) => {
            copy(&e.username, &e.email, &e.first_name, e.language, Active)
        }
    }
}

/// Applies `incoming` to the copy of its user, once. `Duplicate` for a redelivery; `Applied`
/// with `Stale` or `AfterTombstone` when an older event arrived late (nothing changed).
pub async fn execute(
    deps: &CopyDeps,
    incoming: &Incoming<UserChange>,
) -> Result<Handled<Projected>, NotifyError> {
    let handled = deps
        .copies
        .project(
            &deps.mongo,
            &deps.inbox,
            incoming,
            change_for(&incoming.event),
        )
        .await?;
    tracing::info!(
        event_id = %incoming.event_id,
        correlation_id = %incoming.correlation_id,
        user_id = %incoming.aggregate_id,
        aggregate_version = incoming.aggregate_version,
        outcome = ?handled,
        "user copy"
    );
    Ok(handled)
}
