//! Access tokens: HS256 JWTs with `sub`, `email`, `role`, `jti`, `sid`, `typ`.

use std::time::Duration;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::TokenConfig;
use crate::domain::Role;

/// The only `typ` an access token has; anything else presented as a bearer token is refused.
const ACCESS: &str = "access";

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user's id.
    pub sub: String,
    /// The user's email at issue time.
    pub email: String,
    /// The user's role at issue time.
    pub role: Role,
    /// This token's id, for revocation.
    pub jti: String,
    /// The session (refresh-token family) this token was issued in.
    pub sid: String,
    /// Token type, always `access`.
    pub typ: String,
    /// Issuer.
    pub iss: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

/// A freshly signed access token.
#[derive(Debug)]
pub struct IssuedAccessToken {
    /// The compact JWT.
    pub token: String,
    /// Its claims.
    pub claims: AccessClaims,
    /// Seconds until it expires, as the contract's `expiresIn`.
    pub expires_in: u64,
}

/// Why a bearer token was refused. Callers answer 401 for all of them alike.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Bad signature, wrong algorithm, malformed, expired, wrong issuer or type.
    #[error("invalid access token: {0}")]
    Invalid(String),
    /// Signing failed (never expected with HMAC).
    #[error("could not sign token: {0}")]
    Signing(String),
}

/// Signs and verifies access tokens with the configured secret.
#[derive(Clone)]
pub struct TokenSigner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    ttl: Duration,
}

impl TokenSigner {
    /// Builds the signer once per container.
    pub fn new(config: &TokenConfig) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[config.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "sub"]);
        validation.leeway = 5;
        validation.validate_exp = true;
        Self {
            encoding: EncodingKey::from_secret(config.jwt_secret.as_bytes()),
            decoding: DecodingKey::from_secret(config.jwt_secret.as_bytes()),
            validation,
            issuer: config.issuer.clone(),
            ttl: config.access_ttl,
        }
    }

    /// Issues an access token for a user within a session.
    pub fn issue(
        &self,
        user_id: &str,
        email: &str,
        role: Role,
        session_id: &str,
    ) -> Result<IssuedAccessToken, TokenError> {
        let now = chrono::Utc::now().timestamp();
        let claims = AccessClaims {
            sub: user_id.to_owned(),
            email: email.to_owned(),
            role,
            jti: uuid::Uuid::new_v4().to_string(),
            sid: session_id.to_owned(),
            typ: ACCESS.to_owned(),
            iss: self.issuer.clone(),
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| TokenError::Signing(e.to_string()))?;
        Ok(IssuedAccessToken {
            token,
            claims,
            expires_in: self.ttl.as_secs(),
        })
    }

    /// Verifies signature (HS256 only, so `alg: none` and key confusion fail), expiry, issuer
    /// and type. Revocation is checked separately, against Redis.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let data = decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        if data.claims.typ != ACCESS {
            return Err(TokenError::Invalid("not an access token".to_owned()));
        }
        Ok(data.claims)
    }

    /// Access token lifetime, which bounds how long a revocation must be remembered.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn signer(secret: &str, ttl: u64) -> TokenSigner {
        TokenSigner::new(&TokenConfig {
            jwt_secret: secret.to_owned(),
            issuer: "streamia".to_owned(),
            access_ttl: Duration::from_secs(ttl),
            refresh_ttl: Duration::from_secs(3600),
        })
    }

    const SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";

    #[test]
    fn round_trip() {
        let s = signer(SECRET, 900);
        let issued = s.issue("u1", "a@b.co", Role::Admin, "s1").unwrap();
        let claims = s.verify(&issued.token).unwrap();
        assert_eq!(claims, issued.claims);
        assert_eq!(issued.expires_in, 900);
    }

    #[test]
    fn forged_signature_is_refused() {
        let issued = signer("another-secret-that-is-32-bytes-long!!", 900)
            .issue("u1", "a@b.co", Role::Admin, "s1")
            .unwrap();
        assert!(signer(SECRET, 900).verify(&issued.token).is_err());
    }

    #[test]
    fn alg_none_is_refused() {
        let s = signer(SECRET, 900);
        let issued = s.issue("u1", "a@b.co", Role::Admin, "s1").unwrap();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let payload = issued.token.split('.').nth(1).unwrap();
        assert!(s.verify(&format!("{header}.{payload}.")).is_err());
        assert!(s.verify(&format!("{header}.{payload}")).is_err());
    }

    #[test]
    fn expired_and_wrong_type_are_refused() {
        let s = signer(SECRET, 900);
        let mut claims = s.issue("u1", "a@b.co", Role::User, "s1").unwrap().claims;
        claims.exp = chrono::Utc::now().timestamp() - 60;
        let key = EncodingKey::from_secret(SECRET.as_bytes());
        let expired = encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap();
        assert!(s.verify(&expired).is_err());
        claims.exp = chrono::Utc::now().timestamp() + 60;
        claims.typ = "refresh".to_owned();
        let wrong_type = encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap();
        assert!(s.verify(&wrong_type).is_err());
        assert!(s.verify("not-a-jwt").is_err());
    }
}
