//! Users service integration tests: real handlers, API Gateway REST events, real MongoDB,
//! Redis and LocalStack (SNS -> SQS), a fresh database per test.

mod common;

mod cold_start;
mod delete_me;
mod full_redis;
mod language;
mod limits;
mod login;
mod logout;
mod passwords;
mod profile;
mod refresh;
mod register;
mod roles;
mod security;
