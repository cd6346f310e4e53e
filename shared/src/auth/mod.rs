//! Tokens and passwords.
//!
//! Access tokens are short-lived EdDSA JWTs carrying who the caller is (signed with the
//! current key of a rotating set, [`keys`]); refresh and reset
//! tokens are random opaque strings stored only as SHA-256 hashes; passwords are argon2id PHC
//! strings. Revocation lives in Redis so the authorizer can check it on every request.

mod authorize;
mod guesses;
mod jwt;
pub mod keys;
mod opaque;
mod password;
mod revocation;

pub use authorize::{authorize, AuthorizeError};
pub use guesses::{GuessError, GuessLimit, Verdict};
pub use jwt::{AccessClaims, IssuedAccessToken, TokenError, TokenSigner, TokenVerifier};
pub use opaque::{sha256_hex, OpaqueToken, TokenHash};
pub use password::{hash_password, verify_password, Hasher, PasswordError, PasswordHash};
pub use revocation::Revocations;
