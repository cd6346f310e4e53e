//! Thin adapters from the outside world to `ops`.

pub mod sqs;
