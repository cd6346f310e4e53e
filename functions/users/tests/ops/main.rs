//! Users operations called directly, without any HTTP type: real MongoDB, Redis and
//! LocalStack, a fresh database, key space and topic per test.

mod common;

mod accounts;
mod bounds;
mod cold_start;
mod credentials;
mod limits;
mod passwords;
mod republish;
mod roles;
mod saga;
mod sessions;
