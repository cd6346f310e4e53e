//! The decision the API Gateway authorizer makes for every protected request.

use super::{Revocations, TokenVerifier};
use crate::http::Identity;

/// Why a request was not let through.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizeError {
    /// No usable bearer token, bad signature, expired, wrong type or revoked: 401.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The revocation list could not be read; fail closed (the gateway answers 503).
    #[error("revocation list unavailable: {0}")]
    Unavailable(#[from] redis::RedisError),
}

/// Turns an `Authorization` header value into the caller's identity: the scheme must be
/// `Bearer`, the JWT must verify, and neither the token nor its session may be revoked.
pub async fn authorize(
    verifier: &TokenVerifier,
    revocations: &Revocations,
    authorization: Option<&str>,
) -> Result<Identity, AuthorizeError> {
    let header = authorization
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or_else(|| AuthorizeError::Unauthorized("missing bearer token".to_owned()))?;
    let token = match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => {
            return Err(AuthorizeError::Unauthorized(
                "expected a Bearer token".to_owned(),
            ))
        }
    };
    let claims = verifier
        .verify(token)
        .await
        .map_err(|e| AuthorizeError::Unauthorized(e.to_string()))?;
    if revocations.is_revoked(&claims).await? {
        return Err(AuthorizeError::Unauthorized("token revoked".to_owned()));
    }
    Ok(Identity::from_claims(&claims))
}
