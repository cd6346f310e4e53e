//! The Cloudinary media storage against a local test double of Cloudinary's Upload and Admin
//! APIs (Cloudinary itself cannot be reached from here). The double checks each request as
//! Cloudinary documents it and refuses what Cloudinary would refuse:
//!
//! - Upload API (`POST /v1_1/<cloud>/<resource_type>/upload`, multipart, and
//!   `POST /v1_1/<cloud>/<resource_type>/destroy`, form): `api_key` must be the account's,
//!   `timestamp` at most an hour old, `signature` the SHA-1 of the sorted signed parameters
//!   with the secret appended (every parameter except `file`, `cloud_name`, `resource_type`,
//!   `api_key`); an upload needs a `file` whose format is in `allowed_formats` when given.
//! - Admin API (`GET /v1_1/<cloud>/resources/<resource_type>/<type>/<public_id>`): HTTP Basic
//!   authentication with `api_key:api_secret`, 404 for an unknown asset.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Form, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use streamia_shared::config::Load;
use streamia_shared::media::{
    sign_params, MediaConfig, MediaError, MediaStorage, Provider, SignedUpload, SubtitleKey,
    UploadSpec, VideoFormat, VideoKey,
};

const CLOUD: &str = "streamia-test";
const API_KEY: &str = "614335564976464";
const API_SECRET: &str = "a-test-api-secret";
const MOVIE: &str = "65f0a1b2c3d4e5f60718293a";
const MAX: u64 = 1024;

#[derive(Clone, Debug)]
struct Asset {
    format: String,
    bytes: u64,
    delivery_type: String,
}

/// The double's state: assets by (resource type, public id), and every request it refused.
#[derive(Clone, Default)]
struct Double {
    assets: Arc<Mutex<HashMap<(String, String), Asset>>>,
    refused: Arc<Mutex<Vec<String>>>,
    /// Cloudinary having an outage: every call answers 503 (counted in `failed`).
    down: Arc<std::sync::atomic::AtomicBool>,
    failed: Arc<std::sync::atomic::AtomicUsize>,
    /// A blip: this many next calls answer 503.
    blips: Arc<std::sync::atomic::AtomicUsize>,
}

/// A 503, as Cloudinary answers during an outage, when the double is down.
fn outage(double: &Double) -> Option<Response> {
    use std::sync::atomic::Ordering::SeqCst;
    let blip = double
        .blips
        .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if !blip && !double.down.load(SeqCst) {
        return None;
    }
    double.failed.fetch_add(1, SeqCst);
    Some((StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response())
}

fn refuse(double: &Double, status: StatusCode, message: &str) -> Response {
    double.refused.lock().unwrap().push(message.to_owned());
    (
        status,
        Json(serde_json::json!({ "error": { "message": message } })),
    )
        .into_response()
}

/// Cloudinary's checks of a signed Upload API request.
fn check_signed(params: &BTreeMap<String, String>) -> Result<(), (StatusCode, String)> {
    if params.get("api_key").map(String::as_str) != Some(API_KEY) {
        return Err((StatusCode::UNAUTHORIZED, "Invalid api_key".into()));
    }
    let timestamp: i64 = params
        .get("timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or((
            StatusCode::BAD_REQUEST,
            "Missing required parameter - timestamp".into(),
        ))?;
    if chrono::Utc::now().timestamp() - timestamp > 3600 {
        return Err((
            StatusCode::BAD_REQUEST,
            "Stale request - reported time is more than 1 hour ago".into(),
        ));
    }
    let signed: Vec<(&str, &str)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "signature")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let expected = sign_params(&signed, API_SECRET);
    if params.get("signature") != Some(&expected) {
        return Err((StatusCode::UNAUTHORIZED, "Invalid Signature".into()));
    }
    Ok(())
}

async fn upload(
    State(double): State<Double>,
    Path((cloud, resource_type)): Path<(String, String)>,
    mut form: Multipart,
) -> Response {
    if cloud != CLOUD {
        return refuse(&double, StatusCode::NOT_FOUND, "Unknown cloud");
    }
    let mut params = BTreeMap::new();
    let mut file: Option<(String, u64)> = None;
    while let Ok(Some(field)) = form.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map(|b| b.len() as u64).unwrap_or(0);
            file = Some((file_name, bytes));
        } else {
            params.insert(name, field.text().await.unwrap_or_default());
        }
    }
    if let Err((status, message)) = check_signed(&params) {
        return refuse(&double, status, &message);
    }
    let Some((file_name, bytes)) = file else {
        return refuse(
            &double,
            StatusCode::BAD_REQUEST,
            "Missing required parameter - file",
        );
    };
    // The double reads the format from the file name (Cloudinary reads the content).
    let format = file_name
        .rsplit_once('.')
        .map(|(_, e)| e)
        .unwrap_or("")
        .to_owned();
    if let Some(allowed) = params.get("allowed_formats") {
        if !allowed.split(',').any(|f| f == format) {
            return refuse(
                &double,
                StatusCode::BAD_REQUEST,
                &format!("Video format {format} not allowed"),
            );
        }
    }
    let Some(public_id) = params.get("public_id").cloned() else {
        return refuse(
            &double,
            StatusCode::BAD_REQUEST,
            "the double expects a public_id",
        );
    };
    let delivery_type = params
        .get("type")
        .cloned()
        .unwrap_or_else(|| "upload".into());
    let key = (resource_type.clone(), public_id.clone());
    let mut assets = double.assets.lock().unwrap();
    let overwrite = params.get("overwrite").map(String::as_str) != Some("false");
    if overwrite || !assets.contains_key(&key) {
        assets.insert(
            key.clone(),
            Asset {
                format: format.clone(),
                bytes,
                delivery_type,
            },
        );
    }
    let asset = assets[&key].clone();
    Json(serde_json::json!({
        "public_id": public_id, "resource_type": resource_type, "format": asset.format,
        "bytes": asset.bytes, "type": asset.delivery_type,
    }))
    .into_response()
}

async fn destroy(
    State(double): State<Double>,
    Path((cloud, resource_type)): Path<(String, String)>,
    Form(params): Form<BTreeMap<String, String>>,
) -> Response {
    if let Some(down) = outage(&double) {
        return down;
    }
    if cloud != CLOUD {
        return refuse(&double, StatusCode::NOT_FOUND, "Unknown cloud");
    }
    if let Err((status, message)) = check_signed(&params) {
        return refuse(&double, status, &message);
    }
    let Some(public_id) = params.get("public_id") else {
        return refuse(
            &double,
            StatusCode::BAD_REQUEST,
            "Missing required parameter - public_id",
        );
    };
    let delivery_type = params
        .get("type")
        .cloned()
        .unwrap_or_else(|| "upload".into());
    let mut assets = double.assets.lock().unwrap();
    let key = (resource_type, public_id.clone());
    let found = assets
        .get(&key)
        .is_some_and(|a| a.delivery_type == delivery_type);
    if found {
        assets.remove(&key);
    }
    Json(serde_json::json!({ "result": if found { "ok" } else { "not found" } })).into_response()
}

async fn resource(
    State(double): State<Double>,
    Path((cloud, resource_type, delivery_type, public_id)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(down) = outage(&double) {
        return down;
    }
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{API_KEY}:{API_SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return refuse(&double, StatusCode::UNAUTHORIZED, "Invalid credentials");
    }
    if cloud != CLOUD {
        return refuse(&double, StatusCode::NOT_FOUND, "Unknown cloud");
    }
    let assets = double.assets.lock().unwrap();
    match assets.get(&(resource_type.clone(), public_id.clone())) {
        Some(a) if a.delivery_type == delivery_type => Json(serde_json::json!({
            "public_id": public_id, "resource_type": resource_type, "type": a.delivery_type,
            "format": a.format, "bytes": a.bytes,
        }))
        .into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "error": { "message": format!("Resource not found - {public_id}") } })),
        )
            .into_response(),
    }
}

/// Starts the double on a free port: its base URL and state.
async fn start_double() -> (String, Double) {
    let double = Double::default();
    let app = Router::new()
        .route("/v1_1/{cloud}/{resource_type}/upload", post(upload))
        .route("/v1_1/{cloud}/{resource_type}/destroy", post(destroy))
        .route(
            "/v1_1/{cloud}/resources/{resource_type}/{delivery_type}/{*public_id}",
            get(resource),
        )
        .with_state(double.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), double)
}

fn cloudinary(api_url: &str, secret: &str) -> MediaStorage {
    let vars: HashMap<String, String> = [
        ("MEDIA_PROVIDER", "cloudinary"),
        ("CLOUDINARY_CLOUD_NAME", CLOUD),
        ("CLOUDINARY_API_KEY", API_KEY),
        ("CLOUDINARY_API_SECRET", secret),
        ("CLOUDINARY_API_URL", api_url),
        ("MAX_VIDEO_BYTES", "1024"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = MediaConfig::load(&|k| vars.get(k).cloned()).expect("config");
    MediaStorage::new(&config, &aws_config::SdkConfig::builder().build())
}

/// Posts the signed form with a file, as a browser does.
async fn post_form(
    upload: &SignedUpload,
    fields: &[(String, String)],
    file_name: &str,
    size: usize,
) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in fields {
        form = form.text(name.clone(), value.clone());
    }
    let file = reqwest::multipart::Part::bytes(vec![1u8; size]).file_name(file_name.to_owned());
    let answer = reqwest::Client::new()
        .post(&upload.upload_url)
        .multipart(form.part("file", file))
        .send()
        .await
        .unwrap();
    (
        answer.status().as_u16(),
        answer.text().await.unwrap_or_default(),
    )
}

async fn sign(storage: &MediaStorage, format: VideoFormat) -> (VideoKey, SignedUpload) {
    let key = VideoKey::new(MOVIE, format).unwrap();
    let spec = UploadSpec {
        key: key.clone(),
        max_bytes: MAX,
    };
    (key, storage.sign_upload(&spec).await.unwrap())
}

#[tokio::test]
async fn a_signed_upload_is_confirmed_played_back_and_destroyed() {
    let (api, double) = start_double().await;
    let storage = cloudinary(&api, API_SECRET);
    let (key, upload) = sign(&storage, VideoFormat::Mp4).await;
    assert_eq!(upload.provider, Provider::Cloudinary);
    assert_eq!(
        upload.upload_url,
        format!("{api}/v1_1/{CLOUD}/video/upload")
    );
    let field = |name: &str| {
        upload
            .fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(field("public_id").as_deref(), Some(key.stem()));
    assert_eq!(field("type").as_deref(), Some("authenticated"));
    assert_eq!(field("allowed_formats").as_deref(), Some("mp4"));
    assert_eq!(field("api_key").as_deref(), Some(API_KEY));
    assert!(field("signature").is_some_and(|s| s.len() == 40));

    assert!(matches!(
        storage.confirm(&key, MAX).await,
        Err(MediaError::NotFound(_))
    ));
    let (status, text) = post_form(&upload, &upload.fields, "movie.mp4", 300).await;
    assert_eq!(status, 200, "{text}");
    let stored = storage.confirm(&key, MAX).await.expect("confirmed");
    assert_eq!(
        (stored.size, stored.content_type.as_str()),
        (300, "video/mp4")
    );

    let url = storage.playback_url(key.as_str()).await.unwrap();
    let expected_prefix = format!("https://res.cloudinary.com/{CLOUD}/video/authenticated/s--");
    assert!(url.starts_with(&expected_prefix), "{url}");
    assert!(url.ends_with(&format!("--/{}", key.as_str())), "{url}");

    storage.delete(key.as_str()).await.unwrap();
    assert!(matches!(
        storage.confirm(&key, MAX).await,
        Err(MediaError::NotFound(_))
    ));
    // Destroying what is gone is fine ("not found").
    storage.delete(key.as_str()).await.unwrap();
    assert!(
        double.refused.lock().unwrap().is_empty(),
        "{:?}",
        double.refused.lock().unwrap()
    );
}

#[tokio::test]
async fn the_double_refuses_what_cloudinary_refuses() {
    let (api, double) = start_double().await;
    let storage = cloudinary(&api, API_SECRET);
    let (key, upload) = sign(&storage, VideoFormat::Mp4).await;
    let with = |name: &str, value: &str| -> Vec<(String, String)> {
        upload
            .fields
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    if k == name {
                        value.to_owned()
                    } else {
                        v.clone()
                    },
                )
            })
            .collect()
    };
    // A public id other than the signed one, another format, a tampered signature.
    let elsewhere = VideoKey::new(MOVIE, VideoFormat::Mp4).unwrap();
    assert_eq!(
        post_form(&upload, &with("public_id", elsewhere.stem()), "m.mp4", 10)
            .await
            .0,
        401
    );
    assert_eq!(
        post_form(&upload, &with("allowed_formats", "mp4,mov"), "m.mov", 10)
            .await
            .0,
        401
    );
    assert_eq!(post_form(&upload, &upload.fields, "m.mov", 10).await.0, 400);
    assert_eq!(
        post_form(&upload, &with("signature", &"0".repeat(40)), "m.mp4", 10)
            .await
            .0,
        401
    );
    assert_eq!(
        post_form(&upload, &with("api_key", "1"), "m.mp4", 10)
            .await
            .0,
        401
    );
    // A signature over an old timestamp (correctly signed) is stale.
    let old = (chrono::Utc::now().timestamp() - 3601).to_string();
    let mut stale: Vec<(String, String)> = with("timestamp", &old)
        .into_iter()
        .filter(|(k, _)| k != "signature")
        .collect();
    let signed: Vec<(&str, &str)> = stale
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let signature = sign_params(&signed, API_SECRET);
    stale.push(("signature".into(), signature));
    let (status, text) = post_form(&upload, &stale, "m.mp4", 10).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("Stale request"), "{text}");
    assert_eq!(double.refused.lock().unwrap().len(), 6);
    assert!(matches!(
        storage.confirm(&key, MAX).await,
        Err(MediaError::NotFound(_))
    ));

    // A storage holding the wrong secret: the Admin API refuses its Basic auth (a refusal: a
    // 500 for the client, never "not found", never a fault of Cloudinary's), and destroy its
    // signature.
    let wrong = cloudinary(&api, "not-the-secret");
    assert!(matches!(
        wrong.confirm(&key, MAX).await,
        Err(MediaError::Rejected {
            throttled: false,
            ..
        })
    ));
    assert!(matches!(
        wrong.delete(key.as_str()).await,
        Err(MediaError::Rejected {
            throttled: false,
            ..
        })
    ));
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_at_confirmation_and_destroyed() {
    let (api, _double) = start_double().await;
    let storage = cloudinary(&api, API_SECRET);
    let (key, upload) = sign(&storage, VideoFormat::Webm).await;
    // Cloudinary's signed upload has no size condition: confirmation is where it is caught.
    let (status, text) = post_form(&upload, &upload.fields, "big.webm", MAX as usize + 1).await;
    assert_eq!(status, 200, "{text}");
    assert!(matches!(
        storage.confirm(&key, MAX).await,
        Err(MediaError::Mismatch { .. })
    ));
    assert!(matches!(
        storage.confirm(&key, MAX).await,
        Err(MediaError::NotFound(_))
    ));
}

#[tokio::test]
async fn subtitles_are_raw_authenticated_assets() {
    let (api, double) = start_double().await;
    let storage = cloudinary(&api, API_SECRET);
    let key = SubtitleKey::new(MOVIE, "en-US").unwrap();
    storage.put_text(&key, "WEBVTT\n").await.unwrap();
    {
        let assets = double.assets.lock().unwrap();
        let asset = &assets[&("raw".to_owned(), key.as_str().to_owned())];
        assert_eq!(asset.delivery_type, "authenticated");
    }
    let url = storage.playback_url(key.as_str()).await.unwrap();
    assert!(
        url.starts_with(&format!(
            "https://res.cloudinary.com/{CLOUD}/raw/authenticated/s--"
        )),
        "{url}"
    );
    storage.delete(key.as_str()).await.unwrap();
    assert!(double.assets.lock().unwrap().is_empty());
    assert!(double.refused.lock().unwrap().is_empty());
}

#[test]
fn a_cloudinary_api_url_must_be_https() {
    let vars: HashMap<String, String> = [
        ("MEDIA_PROVIDER", "cloudinary"),
        ("CLOUDINARY_CLOUD_NAME", CLOUD),
        ("CLOUDINARY_API_KEY", API_KEY),
        ("CLOUDINARY_API_SECRET", API_SECRET),
        ("CLOUDINARY_API_URL", "http://api.cloudinary.com"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let err = MediaConfig::load(&|k| vars.get(k).cloned()).unwrap_err();
    assert!(err.to_string().contains("CLOUDINARY_API_URL"), "{err}");
}

/// Cloudinary failing again and again (an outage: 503s) opens the circuit: after five faults
/// in a row, calls are refused at once (a 503 with `Retry-After` for the client) without
/// reaching Cloudinary; a blip is tried again and never counts. Cloudinary refusing the call
/// itself (a wrong secret) or a client's upload that is not there never counts, however often.
#[tokio::test]
async fn only_an_outage_opens_the_cloudinary_circuit_and_calls_then_stop_reaching_it() {
    use std::sync::atomic::Ordering::SeqCst;
    let (api, double) = start_double().await;
    let key = VideoKey::new(MOVIE, VideoFormat::Mp4).unwrap();

    let wrong = cloudinary(&api, "not-the-secret");
    for _ in 0..10 {
        let refused = wrong.delete(key.as_str()).await;
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
    assert_eq!(
        double.refused.lock().unwrap().len(),
        10,
        "each reached Cloudinary"
    );

    let storage = cloudinary(&api, API_SECRET);
    for _ in 0..10 {
        let missing = storage.confirm(&key, MAX).await;
        assert!(
            matches!(missing, Err(MediaError::NotFound(_))),
            "{missing:?}"
        );
    }

    // A blip (two 503s) is tried again at once: the call succeeds, nothing is counted.
    double.blips.store(2, SeqCst);
    storage.delete(key.as_str()).await.unwrap();
    assert_eq!(double.failed.load(SeqCst), 2, "the third try went through");

    double.down.store(true, SeqCst);
    for _ in 0..5 {
        let failed = storage.delete(key.as_str()).await;
        assert!(
            matches!(failed, Err(MediaError::Unavailable(_))),
            "{failed:?}"
        );
    }
    // Each of the five reached Cloudinary, three tries each (Backoff::QUICK).
    assert_eq!(double.failed.load(SeqCst), 2 + 5 * 3);
    let refused = storage.delete(key.as_str()).await;
    let Err(MediaError::CircuitOpen { why, retry_after }) = refused else {
        panic!("expected the open circuit, got {refused:?}");
    };
    assert!(why.contains("circuit cloudinary is open"), "{why}");
    assert!(
        retry_after > Duration::ZERO && retry_after <= Duration::from_secs(30),
        "{retry_after:?}"
    );
    assert_eq!(
        double.failed.load(SeqCst),
        2 + 5 * 3,
        "the sixth never left"
    );
}
