//! Per-user limits on comments and reports (anti-spam): one account may post at most
//! `COMMENT_LIMIT_PER_HOUR` comments and send `REPORT_LIMIT_PER_HOUR` reports an hour.
//!
//! Counted atomically in the auth Redis (`streamia_shared::cache::WindowCounter`: INCR and the
//! window's expiry in one script), one counter per action and user shared by every function
//! instance, before the work is done: N concurrent requests get N distinct counts, so at most
//! the limit go ahead. The auth Redis never evicts (a counter cannot vanish to make room);
//! down, the limited routes answer 503 (they fail closed).
//!
//! Only the two limited functions (`comments-create`, `comments-report`) are given the Redis
//! secret and the settings: the others load no limit ([`LimitPieces`] is then `None`).

use streamia_shared::cache::{Attempt, Redis, WindowCounter};
use streamia_shared::config::{ConfigError, Load, Lookup, Reader, RedisConfig};

use crate::error::CommentsError;

/// The window every count lives in: an hour from the first comment or report.
pub const WINDOW_SECS: u64 = 3600;

/// How many of each an account may send per window, read at cold start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentLimits {
    /// Comments (and replies) per user and hour (`COMMENT_LIMIT_PER_HOUR`, default 30).
    pub comments_per_hour: u64,
    /// Reports per user and hour (`REPORT_LIMIT_PER_HOUR`, default 20).
    pub reports_per_hour: u64,
}

impl CommentLimits {
    /// The defaults: far more than a person writes in an hour, few enough that one account
    /// cannot bury a movie's comments or flag every comment it sees.
    pub const DEFAULT: CommentLimits = CommentLimits {
        comments_per_hour: 30,
        reports_per_hour: 20,
    };
}

/// Positive integers with defaults ([`CommentLimits::DEFAULT`]).
impl Load for CommentLimits {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let d = Self::DEFAULT;
        let limits = Self {
            comments_per_hour: env.positive("COMMENT_LIMIT_PER_HOUR", d.comments_per_hour),
            reports_per_hour: env.positive("REPORT_LIMIT_PER_HOUR", d.reports_per_hour),
        };
        env.finish(limits)
    }
}

/// The limits' pieces: the auth Redis and the settings, loaded only when the function is
/// given the Redis secret (`REDIS_URL_SECRET_ARN`); `None` in the functions that send neither
/// comments nor reports.
#[derive(Debug, Clone)]
pub struct LimitPieces(pub Option<(RedisConfig, CommentLimits)>);

impl Load for LimitPieces {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        if lookup("REDIS_URL").is_none() {
            return Ok(Self(None));
        }
        <(RedisConfig, CommentLimits)>::load(lookup).map(|pieces| Self(Some(pieces)))
    }
}

/// What is limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Posting a comment or a reply.
    Comment,
    /// Reporting a comment.
    Report,
}

/// Counts comments and reports per user in Redis; cheap to clone.
#[derive(Clone)]
pub struct Limiter {
    comments: WindowCounter,
    reports: WindowCounter,
    limits: CommentLimits,
}

impl Limiter {
    /// Counters under `<key_prefix>comment-limit:` and `<key_prefix>report-limit:`.
    pub fn new(redis: Redis, key_prefix: &str, limits: CommentLimits) -> Self {
        Self {
            comments: WindowCounter::new(redis.clone(), key_prefix, "comment-limit", WINDOW_SECS),
            reports: WindowCounter::new(redis, key_prefix, "report-limit", WINDOW_SECS),
            limits,
        }
    }

    /// Counts one `action` of `user`, then decides: `RateLimited` (with the seconds left in
    /// the window) past the limit.
    pub async fn check(
        &self,
        action: Action,
        user: &bson::oid::ObjectId,
    ) -> Result<(), CommentsError> {
        let (counter, limit) = match action {
            Action::Comment => (&self.comments, self.limits.comments_per_hour),
            Action::Report => (&self.reports, self.limits.reports_per_hour),
        };
        match counter.attempt(&user.to_hex(), limit).await? {
            Attempt::Allowed => Ok(()),
            Attempt::Refused { retry_after } => {
                tracing::warn!(action = ?action, user_id = %user, "per-user limit reached");
                Err(CommentsError::RateLimited {
                    retry_after: retry_after.max(1),
                })
            }
        }
    }
}
