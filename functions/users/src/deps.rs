//! What every users function holds for the life of its container.

use aws_config::SdkConfig;
use streamia_shared::auth::{GuessLimit, Revocations, TokenSigner};
use streamia_shared::cache::{Redis, WindowCounter};
use streamia_shared::config::{Load, Lookup, MongoConfig, RedisConfig, TokenConfig, Topics};
use streamia_shared::events::{EventPublisher, Outbox, Topic};
use streamia_shared::secrets::Environment;
use streamia_shared::Config;

use crate::config::UsersConfig;
use crate::store::{ResetStore, SessionStore, UserStore};
use crate::SERVICE;

/// Password checks per subject (an email at login, a user at a re-check) before further checks
/// are refused, and the window they are counted in.
pub const PASSWORD_CHECK_LIMIT: u64 = 5;
/// See [`PASSWORD_CHECK_LIMIT`].
pub const PASSWORD_CHECK_WINDOW_SECS: u64 = 600;
/// Reset emails per address per hour; more requests are answered alike but send nothing.
pub const RESET_REQUEST_LIMIT: u64 = 3;

/// Clients and settings, built once per cold start and shared by every invocation.
///
/// Building it opens no connection: MongoDB and Redis connect on first use, so a dependency
/// that is down at cold start makes requests answer 503 instead of failing the init.
#[derive(Clone)]
pub struct Deps {
    /// The platform's HTTP settings.
    pub config: Config,
    /// How tokens are signed and how long they live.
    pub tokens: TokenConfig,
    /// The users service's own settings.
    pub users_config: UsersConfig,
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
    /// Login password checks, per email (Redis).
    pub login_checks: GuessLimit,
    /// Current-password re-checks (change password, delete account), per user (Redis).
    pub password_rechecks: GuessLimit,
    /// Reset requests per email (Redis).
    pub reset_requests: WindowCounter,
    /// Where events go: staged in the transaction of the change they announce, published
    /// after the commit (the scheduled `users-outbox-relay` publishes what is left).
    pub outbox: Outbox,
    /// The client, for transactions.
    pub mongo: mongodb::Client,
    /// The service's database.
    pub db: mongodb::Database,
    /// For the health check.
    pub redis: Redis,
}

pub use streamia_shared::init::InitError;

impl Deps {
    /// Builds the dependencies from the process environment, secrets fetched from Secrets
    /// Manager once (the Lambda path).
    pub async fn from_env() -> Result<Self, InitError> {
        let aws = streamia_shared::events::aws_config_from_env().await;
        let env = Environment::load(&aws).await?;
        let lookup = env.lookup();
        let deps = Self::build(&lookup, &aws).await?;
        Ok(deps)
    }

    /// Builds the dependencies from settings read through `lookup` (tests use this with their
    /// own database); every problem in the settings is reported at once.
    pub async fn build(lookup: Lookup<'_>, aws: &SdkConfig) -> Result<Self, InitError> {
        let (config, mongo_config, redis_config, tokens, topics, users_config) =
            <(
                Config,
                MongoConfig,
                RedisConfig,
                TokenConfig,
                Topics,
                UsersConfig,
            )>::load(lookup)?;
        let mongo = streamia_shared::db::connect(&mongo_config.uri).await?;
        let db = mongo.database(&mongo_config.database_name(SERVICE));
        let redis = streamia_shared::cache::connect(&redis_config).await?;
        let prefix = redis_config.key_prefix.clone();
        let counter =
            |name: &str, window: u64| WindowCounter::new(redis.clone(), &prefix, name, window);
        Ok(Self {
            users: UserStore::new(&db),
            sessions: SessionStore::new(&db),
            resets: ResetStore::new(&db),
            signer: TokenSigner::new(&tokens),
            revocations: Revocations::new(redis.clone(), &prefix, tokens.access_ttl.as_secs()),
            login_checks: GuessLimit::new(
                counter("login-attempts", PASSWORD_CHECK_WINDOW_SECS),
                PASSWORD_CHECK_LIMIT,
            ),
            password_rechecks: GuessLimit::new(
                counter("password-rechecks", PASSWORD_CHECK_WINDOW_SECS),
                PASSWORD_CHECK_LIMIT,
            ),
            reset_requests: counter("reset-requests", 3600),
            outbox: Outbox::new(
                &db,
                EventPublisher::new(aws, topics.arn(Topic::UserEvents), SERVICE),
            ),
            mongo,
            db,
            redis,
            config,
            tokens,
            users_config,
        })
    }
}
