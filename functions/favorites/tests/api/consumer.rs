//! `favorites-on-movie-change` on real MongoDB (and, for the dead-letter queue, LocalStack's
//! SQS): redeliveries and late events never roll a copy back, a deleted movie stays hidden, a
//! garbage record fails alone.

use std::time::Duration;

use bson::oid::ObjectId;
use serde_json::{json, Value};
use streamia_favorites::adapters::sqs;
use streamia_shared::events::consumer::{process_batch, Budget};
use streamia_shared::events::movie_copies::MovieCopy;
use streamia_shared::events::movies::MovieStatus;
use streamia_shared::events::Envelope;
use streamia_shared::testing::sqs::RedrivenQueue;

use crate::common::*;

async fn copy(app: &TestApp, movie: ObjectId) -> Option<MovieCopy> {
    app.deps.copies.many(&[movie]).await.unwrap().remove(&movie)
}

#[tokio::test]
async fn the_same_update_twice_or_an_older_one_after_a_newer_one_leaves_the_newest_title() {
    let app = TestApp::spawn().await;
    let movie = app.movie("v1").await;
    let v2 = updated(movie, 2, "v2");
    let v3 = updated(movie, 3, "v3");
    app.deliver(v3.clone()).await.unwrap();
    // The same event again (SQS redelivers), then an older one arriving late.
    app.deliver(v3).await.unwrap();
    app.deliver(v2.clone()).await.unwrap();
    app.deliver(v2).await.unwrap();
    app.deliver(created(movie, "v1")).await.unwrap();
    assert_eq!(copy(&app, movie).await.unwrap().title, "v3");

    app.add(&app.alice, movie, None).await.assert_ok(201);
    let res = app.list(&app.alice, &[]).await;
    assert_eq!(res.data()["items"][0]["title"], "v3");
}

#[tokio::test]
async fn a_deleted_movie_stays_deleted_after_a_late_update() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Alien").await;
    app.add(&app.alice, movie, Some("keep"))
        .await
        .assert_ok(201);
    app.deliver(deleted(movie, 3, "Alien")).await.unwrap();
    // The update made before the deletion arrives after it.
    app.deliver(updated(movie, 2, "Alien (late)"))
        .await
        .unwrap();
    let stored = copy(&app, movie).await.unwrap();
    assert_eq!(stored.status, MovieStatus::Deleting);
    assert_eq!(stored.title, "Alien");

    // Writes: 404 MOVIE_NOT_FOUND, no Retry-After (the movie is known, and hidden).
    let res = app.add(&app.bob, movie, None).await;
    res.assert_error(404, "MOVIE_NOT_FOUND");
    assert!(res.headers.get("retry-after").is_none());
    // An existing favorite stays readable (what the saga of issue 16 will clean up).
    let res = app.get(&app.alice, &movie.to_hex()).await;
    res.assert_ok(200);
    assert_eq!(res.data()["title"], "Alien");
}

fn body(envelope: &Envelope) -> String {
    serde_json::to_string(envelope).unwrap()
}

/// An SQS event holding `(messageId, body)` records.
fn sqs_event(records: &[(&str, String)]) -> aws_lambda_events::event::sqs::SqsEvent {
    let records: Vec<Value> = records
        .iter()
        .map(|(id, body)| sqs_record(id, body))
        .collect();
    serde_json::from_value(json!({"Records": records})).unwrap()
}

fn sqs_record(id: &str, body: &str) -> Value {
    json!({
        "messageId": id, "receiptHandle": format!("rh-{id}"), "body": body,
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
        "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:favorites-movie-changes",
        "awsRegion": "us-east-1"
    })
}

fn failed(response: &aws_lambda_events::event::sqs::SqsBatchResponse) -> Vec<&str> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

#[tokio::test]
async fn a_garbage_record_fails_alone_and_the_rest_of_the_batch_is_applied() {
    let app = TestApp::spawn().await;
    let (a, b) = (ObjectId::new(), ObjectId::new());
    let mut unknown_version = serde_json::to_value(created(b, "B")).unwrap();
    unknown_version["version"] = json!(99);
    let not_followed = {
        let mut e = serde_json::to_value(created(b, "B")).unwrap();
        e["eventName"] = json!("movie.something_else");
        e.to_string()
    };
    let event = sqs_event(&[
        ("m1", body(&created(a, "A"))),
        ("garbage", "not an envelope".into()),
        ("v99", unknown_version.to_string()),
        ("m2", body(&updated(a, 2, "A2"))),
        ("other", not_followed),
        ("m3", body(&created(b, "B"))),
    ]);
    let deps = app.deps;
    let response = process_batch(event, Budget::unlimited(), |e| {
        sqs::on_movie_change(deps, e)
    })
    .await;
    assert_eq!(failed(&response), ["garbage", "v99"]);
    assert_eq!(copy(&app, a).await.unwrap().title, "A2");
    assert_eq!(copy(&app, b).await.unwrap().title, "B");
}

/// The favorites queue as infra/messaging.yaml declares it (a redrive policy to its DLQ), on
/// LocalStack, polled as the event source mapping polls it: a garbage body ends in the DLQ,
/// the valid record of the same batch is applied and deleted.
#[tokio::test]
async fn a_garbage_body_ends_in_the_dlq_while_the_rest_of_its_batch_is_processed() {
    let app = TestApp::spawn().await;
    let queue = RedrivenQueue::create(&app.env.aws, "favorites-movie-changes", 2).await;
    let movie = ObjectId::new();
    let valid = body(&created(movie, "Valid"));
    queue.send(valid.clone()).await;
    queue.send("{\"garbage\": true").await;
    let deps = app.deps;
    let pumped = queue
        .pump_until_dead(|e| sqs::on_movie_change(deps, e), Duration::from_secs(60))
        .await;
    assert_eq!(pumped.dead, ["{\"garbage\": true"]);
    pumped.assert_only_failed("{\"garbage\": true");
    pumped.assert_acknowledged_once(&[valid]);
    assert_eq!(copy(&app, movie).await.unwrap().title, "Valid");
}

/// A movie-deletion saga's event about `movie`, as the movies service publishes it.
fn saga_event(name: &str, saga: &str, movie: ObjectId, title: &str) -> Envelope {
    use streamia_shared::events::movies::{
        MovieDeleted, MovieDeletionCancelled, MovieDeletionCompleted,
    };
    let id = movie.to_hex();
    match name {
        "movie.deleted" => at(
            5,
            MovieDeleted {
                saga_id: saga.into(),
                movie_id: id,
                title: title.into(),
                cover_image: None,
                status: MovieStatus::Deleting,
            },
        ),
        "movie.deletion_cancelled" => at(
            6,
            MovieDeletionCancelled {
                saga_id: saga.into(),
                movie_id: id,
                title: title.into(),
                cover_image: None,
                status: MovieStatus::Active,
                reason: "deadline passed".into(),
            },
        ),
        _ => at(
            6,
            MovieDeletionCompleted {
                saga_id: saga.into(),
                movie_id: id,
                title: title.into(),
            },
        ),
    }
}

#[tokio::test]
async fn a_deleted_movies_favorites_go_and_each_fan_is_alerted_once() {
    let app = TestApp::spawn().await;
    let movie = app.movie("Gone Girl").await;
    let kept = app.movie("Kept").await;
    app.add(&app.alice, movie, None).await.assert_ok(201);
    app.add(&app.bob, movie, Some("mine")).await.assert_ok(201);
    app.add(&app.alice, kept, None).await.assert_ok(201);
    let deletion = |name: &str| saga_event(name, "saga-m", movie, "Gone Girl");

    // Set aside: out of every list at once (the copy may not know yet); cancelled: back.
    sqs::on_movie_deletion(app.deps, deletion("movie.deleted"))
        .await
        .unwrap();
    let ids = TestApp::movie_ids(&app.list(&app.alice, &[]).await);
    assert_eq!(ids, [kept.to_hex()]);
    sqs::on_movie_deletion(app.deps, deletion("movie.deletion_cancelled"))
        .await
        .unwrap();
    assert_eq!(
        TestApp::movie_ids(&app.list(&app.bob, &[]).await),
        [movie.to_hex()]
    );

    // A new saga that completes: the favorites are purged and each fan is told once.
    let second = |name: &str| saga_event(name, "saga-n", movie, "Gone Girl");
    sqs::on_movie_deletion(app.deps, second("movie.deleted"))
        .await
        .unwrap();
    let completed = second("movie.deletion_completed");
    sqs::on_movie_deletion(app.deps, completed.clone())
        .await
        .unwrap();
    sqs::on_movie_deletion(app.deps, completed).await.unwrap();
    assert!(TestApp::movie_ids(&app.list(&app.bob, &[]).await).is_empty());
    assert_eq!(
        TestApp::movie_ids(&app.list(&app.alice, &[]).await),
        [kept.to_hex()]
    );
    // Two replies (one per saga start) and two alerts, and nothing more.
    let mut published = app.env.events(4, Duration::from_secs(20)).await;
    published.extend(app.env.events(1, Duration::from_secs(2)).await);
    let named = |name: &str| {
        published
            .iter()
            .filter(|e| e.envelope.event_name == name)
            .collect::<Vec<_>>()
    };
    assert_eq!(named("movie.deletion_step_done").len(), 2, "{published:?}");
    let alerts = named("favorite.movie_removed");
    let mut fans: Vec<String> = alerts
        .iter()
        .map(|a| a.envelope.payload["userId"].as_str().unwrap().to_owned())
        .collect();
    fans.sort();
    let mut expected = vec![
        app.alice.caller.user_id.to_hex(),
        app.bob.caller.user_id.to_hex(),
    ];
    expected.sort();
    assert_eq!(fans, expected, "one alert per fan, none twice");
    for alert in &alerts {
        assert_eq!(alert.envelope.payload["title"], "Gone Girl");
        assert_eq!(alert.envelope.payload["sagaId"], "saga-n");
        assert_eq!(alert.envelope.source, "favorites");
    }
}

/// A movie with more fans than one round: the first round's alerts go out right after its
/// commit, the later rounds' through the outbox relay; every fan is alerted exactly once and
/// every favorite of the movie is gone.
#[tokio::test]
async fn a_movie_with_many_fans_alerts_each_once_the_later_rounds_through_the_relay() {
    use streamia_favorites::domain::Favorite;
    let app = TestApp::spawn().await;
    let movie = app.movie("Blockbuster").await;
    const FANS: usize = 150;
    let now = bson::DateTime::now();
    for _ in 0..FANS {
        let favorite = Favorite {
            id: ObjectId::new(),
            user_id: ObjectId::new(),
            movie_id: movie,
            note: None,
            created_at: now,
            updated_at: now,
        };
        app.deps.favorites.insert(&favorite).await.unwrap();
    }
    let deletion = |name: &str| saga_event(name, "saga-big", movie, "Blockbuster");
    sqs::on_movie_deletion(app.deps, deletion("movie.deleted"))
        .await
        .unwrap();
    sqs::on_movie_deletion(app.deps, deletion("movie.deletion_completed"))
        .await
        .unwrap();
    // The reply and the first round (100 alerts, as many as its flush's 3 s allowed) are out
    // already; the rest wait for the relay.
    let report = app
        .deps
        .outbox
        .relay_until(Duration::ZERO, 10_000, None)
        .await
        .unwrap();
    assert!(report.published >= FANS - 100, "{report:?}");
    assert_eq!(report.failed, 0, "{report:?}");
    let mut published = app.env.events(FANS + 1, Duration::from_secs(30)).await;
    published.extend(app.env.events(FANS, Duration::from_secs(2)).await);
    // Delivery is at least once: a publish cut after SNS took it goes out again with the same
    // event id, which the mailer's inbox drops. One event per fan, then.
    let mut alerts: Vec<(String, String)> = published
        .iter()
        .filter(|e| e.envelope.event_name == "favorite.movie_removed")
        .map(|e| {
            let user = e.envelope.payload["userId"].as_str().unwrap().to_owned();
            (e.envelope.event_id.clone(), user)
        })
        .collect();
    alerts.sort();
    alerts.dedup();
    assert_eq!(alerts.len(), FANS, "one alert event per fan");
    let mut fans: Vec<String> = alerts.into_iter().map(|(_, user)| user).collect();
    fans.sort();
    fans.dedup();
    assert_eq!(fans.len(), FANS, "one alert per fan, none twice");
    let left = app
        .deps
        .favorites
        .set_aside_movie("probe", movie)
        .await
        .unwrap();
    assert_eq!(left, 0, "every favorite of the movie is gone");
}
