//! What every users function holds for the life of its container.

use aws_config::SdkConfig;
use streamia_shared::auth::{Revocations, TokenSigner};
use streamia_shared::cache::WindowCounter;
use streamia_shared::events::{EventPublisher, Topic};
use streamia_shared::Config;

use crate::store::{ResetStore, SessionStore, UserStore};
use crate::SERVICE;

/// Failed logins per email before login is refused, and the window they are counted in.
pub const LOGIN_FAILURE_LIMIT: u64 = 5;
/// See [`LOGIN_FAILURE_LIMIT`].
pub const LOGIN_FAILURE_WINDOW_SECS: u64 = 600;
/// Reset emails per address per hour; more requests are answered alike but send nothing.
pub const RESET_REQUEST_LIMIT: u64 = 3;

/// Clients and settings, built once in `main` and shared by every invocation.
#[derive(Clone)]
pub struct AppState {
    /// Validated settings.
    pub config: Config,
    /// Accounts.
    pub users: UserStore,
    /// Sessions and refresh tokens.
    pub sessions: SessionStore,
    /// Password reset tokens.
    pub resets: ResetStore,
    /// Signs access tokens.
    pub signer: TokenSigner,
    /// Revoked tokens and sessions (Redis).
    pub revocations: Revocations,
    /// Failed logins per email (Redis).
    pub login_failures: WindowCounter,
    /// Reset requests per email (Redis).
    pub reset_requests: WindowCounter,
    /// Where events go.
    pub publisher: EventPublisher,
    /// For the health check.
    pub mongo: mongodb::Client,
    /// For the health check.
    pub redis: redis::aio::ConnectionManager,
}

/// The container could not start.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// Bad or missing settings.
    #[error(transparent)]
    Config(#[from] streamia_shared::config::ConfigError),
    /// MongoDB unreachable or index creation failed.
    #[error("mongodb: {0}")]
    Mongo(#[from] mongodb::error::Error),
    /// Redis unreachable.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

impl AppState {
    /// Builds the state from the process environment (the Lambda path).
    pub async fn from_env() -> Result<Self, InitError> {
        let config = Config::from_env()?;
        let aws = streamia_shared::events::aws_config_from_env().await;
        Self::build(config, &aws).await
    }

    /// Builds the state from explicit settings (tests use this with their own database).
    pub async fn build(config: Config, aws: &SdkConfig) -> Result<Self, InitError> {
        let mongo = streamia_shared::db::connect(&config.mongodb_uri).await?;
        let db = mongo.database(&config.database_name(SERVICE));
        let redis = streamia_shared::cache::connect(&config).await?;
        let prefix = config.redis_key_prefix.clone();
        Ok(Self {
            users: UserStore::init(&db).await?,
            sessions: SessionStore::init(&db).await?,
            resets: ResetStore::init(&db).await?,
            signer: TokenSigner::new(&config.tokens),
            revocations: Revocations::new(
                redis.clone(),
                &prefix,
                config.tokens.access_ttl.as_secs(),
            ),
            login_failures: WindowCounter::new(
                redis.clone(),
                &prefix,
                "login-failures",
                LOGIN_FAILURE_WINDOW_SECS,
            ),
            reset_requests: WindowCounter::new(redis.clone(), &prefix, "reset-requests", 3600),
            publisher: EventPublisher::new(aws, config.topic_arn(Topic::UserEvents), SERVICE),
            mongo,
            redis,
            config,
        })
    }
}
