//! The catalog's cache-aside on the cache Redis (`CACHE_REDIS_URL`, `allkeys-lru`): single
//! movies and list pages, filled on a miss from MongoDB, invalidated by every write.
//!
//! - **Single movie**: `<prefix>movies:movie:<id>` holds `"<version>\n<movie JSON>"` (or
//!   `"<version>\n"` for a movie being deleted: a 404). A write stores its own result at once;
//!   every store keeps an entry only if it is not older than the one held (one Lua step), so
//!   a reader that fetched the old document before the write cannot put it back after.
//! - **List pages**: `<prefix>movies:list:<generation>:<sha256 of the query>`. The generation
//!   (`<prefix>movies:lists`) is bumped after every catalog write (not after a rating
//!   summary from `rating.changed`: those refresh the movie's entry only, and list pages show
//!   them within the TTL, so a popular movie's ratings do not empty every cached page many
//!   times a second), so the next read of any list misses
//!   and asks MongoDB; old pages are never read again and expire. The generation starts from
//!   Redis's clock in microseconds and only grows (`INCR`); if the cache evicts it, it starts
//!   again from the clock, which is past every value it had (unless more than a million
//!   writes a second happened), so a page of an old generation can never be served again.
//! - Every entry lives [`TTL`] (60 s): the bound on staleness if an invalidation is lost
//!   (Redis down during a write).
//! - **Redis down or slow**: every call is bounded ([`TIMEOUTS`]: 250 ms to connect, 100 ms
//!   per command); a failure logs a warning and the read is answered from MongoDB, never a
//!   503. After a failure, reads skip the cache for [`BACKOFF`], so an outage costs a read at
//!   most one connect timeout per second per instance; writes always try to invalidate.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Serialize;
use streamia_shared::cache::{Redis, Timeouts};
use streamia_shared::config::CacheRedisConfig;
use streamia_shared::paging::Paged;

use crate::domain::MovieView;

/// How long any entry lives: the most a reader can see stale data when an invalidation was
/// lost (written while Redis was unreachable).
pub const TTL: Duration = Duration::from_secs(60);

/// The cache's own budget: far below the auth Redis's (a cache miss costs a MongoDB query, a
/// missing auth state costs the request).
pub const TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_millis(250),
    response: Duration::from_millis(100),
};

/// After a failure, reads leave the cache alone this long.
pub const BACKOFF: Duration = Duration::from_secs(1);

/// Stores `ARGV[2]` (`"<version>\n..."`) unless the entry held is of a newer version.
const PUT_IF_NOT_OLDER: &str = r"
local held = redis.call('GET', KEYS[1])
if held then
  local version = tonumber(string.match(held, '^(%d+)\n'))
  if version and version > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
";

/// The list generation, started from Redis's clock (microseconds) when missing.
const GENERATION: &str = r"
local generation = redis.call('GET', KEYS[1])
if generation then return generation end
local now = redis.call('TIME')
generation = string.format('%.0f', tonumber(now[1]) * 1000000 + tonumber(now[2]))
redis.call('SET', KEYS[1], generation)
return generation
";

/// Moves the list generation on: `INCR`, or (evicted) a new start from the clock.
const BUMP: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('INCR', KEYS[1])
  return 1
end
local now = redis.call('TIME')
redis.call('SET', KEYS[1], string.format('%.0f', tonumber(now[1]) * 1000000 + tonumber(now[2])))
return 1
";

/// What the cache holds for one movie.
#[derive(Debug, Clone, PartialEq)]
pub enum Cached {
    /// The movie as shown.
    Movie(Box<MovieView>),
    /// Being deleted: a 404.
    Gone,
}

/// The catalog's cache. Cheap to clone; clones share the connection and the backoff.
#[derive(Clone)]
pub struct MovieCache {
    redis: Redis,
    prefix: String,
    put_script: Arc<redis::Script>,
    generation_script: Arc<redis::Script>,
    bump_script: Arc<redis::Script>,
    /// Reads skip the cache until this time (ms since the epoch).
    skip_until_ms: Arc<AtomicU64>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Why a cache call gave nothing back (logged, never answered).
#[derive(Debug, thiserror::Error)]
enum CacheError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("unreadable entry: {0}")]
    Decode(String),
}

impl MovieCache {
    /// The cache on the instance `config` names (connects on first use).
    pub async fn connect(config: &CacheRedisConfig) -> Result<Self, redis::RedisError> {
        let redis = streamia_shared::cache::connect_with(&config.redis, TIMEOUTS).await?;
        Ok(Self {
            redis,
            prefix: format!("{}movies:", config.redis.key_prefix),
            put_script: Arc::new(redis::Script::new(PUT_IF_NOT_OLDER)),
            generation_script: Arc::new(redis::Script::new(GENERATION)),
            bump_script: Arc::new(redis::Script::new(BUMP)),
            skip_until_ms: Arc::new(AtomicU64::new(0)),
        })
    }

    fn movie_key(&self, id: &str) -> String {
        format!("{}movie:{id}", self.prefix)
    }

    fn generation_key(&self) -> String {
        format!("{}lists", self.prefix)
    }

    fn list_key(&self, generation: &str, query: &str) -> String {
        format!(
            "{}list:{generation}:{}",
            self.prefix,
            streamia_shared::auth::sha256_hex(query)
        )
    }

    fn skipping(&self) -> bool {
        now_ms() < self.skip_until_ms.load(Ordering::Relaxed)
    }

    /// Runs one cache call within its budget; a failure is logged, starts the backoff and
    /// gives `None`.
    async fn guarded<T, F>(&self, what: &'static str, call: F) -> Option<T>
    where
        F: std::future::Future<Output = Result<T, CacheError>>,
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
                tracing::warn!(operation = what, error = %error, "movie cache unavailable: answering from MongoDB");
                None
            }
        }
    }

    /// The cached movie `id`, if any (`None` also when the cache does not answer).
    pub async fn movie(&self, id: &str) -> Option<Cached> {
        if self.skipping() {
            return None;
        }
        let key = self.movie_key(id);
        let held: String = self
            .guarded("get movie", async {
                let mut redis = self.redis.clone();
                let held: Option<String> =
                    redis::cmd("GET").arg(&key).query_async(&mut redis).await?;
                Ok(held)
            })
            .await
            .flatten()?;
        let (_, body) = held.split_once('\n')?;
        if body.is_empty() {
            return Some(Cached::Gone);
        }
        match serde_json::from_str(body) {
            Ok(view) => Some(Cached::Movie(Box::new(view))),
            Err(e) => {
                tracing::warn!(error = %e, "unreadable movie cache entry: ignored");
                None
            }
        }
    }

    /// Stores movie `id` at `version` (`None`: being deleted), unless a newer one is held.
    /// `write`: called by a write (always tried, even during the read backoff).
    pub async fn put_movie(&self, id: &str, version: i64, view: Option<&MovieView>, write: bool) {
        if !write && self.skipping() {
            return;
        }
        let body = match view {
            Some(view) => match serde_json::to_string(view) {
                Ok(json) => json,
                Err(_) => return,
            },
            None => String::new(),
        };
        let key = self.movie_key(id);
        self.guarded("put movie", async {
            let mut redis = self.redis.clone();
            let _: i64 = self
                .put_script
                .key(&key)
                .arg(version)
                .arg(format!("{version}\n{body}"))
                .arg(TTL.as_millis() as u64)
                .invoke_async(&mut redis)
                .await?;
            Ok(())
        })
        .await;
    }

    /// The current list generation (`None` when the cache does not answer).
    pub async fn generation(&self) -> Option<String> {
        if self.skipping() {
            return None;
        }
        let key = self.generation_key();
        self.guarded("list generation", async {
            let mut redis = self.redis.clone();
            let generation: String = self
                .generation_script
                .key(&key)
                .invoke_async(&mut redis)
                .await?;
            Ok(generation)
        })
        .await
    }

    /// The cached page of `query` in `generation`, if any.
    pub async fn page(&self, generation: &str, query: &str) -> Option<Paged<MovieView>> {
        self.get_json("get list", self.list_key(generation, query))
            .await
    }

    /// Stores the page of `query` in `generation`.
    pub async fn put_page(&self, generation: &str, query: &str, page: &Paged<MovieView>) {
        self.set_json("put list", self.list_key(generation, query), page)
            .await;
    }

    /// After a write: every list page cached so far is never read again.
    pub async fn invalidate_lists(&self) {
        let key = self.generation_key();
        self.guarded("bump list generation", async {
            let mut redis = self.redis.clone();
            let _: i64 = self.bump_script.key(&key).invoke_async(&mut redis).await?;
            Ok(())
        })
        .await;
    }

    async fn get_json<T: DeserializeOwned>(&self, what: &'static str, key: String) -> Option<T> {
        if self.skipping() {
            return None;
        }
        self.guarded(what, async {
            let mut redis = self.redis.clone();
            let held: Option<String> = redis::cmd("GET").arg(&key).query_async(&mut redis).await?;
            held.map(|json| {
                serde_json::from_str(&json).map_err(|e| CacheError::Decode(e.to_string()))
            })
            .transpose()
        })
        .await
        .flatten()
    }

    async fn set_json<T: Serialize>(&self, what: &'static str, key: String, value: &T) {
        if self.skipping() {
            return;
        }
        let Ok(json) = serde_json::to_string(value) else {
            return;
        };
        self.guarded(what, async {
            let mut redis = self.redis.clone();
            redis::cmd("SET")
                .arg(&key)
                .arg(json)
                .arg("PX")
                .arg(TTL.as_millis() as u64)
                .query_async::<()>(&mut redis)
                .await?;
            Ok(())
        })
        .await;
    }
}
