//! Events: the envelope every message travels in, the event contracts, the publisher, and the
//! outbox (producers) and inbox (consumers) that make delivery lossless and effects
//! exactly-once.
//!
//! Services talk to each other only through these events (SNS topic -> SQS queue per
//! consumer); no service reads another's database.

pub mod consumer;
pub mod contracts;
mod envelope;
pub mod favorites;
pub mod inbox;
pub mod incoming;
pub mod movie_copies;
pub mod movies;
pub mod outbox;
pub mod projection;
mod publisher;
pub mod ratings;
pub mod relay;
pub mod sagas;
mod topics;
pub mod users;

pub use envelope::{Envelope, Event};
pub use inbox::{Claim, ClaimToken, Handled, Inbox, InboxError};
pub use incoming::{Incoming, Unreadable};
pub use outbox::{Outbox, OutboxError, RelayReport, Staged, Tx};
pub use projection::{Change, Projected, Projection, ProjectionError, Replica};
pub use publisher::{
    aws_config_from_env, aws_config_loader, aws_defaults, EventPublisher, PublishError,
};
pub use topics::Topic;

/// How long a sent outbox row and a handled inbox row are kept before TTL indexes purge them:
/// 21 days, the dead-letter queues' retention (14 days, `MessageRetentionPeriod` in
/// infra/messaging.yaml) plus a week to redrive them, so a message redriven from a DLQ at the
/// last moment is still recognised by its consumer's inbox as handled.
pub const RETENTION: std::time::Duration = std::time::Duration::from_secs(21 * 24 * 3600);
