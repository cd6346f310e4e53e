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
    // It was not stored (its stamp is from before the bump): computed again.
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(2));
}

#[tokio::test]
async fn a_slow_reader_never_overwrites_a_newer_answer() {
    let answers = Answers::connect(&config(&cache_url()), "test")
        .await
        .unwrap();
    let source = Source::default();
    source.set(1);
    let slow = answers
        .cached(&key(), || async {
            let old = source.read().await;
            // Meanwhile: a write, and a faster reader that caches what it wrote.
            source.set(2);
            answers.bump("copies").await;
            assert_eq!(answers.cached(&key(), || source.read()).await, Ok(2));
            old
        })
        .await;
    assert_eq!(slow, Ok(1));
    // The faster reader's answer is still held: served with no read.
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(2));
    assert_eq!(source.reads(), 2);
}

#[tokio::test]
async fn an_evicted_generation_starts_past_every_value_it_had() {
    let config = config(&cache_url());
    let answers = Answers::connect(&config, "test").await.unwrap();
    let source = Source::default();
    source.set(1);
    // Bumped many times: the values it had run past its start.
    for _ in 0..50 {
        answers.bump("copies").await;
    }
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(1));
    let mut redis = redis::Client::open(config.redis.url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let generation = format!("{}{{test}}:answers:g:copies", config.redis.key_prefix);
    let get = |mut redis: redis::aio::MultiplexedConnection| {
        let generation = generation.clone();
        async move {
            let value: u64 = redis::cmd("GET")
                .arg(&generation)
                .query_async(&mut redis)
                .await
                .unwrap();
            value
        }
    };
    let started = get(redis.clone()).await;
    source.set(2);
    // The generation is evicted (allkeys-lru) together with the bump that would have
    // followed: the answer held under the old one is not served...
    let _: () = redis::cmd("DEL")
        .arg(&generation)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(answers.cached(&key(), || source.read()).await, Ok(2));
    // ...because it starts again past every value it had.
    let restarted = get(redis.clone()).await;
    assert!(restarted > started, "{restarted} > {started}");
    // A bump of an evicted one starts it from the clock too.
    let _: () = redis::cmd("DEL")
        .arg(&generation)
        .query_async(&mut redis)
        .await
        .unwrap();
    answers.bump("copies").await;
    assert!(get(redis.clone()).await > restarted);
    // A generation lives a few minutes past its last use: nothing is kept for ever.
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&generation)
        .query_async(&mut redis)
        .await
        .unwrap();
    let most = streamia_shared::cache::answers::GENERATION_TTL.as_millis() as i64;
    assert!(ttl > 0 && ttl <= most, "{ttl}");
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

#[tokio::test]
async fn a_cache_that_accepts_and_never_answers_does_not_hold_a_read_or_a_bump() {
    // A Redis that hangs: the connection is accepted, nothing is ever answered.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}/", listener.local_addr().unwrap());
    let _held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let answers = Answers::connect(&config(&url), "test").await.unwrap();
    let source = Source::default();
    source.set(5);
    // Bounded by the cache's budget (350 ms); the limit here only catches a hang.
    let limit = std::time::Duration::from_secs(5);
    let read = tokio::time::timeout(limit, answers.cached(&key(), || source.read())).await;
    assert_eq!(read.expect("the read is not held"), Ok(5));
    // During the backoff a bump still tries, within the same budget.
    tokio::time::timeout(limit, answers.bump("copies"))
        .await
        .expect("the bump is not held");
    let read = tokio::time::timeout(limit, answers.cached(&key(), || source.read())).await;
    assert_eq!(read.expect("the read is not held"), Ok(5));
}
