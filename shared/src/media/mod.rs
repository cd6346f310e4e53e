//! Media storage: where movie videos and subtitles live, behind one interface with two
//! providers chosen by configuration (`MEDIA_PROVIDER`): Amazon S3 (the local stack's, against
//! LocalStack) and Cloudinary (the design's choice).
//!
//! A video never passes through API Gateway or Lambda (their payload limits are 10 MB and
//! 6 MB): the backend signs a direct upload ([`MediaStorage::sign_upload`]) that pins the key,
//! the content type and (S3) the size, the client posts the file straight to the provider, and
//! the backend then checks that the object exists and matches what was signed
//! ([`MediaStorage::confirm`]). Viewers get short-lived signed GET URLs
//! ([`MediaStorage::playback_url`]): the storage stays private. The backend only ever calls
//! the provider's own endpoints with keys it built or validated itself: it never fetches a URL
//! a client supplied.
//!
//! Only the movies service enables this module (cargo feature `media`), so no other function
//! compiles the S3 SDK.

mod cloudinary;
mod keys;
mod s3;

use std::fmt;
use std::time::Duration;

use aws_config::SdkConfig;
use serde::Serialize;

use crate::config::{secret_arn_var, ConfigError, Load, Lookup, Reader, RedisConfig};
use crate::resilience::{retry, Backoff, Breaker, Fault, Policy, Transient, Tripped};

pub use cloudinary::{delivery_signature, sign_params, CloudinaryConfig, CloudinaryStorage};
pub use keys::{SubtitleKey, VideoFormat, VideoKey};
pub use s3::{policy_signature, S3Storage};

/// Largest video accepted by default (`MAX_VIDEO_BYTES`): 2 GiB.
pub const DEFAULT_MAX_VIDEO_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// The largest object S3 takes in one POST upload: 5 GiB.
pub const MAX_S3_POST_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// Which provider holds the media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Amazon S3 (a private bucket; LocalStack locally).
    S3,
    /// Cloudinary (authenticated delivery type: private).
    Cloudinary,
}

/// The media settings: the provider and its own, plus the limits every provider shares.
#[derive(Clone)]
pub struct MediaConfig {
    /// `MEDIA_PROVIDER`: `s3` (default) or `cloudinary`.
    pub provider: Provider,
    /// `MEDIA_BUCKET`: the private bucket (required with `s3`).
    pub bucket: String,
    /// `MAX_VIDEO_BYTES`: largest video upload (default 2 GiB); S3 enforces it in the POST
    /// policy, and confirmation checks it for both providers.
    pub max_video_bytes: u64,
    /// `MEDIA_UPLOAD_URL_TTL_SECONDS`: how long a signed upload may be used (default 900, at
    /// most 3600: Cloudinary accepts an upload signature for one hour after its timestamp).
    pub upload_ttl: Duration,
    /// `MEDIA_PLAYBACK_URL_TTL_SECONDS`: how long a viewer's signed GET URL works (default
    /// 10800, 3 h: long enough to watch a film, whose player keeps sending Range requests to
    /// the same URL; at most 7 days, S3's limit for presigned URLs).
    pub playback_ttl: Duration,
    /// Cloudinary's account settings (required with `cloudinary`).
    pub cloudinary: Option<CloudinaryConfig>,
    /// The auth Redis (`REDIS_URL_SECRET_ARN`), where the provider's circuit lives, shared by
    /// every instance ([`MediaStorage::connect`]). Given only to the functions that call the
    /// provider (confirming, storing and deleting); the others only sign, reach nobody, and
    /// so hold no key to the store of revocations.
    pub circuit: Option<RedisConfig>,
}

impl Load for MediaConfig {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let provider = env.parsed("MEDIA_PROVIDER", Provider::S3, |raw| match raw {
            "s3" => Ok(Provider::S3),
            "cloudinary" => Ok(Provider::Cloudinary),
            _ => Err("expected s3 or cloudinary".to_owned()),
        });
        let bucket = env.get("MEDIA_BUCKET").unwrap_or_default();
        let max_video_bytes = env.positive("MAX_VIDEO_BYTES", DEFAULT_MAX_VIDEO_BYTES);
        let upload_ttl = env.positive("MEDIA_UPLOAD_URL_TTL_SECONDS", 900);
        if upload_ttl > 3600 {
            env.problem("MEDIA_UPLOAD_URL_TTL_SECONDS may be at most 3600");
        }
        let playback_ttl = env.positive("MEDIA_PLAYBACK_URL_TTL_SECONDS", 10800);
        if playback_ttl > 7 * 24 * 3600 {
            env.problem("MEDIA_PLAYBACK_URL_TTL_SECONDS may be at most 604800 (7 days)");
        }
        // Playback URLs are dated to the start of their signing window, so a viewer gets at
        // least the TTL minus one window: under two windows, some would expire at once.
        let least = 2 * s3::PLAYBACK_WINDOW.as_secs();
        if playback_ttl < least {
            env.problem(format!(
                "MEDIA_PLAYBACK_URL_TTL_SECONDS must be at least {least} (twice the {}-second \
                 signing window)",
                s3::PLAYBACK_WINDOW.as_secs()
            ));
        }
        // Every Cloudinary variable is read whichever provider is chosen, so the template
        // checks see them all; only the chosen provider's are required.
        let cloudinary = CloudinaryConfig::read(&mut env, provider == Provider::Cloudinary);
        let circuit = [secret_arn_var("REDIS_URL").as_str(), "REDIS_URL"]
            .iter()
            .any(|k| env.get(k).is_some())
            .then(|| RedisConfig::read(&mut env, "REDIS_URL"));
        if provider == Provider::S3 && max_video_bytes > MAX_S3_POST_BYTES {
            env.problem(format!(
                "MAX_VIDEO_BYTES may be at most {MAX_S3_POST_BYTES} with S3 (the most a POST \
                 upload takes)"
            ));
        }
        if provider == Provider::S3 {
            if bucket.is_empty() {
                env.problem("MEDIA_BUCKET is required when MEDIA_PROVIDER is s3");
            } else if !keys::valid_bucket_name(&bucket) {
                env.problem(format!(
                    "MEDIA_BUCKET is not a valid bucket name: {bucket:?}"
                ));
            }
        }
        env.finish(Self {
            provider,
            bucket,
            max_video_bytes,
            upload_ttl: Duration::from_secs(upload_ttl),
            playback_ttl: Duration::from_secs(playback_ttl),
            cloudinary,
            circuit,
        })
    }
}

/// The media settings of a function that may hold none: `None` when no media variable is set
/// (`MEDIA_PROVIDER`, `MEDIA_BUCKET`, `CLOUDINARY_CLOUD_NAME`), so the functions of a service
/// that serve no media (its setup step, relay, consumers) need none; any of them set loads
/// the whole piece, every problem named.
impl Load for Option<MediaConfig> {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let set = ["MEDIA_PROVIDER", "MEDIA_BUCKET", "CLOUDINARY_CLOUD_NAME"]
            .into_iter()
            .any(|k| lookup(k).is_some_and(|v| !v.trim().is_empty()));
        match set {
            true => MediaConfig::load(lookup).map(Some),
            false => Ok(None),
        }
    }
}

/// The API secret never reaches a log line, even through `{:?}`.
impl fmt::Debug for MediaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaConfig")
            .field("provider", &self.provider)
            .field("bucket", &self.bucket)
            .field("max_video_bytes", &self.max_video_bytes)
            .field("upload_ttl", &self.upload_ttl)
            .field("playback_ttl", &self.playback_ttl)
            .field("cloudinary", &self.cloudinary)
            .finish()
    }
}

/// A signed direct upload, as the contract answers it: the client sends a
/// `multipart/form-data` `method` request to `upload_url` with every one of `fields` and then
/// the file as the last part, named `file` (S3 ignores fields after the file).
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SignedUpload {
    /// Which provider the client talks to.
    pub provider: Provider,
    /// Where the form goes.
    pub upload_url: String,
    /// Always `POST` (both providers take a form upload).
    pub method: &'static str,
    /// The form fields, in the order they must be sent (a JSON object written in that order).
    #[serde(serialize_with = "in_order")]
    pub fields: Vec<(String, String)>,
    /// The storage key the object will have: what `POST /movies/{id}/video` confirms.
    pub key: String,
    /// When the signature stops being accepted.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Form fields as one JSON object, written in their order.
fn in_order<S: serde::Serializer>(fields: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(fields.iter().map(|(k, v)| (k, v)))
}

/// What a signed upload allows: one key, one content type, at most `max_bytes`.
#[derive(Debug, Clone)]
pub struct UploadSpec {
    /// The key (built by [`VideoKey`], under the movie's prefix).
    pub key: VideoKey,
    /// Largest accepted size.
    pub max_bytes: u64,
}

/// An object the storage holds, as it reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// Its key.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its content type (S3) or format (Cloudinary), as stored.
    pub content_type: String,
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// No object under that key (never uploaded, expired, or deleted).
    #[error("no object under key {0}")]
    NotFound(String),
    /// The object is there but is not what was signed (size or type); it has been deleted.
    #[error("object {key} does not match its upload: {why}")]
    Mismatch {
        /// Its key.
        key: String,
        /// What differs.
        why: String,
    },
    /// The upload was written again (the same form, posted twice) while it was being
    /// confirmed: what was checked is not what is there now. Confirming again checks the new
    /// one.
    #[error("the upload under key {0} changed while it was being confirmed")]
    Changed(String),
    /// The provider answered and refused the call itself (a 4xx other than a missing object:
    /// permissions, a wrong secret, a malformed request, a rate limit). Not an outage: it never
    /// counts against the circuit, or one function's missing permission would stop every
    /// function's calls.
    #[error("media storage refused the call: {why}")]
    Rejected {
        /// What it said.
        why: String,
        /// A rate limit: the same call succeeds later.
        throttled: bool,
    },
    /// The provider could not be reached, did not answer in time, or failed (a 5xx, S3's
    /// `SlowDown`): counts against the provider's circuit (503 for the client).
    #[error("media storage unavailable: {0}")]
    Unavailable(String),
    /// Not tried: the provider's circuit is open after repeated failures (503 with
    /// `Retry-After` for the client; the sweeper tries the object again then).
    #[error("media storage unavailable: {why}")]
    CircuitOpen {
        /// The circuit's refusal.
        why: String,
        /// When a call may be let through again, at the earliest.
        retry_after: Duration,
    },
}

/// Only the provider failing may go away by itself (a refused or reset connection, a 5xx).
impl Transient for MediaError {
    fn is_transient(&self) -> bool {
        matches!(self, MediaError::Unavailable(_))
    }
}

/// How soon after a Cloudinary call's first try a retry may still start. Cloudinary's calls
/// are plain HTTP (S3's SDK retries by itself: three tries, backoff with jitter), and each is
/// idempotent (a lookup; a destroy; an upload that overwrites): one that failed fast for a
/// transient reason (refused, reset, a 5xx) is tried again, up to [`Backoff::QUICK`]'s three
/// tries; one that took its whole time (4 s) is not.
const RETRY_WINDOW: Duration = Duration::from_millis(1500);
/// All of a call's tries end within this (a retry is cut at it): one call costs at most a
/// second more than a single try's timeout, well inside a 10 s function's budget.
const CALL_BUDGET: Duration = Duration::from_secs(5);

/// `call`, tried again as [`RETRY_WINDOW`] allows, all within [`CALL_BUDGET`].
async fn with_retries<T, F, Fut>(mut call: F) -> Result<T, MediaError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, MediaError>>,
{
    let started = std::time::Instant::now();
    retry(Backoff::QUICK, Some(started + RETRY_WINDOW), || {
        let left = CALL_BUDGET.saturating_sub(started.elapsed());
        let attempt = call();
        async move {
            tokio::time::timeout(left, attempt)
                .await
                .unwrap_or_else(|_| {
                    Err(MediaError::Unavailable(
                        "Cloudinary: no answer within the call's budget".to_owned(),
                    ))
                })
        }
    })
    .await
}

/// Only the provider failing counts against its circuit: an object that is missing, changed
/// or not what was signed is about the client's upload, and a refusal about the call.
impl Fault for MediaError {
    fn is_fault(&self) -> bool {
        matches!(self, MediaError::Unavailable(_))
    }
}

/// One of the two providers, chosen by [`MediaConfig`].
#[derive(Clone)]
pub enum Backend {
    /// Amazon S3 (boxed: its SDK config is large beside Cloudinary's).
    S3(Box<S3Storage>),
    /// Cloudinary.
    Cloudinary(CloudinaryStorage),
}

/// The media storage a function uses: its provider, every call that reaches it behind the
/// provider's circuit (`s3` or `cloudinary`, [`crate::resilience::breaker`]): while the
/// provider keeps failing, requests answer 503 at once instead of each waiting out its
/// timeouts. Signing (an upload form, a playback URL) reaches nobody and is never refused.
#[derive(Clone)]
pub struct MediaStorage {
    backend: Backend,
    circuit: Breaker,
}

impl MediaStorage {
    /// The storage `config` names, with clients built from the function's AWS config (no
    /// network call: the first request connects), behind a circuit of this instance's own
    /// (tools, tests; functions use [`MediaStorage::connect`]).
    pub fn new(config: &MediaConfig, sdk: &SdkConfig) -> Self {
        Self::from_backend(match (&config.provider, &config.cloudinary) {
            (Provider::Cloudinary, Some(cloudinary)) => {
                Backend::Cloudinary(CloudinaryStorage::new(cloudinary.clone(), config))
            }
            _ => Backend::S3(Box::new(S3Storage::new(sdk, config))),
        })
    }

    /// [`MediaStorage::new`] behind the provider's circuit in the auth Redis, shared by every
    /// instance (connects on first use), when the function is given it ([`MediaConfig::circuit`]).
    /// A Redis it cannot even set up (a malformed URL, an unreadable CA file) leaves the
    /// instance its own circuit, logged, as a Redis that does not answer would: the media calls
    /// go on.
    pub async fn connect(config: &MediaConfig, sdk: &SdkConfig) -> Self {
        let storage = Self::new(config, sdk);
        let Some(redis) = &config.circuit else {
            return storage;
        };
        match Breaker::connect(storage.circuit.name(), Policy::DEFAULT, redis).await {
            Ok(circuit) => Self { circuit, ..storage },
            Err(e) => {
                tracing::error!(error = %e, "the media circuit's Redis cannot be set up: this instance keeps its own circuit");
                storage
            }
        }
    }

    /// `backend` behind a circuit of this instance's own.
    pub fn from_backend(backend: Backend) -> Self {
        let name = match backend {
            Backend::S3(_) => "s3",
            Backend::Cloudinary(_) => "cloudinary",
        };
        Self {
            backend,
            circuit: Breaker::local(name, Policy::DEFAULT),
        }
    }

    /// The provider's client (tests reach the bucket through it).
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Which provider this is.
    pub fn provider(&self) -> Provider {
        match self.backend {
            Backend::S3(_) => Provider::S3,
            Backend::Cloudinary(_) => Provider::Cloudinary,
        }
    }

    /// A call that reaches the provider, through its circuit: refused at once (as
    /// [`MediaError::CircuitOpen`]) while the circuit is open.
    async fn guarded<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, MediaError>>,
    ) -> Result<T, MediaError> {
        // Boxed: the provider's futures are deep, and callers (the sweeper's scheduled
        // runtime) nest them further.
        self.circuit
            .call(Box::pin(call))
            .await
            .map_err(|e| match e {
                Tripped::Open(refused) => MediaError::CircuitOpen {
                    why: refused.to_string(),
                    retry_after: refused.retry_after,
                },
                Tripped::Failed(e) => e,
            })
    }

    /// Signs a direct upload of `spec.key` (its content type, at most `spec.max_bytes`).
    pub async fn sign_upload(&self, spec: &UploadSpec) -> Result<SignedUpload, MediaError> {
        match &self.backend {
            Backend::S3(s3) => s3.sign_upload(spec).await,
            Backend::Cloudinary(c) => c.sign_upload(spec),
        }
    }

    /// Checks that the upload of `key` arrived and matches what was signed (1 to `max_bytes`
    /// bytes, `key`'s content type), and puts it in place under `key` (S3: copied out of the
    /// expiring upload prefix; Cloudinary: where it was uploaded, never overwritten). Calling
    /// it again for the same upload does the same again. An object that does not match is
    /// deleted.
    pub async fn confirm(
        &self,
        key: &VideoKey,
        max_bytes: u64,
    ) -> Result<StoredObject, MediaError> {
        let checked = self
            .guarded(async {
                match &self.backend {
                    Backend::S3(s3) => s3.confirm(key, max_bytes).await,
                    Backend::Cloudinary(c) => with_retries(|| c.confirm(key, max_bytes)).await,
                }
            })
            .await;
        if let Err(MediaError::Mismatch { .. }) = &checked {
            // Its own call through the circuit: a failure to delete it is the provider's, not
            // the check's (the client confirming again finds the same mismatch).
            let upload = match &self.backend {
                Backend::S3(_) => s3::upload_key(key.as_str()),
                Backend::Cloudinary(_) => key.as_str().to_owned(),
            };
            self.delete(&upload).await?;
        }
        checked
    }

    /// How long after its form expires an upload may still be confirmed (S3: about a day, what
    /// the upload prefix keeps; Cloudinary: an hour, as long as it accepts an upload signature,
    /// so that nothing can be uploaded under a key after its ticket is swept).
    pub fn confirm_window(&self) -> Duration {
        match self.backend {
            Backend::S3(_) => s3::CONFIRM_WINDOW,
            Backend::Cloudinary(_) => Duration::from_secs(3600),
        }
    }

    /// Deletes the upload a confirmation copied from (S3); nothing to do for Cloudinary,
    /// whose upload is the kept asset.
    pub async fn discard_upload(&self, key: &VideoKey) -> Result<(), MediaError> {
        match &self.backend {
            Backend::S3(s3) => self.guarded(s3.discard_upload(key)).await,
            Backend::Cloudinary(_) => Ok(()),
        }
    }

    /// Stores a small text object written by the backend itself (a WebVTT subtitle).
    pub async fn put_text(&self, key: &SubtitleKey, body: &str) -> Result<(), MediaError> {
        self.guarded(async {
            match &self.backend {
                Backend::S3(s3) => s3.put_text(key, body).await,
                Backend::Cloudinary(c) => with_retries(|| c.put_text(key, body)).await,
            }
        })
        .await
    }

    /// Deletes `key` (a video or a subtitle); deleting what is not there is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), MediaError> {
        self.guarded(async {
            match &self.backend {
                Backend::S3(s3) => s3.delete(key).await,
                Backend::Cloudinary(c) => with_retries(|| c.delete(key)).await,
            }
        })
        .await
    }

    /// A URL a viewer's player can GET `key` from (Range requests included) for a short while.
    pub async fn playback_url(&self, key: &str) -> Result<String, MediaError> {
        match &self.backend {
            Backend::S3(s3) => s3.playback_url(key).await,
            Backend::Cloudinary(c) => Ok(c.playback_url(key)),
        }
    }
}
