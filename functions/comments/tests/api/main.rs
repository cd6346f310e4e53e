//! Comments service integration tests: real handlers, API Gateway REST events, real MongoDB
//! (SecantusDB), the auth Redis and LocalStack (secrets), a fresh database and key space per
//! test; movies and usernames made known through the service's own consumers.

mod common;

mod comments;
mod consumers;
mod dlq;
mod limits;
mod moderation_edits;
mod ops;
mod reports;
mod user_deletion;
