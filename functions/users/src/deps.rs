//! What every users function holds for the life of its container.

use streamia_shared::auth::{GuessLimit, Hasher, Revocations, TokenSigner};
use streamia_shared::cache::{Redis, WindowCounter};
use streamia_shared::config::{MongoConfig, RedisConfig, TokenConfig, Topics};
use streamia_shared::events::{EventPublisher, Outbox, Topic};
use streamia_shared::faults::Cuts;
use streamia_shared::init::InitError;
use streamia_shared::limits::{ClientLimiter, ClientLimits};
use streamia_shared::service::SdkConfig;
use streamia_shared::service::Service;

use crate::config::UsersConfig;
use crate::store::{ResetStore, RoleChangeStore, SessionStore, UserStore};
use crate::SERVICE;

/// Password checks per subject (an email at login, a user at a re-check) before further checks
/// are refused, and the window they are counted in.
pub const PASSWORD_CHECK_LIMIT: u64 = 5;
/// See [`PASSWORD_CHECK_LIMIT`].
pub const PASSWORD_CHECK_WINDOW_SECS: u64 = 600;
/// Reset emails per address per hour; more requests are answered alike but send nothing.
pub const RESET_REQUEST_LIMIT: u64 = 3;

/// Clients and settings, built once per cold start and shared by every invocation (see
/// [`Service`]: building opens no connection).
#[derive(Clone)]
pub struct Deps {
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
    /// The audit trail of role changes.
    pub role_changes: RoleChangeStore,
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
    /// Login, register, forgot and reset requests per client address (Redis), counted before
    /// any argon2 work.
    pub client_limits: ClientLimiter,
    /// Hashes new passwords (and counts them).
    pub hasher: Hasher,
    /// Where a test cuts an operation between its steps; [`Cuts::none`] when deployed.
    pub cuts: Cuts,
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

/// The pieces every users function loads, besides the HTTP ones the platform adds.
type Pieces = (
    MongoConfig,
    RedisConfig,
    TokenConfig,
    Topics,
    UsersConfig,
    ClientLimits,
);

impl Service for Deps {
    type Config = Pieces;

    async fn build(
        (mongo_config, redis_config, tokens, topics, users_config, client_limits): Pieces,
        aws: &SdkConfig,
    ) -> Result<Self, InitError> {
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
            role_changes: RoleChangeStore::new(&db),
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
            client_limits: ClientLimiter::new(redis.clone(), &prefix, client_limits),
            hasher: Hasher::default(),
            cuts: Cuts::none(),
            outbox: Outbox::new(
                &mongo,
                &db,
                EventPublisher::new(aws, topics.arn(Topic::UserEvents), SERVICE),
            ),
            mongo,
            db,
            redis,
            tokens,
            users_config,
        })
    }
}
