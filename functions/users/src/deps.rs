//! What every users function holds for the life of its container.

use streamia_shared::auth::keys::KeySource;
use streamia_shared::auth::{GuessLimit, Hasher, Revocations, TokenError, TokenSigner};
use streamia_shared::cache::{Redis, WindowCounter};
use streamia_shared::config::{
    MongoConfig, RedisConfig, RefreshPepperConfig, SigningKeysConfig, TokenConfig, Topics,
};
use streamia_shared::events::{EventPublisher, Inbox, Outbox, Topic};
use streamia_shared::faults::Cuts;
use streamia_shared::init::InitError;
use streamia_shared::limits::{ClientLimiter, ClientLimits};
use streamia_shared::service::SdkConfig;
use streamia_shared::service::Service;

use crate::config::UsersConfig;
use crate::store::{ResetStore, RoleChangeStore, SagaStore, SessionStore, UserStore};
use crate::{ON_DELETION_STEP, SERVICE};

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
    /// How long tokens live.
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
    /// The user-deletion sagas (`deletion_sagas`).
    pub sagas: SagaStore,
    /// Signs access tokens: only in the functions that issue them (register, login, refresh:
    /// the template gives only them the signing keys' secret), `None` elsewhere.
    pub signer: Option<TokenSigner>,
    /// Seals a spent refresh token's successor: only in the refresh function.
    pub refresh_pepper: Option<String>,
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
    /// The key the health check writes (a write, so a full or read-only auth Redis shows).
    pub health_key: String,
}

/// The pieces every users function loads, besides the HTTP ones the platform adds. The keys
/// are optional pieces: only the functions given their secrets hold them.
type Pieces = (
    MongoConfig,
    RedisConfig,
    (TokenConfig, SigningKeysConfig, RefreshPepperConfig),
    Topics,
    UsersConfig,
    ClientLimits,
);

impl Service for Deps {
    type Config = Pieces;

    async fn build(
        (
            mongo_config,
            redis_config,
            (tokens, signing, pepper),
            topics,
            users_config,
            client_limits,
        ): Pieces,
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
            sagas: SagaStore::new(&db),
            signer: signing
                .keys
                .map(|from| {
                    let source = from
                        .secret_id
                        .map(|id| KeySource::secrets_manager(aws, &id));
                    TokenSigner::new(&tokens, &from.keys, source)
                })
                .transpose()
                .map_err(|e| InitError::Keys(e.to_string()))?,
            refresh_pepper: pepper.pepper,
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
            health_key: format!("{prefix}health"),
            redis,
            tokens,
            users_config,
        })
    }
}

impl Deps {
    /// The access-token signer; an error in a function deployed without the signing keys
    /// (only register, login and refresh sign).
    pub fn signer(&self) -> Result<&TokenSigner, TokenError> {
        self.signer
            .as_ref()
            .ok_or_else(|| TokenError::Signing("this function holds no signing keys".to_owned()))
    }

    /// The refresh-token pepper; an error in a function deployed without it (only refresh
    /// seals successors).
    pub fn refresh_pepper(&self) -> Result<&[u8], TokenError> {
        self.refresh_pepper
            .as_deref()
            .map(str::as_bytes)
            .ok_or_else(|| TokenError::Signing("this function holds no refresh pepper".to_owned()))
    }
}

/// What the user-deletion saga's own functions hold (`users-on-deletion-step`, the consumer
/// of the participants' replies, and `users-saga-deadline`): MongoDB and the user-events
/// topic; no Redis, no keys, no limits.
#[derive(Clone)]
pub struct SagaDeps {
    /// The accounts (removed for good, or active again).
    pub users: UserStore,
    /// The sagas.
    pub sagas: SagaStore,
    /// Handled replies (the consumer's).
    pub inbox: Inbox,
    /// Where the saga's end goes (`user.deletion_completed` or `user.deletion_cancelled`).
    pub outbox: Outbox,
}

impl Service for SagaDeps {
    type Config = (MongoConfig, Topics);

    async fn build(
        (mongo_config, topics): (MongoConfig, Topics),
        aws: &SdkConfig,
    ) -> Result<Self, InitError> {
        let mongo = streamia_shared::db::connect(&mongo_config.uri).await?;
        let db = mongo.database(&mongo_config.database_name(SERVICE));
        Ok(Self {
            users: UserStore::new(&db),
            sagas: SagaStore::new(&db),
            inbox: Inbox::new(&db, ON_DELETION_STEP),
            outbox: Outbox::new(
                &mongo,
                &db,
                EventPublisher::new(aws, topics.arn(Topic::UserEvents), SERVICE),
            ),
        })
    }
}
