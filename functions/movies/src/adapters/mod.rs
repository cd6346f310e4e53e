//! How requests and records reach the operations: `http` (API Gateway routes), `sqs` (the
//! ratings consumer). The operator's `movies-republish` (no route) is the platform's
//! `streamia_shared::republish::serve` over `ops::republish::Republisher`.

pub mod http;
pub mod sqs;
