//! Movies service integration tests: real handlers, API Gateway REST events, real MongoDB
//! (SecantusDB), the cache Redis and LocalStack (SNS -> SQS), a fresh database, key space and
//! topic per test.

mod common;

mod cache;
mod catalog;
mod events;
mod media;
mod ratings;
mod republish;
mod saga;
