//! The service's one error enum, and the one place it maps to "retry or not" for SQS.

use std::time::Duration;

use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::events::{InboxError, ProjectionError, Unreadable};

use crate::mailer::SendError;

/// Why an event was not (yet) turned into an email.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The event cannot be understood (unknown version, payload not matching its contract):
    /// no redelivery can help.
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
    /// The email cannot be built (e.g. the recipient is not an address).
    #[error("cannot build the email: {0}")]
    BadEmail(String),
    /// The mail server refused, failed or timed out: a redelivery may succeed.
    #[error("mail server: {0}")]
    Mail(String),
    /// The SMTP circuit is open: not tried; the email comes back after the cool-down.
    #[error("mail server unavailable; retry after {retry_after:?}")]
    MailUnavailable {
        /// The circuit's cool-down left.
        retry_after: Duration,
    },
    /// Another delivery of the same event is sending it right now.
    #[error("another delivery holds this event for {retry_after:?}")]
    Busy {
        /// Time left on the other delivery's claim.
        retry_after: Duration,
    },
    /// The inbox (MongoDB) did not answer.
    #[error(transparent)]
    Inbox(#[from] InboxError),
    /// The copy of a user could not be updated (MongoDB, or a conflict that outlasted the
    /// transaction's retries).
    #[error(transparent)]
    UserCopy(#[from] ProjectionError),
    /// The email is about a user this service holds no copy of yet (the copy's events are
    /// still on their way): a redelivery finds it.
    #[error("no copy of user {0} yet")]
    NoCopyYet(String),
    /// A favorite's alert for a user whose own deletion is running: retried later, when the
    /// saga has ended (cancelled: sent; completed: nobody to tell).
    #[error("user {0} is being deleted; the alert waits for the saga's end")]
    UserBeingDeleted(String),
}

impl From<SendError> for NotifyError {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Build(e) => NotifyError::BadEmail(e),
            SendError::Unavailable(refused) => NotifyError::MailUnavailable {
                retry_after: refused.retry_after,
            },
            other => NotifyError::Mail(other.to_string()),
        }
    }
}

impl From<NotifyError> for ConsumeError {
    /// Poison goes to the dead-letter queue after its retries; everything else is retried.
    fn from(e: NotifyError) -> Self {
        match e {
            NotifyError::Unreadable(_)
            | NotifyError::BadEmail(_)
            | NotifyError::UserCopy(ProjectionError::State { .. }) => {
                ConsumeError::Poison(e.to_string())
            }
            NotifyError::MailUnavailable { retry_after } => ConsumeError::Unavailable {
                why: e.to_string(),
                at_least: retry_after,
            },
            NotifyError::Mail(_)
            | NotifyError::Busy { .. }
            | NotifyError::Inbox(_)
            | NotifyError::UserCopy(_)
            | NotifyError::NoCopyYet(_)
            | NotifyError::UserBeingDeleted(_) => ConsumeError::Transient(e.to_string()),
        }
    }
}
