//! How requests and records reach the operations: `http` (API Gateway routes), `sqs` (the
//! movie-changes consumer). The sweeper's schedule calls `ops::sweep_summaries` directly
//! (`src/bin/ratings-summary-sweeper.rs`).

pub mod http;
pub mod sqs;
