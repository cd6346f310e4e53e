//! The notification service: consumes domain events and sends the emails users expect.
//!
//! Read `emails` (what each email says), `mailer` (SMTP), `inbox` (which events were already
//! handled, so a redelivery sends nothing twice), then `consumer` (event -> email).

pub mod consumer;
pub mod emails;
pub mod inbox;
pub mod mailer;
pub mod state;

pub use state::State;

/// The service name: event source and database suffix.
pub const SERVICE: &str = "notifications";
