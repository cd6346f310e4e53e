//! The events this service consumes, parsed from their envelope into the platform's typed
//! contracts (`streamia_shared::events::users`) with the platform's [`Incoming`] (version and
//! contract checked, ids kept). One enum per consumer: each event name its queue subscribes to
//! (the filter policies in infra/messaging.yaml) must have a variant, or the contract tests in
//! `tests/contracts.rs` fail.

use streamia_shared::events::favorites::FavoriteMovieRemoved;
use streamia_shared::events::users::{
    PasswordResetRequested, UserDeleted, UserDeletionCancelled, UserDeletionCompleted,
    UserRegistered, UserUpdated,
};
pub use streamia_shared::events::Incoming;
use streamia_shared::events::{Envelope, Event};

use crate::NotifyError;

/// A user event that calls for an email (`notifications-on-user-event`).
#[derive(Debug, Clone, PartialEq)]
pub enum UserEvent {
    /// `user.registered` v1: welcome email.
    Registered(UserRegistered),
    /// `user.password_reset_requested` v1: the reset link.
    PasswordResetRequested(PasswordResetRequested),
    /// `user.deletion_cancelled` v1: the "deletion failed" email (the event carries the
    /// user's snapshot).
    DeletionCancelled(UserDeletionCancelled),
    /// `user.deletion_completed` v1: the "account deleted" email, from the service's copy of
    /// the user, which then becomes a tombstone (this consumer, not the copies' one, ends the
    /// copy: the email needs it first).
    DeletionCompleted(UserDeletionCompleted),
    /// `favorite.movie_removed` v1 (from the favorites service): the alert that a favorite
    /// movie was deleted, written from the service's copy of the user.
    FavoriteMovieRemoved(FavoriteMovieRemoved),
}

/// Parses an envelope from the user-events queue. `Ok(None)`: an event this consumer does
/// not act on (acknowledged). An event it does act on but cannot read is `Unreadable`.
pub fn parse(envelope: Envelope) -> Result<Option<Incoming<UserEvent>>, NotifyError> {
    Ok(Some(match envelope.event_name.as_str() {
        UserRegistered::NAME => Incoming::parse(envelope)?.map(UserEvent::Registered),
        PasswordResetRequested::NAME => {
            Incoming::parse(envelope)?.map(UserEvent::PasswordResetRequested)
        }
        UserDeletionCancelled::NAME => Incoming::parse(envelope)?.map(UserEvent::DeletionCancelled),
        UserDeletionCompleted::NAME => Incoming::parse(envelope)?.map(UserEvent::DeletionCompleted),
        FavoriteMovieRemoved::NAME => {
            Incoming::parse(envelope)?.map(UserEvent::FavoriteMovieRemoved)
        }
        _ => return Ok(None),
    }))
}

/// An event of a user's life, which the service's copy of the user follows
/// (`notifications-on-user-change`).
#[derive(Debug, Clone, PartialEq)]
pub enum UserChange {
    /// `user.registered` v1: the copy's first state.
    Registered(UserRegistered),
    /// `user.updated` v1: the current profile.
    Updated(UserUpdated),
    /// `user.deleted` v1: being deleted (reversible).
    Deleted(UserDeleted),
    /// `user.deletion_cancelled` v1: active again.
    DeletionCancelled(UserDeletionCancelled),
}

/// Parses an envelope from the user-changes queue; as [`parse`]. `user.deletion_completed` is
/// not this consumer's: the user-events consumer ends the copy after the "account deleted"
/// email, which is written from it ([`UserEvent::DeletionCompleted`]); acknowledged untouched.
pub fn parse_change(envelope: Envelope) -> Result<Option<Incoming<UserChange>>, NotifyError> {
    Ok(Some(match envelope.event_name.as_str() {
        UserRegistered::NAME => Incoming::parse(envelope)?.map(UserChange::Registered),
        UserUpdated::NAME => Incoming::parse(envelope)?.map(UserChange::Updated),
        UserDeleted::NAME => Incoming::parse(envelope)?.map(UserChange::Deleted),
        UserDeletionCancelled::NAME => {
            Incoming::parse(envelope)?.map(UserChange::DeletionCancelled)
        }
        _ => return Ok(None),
    }))
}
