//! How requests and records reach the operations: `http` (API Gateway routes), `sqs` (the
//! movie-changes consumer).

pub mod http;
pub mod sqs;
