//! Password checks with a limit on guesses: login, and the re-check of the current password
//! before a sensitive change (new password, account deletion).
//!
//! Every check is counted in Redis *before* the password is verified, atomically, so any number
//! of concurrent guesses (from one or many function instances) verifies at most `limit`
//! passwords per subject and window; the rest are refused without touching argon2.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::{verify_password, PasswordError, PasswordHash};
use crate::cache::{Attempt, WindowCounter};

/// What a guarded password check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The password matches; the subject's count was cleared.
    Match,
    /// Wrong password (or no account: a dummy hash was verified in the same time).
    Mismatch,
    /// Too many checks in this window: nothing was verified.
    Throttled {
        /// Seconds until checks are allowed again.
        retry_after: u64,
    },
}

/// The check could not run.
#[derive(Debug, thiserror::Error)]
pub enum GuessError {
    /// The counter could not be read or written; fail closed.
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
    /// Verification could not run.
    #[error(transparent)]
    Password(#[from] PasswordError),
}

/// Password checks limited per subject (an email for login, a user id for re-checks).
#[derive(Clone)]
pub struct GuessLimit {
    counter: WindowCounter,
    limit: u64,
    verified: Arc<AtomicU64>,
}

impl GuessLimit {
    /// At most `limit` checks per subject in each window of `counter`.
    pub fn new(counter: WindowCounter, limit: u64) -> Self {
        Self {
            counter,
            limit,
            verified: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Counts the check, then verifies `candidate` against `stored` if the subject is within
    /// its limit. `stored` is `None` for an unknown account (see [`verify_password`]).
    pub async fn check(
        &self,
        subject: &str,
        candidate: &str,
        stored: Option<&PasswordHash>,
    ) -> Result<Verdict, GuessError> {
        if let Attempt::Refused { retry_after } = self.counter.attempt(subject, self.limit).await? {
            return Ok(Verdict::Throttled { retry_after });
        }
        self.verified.fetch_add(1, Ordering::Relaxed);
        if verify_password(candidate, stored).await? {
            self.counter.reset(subject).await?;
            Ok(Verdict::Match)
        } else {
            Ok(Verdict::Mismatch)
        }
    }

    /// Clears the subject's count (e.g. once a password reset proved who they are).
    pub async fn forget(&self, subject: &str) -> Result<(), redis::RedisError> {
        self.counter.reset(subject).await
    }

    /// How many passwords this instance has verified: for metrics, and for tests that prove
    /// the limit holds under concurrency.
    pub fn verified(&self) -> u64 {
        self.verified.load(Ordering::Relaxed)
    }
}
