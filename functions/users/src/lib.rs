//! The users service: accounts, sessions and passwords.
//!
//! Read it in this order: `domain` (what a user is and which values are valid), `ops` (one
//! file per operation: parse a command, execute it), `store` (the service's own MongoDB
//! database), `sessions` (how tokens are issued and revoked), `events` (what it tells other
//! services), `adapters` (how an HTTP request reaches an operation), `error` (the one mapping
//! to HTTP), `deps` and `config` (what a cold start builds).

pub mod adapters;
pub mod config;
pub mod credentials;
pub mod deps;
pub mod domain;
pub mod error;
pub mod events;
pub mod ops;
pub mod sessions;
pub mod store;

pub use deps::Deps;
pub use error::UsersError;

/// The source name on every event this service publishes, and its database's suffix.
pub const SERVICE: &str = "users";

/// The consumer of the participants' replies to user-deletion sagas; its inbox entries carry
/// this name.
pub const ON_DELETION_STEP: &str = "users-on-deletion-step";
