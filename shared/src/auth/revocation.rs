//! Revoked access tokens and sessions, kept in Redis only as long as a token could still be
//! presented.

use crate::cache::Redis;
use redis::AsyncCommands;

use super::AccessClaims;

/// How much later than its session's revocation a token may still be signed: a login or
/// refresh that read the session live, then stalled before signing, for at most its function's
/// timeout (10 s for the signers in template.yaml; 60 s leaves room). The mark outlives such a token too.
const SIGNING_SLACK_SECS: u64 = 60;

/// Revocation list shared by the users service (writes) and the authorizer (reads).
#[derive(Clone)]
pub struct Revocations {
    redis: Redis,
    prefix: String,
    /// How long a revoked session must be remembered: the longest an access token lives.
    access_ttl_secs: u64,
}

impl Revocations {
    /// Wraps the container's Redis connection.
    pub fn new(redis: Redis, key_prefix: &str, access_ttl_secs: u64) -> Self {
        Self {
            redis,
            prefix: key_prefix.to_owned(),
            access_ttl_secs,
        }
    }

    fn token_key(&self, jti: &str) -> String {
        format!("{}revoked:token:{jti}", self.prefix)
    }

    fn session_key(&self, sid: &str) -> String {
        format!("{}revoked:session:{sid}", self.prefix)
    }

    /// Rejects one access token until it would have expired anyway.
    pub async fn revoke_token(&self, jti: &str, expires_at: i64) -> Result<(), redis::RedisError> {
        let remaining = expires_at - chrono::Utc::now().timestamp();
        if remaining <= 0 {
            return Ok(());
        }
        let mut redis = self.redis.clone();
        redis
            .set_ex::<_, _, ()>(self.token_key(jti), 1, remaining as u64 + 5)
            .await
    }

    /// Rejects every access token of these sessions: after the longest token lifetime none can
    /// be left, so the mark expires then.
    pub async fn revoke_sessions(&self, sids: &[String]) -> Result<(), redis::RedisError> {
        if sids.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        for sid in sids {
            pipe.set_ex(
                self.session_key(sid),
                1,
                self.access_ttl_secs + SIGNING_SLACK_SECS,
            )
            .ignore();
        }
        let mut redis = self.redis.clone();
        pipe.query_async::<()>(&mut redis).await
    }

    /// Whether a session's access tokens are revoked: refresh asks too, so a session is
    /// refused alike by the authorizer and by refresh.
    pub async fn is_session_revoked(&self, sid: &str) -> Result<bool, redis::RedisError> {
        let mut redis = self.redis.clone();
        redis.exists(self.session_key(sid)).await
    }

    /// Whether this token or its session was revoked.
    pub async fn is_revoked(&self, claims: &AccessClaims) -> Result<bool, redis::RedisError> {
        let mut redis = self.redis.clone();
        let found: u32 = redis
            .exists(&[self.token_key(&claims.jti), self.session_key(&claims.sid)])
            .await?;
        Ok(found > 0)
    }
}
