//! Keeps the copy of a user's username in step with the events of the user's life: each event
//! is applied once (inbox) and only if it is newer than what the copy reflects, so duplicates
//! and any arrival order end in the in-order state (the platform's projection).

use streamia_shared::events::{Change, Handled, Incoming, Projected};

use crate::deps::CopyDeps;
use crate::domain::{UserName, UserNameStatus};
use crate::events::UserChange;
use crate::CommentsError;

/// What an event makes of the copy. Each event carries the whole snapshot (users.rs), so it
/// alone says what the copy is at its version.
pub fn change_for(event: &UserChange) -> Change<UserName> {
    let copy = |username: &str, status| {
        Change::Set(UserName {
            username: username.to_owned(),
            status,
        })
    };
    use UserNameStatus::{Active, Deleting};
    match event {
        UserChange::Registered(e) => copy(&e.username, Active),
        UserChange::Updated(e) => copy(&e.username, Active),
        UserChange::Deleted(e) => copy(&e.username, Deleting),
        UserChange::DeletionCancelled(e) => copy(&e.username, Active),
        UserChange::DeletionCompleted(_) => Change::Tombstone,
    }
}

/// Applies `incoming` to the copy of its user, once. `Duplicate` for a redelivery; `Applied`
/// with `Stale` or `AfterTombstone` when an older event arrived late (nothing changed).
pub async fn execute(
    deps: &CopyDeps,
    incoming: &Incoming<UserChange>,
) -> Result<Handled<Projected>, CommentsError> {
    let handled = deps
        .users
        .copies
        .project(
            &deps.mongo,
            &deps.user_inbox,
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
        "username copy"
    );
    Ok(handled)
}
