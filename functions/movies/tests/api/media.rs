//! Video uploads and subtitles through the routes, against LocalStack S3: the upload goes
//! straight to the presigned POST (a real multipart request), the confirmation checks the
//! object, viewers get signed URLs that answer Range requests, subtitles are validated,
//! converted, stored, listed and deleted per language.

use serde_json::{json, Value};
use streamia_movies::adapters::http::{
    ADD_SUBTITLE, CONFIRM_VIDEO, DELETE_SUBTITLE, LIST_SUBTITLES, VIDEO_UPLOAD_URL,
};
use streamia_shared::media::Backend;

use crate::common::*;

const MAX: u64 = 4096;

/// An app whose media storage is a fresh LocalStack bucket.
pub(crate) async fn media_app() -> TestApp {
    let bucket = format!("movies-test-{}", uuid::Uuid::new_v4().simple());
    let max = MAX.to_string();
    let app = TestApp::with(&[
        ("MEDIA_BUCKET", bucket.as_str()),
        ("MAX_VIDEO_BYTES", max.as_str()),
        // A subtitle body is up to 512 KB of text, escaped in JSON.
        ("MAX_BODY_BYTES", "1200000"),
    ])
    .await;
    let Some(Backend::S3(s3)) = app.deps.media.as_ref().map(|(m, _)| m.backend()) else {
        panic!("the test's media storage is S3")
    };
    s3.client()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket in LocalStack");
    app
}

pub(crate) fn http() -> reqwest::Client {
    streamia_shared::tls::install_crypto_provider();
    reqwest::Client::new()
}

pub(crate) fn on(
    method: &str,
    id: &str,
    rest: &str,
) -> streamia_shared::testing::apigw::EventBuilder {
    request(
        method,
        &format!("/api/v1/movies/{{id}}{rest}"),
        &format!("/api/v1/movies/{id}{rest}"),
    )
    .path_params(json!({ "id": id }))
}

fn upload_url_request(id: &str, body: Value) -> streamia_shared::testing::apigw::EventBuilder {
    on("POST", id, "/video/upload-url").json(body)
}

/// Posts `bytes` to a signed upload as a browser form does (fields in order, file last).
async fn post_file(upload: &Value, bytes: Vec<u8>) -> u16 {
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in upload["fields"].as_object().unwrap() {
        form = form.text(name.clone(), value.as_str().unwrap().to_owned());
    }
    let file = reqwest::multipart::Part::bytes(bytes).file_name("movie.mp4");
    http()
        .post(upload["uploadUrl"].as_str().unwrap())
        .multipart(form.part("file", file))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn upload_video(app: &TestApp, id: &str, bytes: Vec<u8>) -> String {
    let size = bytes.len();
    let res = app
        .as_admin(
            VIDEO_UPLOAD_URL,
            upload_url_request(
                id,
                json!({"fileName": "film.mp4", "contentType": "video/mp4", "sizeBytes": size}),
            ),
        )
        .await;
    res.assert_ok(200);
    assert_eq!(post_file(res.data(), bytes).await, 204);
    res.data()["key"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_admin_uploads_a_video_straight_to_storage_and_viewers_play_it_with_ranges() {
    let app = media_app().await;
    let movie = app.movie("With Video").await;
    let id = movie["id"].as_str().unwrap();

    let res = app
        .as_admin(
            VIDEO_UPLOAD_URL,
            upload_url_request(
                id,
                json!({"fileName": "film.webm", "contentType": "video/webm", "sizeBytes": 300}),
            ),
        )
        .await;
    res.assert_ok(200);
    assert_eq!(
        res.headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let upload = res.data().clone();
    assert_eq!(upload["provider"], "s3");
    assert_eq!(upload["method"], "POST");
    let key = upload["key"].as_str().unwrap().to_owned();
    assert!(
        key.starts_with(&format!("movies/{id}/video/")) && key.ends_with(".webm"),
        "{key}"
    );
    // The form writes under the expiring upload prefix; confirming copies the video out.
    assert_eq!(upload["fields"]["key"], format!("uploads/{key}"));
    assert_eq!(upload["fields"]["Content-Type"], "video/webm");
    assert!(upload["expiresAt"].as_str().unwrap().ends_with('Z'));

    // Confirming before the upload: 400 on `key`.
    let confirm = |key: &str| on("POST", id, "/video").json(json!({ "key": key }));
    let early = app.as_admin(CONFIRM_VIDEO, confirm(&key)).await;
    early.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(early.body["details"][0]["field"], "key");

    let body: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(post_file(&upload, body.clone()).await, 204);
    let confirmed = app.as_admin(CONFIRM_VIDEO, confirm(&key)).await;
    confirmed.assert_ok(200);
    let video_url = confirmed.data()["videoUrl"].as_str().unwrap().to_owned();
    assert!(video_url.contains("X-Amz-Signature="), "{video_url}");
    assert!(video_url.contains(&key), "{video_url}");
    let events = app.env.events(2, std::time::Duration::from_secs(5)).await;
    let uploaded = events
        .iter()
        .find(|e| e.envelope.event_name == "movie.video_uploaded")
        .expect("movie.video_uploaded published");
    assert_eq!(uploaded.envelope.payload["videoKey"], key.as_str());
    assert_eq!(uploaded.envelope.payload["format"], "video/webm");
    assert_eq!(uploaded.envelope.payload["sizeBytes"], 300);
    assert_eq!(uploaded.envelope.payload["title"], "With Video");

    // A visitor reads the movie (through the cache) with a signed URL that plays with Range.
    let read = app.get(id).await;
    read.assert_ok(200);
    let url = read.data()["videoUrl"].as_str().unwrap();
    let ranged = http()
        .get(url)
        .header("range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(ranged.status().as_u16(), 206);
    assert_eq!(
        ranged.bytes().await.unwrap().to_vec(),
        body[100..200].to_vec()
    );
    // The same URL within the signing window: the public read's ETag holds, a 304 follows.
    let etag = read.headers["etag"].to_str().unwrap().to_owned();
    let again = app
        .call(
            streamia_movies::adapters::http::GET,
            on_movie("GET", id).header("if-none-match", &etag),
        )
        .await;
    assert_eq!(again.status, 304, "{}", again.raw);
    let listed = app.list(&[]).await;
    assert!(listed.data()["items"][0]["videoUrl"]
        .as_str()
        .unwrap()
        .contains("X-Amz-Signature="));

    // A confirmation sent again (its answer lost) answers the movie as it is.
    let again = app.as_admin(CONFIRM_VIDEO, confirm(&key)).await;
    again.assert_ok(200);
    assert_eq!(again.data()["videoUrl"], video_url.as_str());
    assert_eq!(
        app.env
            .events(1, std::time::Duration::from_millis(500))
            .await
            .len(),
        0
    );
    // A key of this movie's shape that no upload URL answered: no ticket, refused.
    let unsigned = format!("movies/{id}/video/{}.webm", uuid::Uuid::new_v4().simple());
    let res = app.as_admin(CONFIRM_VIDEO, confirm(&unsigned)).await;
    res.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(res.body["details"][0]["field"], "key");

    // A replacement: the old object stays while viewers' URLs of it last, then is swept.
    let second = upload_video(&app, id, vec![9; 50]).await;
    let replaced = app.as_admin(CONFIRM_VIDEO, confirm(&second)).await;
    replaced.assert_ok(200);
    let status =
        |url: String| async move { http().get(&url).send().await.unwrap().status().as_u16() };
    assert_eq!(status(video_url.clone()).await, 200);
    all_due(&app).await;
    let swept = streamia_movies::ops::sweep_media::execute(app.deps, None)
        .await
        .unwrap();
    assert_eq!(swept.deleted, 1);
    assert_eq!(status(video_url.clone()).await, 404);
    // The confirmed upload's copy under the upload prefix is gone too.
    let Some(Backend::S3(s3)) = app.deps.media.as_ref().map(|(m, _)| m.backend()) else {
        unreachable!()
    };
    let bucket = upload["uploadUrl"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let left = s3
        .client()
        .list_objects_v2()
        .bucket(bucket)
        .prefix("uploads/")
        .send()
        .await
        .unwrap();
    assert_eq!(left.contents().len(), 0, "{:?}", left.contents());
    let new_url = app.get(id).await.data()["videoUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        http()
            .get(&new_url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .len(),
        50
    );
}

#[tokio::test]
async fn upload_requests_are_validated_and_for_admins_only() {
    let app = media_app().await;
    let id = app.movie("Guarded").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let good = json!({"fileName": "a.mp4", "contentType": "video/mp4", "sizeBytes": 10});
    app.as_user(VIDEO_UPLOAD_URL, upload_url_request(&id, good.clone()))
        .await
        .assert_error(403, "FORBIDDEN");
    app.call(VIDEO_UPLOAD_URL, upload_url_request(&id, good.clone()))
        .await
        .assert_error(401, "UNAUTHORIZED");
    let bad = app
        .as_admin(
            VIDEO_UPLOAD_URL,
            upload_url_request(
                &id,
                json!({"fileName": "", "contentType": "text/html", "sizeBytes": MAX + 1}),
            ),
        )
        .await;
    bad.assert_error(400, "VALIDATION_ERROR");
    let fields: Vec<&str> = bad.body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["fileName", "contentType", "sizeBytes"]);
    let unknown = bson::oid::ObjectId::new().to_hex();
    app.as_admin(VIDEO_UPLOAD_URL, upload_url_request(&unknown, good))
        .await
        .assert_error(404, "NOT_FOUND");
    // A key the backend could not have made for this movie is refused without a lookup.
    let other = app.movie("Other").await["id"].as_str().unwrap().to_owned();
    let foreign = upload_video(&app, &other, vec![1; 10]).await;
    for key in [
        foreign.as_str(),
        "https://evil.example/x.mp4",
        "../../etc/passwd",
    ] {
        let res = app
            .as_admin(
                CONFIRM_VIDEO,
                on("POST", &id, "/video").json(json!({ "key": key })),
            )
            .await;
        res.assert_error(400, "VALIDATION_ERROR");
        assert_eq!(res.body["details"][0]["field"], "key");
    }
    app.as_user(
        CONFIRM_VIDEO,
        on("POST", &id, "/video").json(json!({ "key": foreign })),
    )
    .await
    .assert_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn subtitles_are_validated_converted_listed_and_deleted_per_language() {
    let app = media_app().await;
    let id = app.movie("Subtitled").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let srt = "\u{FEFF}1\r\n00:00:01,000 --> 00:00:02,500\r\nHola,\r\nmundo\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nAdiós\r\n";
    let add = |body: Value| on("POST", &id, "/subtitles").json(body);
    let created = app
        .as_admin(
            ADD_SUBTITLE,
            add(json!({"language": "es", "label": "Español", "format": "srt", "content": srt})),
        )
        .await;
    created.assert_ok(201);
    assert_eq!(created.data()["language"], "es");
    assert_eq!(created.data()["label"], "Español");
    let url = created.data()["url"].as_str().unwrap().to_owned();
    let vtt = http().get(&url).send().await.unwrap();
    assert_eq!(vtt.status().as_u16(), 200);
    assert_eq!(
        vtt.text().await.unwrap(),
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\nHola,\nmundo\n\n2\n00:00:03.000 --> 00:00:04.000\nAdiós\n"
    );
    let vtt_en = "WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n";
    app.as_admin(
        ADD_SUBTITLE,
        add(json!({"language": "en-US", "label": "English", "format": "vtt", "content": vtt_en})),
    )
    .await
    .assert_ok(201);
    // Replacing a language keeps one track for it, under a new key; the old object stays
    // while viewers' URLs of it last, then is swept.
    let replaced = app
        .as_admin(
            ADD_SUBTITLE,
            add(json!({"language": "es", "label": "Castellano", "format": "srt", "content": srt})),
        )
        .await;
    replaced.assert_ok(201);
    assert_eq!(
        http().get(&url).send().await.unwrap().status().as_u16(),
        200
    );
    all_due(&app).await;
    streamia_movies::ops::sweep_media::execute(app.deps, None)
        .await
        .unwrap();
    assert_eq!(
        http().get(&url).send().await.unwrap().status().as_u16(),
        404
    );
    let url = replaced.data()["url"].as_str().unwrap().to_owned();
    assert_eq!(
        http().get(&url).send().await.unwrap().status().as_u16(),
        200
    );

    // A visitor lists them, and sees them on the movie.
    let listed = app.call(LIST_SUBTITLES, on("GET", &id, "/subtitles")).await;
    listed.assert_ok(200);
    assert!(listed.headers.contains_key("etag"));
    let tracks = listed.data().as_array().unwrap();
    let langs: Vec<(&str, &str)> = tracks
        .iter()
        .map(|t| {
            (
                t["language"].as_str().unwrap(),
                t["label"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(langs, [("en-US", "English"), ("es", "Castellano")]);
    assert_eq!(
        app.get(&id).await.data()["subtitles"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Malformed: 400 naming the first bad line, in the reader's language.
    let overlapping =
        "1\n00:00:01,000 --> 00:00:03,000\na\n\n2\n00:00:02,000 --> 00:00:04,000\nb\n";
    let bad = app
        .as_admin(
            ADD_SUBTITLE,
            add(json!({"language": "fr", "label": "Français", "format": "srt", "content": overlapping}))
                .header("accept-language", "es"),
        )
        .await;
    bad.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(bad.body["details"][0]["field"], "content");
    assert_eq!(
        bad.body["details"][0]["message"],
        "línea 6: el subtítulo empieza antes de que termine el anterior"
    );
    let bad = app
        .as_admin(
            ADD_SUBTITLE,
            add(json!({"language": "english", "label": "", "format": "ass", "content": "x"})),
        )
        .await;
    bad.assert_error(400, "VALIDATION_ERROR");
    let fields: Vec<&str> = bad.body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["language", "label", "format"]);
    let too_big = "1\n00:00:01,000 --> 00:00:02,000\nx\n\n".repeat(20_000);
    let bad = app
        .as_admin(
            ADD_SUBTITLE,
            add(
                json!({"language": "it", "label": "Italiano", "format": "srt", "content": too_big}),
            ),
        )
        .await;
    bad.assert_error(400, "VALIDATION_ERROR");
    assert_eq!(bad.body["details"][0]["message"], "must be at most 512 KB");
    app.as_user(
        ADD_SUBTITLE,
        add(json!({"language": "es", "label": "x", "format": "vtt", "content": vtt_en})),
    )
    .await
    .assert_error(403, "FORBIDDEN");

    // Deleted per language: gone from the list and from the storage.
    let delete = |lang: &str| {
        request(
            "DELETE",
            "/api/v1/movies/{id}/subtitles/{language}",
            &format!("/api/v1/movies/{id}/subtitles/{lang}"),
        )
        .path_params(json!({ "id": id, "language": lang }))
    };
    app.as_user(DELETE_SUBTITLE, delete("es"))
        .await
        .assert_error(403, "FORBIDDEN");
    app.as_admin(DELETE_SUBTITLE, delete("es"))
        .await
        .assert_ok(204);
    app.as_admin(DELETE_SUBTITLE, delete("es"))
        .await
        .assert_error(404, "NOT_FOUND");
    let listed = app.call(LIST_SUBTITLES, on("GET", &id, "/subtitles")).await;
    assert_eq!(listed.data().as_array().unwrap().len(), 1);
    assert_eq!(
        http().get(&url).send().await.unwrap().status().as_u16(),
        404
    );
    let unknown = bson::oid::ObjectId::new().to_hex();
    app.call(LIST_SUBTITLES, on("GET", &unknown, "/subtitles"))
        .await
        .assert_error(404, "NOT_FOUND");
}

/// Sets every scheduled deletion of the app's database due now (as if its time had come).
async fn all_due(app: &TestApp) {
    app.deps
        .db
        .collection::<bson::Document>("media_deletions")
        .update_many(
            bson::doc! {},
            bson::doc! {"$set": {"due": bson::DateTime::from_millis(0)}},
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn an_upload_never_confirmed_is_swept_and_cannot_be_confirmed_after() {
    use streamia_movies::ops::sweep_media::{self, Swept};
    let app = media_app().await;
    let id = app.movie("Abandoned").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let kept = upload_video(&app, &id, vec![1; 20]).await;
    let confirmed = app
        .as_admin(
            CONFIRM_VIDEO,
            on("POST", &id, "/video").json(json!({ "key": kept })),
        )
        .await;
    confirmed.assert_ok(200);
    let abandoned = upload_video(&app, &id, vec![2; 20]).await;
    // Nothing is due yet: the sweeper leaves it.
    let swept = sweep_media::execute(app.deps, None).await.unwrap();
    assert_eq!(swept, Swept::default());

    // Its time comes (the form's lifetime plus an hour): the ticket is swept, so it can no
    // longer be confirmed; the confirmed video has no ticket and stays.
    all_due(&app).await;
    let swept = sweep_media::execute(app.deps, None).await.unwrap();
    assert_eq!(
        swept,
        Swept {
            deleted: 1,
            failed: 0
        }
    );
    let late = app
        .as_admin(
            CONFIRM_VIDEO,
            on("POST", &id, "/video").json(json!({ "key": abandoned })),
        )
        .await;
    late.assert_error(400, "VALIDATION_ERROR");
    let url = app.get(&id).await.data()["videoUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        http().get(&url).send().await.unwrap().status().as_u16(),
        200
    );
    assert_eq!(
        sweep_media::execute(app.deps, None).await.unwrap(),
        Swept::default()
    );
}

#[tokio::test]
async fn a_ticket_is_held_by_one_confirmation_and_never_comes_back_once_swept() {
    use std::time::Duration;
    use streamia_movies::ops::sweep_media::{self, Swept};
    use streamia_movies::store::Kind;
    use streamia_movies::MoviesError;
    let app = media_app().await;
    let rows = &app.deps.media_deletions;
    let key = "movies/65f0a1b2c3d4e5f60718293a/video/0123456789abcdef0123456789abcdef.mp4";
    let later = bson::DateTime::from_millis(bson::DateTime::now().timestamp_millis() + 60_000);
    let far = bson::DateTime::from_millis(later.timestamp_millis() + 3_600_000);
    rows.schedule(None, key, Kind::Ticket, far).await.unwrap();
    // One confirmation holds it; a second one meanwhile is told to retry (503).
    let held = rows
        .claim_ticket(key, Duration::from_secs(30), later)
        .await
        .unwrap()
        .expect("a live ticket");
    assert!(matches!(
        rows.claim_ticket(key, Duration::from_secs(30), later).await,
        Err(MoviesError::Busy)
    ));
    // Released (the first one failed): claimable again, its window not shortened by the
    // claim's hour.
    rows.release(&held).await;
    let row = app
        .deps
        .db
        .collection::<bson::Document>("media_deletions")
        .find_one(bson::doc! {"_id": key})
        .await
        .unwrap()
        .unwrap();
    assert_eq!(*row.get_datetime("due").unwrap(), far);
    let held = rows
        .claim_ticket(key, Duration::ZERO, later)
        .await
        .unwrap()
        .expect("released");
    // A hold that ran out (its confirmation died) lets the next one claim it; the first can
    // no longer use it. (Held until "now" in milliseconds: past it in a few.)
    tokio::time::sleep(Duration::from_millis(5)).await;
    let next = rows
        .claim_ticket(key, Duration::from_secs(30), later)
        .await
        .unwrap()
        .expect("the hold ran out");
    let mut session = app.deps.mongo.start_session().await.unwrap();
    assert!(!rows.use_ticket(&mut session, &held).await.unwrap());
    assert!(rows.use_ticket(&mut session, &next).await.unwrap());
    assert!(rows
        .claim_ticket(key, Duration::ZERO, later)
        .await
        .unwrap()
        .is_none());

    // Swept once due: a sweeper that died after its lease, and a storage failure, leave a
    // deletion, never a ticket again.
    rows.schedule(None, key, Kind::Ticket, later).await.unwrap();
    all_due(&app).await;
    let leased = rows.lease_due(Duration::ZERO).await.unwrap().unwrap();
    assert_eq!(leased.key, key);
    rows.retry_at(&leased, later).await.unwrap();
    assert!(rows
        .claim_ticket(key, Duration::ZERO, later)
        .await
        .unwrap()
        .is_none());
    all_due(&app).await;
    let swept = sweep_media::execute(app.deps, None).await.unwrap();
    assert_eq!(
        swept,
        Swept {
            deleted: 1,
            failed: 0
        }
    );
    assert!(rows.lease_due(Duration::ZERO).await.unwrap().is_none());
}

/// While the storage's circuit is open (opened here by another instance, which saw the storage
/// fail five times in a row, through the shared Redis), confirming and storing a subtitle
/// answer 503 UNAVAILABLE with `Retry-After` at once, without calling the storage. Signing
/// (an upload URL) reaches nobody and goes on.
#[tokio::test]
async fn with_the_storage_circuit_open_the_media_routes_answer_503_at_once() {
    use streamia_shared::config::{Load, RedisConfig};
    use streamia_shared::media::MediaError;
    use streamia_shared::resilience::{Breaker, Policy};
    let app = media_app().await;
    let movie = app.movie("Circuit").await;
    let id = movie["id"].as_str().unwrap();
    let key = upload_video(&app, id, vec![7u8; 100]).await;

    let redis = RedisConfig::load(&app.env.lookup()).unwrap();
    let other = Breaker::connect("s3", Policy::DEFAULT, &redis)
        .await
        .unwrap();
    for _ in 0..5 {
        let _ = other
            .call(async { Err::<(), _>(MediaError::Unavailable("S3 down".into())) })
            .await;
    }
    let confirm = on("POST", id, "/video").json(json!({ "key": key }));
    let refused = app.as_admin(CONFIRM_VIDEO, confirm).await;
    refused.assert_error(503, "UNAVAILABLE");
    let retry_after: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry_after), "{retry_after}");
    let subtitle = on("POST", id, "/subtitles").json(json!({
        "language": "es", "label": "Español", "format": "vtt",
        "content": "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHola\n",
    }));
    app.as_admin(ADD_SUBTITLE, subtitle)
        .await
        .assert_error(503, "UNAVAILABLE");
    let sign = upload_url_request(
        id,
        json!({"fileName": "film.mp4", "contentType": "video/mp4", "sizeBytes": 10}),
    );
    app.as_admin(VIDEO_UPLOAD_URL, sign).await.assert_ok(200);
}
