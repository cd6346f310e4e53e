//! argon2id password hashing, off the async executor.

use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::domain::Password;

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`), the only form a password is stored in.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// Hashing or verification could not run.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// argon2 refused (never expected with default parameters).
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The blocking task panicked or was cancelled.
    #[error("password task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A hash of a password nobody has, verified when the account does not exist so that a login
/// for an unknown email costs the same time as one with a wrong password.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$gZiV/M1gPc22ElAH/Jh1Hw$CWOrkoo7oJBQ/iyh7uJ0LO2aLEfrHwTWllSAxT0zRno";

/// Hashes with argon2id (OWASP parameters: 19 MiB, 2 passes) on a blocking thread: a hash
/// takes tens of milliseconds of CPU that must not stall other requests.
pub async fn hash_password(password: &Password) -> Result<PasswordHash, PasswordError> {
    let clear = password.expose().to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(clear.as_bytes(), &salt)
            .map(|h| PasswordHash(h.to_string()))
            .map_err(|e| PasswordError::Hash(e.to_string()))
    })
    .await?
}

/// Hashes new passwords ([`hash_password`]) and counts how many it hashed: each hash is tens of
/// milliseconds of CPU, so a request that must not cost any (a reset with a bogus token, a
/// refused client) can be shown to cost none, by count rather than by timing.
#[derive(Clone, Default)]
pub struct Hasher {
    runs: Arc<AtomicU64>,
}

impl Hasher {
    /// Hashes `password` (see [`hash_password`]) and counts it.
    pub async fn hash(&self, password: &Password) -> Result<PasswordHash, PasswordError> {
        self.runs.fetch_add(1, Ordering::Relaxed);
        hash_password(password).await
    }

    /// How many hashes this instance started: for metrics and tests.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }
}

/// Whether `candidate` matches `stored`; with no stored hash (unknown account) it verifies
/// against a dummy hash and answers false, taking the same time.
pub async fn verify_password(
    candidate: &str,
    stored: Option<&PasswordHash>,
) -> Result<bool, PasswordError> {
    let candidate = candidate.to_owned();
    let known = stored.is_some();
    let phc = stored.map_or_else(|| DUMMY_HASH.to_owned(), |h| h.0.clone());
    tokio::task::spawn_blocking(move || {
        let parsed =
            argon2::PasswordHash::new(&phc).map_err(|e| PasswordError::Hash(e.to_string()))?;
        let matches = Argon2::default()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok();
        Ok(known && matches)
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let pw = Password::parse("Secret123").unwrap();
        let hash = hash_password(&pw).await.unwrap();
        assert!(hash.0.starts_with("$argon2id$v=19$"), "{}", hash.0);
        assert!(verify_password("Secret123", Some(&hash)).await.unwrap());
        assert!(!verify_password("Secret124", Some(&hash)).await.unwrap());
        assert!(!verify_password("Secret123", None).await.unwrap());
        assert_ne!(hash, hash_password(&pw).await.unwrap(), "salted");
    }

    #[test]
    fn dummy_hash_parses() {
        assert!(argon2::PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
