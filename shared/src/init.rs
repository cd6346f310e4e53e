//! What can stop a cold start, the same for every function: only bad settings, an unreadable
//! secret, or a connection string / URL the clients cannot parse. Connections themselves open
//! on first use, so a dependency that is down is a 503 per request, not a failed init.

use crate::config::ConfigError;
use crate::secrets::SecretError;

/// The container could not start.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// Bad or missing settings (every problem named at once).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A secret could not be read from Secrets Manager.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A MongoDB connection string the driver refuses.
    #[error("mongodb: {0}")]
    Mongo(#[from] mongodb::error::Error),
    /// A Redis URL (or CA file) the client refuses.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}
