//! The notification service: consumes domain events and sends the emails users expect.
//!
//! The service shape (ARCHITECTURE.md, "An event" and "A new service"): `events` turns an envelope into one of
//! the events this service subscribes to (the platform's typed contracts), `ops::send_email`
//! is the core (no SQS types: parsed event in, email out, exactly once through the inbox),
//! `adapters::sqs` is the thin SQS side (record -> event -> op -> batch item failure), and
//! `emails` says what each email says, `mailer` speaks SMTP.
//!
//! A second consumer, `notifications-on-user-change`, is the model of a database effect:
//! `ops::copy_user` keeps `copies` (each user's name and email) in step with the user's
//! events, once per event and whatever order they arrive in.

pub mod adapters;
pub mod copies;
pub mod deps;
pub mod emails;
pub mod error;
pub mod events;
pub mod mailer;
pub mod ops;

pub use deps::Deps;
pub use error::NotifyError;

/// Creates the service's indexes (idempotent): the inbox's purge of handled events. Run by
/// the setup step (`notifications-setup`: at deploy and by the local stack's start), never at
/// cold start.
pub async fn create_indexes(db: mongodb::Database) -> Result<(), mongodb::error::Error> {
    streamia_shared::events::inbox::create_indexes(&db).await
}

/// The service name: event source and database suffix.
pub const SERVICE: &str = "notifications";

/// The consumer of the user-events queue; its inbox entries carry this name.
pub const ON_USER_EVENT: &str = "notifications-on-user-event";

/// The same consumer's entries for the copies it ends (`user.deletion_completed`), apart from
/// the emails it sends.
pub const ON_USER_EVENT_COPY: &str = "notifications-on-user-event:copy";

/// The consumer of the user-changes queue (the copies of users); its inbox entries carry
/// this name.
pub const ON_USER_CHANGE: &str = "notifications-on-user-change";
