//! Amazon S3 as the media storage: a private bucket, browser uploads by presigned POST (a
//! policy the platform writes and signs itself: the SDK has no POST presigner), HEAD to
//! confirm, DELETE, and presigned GETs for playback.
//!
//! An upload is tagged `streamia-upload=pending` by its own POST policy; confirming it
//! removes the tag. The bucket's lifecycle rule (template.yaml) expires tagged objects after a
//! day, so an upload nobody confirms leaves nothing behind.

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_sdk_s3::config::ProvideCredentials;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use base64::Engine;
use chrono::{DateTime, Utc};

use super::{
    MediaConfig, MediaError, Provider, SignedUpload, StoredObject, SubtitleKey, UploadSpec,
    VideoKey,
};

/// The tag a fresh upload carries until it is confirmed (the lifecycle rule's filter).
pub const PENDING_TAG_KEY: &str = "streamia-upload";
/// See [`PENDING_TAG_KEY`].
pub const PENDING_TAG_VALUE: &str = "pending";

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
}

/// The signature of a POST policy (its base64 text, the string to sign) with the SigV4
/// signing key of `secret` for `date`'s day, `region` and S3: what the form's
/// `x-amz-signature` carries. Public so that a test can hold it to AWS's published example.
pub fn policy_signature(secret: &str, date: SystemTime, region: &str, policy_b64: &str) -> String {
    let key = aws_sigv4::sign::v4::generate_signing_key(secret, date, region, "s3");
    aws_sigv4::sign::v4::calculate_signature(key, policy_b64.as_bytes())
}

fn unavailable<E: std::error::Error>(what: &str, e: E) -> MediaError {
    MediaError::Unavailable(format!("S3 {what}: {}", DisplayErrorContext(&e)))
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
        }
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

    /// A presigned POST for `spec`: a policy pinning the bucket, the exact key, its content
    /// type, `content-length-range` 1..`max_bytes`, the pending tag and the credential
    /// fields, signed with the function's credentials (with their session token: Lambda's
    /// are temporary).
    pub(super) async fn sign_upload(&self, spec: &UploadSpec) -> Result<SignedUpload, MediaError> {
        let provider = self
            .sdk
            .credentials_provider()
            .ok_or_else(|| MediaError::Unavailable("no AWS credentials provider".to_owned()))?;
        let creds = provider
            .provide_credentials()
            .await
            .map_err(|e| unavailable("credentials", e))?;
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
        let tagging = format!(
            "<Tagging><TagSet><Tag><Key>{PENDING_TAG_KEY}</Key><Value>{PENDING_TAG_VALUE}</Value></Tag></TagSet></Tagging>"
        );
        let content_type = spec.key.format().content_type();
        let mut fields: Vec<(String, String)> = vec![
            ("key".into(), spec.key.as_str().to_owned()),
            ("Content-Type".into(), content_type.to_owned()),
            ("tagging".into(), tagging),
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
    /// Then the pending tag goes, so the lifecycle rule keeps it. A mismatch (only possible
    /// if the policy was not enforced) is deleted.
    pub(super) async fn confirm(
        &self,
        key: &VideoKey,
        max_bytes: u64,
    ) -> Result<StoredObject, MediaError> {
        let head = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await;
        let head = match head {
            Ok(head) => head,
            Err(SdkError::ServiceError(e)) if e.err().is_not_found() => {
                return Err(MediaError::NotFound(key.to_string()))
            }
            Err(e) => return Err(unavailable("HEAD", e)),
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
            self.delete(key.as_str()).await?;
            return Err(MediaError::Mismatch {
                key: key.to_string(),
                why,
            });
        }
        self.client
            .delete_object_tagging()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(|e| unavailable("DeleteObjectTagging", e))?;
        Ok(StoredObject {
            key: key.to_string(),
            size,
            content_type,
        })
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
            .map_err(|e| unavailable("PUT", e))?;
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
            .map_err(|e| unavailable("DELETE", e))?;
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
            .map_err(|e| unavailable("presign GET", e))?;
        Ok(request.uri().to_owned())
    }
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
