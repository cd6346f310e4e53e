//! How requests and records reach the operations: `http` (API Gateway routes), `sqs` (the
//! ratings consumer), `invoke` (the operator's direct invocations, no route).

pub mod http;
pub mod invoke;
pub mod sqs;
