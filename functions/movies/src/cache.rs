//! The catalog's cache-aside on the cache Redis (`CACHE_REDIS_URL`, `allkeys-lru`): single
//! movies and list pages, filled on a miss from MongoDB, invalidated by every write.
//!
//! - **Single movie**: `<prefix>movies:movie:<id>` holds `"<version>\n<movie JSON>"` (or
//!   `"<version>\n"` for a movie being deleted: a 404). A write stores its own result at once;
//!   every store keeps an entry only if it is not older than the one held (one Lua step), so
//!   a reader that fetched the old document before the write cannot put it back after.
//! - **List pages**: the platform's cached answers (`streamia_shared::cache::answers`), one
//!   per query (`list:<sha256 of the query>`), each valid while the generation `lists` is
//!   not bumped. It is bumped after every catalog write (not after a rating summary from
//!   `rating.changed`: those refresh the movie's entry only, and list pages show them within
//!   the TTL, so a popular movie's ratings do not empty every cached page many times a
//!   second), so the next read of any list misses and asks MongoDB.
//! - Every entry lives [`TTL`] (60 s): the bound on staleness if an invalidation is lost
//!   (Redis down during a write).
//! - **Redis down or slow**: the platform's [`BestEffort`] (bounded calls, a read answered
//!   from MongoDB, never a 503, a backoff after a failure); writes always try to invalidate.

use std::sync::Arc;

use streamia_shared::cache::answers::{Answers, Key};
use streamia_shared::cache::{BestEffort, TTL};
use streamia_shared::config::CacheRedisConfig;
use streamia_shared::paging::Paged;

use crate::domain::MovieView;

/// The generation of every list page.
const LISTS: &str = "lists";

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
    cache: BestEffort,
    prefix: String,
    put_script: Arc<redis::Script>,
    /// The list pages.
    lists: Answers,
}

impl MovieCache {
    /// The cache on the instance `config` names (connects on first use).
    pub async fn connect(config: &CacheRedisConfig) -> Result<Self, redis::RedisError> {
        let cache = BestEffort::connect(config, "movie cache").await?;
        Ok(Self {
            lists: Answers::on(cache.clone(), config, "movies"),
            cache,
            prefix: format!("{}movies:", config.redis.key_prefix),
            put_script: Arc::new(redis::Script::new(PUT_IF_NOT_OLDER)),
        })
    }

    fn movie_key(&self, id: &str) -> String {
        format!("{}movie:{id}", self.prefix)
    }

    /// The cached movie `id`, if any (`None` also when the cache does not answer).
    pub async fn movie(&self, id: &str) -> Option<Cached> {
        if self.cache.skipping() {
            return None;
        }
        let key = self.movie_key(id);
        let held: String = self
            .cache
            .run("get movie", async {
                let mut redis = self.cache.redis();
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
        if !write && self.cache.skipping() {
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
        self.cache
            .run("put movie", async {
                let mut redis = self.cache.redis();
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

    /// The page answering `query` (the query's cache key): cached while no catalog write
    /// happened since, otherwise (and whenever the cache does not answer) `compute`'s.
    pub async fn page<E, F, Fut>(&self, query: &str, compute: F) -> Result<Paged<MovieView>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Paged<MovieView>, E>>,
    {
        let key = Key::new(format!("list:{}", streamia_shared::auth::sha256_hex(query)))
            .depends_on(LISTS);
        self.lists.cached(&key, compute).await
    }

    /// After a write: every list page cached so far is computed again.
    pub async fn invalidate_lists(&self) {
        self.lists.bump(LISTS).await;
    }
}
