//! What every users function holds for the life of its container.

use aws_config::SdkConfig;
use streamia_shared::auth::{Revocations, TokenSigner};
use streamia_shared::cache::WindowCounter;
use streamia_shared::config::{
    ConfigError, Load, Lookup, MongoConfig, Reader, RedisConfig, TokenConfig, Topics,
};
use streamia_shared::domain::Email;
use streamia_shared::events::{EventPublisher, Topic};
use streamia_shared::secrets::Environment;
use streamia_shared::Config;
use url::Url;

use crate::store::{ResetStore, SessionStore, UserStore};
use crate::SERVICE;

/// Failed logins per email before login is refused, and the window they are counted in.
pub const LOGIN_FAILURE_LIMIT: u64 = 5;
/// See [`LOGIN_FAILURE_LIMIT`].
pub const LOGIN_FAILURE_WINDOW_SECS: u64 = 600;
/// Reset emails per address per hour; more requests are answered alike but send nothing.
pub const RESET_REQUEST_LIMIT: u64 = 3;

/// The settings users handlers read.
#[derive(Clone)]
pub struct UsersConfig {
    /// Largest request body a function parses.
    pub max_body_bytes: usize,
    /// Token signing and lifetimes.
    pub tokens: TokenConfig,
    /// Base URL of the web app, for links in emails (`FRONTEND_URL`).
    pub frontend_url: Url,
    /// Accounts registered with one of these emails get the admin role (`ADMIN_EMAILS`).
    pub admin_emails: Vec<Email>,
}

/// The users-only settings: `FRONTEND_URL`, `ADMIN_EMAILS`.
#[derive(Debug, Clone)]
pub struct UsersSettings {
    /// See [`UsersConfig::frontend_url`].
    pub frontend_url: Url,
    /// See [`UsersConfig::admin_emails`].
    pub admin_emails: Vec<Email>,
}

impl Load for UsersSettings {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let raw = env.or("FRONTEND_URL", "http://localhost:5173");
        let frontend_url = Url::parse(raw.trim_end_matches('/'))
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"));
        if frontend_url.is_none() {
            env.problem(format!("FRONTEND_URL must be an http(s) URL, got {raw:?}"));
        }
        let mut admin_emails = Vec::new();
        let raw = env.get("ADMIN_EMAILS").unwrap_or_default();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match Email::parse(part) {
                Ok(email) => admin_emails.push(email),
                Err(e) => env.problem(format!("ADMIN_EMAILS: {part:?}: {e}")),
            }
        }
        let frontend_url = env.finish(frontend_url)?;
        Ok(Self {
            // finish() returned Ok only without problems, so the URL parsed.
            frontend_url: frontend_url.ok_or_else(|| ConfigError {
                problems: vec!["FRONTEND_URL is invalid".to_owned()],
            })?,
            admin_emails,
        })
    }
}

impl UsersConfig {
    /// Whether an account with this email gets the admin role.
    pub fn is_admin_email(&self, email: &Email) -> bool {
        self.admin_emails.iter().any(|admin| admin == email)
    }
}

/// Clients and settings, built once in `main` and shared by every invocation.
#[derive(Clone)]
pub struct AppState {
    /// Validated settings.
    pub config: UsersConfig,
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
    /// A secret could not be read.
    #[error(transparent)]
    Secret(#[from] streamia_shared::secrets::SecretError),
    /// Bad MongoDB connection string.
    #[error("mongodb: {0}")]
    Mongo(#[from] mongodb::error::Error),
    /// Redis unreachable.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

impl AppState {
    /// Builds the state from the process environment (the Lambda path).
    pub async fn from_env() -> Result<Self, InitError> {
        let aws = streamia_shared::events::aws_config_from_env().await;
        let env = Environment::load(&aws).await?;
        let lookup = env.lookup();
        Self::build(&lookup, &aws).await
    }

    /// Builds the state from settings read through `lookup` (tests use this with their own
    /// database).
    pub async fn build(lookup: Lookup<'_>, aws: &SdkConfig) -> Result<Self, InitError> {
        let (http, mongo_config, redis_config, tokens, topics) =
            <(Config, MongoConfig, RedisConfig, TokenConfig, Topics)>::load(lookup)?;
        let settings = UsersSettings::load(lookup)?;
        let config = UsersConfig {
            max_body_bytes: http.max_body_bytes,
            tokens,
            frontend_url: settings.frontend_url,
            admin_emails: settings.admin_emails,
        };
        let mongo = streamia_shared::db::connect(&mongo_config.uri).await?;
        let db = mongo.database(&mongo_config.database_name(SERVICE));
        let redis = streamia_shared::cache::connect(&redis_config.url).await?;
        let prefix = redis_config.key_prefix.clone();
        Ok(Self {
            users: UserStore::new(&db),
            sessions: SessionStore::new(&db),
            resets: ResetStore::new(&db),
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
            publisher: EventPublisher::new(aws, topics.arn(Topic::UserEvents), SERVICE),
            mongo,
            redis,
            config,
        })
    }
}
