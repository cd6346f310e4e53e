//! The Redis connection, opened once per container and shared by every invocation.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// Opens a self-reconnecting Redis connection with short timeouts, so a Redis outage costs a
/// request a fraction of a second (and a 503), not the whole Lambda timeout.
pub async fn connect(url: &str) -> Result<ConnectionManager, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Duration::from_secs(2))
        .set_response_timeout(Duration::from_secs(2))
        .set_number_of_retries(2);
    ConnectionManager::new_with_config(client, config).await
}

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

    /// Adds one; the window starts with the first hit.
    pub async fn hit(&self, subject: &str) -> Result<u64, redis::RedisError> {
        let mut redis = self.redis.clone();
        let key = self.key(subject);
        let (count,): (u64,) = redis::pipe()
            .incr(&key, 1)
            .expire(&key, self.window_secs as i64)
            .arg("NX")
            .ignore()
            .query_async(&mut redis)
            .await?;
        Ok(count)
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
