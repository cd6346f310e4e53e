//! What can stop a cold start, the same for every function: only bad settings, an unreadable
//! secret, or a connection string / URL the clients cannot parse. Connections themselves open
//! on first use, so a dependency that is down is a 503 per request, not a failed init.

use crate::config::{ConfigError, Load};
use crate::secrets::{Environment, SecretError};
use crate::service::Service;

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

/// The cold-start prelude every function runs once, before its runtime loop: the AWS SDK
/// configuration, then the environment with its secrets fetched from Secrets Manager. What
/// each function then loads from it is its own business ([`ColdStart::load`],
/// [`ColdStart::service`]).
pub struct ColdStart {
    /// SDK configuration (region, endpoint, credentials) for AWS clients.
    pub aws: aws_config::SdkConfig,
    /// The settings, secrets resolved.
    pub env: Environment,
}

impl ColdStart {
    /// Reads the process environment and fetches its `*_SECRET_ARN` secrets (the Lambda path).
    pub async fn begin() -> Result<Self, InitError> {
        let aws = crate::events::aws_config_from_env().await;
        let env = Environment::load(&aws).await?;
        Ok(Self { aws, env })
    }

    /// A prelude over explicit settings (tests: a `TestEnv`'s, with LocalStack's SDK config).
    pub fn with(aws: aws_config::SdkConfig, env: Environment) -> Self {
        Self { aws, env }
    }

    /// Loads configuration pieces (a tuple loads together and names every problem at once).
    pub fn load<T: Load>(&self) -> Result<T, ConfigError> {
        T::load(&self.env.lookup())
    }

    /// Builds service `D` and loads the entry point's own pieces `X` beside its config, in one
    /// pass, so a cold start names every problem of both at once.
    pub async fn service<D: Service, X: Load>(&self) -> Result<(D, X), InitError> {
        let (config, extra) = self.load::<(D::Config, X)>()?;
        let deps = D::build(config, &self.aws).await?;
        Ok((deps, extra))
    }
}

/// Logs why a cold start failed (the runtime only reports an init error type) and passes it on.
pub fn log_failure<E: std::fmt::Display>(error: E) -> E {
    tracing::error!(error = %error, "init failed");
    error
}
