//! Amazon S3 as the media storage: a private bucket, browser uploads by presigned POST (a
//! policy the platform writes and signs itself: the SDK has no POST presigner), HEAD and a
//! server-side copy to confirm, DELETE, and presigned GETs for playback.
//!
//! A form writes only under [`UPLOAD_PREFIX`], which the bucket's lifecycle rule
//! (infra/messaging.yaml) empties after a day, so an upload nobody confirms leaves nothing
//! behind. Confirming copies the upload to its own key, which no form can write: a form used
//! again after its confirmation (it stays valid until it expires) only writes another object
//! that expires, and can neither replace nor expire the confirmed video.

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::ProvideCredentials;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use base64::Engine;
use chrono::{DateTime, Utc};

use super::{
    MediaConfig, MediaError, Provider, SignedUpload, StoredObject, SubtitleKey, UploadSpec,
    VideoKey,
};

/// Where form uploads land (the lifecycle rule's prefix): `uploads/<the video's key>`.
pub const UPLOAD_PREFIX: &str = "uploads/";

/// Up to this size a confirmed upload is copied in one `CopyObject`; above it, in parts of
/// this size copied side by side (`UploadPartCopy`), so a 2 GiB video is in place in seconds,
/// well inside API Gateway's 29 s.
pub const COPY_PART_BYTES: u64 = 128 * 1024 * 1024;
/// Parts copied at once: enough that the largest video (5 GiB, 40 parts) takes three rounds.
const COPY_CONCURRENCY: usize = 16;
/// One copy call's budget: S3 copies about 100 MB/s per call, so a 128 MiB part takes a second
/// or two (the default attempt budget of 2.5 s is for small calls).
const COPY_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(12);
/// The whole copy's budget (every part): within the confirming function's `Timeout` (28 s)
/// with the HEAD before it and the commit after it.
const COPY_BUDGET: Duration = Duration::from_secs(20);
/// How long an upload may wait for its confirmation: the lifecycle rule keeps what is under
/// [`UPLOAD_PREFIX`] at least a day, so a slow upload of a large video can still be confirmed.
pub const CONFIRM_WINDOW: Duration = Duration::from_secs(23 * 3600);
/// S3's most parts in one multipart upload.
const MAX_PARTS: u64 = 10_000;

/// Playback URLs signed within one window of this length are the same URL.
pub const PLAYBACK_WINDOW: Duration = Duration::from_secs(600);

/// SigV4's algorithm name, in the policy and the form.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The S3 provider: one private bucket.
#[derive(Clone)]
pub struct S3Storage {
    client: aws_sdk_s3::Client,
    sdk: SdkConfig,
    bucket: String,
    playback_ttl: Duration,
    upload_ttl: Duration,
    copy_part_bytes: u64,
}

/// The signature of a POST policy (its base64 text, the string to sign) with the SigV4
/// signing key of `secret` for `date`'s day, `region` and S3: what the form's
/// `x-amz-signature` carries. Public so that a test can hold it to AWS's published example.
pub fn policy_signature(secret: &str, date: SystemTime, region: &str, policy_b64: &str) -> String {
    let key = aws_sigv4::sign::v4::generate_signing_key(secret, date, region, "s3");
    aws_sigv4::sign::v4::calculate_signature(key, policy_b64.as_bytes())
}

/// What a failed S3 call means: S3 not reachable, too slow or failing (a 5xx, `SlowDown`,
/// `RequestTimeout`: a fault of S3's), the copy's object changed (412), or S3 refusing the
/// call itself (any other 4xx: permissions, a malformed request; never a fault, or one
/// function's missing permission would open the circuit for all of them).
fn failed<E>(what: &str, e: SdkError<E, HttpResponse>) -> MediaError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let why = format!("S3 {what}: {}", DisplayErrorContext(&e));
    let SdkError::ServiceError(service) = &e else {
        // Not sent, no answer, a timeout, an answer that could not be read.
        return match e {
            SdkError::ConstructionFailure(_) => MediaError::Rejected {
                why,
                throttled: false,
            },
            _ => MediaError::Unavailable(why),
        };
    };
    let status = service.raw().status().as_u16();
    match (status, service.err().code()) {
        (_, Some("SlowDown" | "RequestTimeout" | "InternalError" | "ServiceUnavailable")) => {
            MediaError::Unavailable(why)
        }
        (500..=599, _) => MediaError::Unavailable(why),
        (412, _) => MediaError::Changed(why),
        (_, Some("NoSuchKey")) => MediaError::NotFound(why),
        (429, _) => MediaError::Rejected {
            why,
            throttled: true,
        },
        _ => MediaError::Rejected {
            why,
            throttled: false,
        },
    }
}

impl S3Storage {
    /// The bucket `config` names, reached with the function's AWS config (LocalStack when
    /// `AWS_ENDPOINT_URL` is set: path-style addressing there, since `<bucket>.127.0.0.1`
    /// resolves nowhere).
    pub fn new(sdk: &SdkConfig, config: &MediaConfig) -> Self {
        let s3 = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .interceptor(crate::runtime::TraceHeader)
            .build();
        Self {
            client: aws_sdk_s3::Client::from_conf(s3),
            sdk: sdk.clone(),
            bucket: config.bucket.clone(),
            playback_ttl: config.playback_ttl,
            upload_ttl: config.upload_ttl,
            copy_part_bytes: COPY_PART_BYTES,
        }
    }

    /// The same storage copying confirmed uploads in parts of `bytes` (at least S3's 5 MiB):
    /// lets a test take the multipart path with a small object.
    pub fn with_copy_part_bytes(mut self, bytes: u64) -> Self {
        self.copy_part_bytes = bytes.max(5 * 1024 * 1024);
        self
    }

    /// The client, for tests that set up a bucket.
    pub fn client(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    /// Where a browser posts the form: the bucket's virtual-hosted endpoint in AWS, the
    /// path-style one under a custom endpoint (LocalStack).
    fn form_url(&self, region: &str) -> String {
        match self.sdk.endpoint_url() {
            Some(endpoint) => format!("{}/{}", endpoint.trim_end_matches('/'), self.bucket),
            None => format!("https://{}.s3.{region}.amazonaws.com/", self.bucket),
        }
    }

    /// A presigned POST for `spec`: a policy pinning the bucket, the exact upload key (the
    /// video's key under [`UPLOAD_PREFIX`]), its content type, `content-length-range`
    /// 1..`max_bytes` and the credential fields, signed with the function's credentials (with their session token: Lambda's
    /// are temporary).
    pub(super) async fn sign_upload(&self, spec: &UploadSpec) -> Result<SignedUpload, MediaError> {
        let provider = self
            .sdk
            .credentials_provider()
            .ok_or_else(|| MediaError::Unavailable("no AWS credentials provider".to_owned()))?;
        let creds = provider
            .provide_credentials()
            .await
            .map_err(|e| MediaError::Unavailable(format!("S3 credentials: {e}")))?;
        let region = self
            .sdk
            .region()
            .map(|r| r.to_string())
            .ok_or_else(|| MediaError::Unavailable("no AWS region configured".to_owned()))?;
        let now = SystemTime::now();
        let now_utc: DateTime<Utc> = now.into();
        let expires_at = now_utc + self.upload_ttl;
        let amz_date = now_utc.format("%Y%m%dT%H%M%SZ").to_string();
        let credential = format!(
            "{}/{}/{region}/s3/aws4_request",
            creds.access_key_id(),
            now_utc.format("%Y%m%d")
        );
        let content_type = spec.key.format().content_type();
        let mut fields: Vec<(String, String)> = vec![
            ("key".into(), upload_key(spec.key.as_str())),
            ("Content-Type".into(), content_type.to_owned()),
            ("x-amz-algorithm".into(), ALGORITHM.to_owned()),
            ("x-amz-credential".into(), credential),
            ("x-amz-date".into(), amz_date),
        ];
        if let Some(token) = creds.session_token() {
            fields.push(("x-amz-security-token".into(), token.to_owned()));
        }
        // Every field the form sends is pinned by an exact-match condition.
        let mut conditions = vec![serde_json::json!({ "bucket": self.bucket })];
        conditions.extend(
            fields
                .iter()
                .map(|(name, value)| serde_json::json!({ name.as_str(): value })),
        );
        conditions.push(serde_json::json!([
            "content-length-range",
            1,
            spec.max_bytes
        ]));
        let policy = serde_json::json!({
            "expiration": expires_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "conditions": conditions,
        });
        let policy_b64 = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
        let signature = policy_signature(creds.secret_access_key(), now, &region, &policy_b64);
        fields.push(("policy".into(), policy_b64));
        fields.push(("x-amz-signature".into(), signature));
        Ok(SignedUpload {
            provider: Provider::S3,
            upload_url: self.form_url(&region),
            method: "POST",
            fields,
            key: spec.key.as_str().to_owned(),
            expires_at,
        })
    }

    /// HEAD the upload: there, 1..=`max_bytes` bytes, the content type signed for its key.
    /// Then it is copied to `key` itself (out of the expiring prefix); once the caller has
    /// recorded it, [`S3Storage::discard_upload`] deletes the upload. A mismatch (only possible
    /// if the policy was not enforced) is deleted.
    pub(super) async fn confirm(
        &self,
        key: &VideoKey,
        max_bytes: u64,
    ) -> Result<StoredObject, MediaError> {
        let upload = upload_key(key.as_str());
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(&upload)
            .send()
            .await;
        let head = match head {
            Ok(head) => head,
            Err(SdkError::ServiceError(e)) if e.err().is_not_found() => {
                return Err(MediaError::NotFound(key.to_string()))
            }
            Err(e) => return Err(failed("HEAD", e)),
        };
        let size = head.content_length().unwrap_or(0).max(0) as u64;
        let content_type = head.content_type().unwrap_or_default().to_owned();
        let why = if !(1..=max_bytes).contains(&size) {
            Some(format!("size {size} is not within 1..={max_bytes}"))
        } else if content_type != key.format().content_type() {
            Some(format!(
                "content type {content_type:?} is not {:?}",
                key.format().content_type()
            ))
        } else {
            None
        };
        if let Some(why) = why {
            // Deleted by the caller, in a call of its own (`MediaStorage::confirm`).
            return Err(MediaError::Mismatch {
                key: key.to_string(),
                why,
            });
        }
        // The copy takes exactly the object HEAD saw (its ETag): a form posted again meanwhile
        // makes the copy fail rather than put in place what was not checked.
        let etag = head
            .e_tag()
            .ok_or_else(|| MediaError::Unavailable("S3 HEAD answered no ETag".to_owned()))?;
        let source = Source {
            path: format!("{}/{upload}", self.bucket),
            etag,
            size,
        };
        // Named by the client's key: the copy's own errors name the upload's.
        self.copy(&source, key.as_str(), &content_type)
            .await
            .map_err(|e| match e {
                MediaError::NotFound(_) => MediaError::NotFound(key.to_string()),
                MediaError::Changed(_) => MediaError::Changed(key.to_string()),
                other => other,
            })?;
        Ok(StoredObject {
            key: key.to_string(),
            size,
            content_type,
        })
    }

    /// Server-side copy of `source` to `to`: one call up to the part size, a multipart copy
    /// above it, within [`COPY_BUDGET`] (aborted if a part fails or time runs out; the lifecycle
    /// rule also aborts what an interrupted one leaves).
    async fn copy(
        &self,
        source: &Source<'_>,
        to: &str,
        content_type: &str,
    ) -> Result<(), MediaError> {
        if source.size <= self.copy_part_bytes {
            let copied = self
                .client
                .copy_object()
                .bucket(&self.bucket)
                .key(to)
                .copy_source(&source.path)
                .copy_source_if_match(source.etag)
                .customize()
                .config_override(copy_timeouts())
                .send()
                .await
                .map_err(|e| failed("CopyObject", e))?;
            // S3 may answer 200 and fail in the body: a result with an ETag is a copy.
            return match copied.copy_object_result().and_then(|r| r.e_tag()) {
                Some(_) => Ok(()),
                None => Err(MediaError::Unavailable(
                    "S3 CopyObject answered no result".to_owned(),
                )),
            };
        }
        let started = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(to)
            .content_type(content_type)
            .send()
            .await
            .map_err(|e| failed("CreateMultipartUpload", e))?;
        let upload_id = started
            .upload_id()
            .ok_or_else(|| MediaError::Unavailable("S3 answered no upload id".to_owned()))?
            .to_owned();
        let parts_and_complete = async {
            let parts = self.copy_parts(source, to, &upload_id).await?;
            self.client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(to)
                .upload_id(&upload_id)
                .multipart_upload(
                    aws_sdk_s3::types::CompletedMultipartUpload::builder()
                        .set_parts(Some(parts))
                        .build(),
                )
                .customize()
                .config_override(copy_timeouts())
                .send()
                .await
                .map(|_| ())
                .map_err(|e| failed("CompleteMultipartUpload", e))
        };
        let completed = tokio::time::timeout(COPY_BUDGET, parts_and_complete)
            .await
            .unwrap_or_else(|_| {
                Err(MediaError::Unavailable(format!(
                    "S3 copy of {} bytes: out of time",
                    source.size
                )))
            });
        if completed.is_err() {
            let abort = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(to)
                .upload_id(&upload_id)
                .send()
                .await;
            if let Err(e) = abort {
                tracing::warn!(key = to, error = %DisplayErrorContext(&e), "a failed multipart copy could not be aborted (the lifecycle rule aborts it within a day)");
            }
        }
        completed
    }

    /// Every part of a multipart copy, [`COPY_CONCURRENCY`] at a time, in part order.
    async fn copy_parts(
        &self,
        source: &Source<'_>,
        to: &str,
        upload_id: &str,
    ) -> Result<Vec<aws_sdk_s3::types::CompletedPart>, MediaError> {
        use futures_util::stream::{self, StreamExt, TryStreamExt};
        let size = source.size;
        let part_bytes = self.copy_part_bytes.max(size.div_ceil(MAX_PARTS));
        let count = size.div_ceil(part_bytes);
        let mut parts: Vec<_> = stream::iter(0..count)
            .map(|i| async move {
                let first = i * part_bytes;
                let last = (first + part_bytes).min(size) - 1;
                let number = i32::try_from(i + 1)
                    .map_err(|_| MediaError::Unavailable("too many parts".to_owned()))?;
                let answer = self
                    .client
                    .upload_part_copy()
                    .bucket(&self.bucket)
                    .key(to)
                    .upload_id(upload_id)
                    .part_number(number)
                    .copy_source(&source.path)
                    .copy_source_if_match(source.etag)
                    .copy_source_range(format!("bytes={first}-{last}"))
                    .customize()
                    .config_override(copy_timeouts())
                    .send()
                    .await
                    .map_err(|e| failed("UploadPartCopy", e))?;
                let etag = answer
                    .copy_part_result()
                    .and_then(|r| r.e_tag())
                    .ok_or_else(|| {
                        MediaError::Unavailable("S3 answered no part ETag".to_owned())
                    })?;
                Ok::<_, MediaError>(
                    aws_sdk_s3::types::CompletedPart::builder()
                        .part_number(number)
                        .e_tag(etag)
                        .build(),
                )
            })
            .buffer_unordered(COPY_CONCURRENCY)
            .try_collect()
            .await?;
        parts.sort_by_key(|p| p.part_number());
        Ok(parts)
    }

    /// Deletes what a form wrote for `key` (confirmed: its copy is in place), so the video is
    /// not stored twice until the lifecycle rule's day is over.
    pub(super) async fn discard_upload(&self, key: &VideoKey) -> Result<(), MediaError> {
        self.delete(&upload_key(key.as_str())).await
    }

    /// PUT a WebVTT text the backend wrote (never pending: nothing confirms it).
    pub(super) async fn put_text(&self, key: &SubtitleKey, body: &str) -> Result<(), MediaError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type("text/vtt; charset=utf-8")
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .map_err(|e| failed("PUT", e))?;
        Ok(())
    }

    /// DELETE (S3 answers 204 whether or not the key existed).
    pub(super) async fn delete(&self, key: &str) -> Result<(), MediaError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| failed("DELETE", e))?;
        Ok(())
    }

    /// A presigned GET (signed locally: no network call). Signed as of the start of the
    /// current [`PLAYBACK_WINDOW`], valid for the playback TTL from then: the same URL for
    /// every answer within a window, so a public read's `ETag` (over a body holding the URLs)
    /// stays the same and clients revalidate with 304s; a URL handed out works for at least
    /// the TTL minus the window.
    pub(super) async fn playback_url(&self, key: &str) -> Result<String, MediaError> {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let window_start =
            SystemTime::UNIX_EPOCH + Duration::from_secs(now - now % PLAYBACK_WINDOW.as_secs());
        let presigning = PresigningConfig::builder()
            .start_time(window_start)
            .expires_in(self.playback_ttl)
            .build()
            .map_err(|e| MediaError::Unavailable(format!("presigning: {e}")))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(presigning)
            .await
            .map_err(|e| failed("presign GET", e))?;
        Ok(request.uri().to_owned())
    }
}

/// The object a confirmation copies: `bucket/key`, as HEAD saw it.
struct Source<'a> {
    path: String,
    etag: &'a str,
    size: u64,
}

/// Where a form uploads `key`: under [`UPLOAD_PREFIX`].
pub(super) fn upload_key(key: &str) -> String {
    format!("{UPLOAD_PREFIX}{key}")
}

/// The copy calls' own attempt budget (see [`COPY_ATTEMPT_TIMEOUT`]).
fn copy_timeouts() -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::default().timeout_config(
        aws_sdk_s3::config::timeout::TimeoutConfig::builder()
            .operation_attempt_timeout(COPY_ATTEMPT_TIMEOUT)
            .operation_timeout(COPY_BUDGET)
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published example ("Example: Browser-Based Upload using HTTP POST (Using AWS
    /// Signature Version 4)", Amazon S3 API reference, sigv4-post-example): its base64 policy
    /// (CRLF line ends), example credentials and date give the documented signature.
    #[test]
    fn signs_the_documented_post_policy_example() {
        let policy_b64 = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(policy_b64)
            .unwrap();
        let decoded = String::from_utf8(decoded).unwrap();
        assert!(
            decoded.contains("\"x-amz-date\": \"20151229T000000Z\""),
            "{decoded}"
        );
        // 2015-12-29T00:00:00Z, the policy's x-amz-date.
        let date = SystemTime::UNIX_EPOCH + Duration::from_secs(1_451_347_200);
        assert_eq!(
            policy_signature(
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                date,
                "us-east-1",
                policy_b64
            ),
            "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
        );
    }
}
