//! The Redis connection, opened once per container and shared by every invocation.
//!
//! Works with Redis 6.2+ and Valkey: only commands both have since 6.2 are used (no
//! `EXPIRE … NX`, no Redis-7-only options), and `rediss://` connects over rustls.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Cmd, Pipeline, RedisError, RedisFuture, TlsCertificates, Value};
use tokio::sync::Mutex;

use crate::config::RedisConfig;

pub mod answers;
mod best_effort;

pub use best_effort::{BestEffort, CacheError, BACKOFF, TIMEOUTS, TTL};

/// One attempt to connect (TCP, TLS handshake, client setup) may take this long: enough for a
/// lost SYN to be retransmitted once, short enough that a request against a dead Redis fails
/// well inside the function's budget.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// One command (or pipeline) waits this long for its answer; a Redis that accepts and never
/// answers costs a request this much and a 503, not the function's timeout.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);

/// A self-reconnecting Redis connection that connects on first use.
///
/// Connecting lazily keeps a Redis outage out of the cold start: the function starts, and the
/// requests that need Redis answer 503 until it is back (each retrying the connection), instead
/// of every invocation failing init and the gateway answering 502. Cloning is cheap; clones
/// share the connection.
///
/// A write answered `READONLY` drops the connection and runs once more on a new one: after a
/// failover (ElastiCache's, a scaling, a service update) a connection can stay open to the old
/// primary, now a replica, and the manager reconnects only when a connection breaks, so
/// without this every auth write of a warm instance would answer 503 until Lambda recycled
/// it. A new connection resolves the primary endpoint again. `READONLY` means the command did
/// not run, so running it again is safe.
#[derive(Clone)]
pub struct Redis {
    client: Client,
    manager: Arc<Mutex<Option<ConnectionManager>>>,
    timeouts: Timeouts,
}

/// How long a connection attempt and one command may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// One attempt to connect (TCP, TLS handshake, client setup).
    pub connect: Duration,
    /// One command (or pipeline) waiting for its answer.
    pub response: Duration,
}

impl Timeouts {
    /// The auth Redis's: a request that needs it answers 503 when it does not answer, so it
    /// gets enough time for one lost SYN to be retransmitted.
    pub const AUTH: Timeouts = Timeouts {
        connect: CONNECT_TIMEOUT,
        response: RESPONSE_TIMEOUT,
    };
}

impl Redis {
    /// The shared connection, opened now if it is not open yet.
    ///
    /// No connection retries: the manager's backoff starts at a full second and grows to a
    /// minute, far beyond a request's budget. A failed attempt surfaces at once (503); the next
    /// command tries again.
    async fn manager(&self) -> Result<ConnectionManager, RedisError> {
        let mut held = self.manager.lock().await;
        if let Some(manager) = held.as_ref() {
            return Ok(manager.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.timeouts.connect)
            .set_response_timeout(self.timeouts.response)
            .set_number_of_retries(0);
        let manager = ConnectionManager::new_with_config(self.client.clone(), config).await?;
        *held = Some(manager.clone());
        Ok(manager)
    }

    /// Forgets the connection (a demoted primary's): the next command opens a new one.
    async fn reconnect(&self) {
        tracing::warn!("redis answered READONLY (a failover?): reconnecting");
        *self.manager.lock().await = None;
    }

    /// Opens the connection now (health checks, tests): `Ok` once Redis answered a PING.
    pub async fn ping(&self) -> Result<(), redis::RedisError> {
        let mut conn = self.clone();
        redis::cmd("PING").query_async::<()>(&mut conn).await
    }
}

impl ConnectionLike for Redis {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let answer = self.manager().await?.req_packed_command(cmd).await;
            match readonly(std::slice::from_ref(&answer)) {
                true => {
                    self.reconnect().await;
                    self.manager().await?.req_packed_command(cmd).await
                }
                false => answer,
            }
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let answer = self
                .manager()
                .await?
                .req_packed_commands(cmd, offset, count)
                .await;
            let refused = match &answer {
                Ok(values) => values.iter().any(readonly_value),
                Err(e) => refusal(e) == Some("READONLY"),
            };
            match refused {
                true => {
                    self.reconnect().await;
                    self.manager()
                        .await?
                        .req_packed_commands(cmd, offset, count)
                        .await
                }
                false => answer,
            }
        })
    }

    fn get_db(&self) -> i64 {
        self.client.get_connection_info().redis.db
    }
}

/// Redis error replies that say "not now" rather than "wrong": the command was refused before
/// it ran, so it may be retried. `OOM` above all: the auth Redis never evicts (`noeviction`, so
/// no revocation or counter can disappear), and once full it refuses every write. The others
/// come with failovers and restarts (`READONLY` from a demoted primary, `LOADING`,
/// `MASTERDOWN`, `TRYAGAIN`, `CLUSTERDOWN`), a long script (`BUSY`), failed persistence
/// (`MISCONF`) and missing replicas (`NOREPLICAS`).
const REFUSALS: [&str; 9] = [
    "OOM",
    "READONLY",
    "LOADING",
    "MASTERDOWN",
    "TRYAGAIN",
    "CLUSTERDOWN",
    "BUSY",
    "MISCONF",
    "NOREPLICAS",
];

/// The "not now" reply (see [`REFUSALS`]) `err` carries, if any: as its code, or inside a
/// script's error, where Redis before 7.0 reports it as `ERR Error running script ...: OOM
/// command not allowed ...` (the counters run as scripts).
pub(crate) fn refusal(err: &RedisError) -> Option<&'static str> {
    if let Some(code) = err.code() {
        if let Some(found) = REFUSALS.iter().find(|r| **r == code) {
            return Some(found);
        }
    }
    let text = err.detail().unwrap_or_default();
    REFUSALS
        .iter()
        .find(|r| text.contains(&format!("{r} ")) || text.contains(&format!("-{r} ")))
        .copied()
        .filter(|_| err.code() == Some("ERR"))
}

/// Whether an answer is a `READONLY` refusal: the error, or (as the connection hands replies
/// back) a server-error value the caller turns into one.
fn readonly(answers: &[Result<Value, RedisError>]) -> bool {
    answers.iter().any(|answer| match answer {
        Ok(value) => readonly_value(value),
        Err(e) => refusal(e) == Some("READONLY"),
    })
}

fn readonly_value(value: &Value) -> bool {
    match value {
        Value::ServerError(e) => refusal(&RedisError::from(e.clone())) == Some("READONLY"),
        _ => false,
    }
}

/// Prepares the Redis connection (`REDIS_URL`; `rediss://` for TLS, verified against the
/// system roots or the PEM bundle in `REDIS_CA_CERT`) with the timeouts above. Only the URL and
/// the CA file are checked here; the connection opens on first use (see [`Redis`]).
pub async fn connect(config: &RedisConfig) -> Result<Redis, redis::RedisError> {
    connect_with(config, Timeouts::AUTH).await
}

/// [`connect`] with other timeouts: a cache that is skipped when slow (the movie catalog's)
/// waits far less than the auth state, which a request cannot do without.
pub async fn connect_with(
    config: &RedisConfig,
    timeouts: Timeouts,
) -> Result<Redis, redis::RedisError> {
    Ok(Redis {
        client: client(config)?,
        manager: Arc::new(Mutex::new(None)),
        timeouts,
    })
}

/// The client for `REDIS_URL`, trusting `REDIS_CA_CERT` instead of the system roots when set.
fn client(config: &RedisConfig) -> Result<Client, redis::RedisError> {
    crate::tls::install_crypto_provider();
    let Some(ca_path) = &config.ca_cert else {
        return Client::open(config.url.as_str());
    };
    let root_cert = std::fs::read(ca_path).map_err(|e| {
        redis::RedisError::from((
            redis::ErrorKind::InvalidClientConfig,
            "cannot read REDIS_CA_CERT",
            format!("{}: {e}", ca_path.display()),
        ))
    })?;
    Client::build_with_tls(
        config.url.as_str(),
        TlsCertificates {
            client_tls: None,
            root_cert: Some(root_cert),
        },
    )
}

/// INCR, and start the window on the first hit, in one step: a crash or a concurrent caller
/// between the two cannot leave a counter that never expires. Plain INCR/EXPIRE/TTL, so it runs
/// on Redis 6.2+ and Valkey (no `EXPIRE … NX`, which needs Redis 7).
const HIT: &str = r"
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
";

/// Counts events in a fixed window (e.g. login attempts), for rate limits.
#[derive(Clone)]
pub struct WindowCounter {
    redis: Redis,
    prefix: String,
    window_secs: u64,
    script: Arc<redis::Script>,
}

/// What [`WindowCounter::attempt`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Within the limit: go ahead.
    Allowed,
    /// Over the limit: refuse without doing the work.
    Refused {
        /// Seconds until the window resets.
        retry_after: u64,
    },
}

impl WindowCounter {
    /// A counter family under `<key_prefix><name>:`, each key living `window_secs` from its
    /// first hit.
    pub fn new(redis: Redis, key_prefix: &str, name: &str, window_secs: u64) -> Self {
        Self {
            redis,
            prefix: format!("{key_prefix}{name}:"),
            window_secs,
            script: Arc::new(redis::Script::new(HIT)),
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

    /// Adds one atomically; the window starts with the first hit. Returns the new count and
    /// the seconds left in the window.
    pub async fn hit_with_ttl(&self, subject: &str) -> Result<(u64, u64), redis::RedisError> {
        let mut redis = self.redis.clone();
        let (count, ttl): (u64, i64) = self
            .script
            .key(self.key(subject))
            .arg(self.window_secs)
            .invoke_async(&mut redis)
            .await?;
        Ok((count, ttl.max(0) as u64))
    }

    /// Adds one; the window starts with the first hit.
    pub async fn hit(&self, subject: &str) -> Result<u64, redis::RedisError> {
        Ok(self.hit_with_ttl(subject).await?.0)
    }

    /// Counts an attempt *before* it is made, then decides: the first `limit` attempts in a
    /// window are allowed, the rest refused. Counting first is what makes the limit hold under
    /// concurrency: N parallel callers get N distinct counts, so at most `limit` go ahead.
    pub async fn attempt(&self, subject: &str, limit: u64) -> Result<Attempt, redis::RedisError> {
        let (count, retry_after) = self.hit_with_ttl(subject).await?;
        Ok(if count > limit {
            Attempt::Refused { retry_after }
        } else {
            Attempt::Allowed
        })
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
