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

/// Domain separation for [`OpaqueToken::sealed_for`]: the key stream is never the stored hash.
const SEAL_CONTEXT: &[u8] = b"streamia/opaque-token/sealed-for/v2\0";

impl OpaqueToken {
    /// Encrypts this token so that only a holder of `key` who also knows the server's `pepper`
    /// can recover it, for storing a token that must be handed out again (a refresh token's
    /// successor, for a retried refresh) without keeping it in clear.
    ///
    /// The key stream is SHA-256 of `pepper` and `key` under its own context: 256 bits of
    /// randomness the database never sees (it keeps only `key`'s plain SHA-256), used for
    /// exactly one token, so XOR is a one-time pad. The pepper (a server secret) means an old
    /// token plus a copy of the database is not enough to walk a session's chain of sealed
    /// successors up to its live token. Integrity comes from the caller comparing the unsealed
    /// token's [`hash`](Self::hash) with the one it stored. `None` for a token this type did
    /// not generate.
    pub fn sealed_for(&self, key: &OpaqueToken, pepper: &[u8]) -> Option<String> {
        let plain = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&self.0)
            .ok()?;
        let stream = Self::key_stream(key, pepper);
        (plain.len() == stream.len()).then(|| {
            hex::encode(
                plain
                    .iter()
                    .zip(stream)
                    .map(|(p, k)| p ^ k)
                    .collect::<Vec<_>>(),
            )
        })
    }

    /// Recovers a token sealed by [`sealed_for`](Self::sealed_for) with the same `key` and
    /// `pepper`.
    pub fn unseal(sealed: &str, key: &OpaqueToken, pepper: &[u8]) -> Option<Self> {
        let cipher = hex::decode(sealed).ok()?;
        let stream = Self::key_stream(key, pepper);
        if cipher.len() != stream.len() {
            return None;
        }
        let plain: Vec<u8> = cipher.iter().zip(stream).map(|(c, k)| c ^ k).collect();
        Some(Self(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(plain),
        ))
    }

    fn key_stream(key: &OpaqueToken, pepper: &[u8]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(SEAL_CONTEXT);
        hasher.update((pepper.len() as u64).to_be_bytes());
        hasher.update(pepper);
        hasher.update(key.0.as_bytes());
        hasher.finalize().into()
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

    #[test]
    fn sealed_tokens_open_only_with_their_key_and_the_pepper() {
        let (key, secret) = (OpaqueToken::generate(), OpaqueToken::generate());
        let pepper = b"server-secret";
        let sealed = secret.sealed_for(&key, pepper).unwrap();
        assert!(!sealed.contains(secret.expose()));
        assert_eq!(
            OpaqueToken::unseal(&sealed, &key, pepper).unwrap().expose(),
            secret.expose()
        );
        let wrong_key = OpaqueToken::unseal(&sealed, &OpaqueToken::generate(), pepper).unwrap();
        assert_ne!(wrong_key.hash(), secret.hash());
        // The old token alone (a database copy, no server secret) opens nothing.
        let no_pepper = OpaqueToken::unseal(&sealed, &key, b"").unwrap();
        assert_ne!(no_pepper.hash(), secret.hash());
        assert!(OpaqueToken::from_client("short")
            .sealed_for(&key, pepper)
            .is_none());
        assert!(OpaqueToken::unseal("zz", &key, pepper).is_none());
    }
}
