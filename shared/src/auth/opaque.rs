//! Random opaque tokens (refresh, password reset), stored only as their SHA-256.

use std::fmt;

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A token as handed to the client once. Never logged (its `Debug` is redacted).
pub struct OpaqueToken(String);

/// The hex SHA-256 of a token: what the database keeps and looks up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash(pub String);

impl OpaqueToken {
    /// 256 random bits, URL-safe base64.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Wraps a token a client presented.
    pub fn from_client(raw: &str) -> Self {
        Self(raw.trim().to_owned())
    }

    /// The token itself, to put in a response or a link.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The stored form.
    pub fn hash(&self) -> TokenHash {
        TokenHash(hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

impl fmt::Debug for OpaqueToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpaqueToken(<redacted>)")
    }
}

/// Hashes any identifier that must not appear in clear in a key or a log (e.g. an email in a
/// rate-limit key).
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hash_stably() {
        let a = OpaqueToken::generate();
        let b = OpaqueToken::generate();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), 43);
        assert_eq!(a.hash(), OpaqueToken::from_client(a.expose()).hash());
        assert_eq!(a.hash().0.len(), 64);
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
