//! Tokens and passwords.
//!
//! Access tokens are short-lived HS256 JWTs carrying who the caller is; refresh and reset
//! tokens are random opaque strings stored only as SHA-256 hashes; passwords are argon2id PHC
//! strings. Revocation lives in Redis so the authorizer can check it on every request.

mod authorize;
mod jwt;
mod opaque;
mod password;
mod revocation;

pub use authorize::{authorize, AuthorizeError};
pub use jwt::{AccessClaims, IssuedAccessToken, TokenError, TokenSigner};
pub use opaque::{OpaqueToken, TokenHash};
pub use password::{hash_password, verify_password, PasswordError, PasswordHash};
pub use revocation::Revocations;

/// Hex SHA-256 of an identifier that must not be stored in clear (e.g. an email in a Redis key).
pub fn sha256_subject(value: &str) -> String {
    opaque::sha256_hex(value)
}
