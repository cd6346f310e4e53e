//! The cached answers against a real Redis (`CACHE_REDIS_URL`): served while current, computed
//! again after a bump, never stale after a lost generation, and a cache that does not answer
//! costs a recomputation, never an error.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use streamia_shared::cache::answers::{Answers, Key};
use streamia_shared::config::{CacheRedisConfig, RedisConfig};

fn config(url: &str) -> CacheRedisConfig {
    CacheRedisConfig {
        redis: RedisConfig {
            url: url.to_owned(),
            ca_cert: None,
            key_prefix: format!("test:{}:", uuid::Uuid::new_v4().simple()),
        },
    }
}

fn cache_url() -> String {
    std::env::var("CACHE_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6380/".to_owned())
}

/// A "database" whose value a test changes behind the cache's back, counting its reads.
#[derive(Clone, Default)]
struct Source {
    value: Arc<AtomicU32>,
    reads: Arc<AtomicU32>,
}

impl Source {
    async fn read(&self) -> Result<u32, String> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.value.load(Ordering::SeqCst))
    }

    fn set(&self, value: u32) {
        self.value.store(value, Ordering::SeqCst);
    }

    fn reads(&self) -> u32 {
        self.reads.load(Ordering::SeqCst)
    }
}

fn key() -> Key {
    Key::new("list:alice:1:20")
        .depends_on("user:alice")
        .depends_on("copies")
}

#[tokio::test]
async fn an_answer_is_served_until_one_of_its_generations_is_bumped() {
    let answers = Answers::connect(&config(&cache_url()), "test")
        .await
        .unwrap();
    let source = Source::default();
    source.set(1);
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(1));
    source.set(2);
    // Not bumped: the cached answer (the write that would bump has not happened).
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(1));
    assert_eq!(source.reads(), 1);
    answers.bump("copies").await;
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(2));
    source.set(3);
    answers.bump("user:alice").await;
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(3));
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(3));
    assert_eq!(source.reads(), 3);
    // Another generation leaves it alone.
    answers.bump("user:bob").await;
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(3));
    assert_eq!(source.reads(), 3);
}

#[tokio::test]
async fn an_answer_computed_across_a_bump_is_never_served_again() {
    let answers = Answers::connect(&config(&cache_url()), "test")
        .await
        .unwrap();
    let source = Source::default();
    source.set(1);
    // A slow reader: the write commits (2) and bumps while it still holds the old value.
    let stale = answers
        .cached(&key(), || async {
            let old = source.read().await;
            source.set(2);
            answers.bump("user:alice").await;
            old
        })
        .await;
    assert_eq!(stale, Ok(1));
    // What it stored carries the stamp from before the bump: computed again.
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(2));
}

#[tokio::test]
async fn an_evicted_generation_starts_past_every_value_it_had() {
    let config = config(&cache_url());
    let answers = Answers::connect(&config, "test").await.unwrap();
    let source = Source::default();
    source.set(1);
    answers.bump("copies").await;
    answers.bump("copies").await;
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(1));
    source.set(2);
    // The generation is evicted (allkeys-lru) together with the bump that would have
    // followed: the answer held under the old one is not served.
    let mut redis = redis::Client::open(config.redis.url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let generation = format!("{}test:answers:g:copies", config.redis.key_prefix);
    let _: () = redis::cmd("DEL")
        .arg(&generation)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(2));
    // Generations expire on their own (a day): nothing is kept for ever.
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&generation)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(ttl > 0, "{ttl}");
}

#[tokio::test]
async fn errors_are_not_cached_and_an_unreadable_entry_is_computed_again() {
    let config = config(&cache_url());
    let answers = Answers::connect(&config, "test").await.unwrap();
    let failed: Result<u32, &str> = answers.cached(&key(), || async { Err("down") }).await;
    assert_eq!(failed, Err("down"));
    let source = Source::default();
    source.set(7);
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(7));
    // An entry of another shape (a deploy in between): computed again, stored over.
    let word: Result<String, String> = answers
        .cached(&key(), || async { Ok("seven".to_owned()) })
        .await;
    assert_eq!(word, Ok("seven".to_owned()));
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(7));
    assert_eq!(source.reads(), 2);
}

#[tokio::test]
async fn a_cache_that_does_not_answer_costs_a_recomputation_never_an_error() {
    // Nothing listens there.
    let answers = Answers::connect(&config("redis://127.0.0.1:9/"), "test")
        .await
        .unwrap();
    let source = Source::default();
    source.set(5);
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(5));
    answers.bump("copies").await;
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(5));
    assert_eq!(source.reads(), 2);
}
