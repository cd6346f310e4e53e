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
//! - A generation only grows: `INCR`, or, once evicted or expired, a new start from the clock,
//!   past every value it had (unless a million bumps a second happened), so an old stamp can
//!   never match again.
//! - A bump lost (the cache unreachable right after a commit) leaves an answer stale for at
//!   most [`TTL`]; a change made by hand in MongoDB likewise.
//! - The cache down or slow: the read is answered from MongoDB (see [`BestEffort`]).
//!
//! The script reads several keys at once: the cache must not be a Redis Cluster (the
//! template's is one node, or a primary with replicas).

use std::future::Future;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{BestEffort, CacheError, TTL};
use crate::config::CacheRedisConfig;

/// A generation nobody bumps or reads leaves after a day; it starts again from the clock.
const GENERATION_TTL_MS: u64 = 24 * 60 * 60 * 1000;

/// `KEYS[1]`: the answer; `KEYS[2..]`: its generations; `ARGV[1]`: a new generation's TTL.
/// Returns `{stamp}` or `{stamp, json}` when the held answer has that stamp.
const READ: &str = r"
local stamp = {}
for i = 2, #KEYS do
  local generation = redis.call('GET', KEYS[i])
  if not generation then
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

/// `KEYS[1]`: a generation; `ARGV[1]`: its TTL if it starts again.
const BUMP: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
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

    /// ... valid only while `generation` is not bumped.
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
    bump: Arc<redis::Script>,
}

impl Answers {
    /// The answers of `service` on the cache `config` names (connects on first use).
    pub async fn connect(
        config: &CacheRedisConfig,
        service: &'static str,
    ) -> Result<Self, redis::RedisError> {
        Ok(Self {
            cache: BestEffort::connect(config, "answers").await?,
            prefix: format!("{}{service}:answers:", config.redis.key_prefix),
            read: Arc::new(redis::Script::new(READ)),
            bump: Arc::new(redis::Script::new(BUMP)),
        })
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
                    .arg(GENERATION_TTL_MS)
                    .invoke_async(&mut redis)
                    .await?;
                Ok(())
            })
            .await;
    }

    async fn lookup<T: DeserializeOwned>(&self, key: &Key) -> Lookup<T> {
        if self.cache.skipping() {
            return Lookup::Off;
        }
        let mut script = self.read.prepare_invoke();
        script.key(self.answer_key(key));
        for generation in &key.generations {
            script.key(self.generation_key(generation));
        }
        script.arg(GENERATION_TTL_MS);
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
        let answer = self.answer_key(key);
        self.cache
            .run("store answer", async {
                let mut redis = self.cache.redis();
                redis::cmd("SET")
                    .arg(&answer)
                    .arg(format!("{stamp}\n{json}"))
                    .arg("PX")
                    .arg(TTL.as_millis() as u64)
                    .query_async::<()>(&mut redis)
                    .await?;
                Ok(())
            })
            .await;
    }
}
