//! Whole answers of a read kept in the cache Redis, each served only while the generations it
//! was computed under are still current: a read that is one Redis round trip when nothing it
//! shows has changed, and never a stale answer after a write that bumped its generation.
//!
//! - A read names its answer (`list:<user>:<page>:<limit>`) and the generations it depends on
//!   (`user:<user>`, `copies`). One script reads the generations (starting a missing one from
//!   Redis's clock in microseconds) and the held answer, which is `"<stamp>\n<json>"`: it is
//!   served only when its stamp equals the generations now. On a miss the read asks MongoDB
//!   and stores its answer under the stamp it read *before* asking.
//! - A write bumps the generations it touches *after* its commit. Any answer computed from
//!   data older than the write carries a stamp read before the bump, so it never matches
//!   again; an answer computed after the commit may carry the old stamp too and is merely
//!   missed once.
//! - An answer is stored only if its generations still equal its stamp (one script), so a
//!   slow reader never overwrites a newer reader's answer with one that would only miss.
//! - A generation only grows: `INCR`, or, once evicted or expired, a new start from the clock,
//!   past every value it had (unless it was bumped more times than microseconds passed since
//!   it started), so an old stamp can never match again. It lives [`GENERATION_TTL`] past its
//!   last read or bump: a generation made for a read of something that does not exist (a
//!   public summary of a random id) leaves soon, one in use never.
//! - A bump lost (the cache unreachable right after a commit, or the function stopped between
//!   its commit and its bump) leaves an answer stale for at most [`TTL`]; a change made by
//!   hand in MongoDB likewise.
//! - The cache down or slow: the read is answered from MongoDB (see [`BestEffort`]); a bump
//!   is always tried, so a write then takes up to one connect timeout plus one command
//!   timeout (350 ms) longer.
//! - Readers must read MongoDB's primary (the default; no `readPreference` in the URI): a
//!   secondary behind the commit would let a reader store old data under the new stamp.
//!
//! Every key of one service carries the hash tag `{<service>}`, so a script's keys share one
//! slot. The connection is not a cluster client: the cache must be a single-endpoint Redis
//! (one node, or a primary with replicas); a cluster-mode-enabled group would answer `MOVED`
//! for other shards' keys, and the cache would only log warnings.

use std::future::Future;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{BestEffort, CacheError, TTL};
use crate::config::CacheRedisConfig;

/// How long a generation lives past its last read or bump (then it starts again from the
/// clock): well past [`TTL`], so an answer in use is not missed for it.
pub const GENERATION_TTL: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// `KEYS[1]`: the answer; `KEYS[2..]`: its generations; `ARGV[1]`: a generation's TTL.
/// Returns `{stamp}` or `{stamp, json}` when the held answer has that stamp.
const READ: &str = r"
local stamp = {}
for i = 2, #KEYS do
  local generation = redis.call('GET', KEYS[i])
  if generation then
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
  else
    local now = redis.call('TIME')
    generation = string.format('%.0f', tonumber(now[1]) * 1000000 + tonumber(now[2]))
    redis.call('SET', KEYS[i], generation, 'PX', ARGV[1])
  end
  stamp[#stamp + 1] = generation
end
stamp = table.concat(stamp, ':')
local held = redis.call('GET', KEYS[1])
if held and string.sub(held, 1, #stamp + 1) == stamp .. '\n' then
  return {stamp, string.sub(held, #stamp + 2)}
end
return {stamp}
";

/// `KEYS[1]`: the answer; `KEYS[2..]`: its generations; `ARGV[1]`: the stamp it was computed
/// under; `ARGV[2]`: the answer; `ARGV[3]`: its TTL. Stores it only while the generations
/// still equal the stamp (1), otherwise nothing (0).
const STORE: &str = r"
local stamp = {}
for i = 2, #KEYS do
  local generation = redis.call('GET', KEYS[i])
  if not generation then return 0 end
  stamp[#stamp + 1] = generation
end
if table.concat(stamp, ':') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1] .. '\n' .. ARGV[2], 'PX', ARGV[3])
return 1
";

/// `KEYS[1]`: a generation; `ARGV[1]`: its TTL.
const BUMP: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return redis.call('INCR', KEYS[1])
end
local now = redis.call('TIME')
redis.call('SET', KEYS[1], string.format('%.0f', tonumber(now[1]) * 1000000 + tonumber(now[2])), 'PX', ARGV[1])
return 1
";

/// Which answer, and the generations it depends on (the names its writers bump).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    answer: String,
    generations: Vec<String>,
}

impl Key {
    /// The answer named `answer` (unique within the service: it carries every parameter the
    /// answer depends on, the caller's id included).
    pub fn new(answer: impl Into<String>) -> Self {
        Self {
            answer: answer.into(),
            generations: Vec::new(),
        }
    }

    /// ... valid only while `generation` is not bumped. Every key names at least one: an
    /// answer that depends on nothing would be served for its whole TTL whatever happens.
    pub fn depends_on(mut self, generation: impl Into<String>) -> Self {
        self.generations.push(generation.into());
        self
    }
}

/// What the cache said about an answer.
enum Lookup<T> {
    /// Held and current.
    Hit(T),
    /// Not held (or not current): compute it and store it under this stamp.
    Miss(String),
    /// The cache did not answer: compute it, store nothing.
    Off,
}

/// One service's cached answers. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct Answers {
    cache: BestEffort,
    prefix: String,
    read: Arc<redis::Script>,
    store: Arc<redis::Script>,
    bump: Arc<redis::Script>,
}

impl Answers {
    /// The answers of `service` on the cache `config` names (connects on first use).
    pub async fn connect(
        config: &CacheRedisConfig,
        service: &'static str,
    ) -> Result<Self, redis::RedisError> {
        let cache = BestEffort::connect(config, "answers").await?;
        Ok(Self::on(cache, config, service))
    }

    /// The answers of `service` on a cache the service already holds (one connection and one
    /// backoff for all its cached data).
    pub fn on(cache: BestEffort, config: &CacheRedisConfig, service: &'static str) -> Self {
        Self {
            cache,
            prefix: format!("{}{{{service}}}:answers:", config.redis.key_prefix),
            read: Arc::new(redis::Script::new(READ)),
            store: Arc::new(redis::Script::new(STORE)),
            bump: Arc::new(redis::Script::new(BUMP)),
        }
    }

    fn answer_key(&self, key: &Key) -> String {
        format!("{}a:{}", self.prefix, key.answer)
    }

    fn generation_key(&self, generation: &str) -> String {
        format!("{}g:{generation}", self.prefix)
    }

    /// The answer `key` names: the cached one while current, otherwise `compute`'s (stored
    /// when it succeeds). An error is never cached.
    pub async fn cached<T, E, F, Fut>(&self, key: &Key, compute: F) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let stamp = match self.lookup(key).await {
            Lookup::Hit(value) => return Ok(value),
            Lookup::Miss(stamp) => Some(stamp),
            Lookup::Off => None,
        };
        let value = compute().await?;
        if let Some(stamp) = stamp {
            self.store(key, &stamp, &value).await;
        }
        Ok(value)
    }

    /// After a committed write: every answer depending on `generation` is computed again.
    /// Always tried (even while reads skip the cache).
    pub async fn bump(&self, generation: &str) {
        let key = self.generation_key(generation);
        self.cache
            .run("bump generation", async {
                let mut redis = self.cache.redis();
                let _: i64 = self
                    .bump
                    .key(&key)
                    .arg(GENERATION_TTL.as_millis() as u64)
                    .invoke_async(&mut redis)
                    .await?;
                Ok(())
            })
            .await;
    }

    /// `script` with the answer's key and its generations' keys.
    fn with_keys<'a>(&self, script: &'a redis::Script, key: &Key) -> redis::ScriptInvocation<'a> {
        debug_assert!(
            !key.generations.is_empty(),
            "an answer depends on something"
        );
        let mut invocation = script.prepare_invoke();
        invocation.key(self.answer_key(key));
        for generation in &key.generations {
            invocation.key(self.generation_key(generation));
        }
        invocation
    }

    async fn lookup<T: DeserializeOwned>(&self, key: &Key) -> Lookup<T> {
        if self.cache.skipping() {
            return Lookup::Off;
        }
        let mut script = self.with_keys(&self.read, key);
        script.arg(GENERATION_TTL.as_millis() as u64);
        let found = self
            .cache
            .run("read answer", async {
                let mut redis = self.cache.redis();
                let found: Vec<String> = script.invoke_async(&mut redis).await?;
                Ok(found)
            })
            .await;
        let Some(mut found) = found else {
            return Lookup::Off;
        };
        let (stamp, held) = match (found.len(), found.pop()) {
            (1, Some(stamp)) => return Lookup::Miss(stamp),
            (2, Some(held)) => match found.pop() {
                Some(stamp) => (stamp, held),
                None => return Lookup::Off,
            },
            _ => return Lookup::Off,
        };
        match serde_json::from_str(&held) {
            Ok(value) => Lookup::Hit(value),
            Err(e) => {
                // Another version's shape (a deploy in progress): computed again, stored over.
                tracing::warn!(error = %CacheError::Decode(e.to_string()), "cached answer ignored");
                Lookup::Miss(stamp)
            }
        }
    }

    async fn store<T: Serialize>(&self, key: &Key, stamp: &str, value: &T) {
        let Ok(json) = serde_json::to_string(value) else {
            return;
        };
        let mut script = self.with_keys(&self.store, key);
        script.arg(stamp).arg(json).arg(TTL.as_millis() as u64);
        self.cache
            .run("store answer", async {
                let mut redis = self.cache.redis();
                let _: i64 = script.invoke_async(&mut redis).await?;
                Ok(())
            })
            .await;
    }
}
