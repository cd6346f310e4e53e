//! How requests and records reach the operations: `http` (API Gateway routes), `sqs` (the
//! movie-changes and user-changes consumers).

pub mod http;
pub mod sqs;
