//! The cache Redis (`CACHE_REDIS_URL`, `allkeys-lru`) used the only way a cache may be: a
//! read it cannot answer goes to MongoDB, never to a 503.
//!
//! Every call is bounded ([`TIMEOUTS`]: 250 ms to connect, 100 ms per command); a failure
//! logs a warning and gives nothing back. After a failure, reads skip the cache for
//! [`BACKOFF`], so an outage costs a read at most one connect timeout per second per
//! instance; invalidations always try.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{connect_with, Redis, Timeouts};
use crate::config::CacheRedisConfig;

/// How long any cached entry lives: the most a reader can see stale data when an
/// invalidation was lost (a write while the cache was unreachable).
pub const TTL: Duration = Duration::from_secs(60);

/// The cache's own budget: far below the auth Redis's (a miss costs a MongoDB query, a
/// missing auth state costs the request).
pub const TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_millis(250),
    response: Duration::from_millis(100),
};

/// After a failure, reads leave the cache alone this long.
pub const BACKOFF: Duration = Duration::from_secs(1);

/// Why a cache call gave nothing back (logged, never answered).
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// Redis refused or the connection failed.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// No answer within the budget.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// An entry that does not read back (another version's, or corrupt).
    #[error("unreadable entry: {0}")]
    Decode(String),
}

/// The cache instance with its timeouts and its backoff. Cheap to clone; clones share the
/// connection and the backoff (one instance's view of whether the cache is up).
#[derive(Clone)]
pub struct BestEffort {
    redis: Redis,
    /// Named in the warnings (`movie cache`, `favorites answers`).
    name: &'static str,
    /// Reads skip the cache until this time (ms since the epoch).
    skip_until_ms: Arc<AtomicU64>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl BestEffort {
    /// The instance `config` names (connects on first use).
    pub async fn connect(
        config: &CacheRedisConfig,
        name: &'static str,
    ) -> Result<Self, redis::RedisError> {
        Ok(Self {
            redis: connect_with(&config.redis, TIMEOUTS).await?,
            name,
            skip_until_ms: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The connection, for a call's commands (a clone shares it).
    pub fn redis(&self) -> Redis {
        self.redis.clone()
    }

    /// Whether reads should leave the cache alone now (a failure less than [`BACKOFF`] ago).
    pub fn skipping(&self) -> bool {
        now_ms() < self.skip_until_ms.load(Ordering::Relaxed)
    }

    /// Runs one cache call within its budget; a failure is logged, starts the backoff and
    /// gives `None`.
    pub async fn run<T, F>(&self, what: &'static str, call: F) -> Option<T>
    where
        F: Future<Output = Result<T, CacheError>>,
    {
        let budget = TIMEOUTS.connect + TIMEOUTS.response;
        let result = match tokio::time::timeout(budget, call).await {
            Ok(result) => result,
            Err(_) => Err(CacheError::Timeout(budget)),
        };
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.skip_until_ms
                    .store(now_ms() + BACKOFF.as_millis() as u64, Ordering::Relaxed);
                tracing::warn!(
                    cache = self.name,
                    operation = what,
                    error = %error,
                    "cache unavailable: answering from MongoDB"
                );
                None
            }
        }
    }
}
