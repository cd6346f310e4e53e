//! Events: the envelope every message travels in, the event contracts, and the publisher.
//!
//! Services talk to each other only through these events (SNS topic -> SQS queue per
//! consumer); no service reads another's database.

pub mod consumer;
mod envelope;
mod publisher;
mod topics;
pub mod users;

pub use envelope::{Envelope, Event};
pub use publisher::{aws_config_from_env, aws_defaults, EventPublisher, PublishError};
pub use topics::Topic;
