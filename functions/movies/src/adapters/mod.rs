//! How requests and records reach the operations: `http` (API Gateway routes), `sqs` (the
//! ratings consumer).

pub mod http;
pub mod sqs;
