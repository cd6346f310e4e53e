//! Ratings service integration tests: real handlers, API Gateway REST events, the operations
//! called directly, real MongoDB (SecantusDB) and LocalStack (SNS -> SQS), a fresh database
//! and topic per test.

mod common;

mod cache;

mod concurrency;
mod consumer;
mod dead_letters;
mod routes;
mod summaries;
