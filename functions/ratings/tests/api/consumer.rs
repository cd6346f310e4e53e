//! `ratings-on-movie-change`: the copy of each movie follows the newest event whatever the
//! order and duplicates, hides deleted movies, and a garbage record fails alone.

use serde_json::{json, Value};
use streamia_ratings::adapters::sqs;
use streamia_shared::events::consumer::{process_batch, Budget};

use crate::common::*;

/// An SQS event holding `(messageId, body)` records, as Lambda delivers them.
fn sqs_event(bodies: &[(&str, String)]) -> aws_lambda_events::event::sqs::SqsEvent {
    let records: Vec<Value> = bodies
        .iter()
        .map(|(id, body)| {
            json!({
                "messageId": id, "receiptHandle": format!("rh-{id}"), "body": body,
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:ratings-movie-changes",
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

async fn title(app: &TestApp, movie: &str) -> Option<String> {
    let id = bson::oid::ObjectId::parse_str(movie).unwrap();
    app.deps
        .copies
        .visible(&id)
        .await
        .unwrap()
        .ok()
        .map(|copy| copy.title)
}

#[tokio::test]
async fn a_redelivered_or_older_update_never_brings_an_old_title_back() {
    let app = TestApp::spawn().await;
    let movie = app.movie("First").await;
    let newest = movie_event(updated(&movie, "Newest"), 3);
    app.deliver(newest.clone()).await;
    // The same event twice.
    app.deliver(newest).await;
    assert_eq!(title(&app, &movie).await.as_deref(), Some("Newest"));
    // An older one after the newer.
    app.deliver(movie_event(updated(&movie, "Older"), 2)).await;
    assert_eq!(title(&app, &movie).await.as_deref(), Some("Newest"));
    // Ratings follow the copy: the movie is still rateable.
    let ana = app.user().await;
    app.rate(&ana, &movie, json!(4)).await.assert_ok(201);
}

#[tokio::test]
async fn a_late_update_after_movie_deleted_leaves_it_deleted() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Doomed").await;
    app.deliver(movie_event(deleted(&movie, "Doomed"), 3)).await;
    app.deliver(movie_event(updated(&movie, "Renamed late"), 2))
        .await;
    assert_eq!(title(&app, &movie).await, None);
    let ana = app.user().await;
    let res = app.rate(&ana, &movie, json!(4)).await;
    res.assert_error(404, "MOVIE_NOT_FOUND");
    assert!(res.headers.get("retry-after").is_none());
}

#[tokio::test]
async fn a_garbage_record_fails_alone_and_the_rest_of_its_batch_is_applied() {
    let app = TestApp::spawn().await;
    let (a, b) = (
        bson::oid::ObjectId::new().to_hex(),
        bson::oid::ObjectId::new().to_hex(),
    );
    let body = |e| serde_json::to_string(&e).unwrap();
    // A movie event whose payload is off its contract is poison too.
    let mut off_contract = serde_json::to_value(movie_event(created(&a, "X"), 2)).unwrap();
    off_contract["payload"]["title"] = json!(42);
    // An event this queue does not follow is acknowledged.
    let mut other = serde_json::to_value(movie_event(created(&a, "X"), 2)).unwrap();
    other["eventName"] = json!("movie.something_else");
    let event = sqs_event(&[
        ("m1", body(movie_event(created(&a, "Alpha"), 1))),
        ("garbage", "this is not an envelope".into()),
        ("m3", body(movie_event(created(&b, "Beta"), 1))),
        ("off-contract", off_contract.to_string()),
        ("other", other.to_string()),
    ]);
    let deps = app.deps;
    let response = process_batch(event, Budget::unlimited(), |e| {
        sqs::on_movie_change(deps, e)
    })
    .await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["garbage", "off-contract"]);
    assert_eq!(title(&app, &a).await.as_deref(), Some("Alpha"));
    assert_eq!(title(&app, &b).await.as_deref(), Some("Beta"));
}
