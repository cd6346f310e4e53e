//! Access tokens: EdDSA (Ed25519) JWTs with `sub`, `email`, `role`, `jti`, `sid`, `typ`, and
//! the signing key's `kid` in the header. The private keys are only in the functions that
//! sign; verifiers hold the public set ([`super::keys`]).

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{decode, decode_header, encode, Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::TokenConfig;
use crate::domain::Role;

use super::keys::{KeyError, KeyRing, KeySet, KeySource, KeyUse};

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
    /// Bad signature, wrong algorithm, unknown `kid`, malformed, expired, wrong issuer or type.
    #[error("invalid access token: {0}")]
    Invalid(String),
    /// Signing failed: no current key (this function holds no signing set), or a bad key.
    #[error("could not sign token: {0}")]
    Signing(String),
}

/// Signs access tokens with the current key of the signing set (EdDSA, its `kid` in the
/// header). Only the functions that issue tokens hold one (register, login, refresh).
#[derive(Clone)]
pub struct TokenSigner {
    ring: Arc<KeyRing>,
    issuer: String,
    ttl: Duration,
}

impl TokenSigner {
    /// Builds the signer once per container from the signing set (private keys); `source`
    /// is the secret it came from, read again every [`SIGNING_KEYS_MAX_AGE`](super::keys::SIGNING_KEYS_MAX_AGE) so a promotion
    /// reaches instances started before it.
    pub fn new(
        config: &TokenConfig,
        keys: &KeySet,
        source: Option<KeySource>,
    ) -> Result<Self, KeyError> {
        Ok(Self {
            ring: Arc::new(KeyRing::new(keys, KeyUse::Sign, source)?),
            issuer: config.issuer.clone(),
            ttl: config.access_ttl,
        })
    }

    /// Issues an access token for a user within a session.
    pub async fn issue(
        &self,
        user_id: &str,
        email: &str,
        role: Role,
        session_id: &str,
    ) -> Result<IssuedAccessToken, TokenError> {
        self.ring.refetch_if_old().await;
        let loaded = self.ring.loaded();
        let (kid, key) = loaded
            .signing()
            .ok_or_else(|| TokenError::Signing("no current signing key".to_owned()))?;
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
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.clone());
        let token =
            encode(&header, &claims, key).map_err(|e| TokenError::Signing(e.to_string()))?;
        Ok(IssuedAccessToken {
            token,
            claims,
            expires_in: self.ttl.as_secs(),
        })
    }

    /// Access token lifetime, which bounds how long a revocation must be remembered.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Signs `claims` as they are, with the current key: tests forge expired, mistyped or
    /// foreign-issuer tokens with it. Never used to issue tokens.
    #[cfg(any(test, feature = "testing"))]
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        let loaded = self.ring.loaded();
        let (kid, key) = loaded
            .signing()
            .ok_or_else(|| TokenError::Signing("no current signing key".to_owned()))?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.clone());
        encode(&header, claims, key).map_err(|e| TokenError::Signing(e.to_string()))
    }
}

/// Longest `kid` looked up; anything longer is refused without a read of the set.
const MAX_KID_LEN: usize = 64;

/// Verifies access tokens against every key of the public set; a token naming a `kid` the
/// set lacks makes it read the set again (at most once per [`super::keys::REFETCH_INTERVAL`]) before it is
/// refused, so a key staged after this instance started is accepted without a restart.
#[derive(Clone)]
pub struct TokenVerifier {
    ring: Arc<KeyRing>,
    validation: Validation,
}

impl TokenVerifier {
    /// Builds the verifier once per container from the public set; `source` is the secret
    /// it came from (`None`: never read again).
    pub fn new(
        config: &TokenConfig,
        keys: &KeySet,
        source: Option<KeySource>,
    ) -> Result<Self, KeyError> {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[config.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "sub"]);
        validation.leeway = 5;
        validation.validate_exp = true;
        Ok(Self {
            ring: Arc::new(KeyRing::new(keys, KeyUse::Verify, source)?),
            validation,
        })
    }

    /// The same verifier reading its set again at most once per `interval` (tests), before
    /// it is shared.
    pub fn with_refetch_interval(mut self, interval: Duration) -> Self {
        if let Some(ring) = Arc::get_mut(&mut self.ring) {
            ring.min_interval = interval;
        }
        self
    }

    /// The same verifier treating a set held for `age` as old (tests; [`SIGNING_KEYS_MAX_AGE`](super::keys::SIGNING_KEYS_MAX_AGE)
    /// otherwise), before it is shared.
    pub fn with_max_age(mut self, age: Duration) -> Self {
        if let Some(ring) = Arc::get_mut(&mut self.ring) {
            ring.max_age = age;
        }
        self
    }

    /// Reads of the set since start (tests check the rate limit with it).
    pub fn refetches(&self) -> u64 {
        self.ring.fetches()
    }

    /// Verifies signature (EdDSA only, so `alg: none`, HS256 and key confusion fail; the key
    /// the header's `kid` names), expiry, issuer and type. Revocation is checked separately,
    /// against Redis.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let invalid = |e: jsonwebtoken::errors::Error| TokenError::Invalid(e.to_string());
        let header = decode_header(token).map_err(invalid)?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Invalid(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let kid = header
            .kid
            .filter(|k| !k.is_empty() && k.len() <= MAX_KID_LEN)
            .ok_or_else(|| TokenError::Invalid("no usable kid".to_owned()))?;
        // Read the set again every few minutes as signers do, not only for an unknown kid: a
        // key dropped from the set (retired, or pulled after a leak) stops verifying in warm
        // instances too, within SIGNING_KEYS_MAX_AGE.
        self.ring.refetch_if_old().await;
        let mut loaded = self.ring.loaded();
        if loaded.decoding(&kid).is_none() && self.ring.refetch().await {
            loaded = self.ring.loaded();
        }
        let key = loaded
            .decoding(&kid)
            .ok_or_else(|| TokenError::Invalid(format!("unknown key {kid:?}")))?;
        let data = decode::<AccessClaims>(token, key, &self.validation).map_err(invalid)?;
        if data.claims.typ != ACCESS {
            return Err(TokenError::Invalid("not an access token".to_owned()));
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::auth::keys::RotationPolicy;
    use base64::Engine;
    use chrono::Utc;

    fn config(ttl: u64) -> TokenConfig {
        TokenConfig {
            issuer: "streamia".to_owned(),
            access_ttl: Duration::from_secs(ttl),
            refresh_ttl: Duration::from_secs(3600),
        }
    }

    fn signer(keys: &KeySet) -> TokenSigner {
        TokenSigner::new(&config(900), keys, None).unwrap()
    }

    fn verifier(keys: &KeySet) -> TokenVerifier {
        TokenVerifier::new(&config(900), &keys.public(), None).unwrap()
    }

    /// A set, the same set with a staged key, and the set after promoting it.
    fn rotation() -> (KeySet, KeySet, KeySet) {
        let now = Utc::now();
        let before = KeySet::initial(now - chrono::Duration::hours(2));
        let staged = before.stage(now - chrono::Duration::hours(1)).unwrap().set;
        let policy = RotationPolicy::for_access_ttl(Duration::from_secs(900));
        let after = staged.promote(now, &policy).unwrap().set;
        (before, staged, after)
    }

    /// A source serving whatever `current` holds, counting reads.
    fn source(current: Arc<Mutex<String>>, reads: Arc<Mutex<u32>>) -> KeySource {
        KeySource::from_fn(move || {
            let json = current.lock().unwrap().clone();
            *reads.lock().unwrap() += 1;
            Box::pin(async move { Ok(json) })
        })
    }

    async fn issue(s: &TokenSigner) -> IssuedAccessToken {
        s.issue("u1", "a@b.co", Role::Admin, "s1").await.unwrap()
    }

    #[tokio::test]
    async fn round_trip_with_the_kid_of_the_current_key() {
        let keys = KeySet::initial(Utc::now());
        let issued = issue(&signer(&keys)).await;
        let header = decode_header(&issued.token).unwrap();
        assert_eq!(header.alg, Algorithm::EdDSA);
        assert_eq!(header.kid.as_deref(), Some(keys.current().unwrap().kid()));
        let claims = verifier(&keys).verify(&issued.token).await.unwrap();
        assert_eq!(claims, issued.claims);
        assert_eq!(issued.expires_in, 900);
    }

    #[tokio::test]
    async fn tokens_of_the_previous_and_of_the_next_key_are_accepted() {
        let (before, staged, after) = rotation();
        // Signed before the promotion (now `previous`), checked by a verifier holding the set
        // after it.
        let old = issue(&signer(&before)).await;
        assert!(verifier(&after).verify(&old.token).await.is_ok());
        // Signed with the staged key by a promoted signer, checked by a verifier that holds
        // the staged set (it has `next`).
        let new = issue(&signer(&after)).await;
        assert_eq!(
            decode_header(&new.token).unwrap().kid.as_deref(),
            staged.next().map(|k| k.kid())
        );
        assert!(verifier(&staged).verify(&new.token).await.is_ok());
        // A verifier from before the staging does not know it (and has no source to ask).
        assert!(verifier(&before).verify(&new.token).await.is_err());
    }

    #[tokio::test]
    async fn an_unknown_kid_is_refused_after_one_rate_limited_read() {
        let keys = KeySet::initial(Utc::now());
        let stranger = issue(&signer(&KeySet::initial(Utc::now()))).await;
        let held = Arc::new(Mutex::new(keys.public().to_json()));
        let reads = Arc::new(Mutex::new(0));
        let v = TokenVerifier::new(
            &config(900),
            &keys.public(),
            Some(source(held.clone(), reads.clone())),
        )
        .unwrap();
        assert!(v.verify(&stranger.token).await.is_err());
        assert_eq!(*reads.lock().unwrap(), 1, "one read before refusing");
        for _ in 0..20 {
            assert!(v.verify(&stranger.token).await.is_err());
        }
        assert_eq!(*reads.lock().unwrap(), 1, "at most one read per interval");
        assert_eq!(v.refetches(), 1);
        // A known kid never reads the set.
        assert!(v.verify(&issue(&signer(&keys)).await.token).await.is_ok());
        assert_eq!(*reads.lock().unwrap(), 1);
    }

    #[tokio::test]
    async fn a_read_picks_up_a_key_staged_after_start() {
        let (before, staged, after) = rotation();
        let held = Arc::new(Mutex::new(before.public().to_json()));
        let reads = Arc::new(Mutex::new(0));
        let v = TokenVerifier::new(
            &config(900),
            &before.public(),
            Some(source(held.clone(), reads.clone())),
        )
        .unwrap()
        .with_refetch_interval(Duration::from_millis(50));
        let new = issue(&signer(&after)).await;
        assert!(v.verify(&new.token).await.is_err(), "not staged yet");
        *held.lock().unwrap() = staged.public().to_json();
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(v.verify(&new.token).await.is_ok(), "staged: read again");
        assert_eq!(*reads.lock().unwrap(), 2);
        // A private set served to a verifier by mistake is not taken.
        *held.lock().unwrap() = after.to_json();
        tokio::time::sleep(Duration::from_millis(60)).await;
        let stranger = issue(&signer(&KeySet::initial(Utc::now()))).await;
        assert!(v.verify(&stranger.token).await.is_err());
        assert!(v.verify(&new.token).await.is_ok(), "the set held is kept");
    }

    #[tokio::test]
    async fn a_signer_reads_its_set_again_only_when_it_is_old() {
        let (before, _, after) = rotation();
        let held = Arc::new(Mutex::new(after.to_json()));
        let reads = Arc::new(Mutex::new(0));
        let s = TokenSigner::new(&config(900), &before, Some(source(held, reads.clone()))).unwrap();
        let token = issue(&s).await;
        assert_eq!(*reads.lock().unwrap(), 0);
        assert_eq!(
            decode_header(&token.token).unwrap().kid.as_deref(),
            before.current().map(|k| k.kid())
        );
    }

    #[tokio::test]
    async fn a_verifier_reads_its_set_again_when_old_so_a_dropped_key_stops_verifying() {
        let (before, staged, _) = rotation();
        let held = Arc::new(Mutex::new(staged.public().to_json()));
        let reads = Arc::new(Mutex::new(0));
        let v = TokenVerifier::new(
            &config(900),
            &staged.public(),
            Some(source(held.clone(), reads.clone())),
        )
        .unwrap()
        .with_refetch_interval(Duration::from_millis(50))
        .with_max_age(Duration::from_millis(100));
        let token = issue(&signer(&before)).await;
        assert!(v.verify(&token.token).await.is_ok());
        assert_eq!(
            *reads.lock().unwrap(),
            0,
            "a known kid, a fresh set: no read"
        );
        // The key is pulled from the public set (a leak): a warm verifier that knows its kid
        // stops accepting it once its set is old, without waiting for an unknown kid.
        *held.lock().unwrap() = KeySet::initial(Utc::now()).public().to_json();
        assert!(v.verify(&token.token).await.is_ok(), "still fresh");
        tokio::time::sleep(Duration::from_millis(120)).await;
        let err = v.verify(&token.token).await.unwrap_err();
        assert!(err.to_string().contains("unknown key"), "{err}");
        assert_eq!(*reads.lock().unwrap(), 1);
    }

    #[tokio::test]
    async fn forged_hs256_and_none_are_refused() {
        let keys = KeySet::initial(Utc::now());
        let v = verifier(&keys);
        let issued = issue(&signer(&keys)).await;
        let kid = keys.current().unwrap().kid().to_owned();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = issued.token.split('.').nth(1).unwrap().to_owned();
        // Another key claiming the current key's id.
        let forged = issue(&signer(&KeySet::initial(Utc::now()))).await.token;
        let mut parts: Vec<&str> = forged.split('.').collect();
        let header = b64.encode(format!(r#"{{"alg":"EdDSA","kid":"{kid}"}}"#));
        parts[0] = &header;
        assert!(v.verify(&parts.join(".")).await.is_err());
        // alg none.
        let none = b64.encode(format!(r#"{{"alg":"none","typ":"JWT","kid":"{kid}"}}"#));
        assert!(v.verify(&format!("{none}.{payload}.")).await.is_err());
        assert!(v.verify(&format!("{none}.{payload}")).await.is_err());
        // HS256 (the tokens issued before Ed25519), whatever secret: refused.
        let mut hs = Header::new(Algorithm::HS256);
        hs.kid = Some(kid.clone());
        let secret =
            jsonwebtoken::EncodingKey::from_secret(b"streamia-test-secret-0123456789abcdef");
        let hs256 = encode(&hs, &issued.claims, &secret).unwrap();
        let err = v.verify(&hs256).await.unwrap_err();
        assert!(err.to_string().contains("HS256"), "{err}");
        // No kid.
        let mut no_kid = issued
            .token
            .split('.')
            .map(str::to_owned)
            .collect::<Vec<_>>();
        no_kid[0] = b64.encode(r#"{"alg":"EdDSA"}"#);
        assert!(v.verify(&no_kid.join(".")).await.is_err());
    }

    #[tokio::test]
    async fn expired_and_wrong_type_are_refused() {
        let keys = KeySet::initial(Utc::now());
        let s = signer(&keys);
        let v = verifier(&keys);
        let mut claims = issue(&s).await.claims;
        claims.exp = Utc::now().timestamp() - 60;
        assert!(v.verify(&s.sign(&claims).unwrap()).await.is_err());
        claims.exp = Utc::now().timestamp() + 60;
        claims.typ = "refresh".to_owned();
        assert!(v.verify(&s.sign(&claims).unwrap()).await.is_err());
        claims.typ = ACCESS.to_owned();
        assert!(v.verify(&s.sign(&claims).unwrap()).await.is_ok());
        assert!(v.verify("not-a-jwt").await.is_err());
    }
}
