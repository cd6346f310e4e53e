//! The user events this service consumes (it publishes none yet), parsed from their envelope
//! into the platform's typed contracts with the platform's [`Incoming`] (version and contract
//! checked, ids kept). Each event name the user-changes queue subscribes to (the filter policy
//! in infra/messaging.yaml) has a variant, or the contract test in `tests/contracts.rs` fails.
//! The movie events are the platform's (`streamia_shared::events::movie_copies`).

use streamia_shared::events::users::{
    UserDeleted, UserDeletionCancelled, UserDeletionCompleted, UserRegistered, UserUpdated,
};
pub use streamia_shared::events::Incoming;
use streamia_shared::events::{Envelope, Event};

use crate::CommentsError;

/// An event of a user's life, which the copy of their username follows
/// (`comments-on-user-change`).
#[derive(Debug, Clone, PartialEq)]
pub enum UserChange {
    /// `user.registered` v1: the copy's first state.
    Registered(UserRegistered),
    /// `user.updated` v1: the current profile (a rename).
    Updated(UserUpdated),
    /// `user.deleted` v1: being deleted (reversible).
    Deleted(UserDeleted),
    /// `user.deletion_cancelled` v1: active again.
    DeletionCancelled(UserDeletionCancelled),
    /// `user.deletion_completed` v1: gone for good.
    DeletionCompleted(UserDeletionCompleted),
}

/// Parses an envelope from the user-changes queue. `Ok(None)`: an event this consumer does not
/// follow (acknowledged). One it follows but cannot read is `Unreadable` (poison).
pub fn parse_user_change(
    envelope: Envelope,
) -> Result<Option<Incoming<UserChange>>, CommentsError> {
    Ok(Some(match envelope.event_name.as_str() {
        UserRegistered::NAME => Incoming::parse(envelope)?.map(UserChange::Registered),
        UserUpdated::NAME => Incoming::parse(envelope)?.map(UserChange::Updated),
        UserDeleted::NAME => Incoming::parse(envelope)?.map(UserChange::Deleted),
        UserDeletionCancelled::NAME => {
            Incoming::parse(envelope)?.map(UserChange::DeletionCancelled)
        }
        UserDeletionCompleted::NAME => {
            Incoming::parse(envelope)?.map(UserChange::DeletionCompleted)
        }
        _ => return Ok(None),
    }))
}
