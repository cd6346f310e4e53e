//! The S3 media storage end to end against LocalStack S3 (`AWS_ENDPOINT_URL`): a real
//! multipart POST to the presigned form, confirmation (a copy out of the expiring upload
//! prefix, in parts for a large video), Range GETs on the playback URL, and what the storage
//! itself refuses.
//!
//! LocalStack enforces a POST policy's conditions (key, content type, credential
//! fields, `content-length-range`) and its expiration, but never checks the POST signature
//! itself (localstack/services/s3/presigned_url.py: "TODO: validate the signature"); the
//! signature is held to AWS's published example in the unit tests (`media::s3`). Presigned
//! GETs are checked (the local stack starts LocalStack with `S3_SKIP_SIGNATURE_VALIDATION=0`).

use std::collections::HashMap;
use std::time::Duration;

use streamia_shared::config::Load;
use streamia_shared::media::{
    Backend, MediaConfig, MediaError, MediaStorage, Provider, SignedUpload, SubtitleKey,
    UploadSpec, VideoFormat, VideoKey,
};

const MOVIE: &str = "65f0a1b2c3d4e5f60718293a";
const MAX: u64 = 1024;

async fn storage(extra: &[(&str, &str)]) -> (MediaStorage, String) {
    let bucket = format!("media-test-{}", uuid::Uuid::new_v4().simple());
    let mut vars: HashMap<String, String> = [
        ("MEDIA_BUCKET".to_owned(), bucket.clone()),
        ("MAX_VIDEO_BYTES".to_owned(), MAX.to_string()),
    ]
    .into();
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let config = MediaConfig::load(&|k| vars.get(k).cloned()).expect("config");
    let sdk = streamia_shared::events::aws_config_from_env().await;
    let storage = MediaStorage::new(&config, &sdk);
    let Backend::S3(s3) = storage.backend() else {
        panic!("the default provider is S3")
    };
    s3.client()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket in LocalStack");
    (storage, bucket)
}

fn s3_client(storage: &MediaStorage) -> aws_sdk_s3::Client {
    match storage.backend() {
        Backend::S3(s3) => s3.client().clone(),
        Backend::Cloudinary(_) => unreachable!(),
    }
}

/// Posts `body` the way a browser form does: every field in order, then the file.
async fn post(upload: &SignedUpload, fields: &[(String, String)], body: Vec<u8>) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in fields {
        form = form.text(name.clone(), value.clone());
    }
    let file = reqwest::multipart::Part::bytes(body).file_name("movie.mp4");
    let answer = http()
        .post(&upload.upload_url)
        .multipart(form.part("file", file))
        .send()
        .await
        .expect("POST to LocalStack");
    let status = answer.status().as_u16();
    (status, answer.text().await.unwrap_or_default())
}

/// A plain HTTP client (rustls with the platform's provider).
fn http() -> reqwest::Client {
    streamia_shared::tls::install_crypto_provider();
    reqwest::Client::new()
}

fn with(fields: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| match k == name {
            true => (k.clone(), value.to_owned()),
            false => (k.clone(), v.clone()),
        })
        .collect()
}

async fn sign(storage: &MediaStorage, format: VideoFormat) -> (VideoKey, SignedUpload) {
    let key = VideoKey::new(MOVIE, format).unwrap();
    let spec = UploadSpec {
        key: key.clone(),
        max_bytes: MAX,
    };
    (key, storage.sign_upload(&spec).await.expect("signed"))
}

#[tokio::test]
async fn a_browser_style_upload_is_confirmed_and_played_back_with_ranges() {
    let (storage, bucket) = storage(&[]).await;
    let (key, upload) = sign(&storage, VideoFormat::Mp4).await;
    assert_eq!(upload.provider, Provider::S3);
    assert_eq!(upload.method, "POST");
    assert_eq!(upload.key, key.as_str());
    assert!(
        upload.upload_url.ends_with(&format!("/{bucket}")),
        "{}",
        upload.upload_url
    );
    let names: Vec<&str> = upload.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "key",
            "Content-Type",
            "x-amz-algorithm",
            "x-amz-credential",
            "x-amz-date",
            "policy",
            "x-amz-signature"
        ]
    );
    let answer = serde_json::to_value(&upload).unwrap();
    assert_eq!(answer["fields"]["Content-Type"], "video/mp4");
    // The form writes under the expiring prefix, never where the video will be kept.
    assert_eq!(answer["fields"]["key"], format!("uploads/{key}"));
    assert!(answer["expiresAt"].is_string() && answer["uploadUrl"].is_string());

    // Not there yet.
    assert!(matches!(
        storage.confirm(&key, MAX).await,
        Err(MediaError::NotFound(_))
    ));
    let body: Vec<u8> = (0..200u8).collect();
    let (status, text) = post(&upload, &upload.fields, body.clone()).await;
    assert_eq!(status, 204, "{text}");

    // Confirmed: copied out of the upload prefix to the key itself.
    let s3 = s3_client(&storage);
    let stored = storage.confirm(&key, MAX).await.expect("confirmed");
    assert_eq!(stored.size, 200);
    assert_eq!(stored.content_type, "video/mp4");
    assert_eq!(stored.key, key.as_str());
    let kept = s3
        .head_object()
        .bucket(&bucket)
        .key(key.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(kept.content_length(), Some(200));
    assert_eq!(kept.content_type(), Some("video/mp4"));

    // The form used again after the confirmation (it is valid until it expires) writes only
    // under the upload prefix: the kept video is untouched.
    let (status, text) = post(&upload, &upload.fields, vec![9; 50]).await;
    assert_eq!(status, 204, "{text}");
    let kept = s3
        .get_object()
        .bucket(&bucket)
        .key(key.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(
        kept.body.collect().await.unwrap().into_bytes().to_vec(),
        body
    );

    // Playback: a presigned GET, Range requests answered 206 with the right bytes.
    let url = storage.playback_url(key.as_str()).await.unwrap();
    assert!(url.contains("X-Amz-Signature="), "{url}");
    assert!(url.contains("X-Amz-Expires=10800"), "{url}");
    let http = http();
    let ranged = http
        .get(&url)
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status().as_u16(), 206);
    assert_eq!(
        ranged.headers()["content-range"].to_str().unwrap(),
        "bytes 10-19/200"
    );
    assert_eq!(
        ranged.bytes().await.unwrap().to_vec(),
        body[10..20].to_vec()
    );
    let whole = http.get(&url).send().await.unwrap();
    assert_eq!(whole.status().as_u16(), 200);
    // A tampered signature is refused (LocalStack checks presigned GETs when
    // S3_SKIP_SIGNATURE_VALIDATION=0, as the local stack starts it).
    let tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0");
    let refused = http.get(&tampered).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 403, "{tampered}");

    // Delete: gone, and deleting again is fine.
    storage.delete(key.as_str()).await.unwrap();
    storage.delete(key.as_str()).await.unwrap();
    let gone = s3
        .head_object()
        .bucket(&bucket)
        .key(key.as_str())
        .send()
        .await;
    assert!(gone.is_err_and(|e| e.into_service_error().is_not_found()));
}

#[tokio::test]
async fn the_storage_refuses_what_the_policy_does_not_allow() {
    let (storage, _) = storage(&[]).await;
    let (key, upload) = sign(&storage, VideoFormat::Webm).await;

    // Over MAX_VIDEO_BYTES, and empty.
    let (status, text) = post(&upload, &upload.fields, vec![7; MAX as usize + 1]).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("EntityTooLarge"), "{text}");
    let (status, text) = post(&upload, &upload.fields, Vec::new()).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("EntityTooSmall"), "{text}");
    // Another content type.
    let other_type = with(&upload.fields, "Content-Type", "text/html");
    let (status, text) = post(&upload, &other_type, b"<script>".to_vec()).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("Policy Condition failed"), "{text}");
    // Another key, even under the same movie.
    let elsewhere = VideoKey::new(MOVIE, VideoFormat::Webm).unwrap();
    let other_key = with(&upload.fields, "key", elsewhere.as_str());
    let (status, text) = post(&upload, &other_key, vec![1; 10]).await;
    assert_eq!(status, 403, "{text}");
    // The key itself, out of the expiring prefix (an upload the lifecycle rule would keep).
    let kept_key = with(&upload.fields, "key", key.as_str());
    let (status, text) = post(&upload, &kept_key, vec![1; 10]).await;
    assert_eq!(status, 403, "{text}");
    // Nothing of it was stored.
    assert!(matches!(
        storage.confirm(&key, MAX).await,
        Err(MediaError::NotFound(_))
    ));
    assert!(matches!(
        storage.confirm(&elsewhere, MAX).await,
        Err(MediaError::NotFound(_))
    ));
    // The right upload still works.
    let (status, text) = post(&upload, &upload.fields, vec![1; 10]).await;
    assert_eq!(status, 204, "{text}");
    assert_eq!(storage.confirm(&key, MAX).await.unwrap().size, 10);
}

#[tokio::test]
async fn an_expired_upload_form_is_refused() {
    let (storage, _) = storage(&[("MEDIA_UPLOAD_URL_TTL_SECONDS", "1")]).await;
    let (_, upload) = sign(&storage, VideoFormat::Mp4).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, text) = post(&upload, &upload.fields, vec![1; 10]).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("Policy expired"), "{text}");
}

#[tokio::test]
async fn an_object_that_does_not_match_its_key_is_refused_and_deleted() {
    let (storage, bucket) = storage(&[]).await;
    let s3 = s3_client(&storage);
    // Written behind the policy's back (only a principal with PutObject could): wrong type.
    let key = VideoKey::new(MOVIE, VideoFormat::Mp4).unwrap();
    let upload_key = format!("uploads/{key}");
    s3.put_object()
        .bucket(&bucket)
        .key(&upload_key)
        .content_type("text/html")
        .body(b"<html>".to_vec().into())
        .send()
        .await
        .unwrap();
    assert!(matches!(
        storage.confirm(&key, MAX).await,
        Err(MediaError::Mismatch { .. })
    ));
    assert!(matches!(
        storage.confirm(&key, MAX).await,
        Err(MediaError::NotFound(_))
    ));
    // Too large for the limit confirmation is given.
    s3.put_object()
        .bucket(&bucket)
        .key(&upload_key)
        .content_type("video/mp4")
        .body(vec![0; 100].into())
        .send()
        .await
        .unwrap();
    assert!(matches!(
        storage.confirm(&key, 99).await,
        Err(MediaError::Mismatch { .. })
    ));
}

#[tokio::test]
async fn temporary_credentials_put_their_session_token_in_the_form_and_the_policy() {
    use aws_sdk_s3::config::{Credentials, Region, SharedCredentialsProvider};
    use base64::Engine;
    let (_, bucket) = storage(&[]).await;
    let vars: HashMap<String, String> = [("MEDIA_BUCKET".to_owned(), bucket.clone())].into();
    let config = MediaConfig::load(&|k| vars.get(k).cloned()).unwrap();
    let base = streamia_shared::events::aws_config_from_env().await;
    let sdk = base
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test",
            "test",
            Some("session-token-of-a-lambda-role".to_owned()),
            None,
            "test",
        )))
        .region(Region::new("us-east-1"))
        .build();
    let storage = MediaStorage::new(&config, &sdk);
    let (key, upload) = sign(&storage, VideoFormat::Mp4).await;
    let token = upload
        .fields
        .iter()
        .find(|(k, _)| k == "x-amz-security-token")
        .map(|(_, v)| v.as_str());
    assert_eq!(token, Some("session-token-of-a-lambda-role"));
    let policy = &upload.fields.iter().find(|(k, _)| k == "policy").unwrap().1;
    let policy: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(policy)
            .unwrap(),
    )
    .unwrap();
    let conditions = policy["conditions"].as_array().unwrap();
    assert!(conditions
        .contains(&serde_json::json!({"x-amz-security-token": "session-token-of-a-lambda-role"})));
    assert!(conditions.contains(&serde_json::json!({"bucket": bucket})));
    assert!(conditions.contains(&serde_json::json!({"key": format!("uploads/{key}")})));
    assert!(conditions.contains(&serde_json::json!(["content-length-range", 1, MAX])));
    // LocalStack holds the form to it: another token is refused.
    let (status, text) = post(
        &upload,
        &with(&upload.fields, "x-amz-security-token", "another"),
        vec![1; 10],
    )
    .await;
    assert_eq!(status, 403, "{text}");
}

#[tokio::test]
async fn subtitles_are_stored_as_webvtt_and_played_back() {
    let (storage, _) = storage(&[]).await;
    let key = SubtitleKey::new(MOVIE, "es").unwrap();
    let vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHola\n";
    storage.put_text(&key, vtt).await.unwrap();
    let url = storage.playback_url(key.as_str()).await.unwrap();
    let answer = http().get(&url).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(
        answer.headers()["content-type"].to_str().unwrap(),
        "text/vtt; charset=utf-8"
    );
    assert_eq!(answer.text().await.unwrap(), vtt);
    storage.delete(key.as_str()).await.unwrap();
    assert_eq!(
        http().get(&url).send().await.unwrap().status().as_u16(),
        404
    );
}

#[test]
fn the_config_names_every_problem_at_once() {
    let load = |vars: &[(&str, &str)]| {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        MediaConfig::load(&|k| map.get(k).cloned())
    };
    let err = load(&[
        ("MAX_VIDEO_BYTES", "0"),
        ("MEDIA_PLAYBACK_URL_TTL_SECONDS", "999999999"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("MEDIA_BUCKET is required"), "{err}");
    assert!(err.contains("MAX_VIDEO_BYTES"), "{err}");
    assert!(err.contains("MEDIA_PLAYBACK_URL_TTL_SECONDS"), "{err}");
    let err = load(&[("MEDIA_PROVIDER", "cloudinary")])
        .unwrap_err()
        .to_string();
    for var in [
        "CLOUDINARY_CLOUD_NAME",
        "CLOUDINARY_API_KEY",
        "CLOUDINARY_API_SECRET_ARN",
    ] {
        assert!(err.contains(var), "{err}");
    }
    assert!(!err.contains("MEDIA_BUCKET"), "{err}");
    // Under two signing windows, some playback URLs would be born expired.
    let err = load(&[
        ("MEDIA_BUCKET", "streamia-media"),
        ("MEDIA_PLAYBACK_URL_TTL_SECONDS", "600"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("must be at least 1200"), "{err}");
    let err = load(&[("MEDIA_PROVIDER", "ftp")]).unwrap_err().to_string();
    assert!(err.contains("MEDIA_PROVIDER"), "{err}");
    let config = load(&[("MEDIA_BUCKET", "streamia-media")]).unwrap();
    assert_eq!(config.provider, Provider::S3);
    assert_eq!(config.max_video_bytes, 2 * 1024 * 1024 * 1024);
}

#[tokio::test]
async fn a_large_video_is_copied_in_parts() {
    let max = 16 * 1024 * 1024;
    let (storage, bucket) = storage(&[("MAX_VIDEO_BYTES", &max.to_string())]).await;
    let Backend::S3(s3) = storage.backend().clone() else {
        unreachable!()
    };
    // Parts of 5 MiB (S3's least): 12 MiB + 3 bytes is three parts, the last one short.
    let storage = MediaStorage::from_backend(Backend::S3(Box::new(
        s3.with_copy_part_bytes(5 * 1024 * 1024),
    )));
    let key = VideoKey::new(MOVIE, VideoFormat::Mkv).unwrap();
    let spec = UploadSpec {
        key: key.clone(),
        max_bytes: max,
    };
    let upload = storage.sign_upload(&spec).await.unwrap();
    let body: Vec<u8> = (0..12 * 1024 * 1024 + 3)
        .map(|i: u32| (i % 253) as u8)
        .collect();
    let (status, text) = post(&upload, &upload.fields, body.clone()).await;
    assert_eq!(status, 204, "{text}");
    let stored = storage.confirm(&key, max).await.expect("confirmed");
    assert_eq!(stored.size, body.len() as u64);
    let kept = s3_client(&storage)
        .get_object()
        .bucket(&bucket)
        .key(key.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(kept.content_type(), Some("video/x-matroska"));
    let bytes = kept.body.collect().await.unwrap().into_bytes();
    assert_eq!(bytes.len(), body.len());
    assert!(bytes.to_vec() == body, "the copy differs from the upload");
    // Nothing is left half done.
    let pending = s3_client(&storage)
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(pending.uploads().is_empty());
}

/// S3 refusing a call (here a bucket that does not exist, 404 `NoSuchBucket`, as a wrong
/// bucket name or a missing permission's 403 would) never counts against the circuit, however
/// often; S3 not answering does: after five failures in a row calls are refused at once, with
/// when to try again, and are never made.
#[tokio::test]
async fn only_s3_not_answering_opens_its_circuit() {
    let vars: HashMap<String, String> = [(
        "MEDIA_BUCKET".to_owned(),
        format!("media-test-missing-{}", uuid::Uuid::new_v4().simple()),
    )]
    .into();
    let config = MediaConfig::load(&|k| vars.get(k).cloned()).unwrap();
    let sdk = streamia_shared::events::aws_config_from_env().await;
    let key = SubtitleKey::new(MOVIE, "es").unwrap();
    let missing = MediaStorage::new(&config, &sdk);
    for _ in 0..10 {
        let refused = missing.put_text(&key, "WEBVTT\n").await;
        assert!(
            matches!(
                refused,
                Err(MediaError::Rejected {
                    throttled: false,
                    ..
                })
            ),
            "{refused:?}"
        );
    }

    // Nothing listens on port 1: every call fails without an answer. (A config of its own:
    // one built from the environment's keeps its `AWS_ENDPOINT_URL` over any override.)
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
    let unreachable = aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test", "test", None, None, "test",
        )))
        .region(Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:1")
        .build();
    let down = MediaStorage::new(&config, &unreachable);
    for _ in 0..5 {
        let failed = down.delete(key.as_str()).await;
        assert!(
            matches!(failed, Err(MediaError::Unavailable(_))),
            "{failed:?}"
        );
    }
    let refused = down.delete(key.as_str()).await;
    let Err(MediaError::CircuitOpen { why, retry_after }) = refused else {
        panic!("expected the open circuit, got {refused:?}");
    };
    assert!(why.contains("circuit s3 is open"), "{why}");
    assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(30));
}
