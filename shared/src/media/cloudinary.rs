//! Cloudinary as the media storage: signed direct uploads (the browser posts the file to
//! Cloudinary's Upload API with parameters the backend signed), the Admin API to check an
//! upload, the Upload API's `destroy` to delete, and signed delivery URLs of the
//! `authenticated` type (private: no URL works without the signature).
//!
//! Signatures follow Cloudinary's "Generating authentication signatures": every signed
//! parameter except `file`, `cloud_name`, `resource_type` and `api_key`, sorted by name,
//! joined as `name=value` with `&`, the API secret appended, SHA-1, hex. Admin API calls use
//! HTTP Basic authentication with `api_key:api_secret`. The API secret comes from Secrets
//! Manager (`CLOUDINARY_API_SECRET_ARN`).

use std::fmt;
use std::time::Duration;

use base64::Engine;
use sha1::{Digest, Sha1};

use super::{
    MediaConfig, MediaError, Provider, SignedUpload, StoredObject, SubtitleKey, UploadSpec,
    VideoKey,
};
use crate::config::Reader;

/// One Cloudinary call (the Admin API answers in well under a second), inside the function's
/// budget like the AWS SDK's 5 s.
const CALL_TIMEOUT: Duration = Duration::from_secs(4);

/// How long Cloudinary accepts an upload signature after its `timestamp` (its documentation:
/// one hour).
const SIGNATURE_VALIDITY: Duration = Duration::from_secs(3600);

/// The delivery type every asset is stored with: `authenticated` needs a signed URL.
const DELIVERY_TYPE: &str = "authenticated";

/// Cloudinary's account settings.
#[derive(Clone)]
pub struct CloudinaryConfig {
    /// `CLOUDINARY_CLOUD_NAME`.
    pub cloud_name: String,
    /// `CLOUDINARY_API_KEY` (public: it is sent in every upload form).
    pub api_key: String,
    /// The API secret (secret `CLOUDINARY_API_SECRET_ARN`): signs uploads, deletions and
    /// delivery URLs, and authenticates Admin API calls.
    pub api_secret: String,
    /// `CLOUDINARY_API_URL` (default `https://api.cloudinary.com`): the Upload and Admin APIs'
    /// base; tests point it at a local double.
    pub api_url: String,
    /// `CLOUDINARY_DELIVERY_URL` (default `https://res.cloudinary.com`): where signed delivery
    /// URLs point.
    pub delivery_url: String,
}

impl CloudinaryConfig {
    /// Reads every Cloudinary variable; `Some` when they are usable, with problems recorded
    /// for the missing or invalid ones only when `required` (the provider is Cloudinary).
    pub(super) fn read(env: &mut Reader<'_>, required: bool) -> Option<Self> {
        let cloud_name = env.get("CLOUDINARY_CLOUD_NAME").unwrap_or_default();
        let api_key = env.get("CLOUDINARY_API_KEY").unwrap_or_default();
        let api_secret = env
            .optional_secret("CLOUDINARY_API_SECRET")
            .unwrap_or_default();
        let api_url = env.or("CLOUDINARY_API_URL", "https://api.cloudinary.com");
        let delivery_url = env.or("CLOUDINARY_DELIVERY_URL", "https://res.cloudinary.com");
        if !required {
            return None;
        }
        let mut problems = Vec::new();
        if cloud_name.is_empty()
            || !cloud_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            problems.push("CLOUDINARY_CLOUD_NAME is required (letters, digits, '-', '_')");
        }
        if api_key.is_empty() {
            problems.push("CLOUDINARY_API_KEY is required");
        }
        if api_secret.is_empty() {
            problems.push("CLOUDINARY_API_SECRET_ARN is required");
        }
        for (var, url) in [
            ("CLOUDINARY_API_URL", &api_url),
            ("CLOUDINARY_DELIVERY_URL", &delivery_url),
        ] {
            if !base_url_allowed(url) {
                env.problem(format!(
                    "{var} must be an https:// URL (http:// only for 127.0.0.1 or localhost), got {url:?}"
                ));
            }
        }
        let ok = problems.is_empty();
        for p in problems {
            env.problem(p);
        }
        ok.then(|| Self {
            cloud_name,
            api_key,
            api_secret,
            api_url: api_url.trim_end_matches('/').to_owned(),
            delivery_url: delivery_url.trim_end_matches('/').to_owned(),
        })
    }
}

/// An https base URL, or plain http to this machine (a test double).
fn base_url_allowed(raw: &str) -> bool {
    match url::Url::parse(raw) {
        Ok(url) => match url.scheme() {
            "https" => url.host_str().is_some(),
            "http" => matches!(url.host_str(), Some("127.0.0.1" | "localhost")),
            _ => false,
        },
        Err(_) => false,
    }
}

impl fmt::Debug for CloudinaryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudinaryConfig")
            .field("cloud_name", &self.cloud_name)
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .field("api_url", &self.api_url)
            .finish()
    }
}

/// The parameters Cloudinary leaves out of a signature.
const UNSIGNED: [&str; 4] = ["file", "cloud_name", "resource_type", "api_key"];

/// Cloudinary's request signature of `params` with `api_secret` (SHA-1, hex): the signed
/// parameters (not [`UNSIGNED`] ones, not empty ones) sorted by name, `name=value` joined with
/// `&`, the secret appended.
pub fn sign_params(params: &[(&str, &str)], api_secret: &str) -> String {
    let mut signed: Vec<&(&str, &str)> = params
        .iter()
        .filter(|(name, value)| !UNSIGNED.contains(name) && !value.is_empty())
        .collect();
    signed.sort_by(|a, b| a.0.cmp(b.0));
    let joined = signed
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&");
    hex::encode(Sha1::digest(format!("{joined}{api_secret}").as_bytes()))
}

/// The `s--SIGNATURE--` component of a delivery URL for `path` (what follows the signature in
/// the URL: transformations and the public id with its extension, no version): the first 8
/// characters of the URL-safe base64 SHA-1 of `path` + the API secret.
pub fn delivery_signature(path: &str, api_secret: &str) -> String {
    let digest = Sha1::digest(format!("{path}{api_secret}").as_bytes());
    let encoded = base64::engine::general_purpose::URL_SAFE.encode(digest);
    format!("s--{}--", &encoded[..8])
}

/// The Cloudinary provider.
#[derive(Clone)]
pub struct CloudinaryStorage {
    config: CloudinaryConfig,
    http: reqwest::Client,
    upload_ttl: Duration,
}

/// What a key is to Cloudinary: its resource type and public id (a video's without its
/// extension, which Cloudinary keeps as the format; a raw file's with it).
fn asset(key: &str) -> (&'static str, &str) {
    match key.ends_with(".vtt") {
        true => ("raw", key),
        false => ("video", key.rsplit_once('.').map_or(key, |(stem, _)| stem)),
    }
}

fn unavailable(what: &str, e: impl fmt::Display) -> MediaError {
    MediaError::Unavailable(format!("Cloudinary {what}: {e}"))
}

/// What an error status from Cloudinary means: Cloudinary failing (a 5xx or a 408: a fault of
/// its), or refusing the call itself (a 4xx: a wrong secret, a bad request, its rate limits,
/// 420 and 429), which never counts against the circuit.
fn status_error(what: &str, status: reqwest::StatusCode) -> MediaError {
    let why = format!("Cloudinary {what}: status {}", status.as_u16());
    match status.as_u16() {
        // A request timeout (Cloudinary's or a proxy's) is the service being slow.
        408 | 500..=599 => MediaError::Unavailable(why),
        420 | 429 => MediaError::Rejected {
            why,
            throttled: true,
        },
        _ => MediaError::Rejected {
            why,
            throttled: false,
        },
    }
}

impl CloudinaryStorage {
    /// The account `config` names.
    pub fn new(config: CloudinaryConfig, media: &MediaConfig) -> Self {
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .connect_timeout(Duration::from_secs(1))
            .build()
            .unwrap_or_default();
        Self {
            config,
            http,
            // Cloudinary refuses a signature older than an hour whatever we say.
            upload_ttl: media.upload_ttl.min(SIGNATURE_VALIDITY),
        }
    }

    fn endpoint(&self, path: &str) -> String {
        format!(
            "{}/v1_1/{}/{path}",
            self.config.api_url, self.config.cloud_name
        )
    }

    /// Signed parameters for an upload of `spec.key`: its public id, the `authenticated`
    /// type, only its format allowed, no overwrite, the timestamp; plus `api_key` and the
    /// signature. Cloudinary has no size condition: [`CloudinaryStorage::confirm`] checks it.
    pub(super) fn sign_upload(&self, spec: &UploadSpec) -> Result<SignedUpload, MediaError> {
        let now = chrono::Utc::now();
        let timestamp = now.timestamp().to_string();
        let (resource_type, public_id) = asset(spec.key.as_str());
        let mut fields: Vec<(String, String)> = [
            ("allowed_formats", spec.key.format().extension()),
            ("overwrite", "false"),
            ("public_id", public_id),
            ("timestamp", timestamp.as_str()),
            ("type", DELIVERY_TYPE),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let signed: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let signature = sign_params(&signed, &self.config.api_secret);
        fields.push(("api_key".into(), self.config.api_key.clone()));
        fields.push(("signature".into(), signature));
        Ok(SignedUpload {
            provider: Provider::Cloudinary,
            upload_url: self.endpoint(&format!("{resource_type}/upload")),
            method: "POST",
            fields,
            key: spec.key.as_str().to_owned(),
            expires_at: now + self.upload_ttl,
        })
    }

    /// The Admin API's resource (`GET /resources/video/authenticated/<public id>`, Basic
    /// auth): there, of the signed format, 1..=`max_bytes` bytes. A mismatch is destroyed.
    pub(super) async fn confirm(
        &self,
        key: &VideoKey,
        max_bytes: u64,
    ) -> Result<StoredObject, MediaError> {
        let (resource_type, public_id) = asset(key.as_str());
        let answer = self
            .http
            .get(self.endpoint(&format!(
                "resources/{resource_type}/{DELIVERY_TYPE}/{public_id}"
            )))
            .basic_auth(&self.config.api_key, Some(&self.config.api_secret))
            .send()
            .await
            .map_err(|e| unavailable("Admin API", e))?;
        match answer.status().as_u16() {
            200 => {}
            404 => return Err(MediaError::NotFound(key.to_string())),
            _ => return Err(status_error("Admin API", answer.status())),
        }
        #[derive(serde::Deserialize)]
        struct Resource {
            bytes: u64,
            format: String,
        }
        let resource: Resource = answer
            .json()
            .await
            .map_err(|e| unavailable("Admin API answer", e))?;
        let why = if !(1..=max_bytes).contains(&resource.bytes) {
            Some(format!(
                "size {} is not within 1..={max_bytes}",
                resource.bytes
            ))
        } else if resource.format != key.format().extension() {
            Some(format!(
                "format {:?} is not {:?}",
                resource.format,
                key.format().extension()
            ))
        } else {
            None
        };
        if let Some(why) = why {
            // Destroyed by the caller, in a call of its own (`MediaStorage::confirm`).
            return Err(MediaError::Mismatch {
                key: key.to_string(),
                why,
            });
        }
        Ok(StoredObject {
            key: key.to_string(),
            size: resource.bytes,
            content_type: key.format().content_type().to_owned(),
        })
    }

    /// Uploads a WebVTT text as a `raw` asset (Upload API, signed, multipart).
    pub(super) async fn put_text(&self, key: &SubtitleKey, body: &str) -> Result<(), MediaError> {
        let (resource_type, public_id) = asset(key.as_str());
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let params = [
            ("invalidate", "true"),
            ("overwrite", "true"),
            ("public_id", public_id),
            ("timestamp", timestamp.as_str()),
            ("type", DELIVERY_TYPE),
        ];
        let signature = sign_params(&params, &self.config.api_secret);
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in params {
            form = form.text(name, value.to_owned());
        }
        let file = reqwest::multipart::Part::bytes(body.as_bytes().to_vec())
            .file_name("subtitles.vtt")
            .mime_str("text/vtt")
            .map_err(|e| MediaError::Rejected {
                why: format!("Cloudinary upload: {e}"),
                throttled: false,
            })?;
        let form = form
            .text("api_key", self.config.api_key.clone())
            .text("signature", signature)
            .part("file", file);
        let answer = self
            .http
            .post(self.endpoint(&format!("{resource_type}/upload")))
            .multipart(form)
            .send()
            .await
            .map_err(|e| unavailable("upload", e))?;
        match answer.status().is_success() {
            true => Ok(()),
            false => Err(status_error("upload", answer.status())),
        }
    }

    /// The Upload API's `destroy` (signed): `ok` and `not found` both mean it is gone.
    pub(super) async fn delete(&self, key: &str) -> Result<(), MediaError> {
        let (resource_type, public_id) = asset(key);
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let params = [
            ("invalidate", "true"),
            ("public_id", public_id),
            ("timestamp", timestamp.as_str()),
            ("type", DELIVERY_TYPE),
        ];
        let signature = sign_params(&params, &self.config.api_secret);
        let mut form: Vec<(&str, &str)> = params.to_vec();
        form.push(("api_key", &self.config.api_key));
        form.push(("signature", &signature));
        let answer = self
            .http
            .post(self.endpoint(&format!("{resource_type}/destroy")))
            .form(&form)
            .send()
            .await
            .map_err(|e| unavailable("destroy", e))?;
        if !answer.status().is_success() {
            return Err(status_error("destroy", answer.status()));
        }
        #[derive(serde::Deserialize)]
        struct Destroyed {
            result: String,
        }
        let result: Destroyed = answer
            .json()
            .await
            .map_err(|e| unavailable("destroy answer", e))?;
        match result.result.as_str() {
            "ok" | "not found" => Ok(()),
            other => Err(unavailable("destroy", format!("result {other:?}"))),
        }
    }

    /// A signed delivery URL of the `authenticated` asset. Cloudinary's URL signatures do not
    /// expire (time-limited URLs need its token-based authentication, a premium feature): the
    /// URL stays valid until the asset is deleted or the API secret rotates.
    pub(super) fn playback_url(&self, key: &str) -> String {
        let (resource_type, _) = asset(key);
        format!(
            "{}/{}/{resource_type}/{DELIVERY_TYPE}/{}/{key}",
            self.config.delivery_url,
            self.config.cloud_name,
            delivery_signature(key, &self.config.api_secret)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cloudinary's "Generating authentication signatures" example: secret `abcd`, these
    /// parameters, the documented SHA-1 digest.
    #[test]
    fn signs_the_documented_example() {
        let params = [
            ("timestamp", "1315060510"),
            ("public_id", "sample_image"),
            ("eager", "w_400,h_300,c_pad|w_260,h_200,c_crop"),
        ];
        assert_eq!(
            sign_params(&params, "abcd"),
            "bfd09f95f331f558cbd1320e67aa8d488770583e"
        );
        // file, cloud_name, resource_type, api_key and empty values are not signed.
        let mut more = params.to_vec();
        more.extend([
            ("api_key", "1234"),
            ("file", "x"),
            ("resource_type", "video"),
            ("cloud_name", "demo"),
            ("folder", ""),
        ]);
        assert_eq!(
            sign_params(&more, "abcd"),
            "bfd09f95f331f558cbd1320e67aa8d488770583e"
        );
    }

    /// The delivery-URL signatures of Cloudinary's own SDK test suites (API secret `b`):
    /// `.../image/upload/s--Ai4Znfl3--/c_crop,h_20,w_10/image.jpg` and
    /// `.../image/upload/s----SjmNDA--/v1234/image.jpg` (the version is not signed).
    #[test]
    fn signs_delivery_urls_like_cloudinary() {
        assert_eq!(
            delivery_signature("c_crop,h_20,w_10/image.jpg", "b"),
            "s--Ai4Znfl3--"
        );
        assert_eq!(delivery_signature("image.jpg", "b"), "s----SjmNDA--");
    }

    #[test]
    fn base_urls_are_https_or_this_machine() {
        assert!(base_url_allowed("https://api.cloudinary.com"));
        assert!(base_url_allowed("http://127.0.0.1:4000"));
        assert!(!base_url_allowed("http://api.cloudinary.com"));
        assert!(!base_url_allowed("ftp://x"));
    }
}
