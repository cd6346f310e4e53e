//! Access-token keys: Ed25519 key pairs in a set that rotates without logging anyone out.
//!
//! A set has three slots, stored as one JSON value in one secret:
//!
//! ```json
//! {"previous": null,
//!  "current": {"kid": "ed25519-20250101-1a2b3c4d", "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA",
//!              "x": "<public key, base64url>", "d": "<private key, base64url>",
//!              "created": "2025-01-01T00:00:00Z", "activeFrom": "2025-01-01T00:00:00Z"},
//!  "next": null}
//! ```
//!
//! Each key is a JWK (RFC 8037) with its id and two timestamps. Two secrets hold the same set:
//! the **signing** set (with `d`), read only by the functions that sign access tokens, and the
//! **public** set (no `d`), read by the authorizer. Signers sign with `current`; verifiers
//! accept every key of the set, and one that meets a `kid` it does not know reads the set
//! again (at most once per [`REFETCH_INTERVAL`]) before refusing. Rotation is two steps an
//! operator runs (`users-rotate-keys`): [`KeySet::stage`] adds a `next` key, published to
//! every verifier before anything is signed with it; [`KeySet::promote`], once every verifier
//! can have it, makes it `current` (the old current becomes `previous`, still accepted until
//! the tokens it signed have expired) and drops the old `previous`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{DateTime, Utc};
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The PKCS#8 v1 wrapping of an Ed25519 private key (RFC 8410) before its 32-byte seed: what
/// `jsonwebtoken`'s `EncodingKey::from_ed_der` expects.
const PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The least time between two reads of a key set by one instance after an unknown `kid` (or a
/// failed read): a flood of tokens with made-up `kid`s costs Secrets Manager one call per
/// instance per interval, not one per request.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(5);

/// How long a signer signs with the set it read before reading it again, so a promotion
/// reaches every warm signer within this time (instances started before it included).
pub const SIGNING_KEYS_MAX_AGE: Duration = Duration::from_secs(300);

/// How long a staged key must have been published before it may be promoted: far more than
/// [`REFETCH_INTERVAL`], so no verifier that read the set just before the staging is still
/// barred from reading it again when the first token signed with the new key arrives.
pub const MIN_STAGED_AGE: Duration = Duration::from_secs(60);

/// A key set or one of its keys is unusable.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Not the JSON shape of a set.
    #[error("not a key set: {0}")]
    Json(String),
    /// One key is malformed.
    #[error("key {kid:?}: {why}")]
    Key {
        /// The key's id.
        kid: String,
        /// What is wrong with it.
        why: String,
    },
    /// The set as a whole does not fit its use (no current key, private keys where only
    /// public ones belong, ...).
    #[error("{0}")]
    Set(String),
}

/// A rotation step that cannot run now.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RotateError {
    /// The set has no current key: the setup step has not generated it.
    #[error("the key set has no current key (run the setup step first)")]
    NotInitialised,
    /// Promote without a staged key.
    #[error("no key is staged: run the \"stage\" step first")]
    NothingStaged,
    /// Promote while the public set lacks the staged key (a stage whose publication was lost
    /// or overwritten, e.g. by two operators staging at once): promoting would sign tokens no
    /// verifier can check.
    #[error("the staged key is not in the public set: run the \"stage\" step again, then promote")]
    NotPublished,
    /// Too early: a verifier or signer may not have caught up yet.
    #[error("too soon: {why}; try again in {wait_seconds} s")]
    TooSoon {
        /// Which rule.
        why: &'static str,
        /// Seconds until it holds.
        wait_seconds: i64,
    },
}

/// One Ed25519 key pair (or its public half) with its id.
#[derive(Clone)]
pub struct Key {
    kid: String,
    public: VerifyingKey,
    private: Option<SigningKey>,
    created: DateTime<Utc>,
    active_from: Option<DateTime<Utc>>,
}

impl Key {
    /// A new key pair: 32 random bytes from the OS are an Ed25519 private key.
    pub fn generate(now: DateTime<Utc>) -> Self {
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        let private = SigningKey::from_bytes(&seed);
        let public = private.verifying_key();
        let digest = hex::encode(Sha256::digest(public.as_bytes()));
        Self {
            kid: format!("ed25519-{}-{}", now.format("%Y%m%d"), &digest[..8]),
            public,
            private: Some(private),
            created: now,
            active_from: None,
        }
    }

    /// The id tokens carry in their header (`kid`).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// When it was generated (staged).
    pub fn created(&self) -> DateTime<Utc> {
        self.created
    }

    /// When it became the current key (`None` while staged).
    pub fn active_from(&self) -> Option<DateTime<Utc>> {
        self.active_from
    }

    /// Whether this copy holds the private half.
    pub fn is_private(&self) -> bool {
        self.private.is_some()
    }

    fn public_only(&self) -> Self {
        Self {
            private: None,
            ..self.clone()
        }
    }

    fn encoding_key(&self) -> Option<EncodingKey> {
        let seed = self.private.as_ref()?.to_bytes();
        let mut der = Vec::with_capacity(PKCS8_PREFIX.len() + seed.len());
        der.extend_from_slice(&PKCS8_PREFIX);
        der.extend_from_slice(&seed);
        Some(EncodingKey::from_ed_der(&der))
    }

    fn decoding_key(&self) -> DecodingKey {
        DecodingKey::from_ed_der(self.public.as_bytes())
    }

    fn to_wire(&self) -> Jwk {
        Jwk {
            kid: self.kid.clone(),
            kty: "OKP".to_owned(),
            crv: "Ed25519".to_owned(),
            alg: "EdDSA".to_owned(),
            x: B64.encode(self.public.as_bytes()),
            d: self.private.as_ref().map(|p| B64.encode(p.to_bytes())),
            created: self.created,
            active_from: self.active_from,
        }
    }

    fn from_wire(jwk: Jwk) -> Result<Self, KeyError> {
        let bad = |why: &str| KeyError::Key {
            kid: jwk.kid.clone(),
            why: why.to_owned(),
        };
        if jwk.kid.is_empty() || jwk.kid.len() > 64 {
            return Err(bad("kid must be 1 to 64 characters"));
        }
        if (jwk.kty.as_str(), jwk.crv.as_str(), jwk.alg.as_str()) != ("OKP", "Ed25519", "EdDSA") {
            return Err(bad("expected kty OKP, crv Ed25519, alg EdDSA"));
        }
        let bytes = |field: &str, b64: &str| -> Result<[u8; 32], KeyError> {
            B64.decode(b64)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| bad(&format!("{field} must be 32 bytes, base64url")))
        };
        let public = VerifyingKey::from_bytes(&bytes("x", &jwk.x)?)
            .map_err(|_| bad("x is not an Ed25519 public key"))?;
        let private = match &jwk.d {
            None => None,
            Some(d) => {
                let private = SigningKey::from_bytes(&bytes("d", d)?);
                if private.verifying_key() != public {
                    return Err(bad("d is not the private key of x"));
                }
                Some(private)
            }
        };
        Ok(Self {
            kid: jwk.kid,
            public,
            private,
            created: jwk.created,
            active_from: jwk.active_from,
        })
    }
}

/// Private keys never reach a log line.
impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("private", &self.private.is_some())
            .finish()
    }
}

/// A key as stored: a JWK with its id and timestamps.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Jwk {
    kid: String,
    kty: String,
    crv: String,
    alg: String,
    x: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    d: Option<String>,
    created: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    active_from: Option<DateTime<Utc>>,
}

/// The set as stored.
#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[serde(default)]
    previous: Option<Jwk>,
    #[serde(default)]
    current: Option<Jwk>,
    #[serde(default)]
    next: Option<Jwk>,
}

/// The keys of access tokens: `previous` (retiring: still accepted), `current` (signs),
/// `next` (staged: accepted, not yet signing). An empty set (`{}`) is what the template
/// creates and the setup step fills.
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    previous: Option<Key>,
    current: Option<Key>,
    next: Option<Key>,
}

/// What a rotation step produced.
#[derive(Debug)]
pub struct Rotated {
    /// The set to store.
    pub set: KeySet,
    /// False when the step had already been done (staging twice stages once).
    pub changed: bool,
}

impl KeySet {
    /// Parses a stored set, checking every key (a private key must match its public key).
    pub fn parse(json: &str) -> Result<Self, KeyError> {
        let wire: Wire = serde_json::from_str(json).map_err(|e| KeyError::Json(e.to_string()))?;
        let key = |k: Option<Jwk>| k.map(Key::from_wire).transpose();
        let set = Self {
            previous: key(wire.previous)?,
            current: key(wire.current)?,
            next: key(wire.next)?,
        };
        let mut kids: Vec<&str> = set.keys().map(Key::kid).collect();
        kids.sort_unstable();
        if kids.windows(2).any(|w| w[0] == w[1]) {
            return Err(KeyError::Set("two keys share a kid".to_owned()));
        }
        Ok(set)
    }

    /// The stored form.
    pub fn to_json(&self) -> String {
        let wire = Wire {
            previous: self.previous.as_ref().map(Key::to_wire),
            current: self.current.as_ref().map(Key::to_wire),
            next: self.next.as_ref().map(Key::to_wire),
        };
        // A struct of strings and timestamps always serializes.
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// A first set: one current key, generated now.
    pub fn initial(now: DateTime<Utc>) -> Self {
        let mut current = Key::generate(now);
        current.active_from = Some(now);
        Self {
            current: Some(current),
            ..Self::default()
        }
    }

    /// The same set without private keys: what verifiers are given.
    pub fn public(&self) -> Self {
        let strip = |k: &Option<Key>| k.as_ref().map(Key::public_only);
        Self {
            previous: strip(&self.previous),
            current: strip(&self.current),
            next: strip(&self.next),
        }
    }

    /// The key that signs.
    pub fn current(&self) -> Option<&Key> {
        self.current.as_ref()
    }

    /// The staged key.
    pub fn next(&self) -> Option<&Key> {
        self.next.as_ref()
    }

    /// The retiring key.
    pub fn previous(&self) -> Option<&Key> {
        self.previous.as_ref()
    }

    /// Every key of the set: all of them verify.
    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        [&self.previous, &self.current, &self.next]
            .into_iter()
            .flatten()
    }

    /// Whether any key holds its private half.
    pub fn has_private(&self) -> bool {
        self.keys().any(Key::is_private)
    }

    /// Whether `key` (its id and public half) is in this set.
    pub fn holds(&self, key: &Key) -> bool {
        self.keys()
            .any(|k| k.kid == key.kid && k.public == key.public)
    }

    /// Whether every key of `self` is in `other` (a public set covering a signing set).
    pub fn covered_by(&self, other: &KeySet) -> bool {
        self.keys()
            .all(|k| other.keys().any(|o| o.kid == k.kid && o.public == k.public))
    }

    /// Step 1 of a rotation: a new key in `next`, to be published before it signs. Staging
    /// while a key is staged changes nothing (a retried step is harmless).
    pub fn stage(&self, now: DateTime<Utc>) -> Result<Rotated, RotateError> {
        if self.current.is_none() {
            return Err(RotateError::NotInitialised);
        }
        if self.next.is_some() {
            return Ok(Rotated {
                set: self.clone(),
                changed: false,
            });
        }
        Ok(Rotated {
            set: Self {
                next: Some(Key::generate(now)),
                ..self.clone()
            },
            changed: true,
        })
    }

    /// Step 1 again when the staged key is missing from the public set: the same key, its wait
    /// started again now, since verifiers can only have it from its next publication on.
    pub fn restage(&self, now: DateTime<Utc>) -> Result<Rotated, RotateError> {
        let mut next = self.next.clone().ok_or(RotateError::NothingStaged)?;
        next.created = now;
        Ok(Rotated {
            set: Self {
                next: Some(next),
                ..self.clone()
            },
            changed: true,
        })
    }

    /// Step 2: `next` becomes `current`, the old current `previous`, and the old previous is
    /// dropped. Refused while `next` is younger than `policy.min_staged` (a verifier may not
    /// have it yet) or while the old previous may still sign or have unexpired tokens
    /// (`policy.retire_after` since the current key took over).
    pub fn promote(
        &self,
        now: DateTime<Utc>,
        policy: &RotationPolicy,
    ) -> Result<Rotated, RotateError> {
        let current = self.current.clone().ok_or(RotateError::NotInitialised)?;
        let mut next = self.next.clone().ok_or(RotateError::NothingStaged)?;
        let wait = |since: DateTime<Utc>, needed: Duration| {
            let ready = since + chrono::Duration::from_std(needed).unwrap_or_default();
            (ready > now).then(|| (ready - now).num_seconds() + 1)
        };
        if let Some(wait_seconds) = wait(next.created, policy.min_staged) {
            return Err(RotateError::TooSoon {
                why: "the staged key must be published long enough for every verifier",
                wait_seconds,
            });
        }
        if self.previous.is_some() {
            let since = current.active_from.unwrap_or(current.created);
            if let Some(wait_seconds) = wait(since, policy.retire_after) {
                return Err(RotateError::TooSoon {
                    why: "the previous key may still sign or have unexpired tokens",
                    wait_seconds,
                });
            }
        }
        next.active_from = Some(now);
        Ok(Rotated {
            set: Self {
                previous: Some(current),
                current: Some(next),
                next: None,
            },
            changed: true,
        })
    }
}

/// When a rotation step may run.
#[derive(Debug, Clone)]
pub struct RotationPolicy {
    /// Least age of a staged key before it signs.
    pub min_staged: Duration,
    /// Least time between a promotion and the next one (which drops the key the first one
    /// retired): a signer's [`SIGNING_KEYS_MAX_AGE`] plus the access-token lifetime, plus a
    /// minute of clock skew.
    pub retire_after: Duration,
}

impl RotationPolicy {
    /// The rules for access tokens living `access_ttl`.
    pub fn for_access_ttl(access_ttl: Duration) -> Self {
        Self {
            min_staged: MIN_STAGED_AGE,
            retire_after: access_ttl + SIGNING_KEYS_MAX_AGE + Duration::from_secs(60),
        }
    }
}

/// What a holder of a set needs from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUse {
    /// A signer: a current key with its private half.
    Sign,
    /// A verifier: public keys only (a private key in the authorizer's secret is a mistake
    /// worth failing on), at least one.
    Verify,
}

impl KeyUse {
    /// Whether `set` is fit for this use.
    pub fn check(self, set: &KeySet) -> Result<(), KeyError> {
        match self {
            KeyUse::Sign => match set.current() {
                None => Err(KeyError::Set(
                    "no current key (the setup step generates it)".to_owned(),
                )),
                Some(k) if !k.is_private() => Err(KeyError::Set(
                    "the current key has no private part: this is the public set".to_owned(),
                )),
                Some(_) => Ok(()),
            },
            KeyUse::Verify if set.has_private() => Err(KeyError::Set(
                "holds private keys: verifiers get the public set".to_owned(),
            )),
            KeyUse::Verify if set.keys().next().is_none() => Err(KeyError::Set(
                "no key (the setup step generates them)".to_owned(),
            )),
            KeyUse::Verify => Ok(()),
        }
    }
}

/// A read of a set's secret, boxed so the source can be Secrets Manager or a test's closure.
pub type FetchFuture = Pin<Box<dyn Future<Output = Result<String, String>> + Send>>;

/// Where a holder reads its set again: the secret it came from.
#[derive(Clone)]
pub struct KeySource {
    fetch: Arc<dyn Fn() -> FetchFuture + Send + Sync>,
}

impl KeySource {
    /// The secret `secret_id` (ARN or name) in Secrets Manager.
    pub fn secrets_manager(aws: &aws_config::SdkConfig, secret_id: &str) -> Self {
        let client = aws_sdk_secretsmanager::Client::new(aws);
        let secret_id = secret_id.to_owned();
        Self::from_fn(move || {
            let (client, secret_id) = (client.clone(), secret_id.clone());
            Box::pin(async move { read_secret(&client, &secret_id).await })
        })
    }

    /// Any reader (tests: a counter, a set changed on demand).
    pub fn from_fn(fetch: impl Fn() -> FetchFuture + Send + Sync + 'static) -> Self {
        Self {
            fetch: Arc::new(fetch),
        }
    }
}

/// The string value of a secret.
pub async fn read_secret(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<String, String> {
    client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| aws_sdk_secretsmanager::error::DisplayErrorContext(&e).to_string())?
        .secret_string
        .map(|s| s.trim().to_owned())
        .ok_or_else(|| format!("secret {secret_id} has no string value"))
}

/// A set with the keys `jsonwebtoken` uses, made once per read.
pub(crate) struct Loaded {
    decoding: HashMap<String, DecodingKey>,
    signing: Option<(String, EncodingKey)>,
    at: Instant,
}

impl Loaded {
    fn new(set: &KeySet) -> Self {
        Self {
            decoding: set
                .keys()
                .map(|k| (k.kid.clone(), k.decoding_key()))
                .collect(),
            signing: set
                .current()
                .and_then(|k| Some((k.kid.clone(), k.encoding_key()?))),
            at: Instant::now(),
        }
    }

    /// The verifying key of `kid`.
    pub(crate) fn decoding(&self, kid: &str) -> Option<&DecodingKey> {
        self.decoding.get(kid)
    }

    /// The current key's id and signing key.
    pub(crate) fn signing(&self) -> Option<&(String, EncodingKey)> {
        self.signing.as_ref()
    }

    /// How long ago it was read.
    pub(crate) fn age(&self) -> Duration {
        self.at.elapsed()
    }
}

/// A set held for the life of an instance, read again from its source on demand, at most
/// once per `min_interval`.
pub(crate) struct KeyRing {
    loaded: RwLock<Arc<Loaded>>,
    source: Option<KeySource>,
    key_use: KeyUse,
    last_attempt: tokio::sync::Mutex<Option<Instant>>,
    pub(crate) min_interval: Duration,
    /// A set held this long is read again before its next use ([`SIGNING_KEYS_MAX_AGE`]).
    pub(crate) max_age: Duration,
    fetches: AtomicU64,
}

impl KeyRing {
    pub(crate) fn new(
        set: &KeySet,
        key_use: KeyUse,
        source: Option<KeySource>,
    ) -> Result<Self, KeyError> {
        key_use.check(set)?;
        Ok(Self {
            loaded: RwLock::new(Arc::new(Loaded::new(set))),
            source,
            key_use,
            last_attempt: tokio::sync::Mutex::new(None),
            min_interval: REFETCH_INTERVAL,
            max_age: SIGNING_KEYS_MAX_AGE,
            fetches: AtomicU64::new(0),
        })
    }

    pub(crate) fn loaded(&self) -> Arc<Loaded> {
        self.loaded
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Reads the set again when the one held is [`KeyRing::max_age`] old (a promotion or a
    /// dropped key reaches warm instances within it).
    pub(crate) async fn refetch_if_old(&self) {
        if self.loaded().age() >= self.max_age {
            self.refetch().await;
        }
    }

    /// Reads of the source so far (tests check the rate limit with it).
    pub(crate) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// Reads the set again unless a read was attempted less than `min_interval` ago; true
    /// when a new set was loaded. A failed or unfit read keeps the set held and is logged.
    pub(crate) async fn refetch(&self) -> bool {
        let Some(source) = &self.source else {
            return false;
        };
        let mut last = self.last_attempt.lock().await;
        if last.is_some_and(|at| at.elapsed() < self.min_interval) {
            return false;
        }
        *last = Some(Instant::now());
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let read = (source.fetch)().await.and_then(|json| {
            let set = KeySet::parse(&json).map_err(|e| e.to_string())?;
            self.key_use.check(&set).map_err(|e| e.to_string())?;
            Ok(set)
        });
        match read {
            Ok(set) => {
                let kids: Vec<&str> = set.keys().map(Key::kid).collect();
                tracing::info!(kids = ?kids, "access-token keys read again");
                *self
                    .loaded
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(Loaded::new(&set));
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "access-token keys could not be read again; keeping the ones held");
                false
            }
        }
    }
}

/// The two secrets of a key set, by ARN or name: what the setup step and the rotation write.
#[derive(Debug, Clone)]
pub struct KeySecrets {
    /// The signing set (private keys).
    pub signing: String,
    /// The public set.
    pub public: String,
}

/// A rotation step, as an operator names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// Add a `next` key and publish it.
    Stage,
    /// Make `next` the signing key.
    Promote,
}

/// The key ids after a step (never a key).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct KeyIds {
    /// The step that ran (`None`: the setup step).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<Step>,
    /// False when nothing had to change.
    pub changed: bool,
    /// Retiring key.
    pub previous: Option<String>,
    /// Signing key.
    pub current: Option<String>,
    /// Staged key.
    pub next: Option<String>,
}

impl KeyIds {
    fn of(set: &KeySet, step: Option<Step>, changed: bool) -> Self {
        let kid = |k: Option<&Key>| k.map(|k| k.kid.clone());
        Self {
            step,
            changed,
            previous: kid(set.previous()),
            current: kid(set.current()),
            next: kid(set.next()),
        }
    }
}

/// A step or the setup could not run.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    /// Secrets Manager refused or could not be reached.
    #[error("secrets manager: {0}")]
    Unavailable(String),
    /// The stored signing set is unusable (fix it by hand: the step never overwrites it).
    #[error(transparent)]
    Invalid(#[from] KeyError),
    /// The step may not run now.
    #[error(transparent)]
    Refused(#[from] RotateError),
}

async fn write_secret(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    value: &str,
) -> Result<(), KeyStoreError> {
    client
        .put_secret_value()
        .secret_id(secret_id)
        .secret_string(value)
        .send()
        .await
        .map_err(|e| {
            KeyStoreError::Unavailable(
                aws_sdk_secretsmanager::error::DisplayErrorContext(&e).to_string(),
            )
        })?;
    Ok(())
}

async fn read_set(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<KeySet, KeyStoreError> {
    let json = read_secret(client, secret_id)
        .await
        .map_err(KeyStoreError::Unavailable)?;
    Ok(KeySet::parse(&json)?)
}

/// Publishes `set`'s public half unless the public secret already holds exactly it.
async fn publish(
    client: &aws_sdk_secretsmanager::Client,
    secrets: &KeySecrets,
    set: &KeySet,
) -> Result<(), KeyStoreError> {
    let public = set.public().to_json();
    let held = read_secret(client, &secrets.public).await.ok();
    let same = held
        .as_deref()
        .and_then(|json| KeySet::parse(json).ok())
        .is_some_and(|held| held.to_json() == public);
    if !same {
        write_secret(client, &secrets.public, &public).await?;
    }
    Ok(())
}

/// The setup step's part (CloudFormation cannot make an Ed25519 key, the local stack starts
/// with empty secrets): generates the first key pair when the signing set has no current
/// key, and makes the public secret the signing set's public half (public first, so no token
/// is ever signed with a key verifiers cannot have). A set already initialised is kept: a
/// redeploy rotates nothing.
pub async fn initialise(
    client: &aws_sdk_secretsmanager::Client,
    secrets: &KeySecrets,
) -> Result<KeyIds, KeyStoreError> {
    let held = read_set(client, &secrets.signing).await?;
    let (set, changed) = match held.current() {
        Some(_) => (held, false),
        None => (KeySet::initial(Utc::now()), true),
    };
    KeyUse::Sign.check(&set)?;
    publish(client, secrets, &set).await?;
    if changed {
        write_secret(client, &secrets.signing, &set.to_json()).await?;
    }
    Ok(KeyIds::of(&set, None, changed))
}

/// One rotation step on the stored sets. Stage publishes the new key before the signing set
/// holds it; promote switches the signers first and then drops the retired key from the
/// public set (every verifier already has the promoted key).
pub async fn rotate(
    client: &aws_sdk_secretsmanager::Client,
    secrets: &KeySecrets,
    step: Step,
    policy: &RotationPolicy,
) -> Result<KeyIds, KeyStoreError> {
    let held = read_set(client, &secrets.signing).await?;
    KeyUse::Sign.check(&held)?;
    let now = Utc::now();
    // Whether verifiers can have the staged key: it is in the public set as stored now.
    let published = match held.next() {
        Some(next) => read_set(client, &secrets.public).await?.holds(next),
        None => false,
    };
    let rotated = match (step, held.next().is_some() && !published) {
        (Step::Stage, false) => held.stage(now)?,
        (Step::Stage, true) => held.restage(now)?,
        (Step::Promote, false) => held.promote(now, policy)?,
        (Step::Promote, true) => return Err(RotateError::NotPublished.into()),
    };
    match step {
        Step::Stage => {
            publish(client, secrets, &rotated.set).await?;
            if rotated.changed {
                write_secret(client, &secrets.signing, &rotated.set.to_json()).await?;
            }
        }
        Step::Promote => {
            write_secret(client, &secrets.signing, &rotated.set.to_json()).await?;
            publish(client, secrets, &rotated.set).await?;
        }
    }
    tracing::info!(step = ?step, changed = rotated.changed, "access-token keys rotated");
    Ok(KeyIds::of(&rotated.set, Some(step), rotated.changed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::minutes(minutes)
    }

    #[test]
    fn a_set_round_trips_and_its_public_half_has_no_private_key() {
        let set = KeySet::initial(at(0));
        let json = set.to_json();
        let back = KeySet::parse(&json).unwrap();
        assert_eq!(back.to_json(), json);
        assert!(KeyUse::Sign.check(&back).is_ok());
        let public = set.public();
        assert!(!public.to_json().contains("\"d\""));
        assert!(KeyUse::Verify.check(&public).is_ok());
        assert!(KeyUse::Verify.check(&set).is_err(), "private keys refused");
        assert!(KeyUse::Sign.check(&public).is_err(), "cannot sign");
        assert!(set.covered_by(&public));
        assert!(!format!("{set:?}").contains(&B64.encode([0u8; 4])));
    }

    #[test]
    fn bad_sets_are_refused() {
        assert!(KeyUse::Sign.check(&KeySet::parse("{}").unwrap()).is_err());
        assert!(KeySet::parse("not json").is_err());
        let set = KeySet::initial(at(0));
        let other = KeySet::initial(at(0));
        // A private key that is not the public key's.
        let mut wire: serde_json::Value = serde_json::from_str(&set.to_json()).unwrap();
        let foreign: serde_json::Value = serde_json::from_str(&other.to_json()).unwrap();
        wire["current"]["d"] = foreign["current"]["d"].clone();
        let err = KeySet::parse(&wire.to_string()).unwrap_err();
        assert!(err.to_string().contains("not the private key"), "{err}");
        // Two slots with one kid.
        let mut wire: serde_json::Value = serde_json::from_str(&set.to_json()).unwrap();
        wire["next"] = wire["current"].clone();
        assert!(KeySet::parse(&wire.to_string()).is_err());
        // Another curve.
        let mut wire: serde_json::Value = serde_json::from_str(&set.to_json()).unwrap();
        wire["current"]["crv"] = "P-256".into();
        assert!(KeySet::parse(&wire.to_string()).is_err());
    }

    #[test]
    fn rotation_stages_then_promotes_and_retires_in_order() {
        let policy = RotationPolicy::for_access_ttl(Duration::from_secs(900));
        let set = KeySet::initial(at(0));
        let first = set.current().unwrap().kid().to_owned();
        assert_eq!(
            set.promote(at(1), &policy).unwrap_err(),
            RotateError::NothingStaged
        );
        let staged = set.stage(at(10)).unwrap();
        assert!(staged.changed);
        let again = staged.set.stage(at(11)).unwrap();
        assert!(!again.changed, "staging twice stages once");
        let second = staged.set.next().unwrap().kid().to_owned();
        assert!(matches!(
            staged.set.promote(at(10), &policy),
            Err(RotateError::TooSoon { .. })
        ));
        let promoted = staged.set.promote(at(12), &policy).unwrap().set;
        assert_eq!(promoted.current().unwrap().kid(), second);
        assert_eq!(promoted.previous().unwrap().kid(), first);
        assert!(promoted.next().is_none());
        // The next promotion would drop `first`: not before its tokens and signers are gone.
        let staged = promoted.stage(at(13)).unwrap().set;
        assert!(matches!(
            staged.promote(at(20), &policy),
            Err(RotateError::TooSoon { .. })
        ));
        let third = staged.promote(at(12 + 22), &policy).unwrap().set;
        assert_eq!(third.previous().unwrap().kid(), second);
        assert!(third.keys().all(|k| k.kid() != first));
        assert_eq!(
            KeySet::default().stage(at(0)).unwrap_err(),
            RotateError::NotInitialised
        );
    }
}
