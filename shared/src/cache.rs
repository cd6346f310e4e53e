//! The Redis connection, opened once per container and shared by every invocation.
//!
//! Works with Redis 6.2+ and Valkey: only commands both have since 6.2 are used (no
//! `EXPIRE … NX`, no Redis-7-only options), and `rediss://` connects over rustls.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, TlsCertificates};

use crate::Config;

/// One attempt to connect (TCP, TLS handshake, client setup) may take this long: enough for a
/// lost SYN to be retransmitted once, short enough that a cold start against a dead Redis fails
/// well inside Lambda's 10 s init limit.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// One command (or pipeline) waits this long for its answer; a Redis that accepts and never
/// answers costs a request this much and a 503, not the function's timeout.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Opens a self-reconnecting Redis connection (`REDIS_URL`; `rediss://` for TLS, verified
/// against the system roots or the PEM bundle in `REDIS_CA_CERT`) with the timeouts above.
///
/// No connection retries: the manager's backoff starts at a full second and grows to a minute,
/// far beyond a request's budget. A failed attempt surfaces at once (503); the next command
/// reconnects.
pub async fn connect(config: &Config) -> Result<ConnectionManager, redis::RedisError> {
    let client = client(config)?;
    let options = ConnectionManagerConfig::new()
        .set_connection_timeout(CONNECT_TIMEOUT)
        .set_response_timeout(RESPONSE_TIMEOUT)
        .set_number_of_retries(0);
    ConnectionManager::new_with_config(client, options).await
}

/// The client for `REDIS_URL`, trusting `REDIS_CA_CERT` instead of the system roots when set.
fn client(config: &Config) -> Result<Client, redis::RedisError> {
    install_crypto_provider();
    let Some(ca_path) = &config.redis_ca_cert else {
        return Client::open(config.redis_url.as_str());
    };
    let root_cert = std::fs::read(ca_path).map_err(|e| {
        redis::RedisError::from((
            redis::ErrorKind::InvalidClientConfig,
            "cannot read REDIS_CA_CERT",
            format!("{}: {e}", ca_path.display()),
        ))
    })?;
    Client::build_with_tls(
        config.redis_url.as_str(),
        TlsCertificates {
            client_tls: None,
            root_cert: Some(root_cert),
        },
    )
}

/// rustls needs one process-wide crypto provider when more than one is compiled in; the redis
/// client asks for the default. ring is the one the AWS SDK, Mongo and SMTP clients use.
fn install_crypto_provider() {
    // Err only means a provider is installed already, which is just as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// INCR, then start the window if the key has no expiry yet (Redis 6.2+, Valkey).
static HIT_SCRIPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        r"local n = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n",
    )
});

/// Counts events in a fixed window (e.g. failed logins), for rate limits.
#[derive(Clone)]
pub struct WindowCounter {
    redis: ConnectionManager,
    prefix: String,
    window_secs: u64,
}

impl WindowCounter {
    /// A counter family under `<key_prefix><name>:`, each key living `window_secs` from its
    /// first hit.
    pub fn new(redis: ConnectionManager, key_prefix: &str, name: &str, window_secs: u64) -> Self {
        Self {
            redis,
            prefix: format!("{key_prefix}{name}:"),
            window_secs,
        }
    }

    /// The key for a subject; subjects are hashed so no email sits in Redis in clear.
    fn key(&self, subject: &str) -> String {
        format!("{}{}", self.prefix, crate::auth::sha256_hex(subject))
    }

    /// Current count and seconds until the window resets.
    pub async fn get(&self, subject: &str) -> Result<(u64, u64), redis::RedisError> {
        let mut redis = self.redis.clone();
        let key = self.key(subject);
        let (count, ttl): (Option<u64>, i64) = redis::pipe()
            .get(&key)
            .ttl(&key)
            .query_async(&mut redis)
            .await?;
        Ok((count.unwrap_or(0), ttl.max(0) as u64))
    }

    /// Adds one, atomically; the window starts with the first hit.
    ///
    /// A script rather than `EXPIRE … NX` (Redis 7 only): the expiry is set when the key is
    /// new, or when it somehow has none, so a counter can never outlive its window for good.
    pub async fn hit(&self, subject: &str) -> Result<u64, redis::RedisError> {
        let mut redis = self.redis.clone();
        HIT_SCRIPT
            .key(self.key(subject))
            .arg(self.window_secs)
            .invoke_async(&mut redis)
            .await
    }

    /// Forgets the subject (e.g. after a successful login).
    pub async fn reset(&self, subject: &str) -> Result<(), redis::RedisError> {
        let mut redis = self.redis.clone();
        redis::cmd("DEL")
            .arg(self.key(subject))
            .query_async::<()>(&mut redis)
            .await
    }
}
