//! The notification service: consumes domain events and sends the emails users expect.
//!
//! The service shape (ARCHITECTURE.md, "An event" and "A new service"): `events` turns an envelope into one of
//! the events this service subscribes to (the platform's typed contracts), `ops::send_email`
//! is the core (no SQS types: parsed event in, email out, exactly once through the inbox),
//! `adapters::sqs` is the thin SQS side (record -> event -> op -> batch item failure), and
//! `emails` says what each email says, `mailer` speaks SMTP.

pub mod adapters;
pub mod deps;
pub mod emails;
pub mod error;
pub mod events;
pub mod mailer;
pub mod ops;

pub use deps::Deps;
pub use error::NotifyError;

/// The service name: event source and database suffix.
pub const SERVICE: &str = "notifications";

/// The consumer of the user-events queue; its inbox entries carry this name.
pub const ON_USER_EVENT: &str = "notifications-on-user-event";
