//! The operator's `movies-republish`: every movie's current snapshot published again, one event
//! each, numbered after everything the movie published before, so every copy applies it;
//! paged by id and resumable.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;
use streamia_movies::ops::republish::{self, Republisher};
use streamia_shared::events::contracts;
use streamia_shared::testing::ReceivedEvent;

use crate::common::*;

/// The events published so far, until `expected` have come.
async fn drain(app: &TestApp, expected: usize) -> Vec<ReceivedEvent> {
    let events = app.env.events(expected, Duration::from_secs(20)).await;
    assert_eq!(events.len(), expected, "{events:?}");
    events
}

async fn run(r: &Republisher, payload: serde_json::Value) -> republish::Output {
    streamia_shared::republish::invoke(r, republish::FUNCTION, payload, "req-republish", None)
        .await
        .unwrap()
}

#[tokio::test]
async fn every_movie_gets_its_current_snapshot_once_with_a_newer_version() {
    let app = TestApp::spawn().await;
    let r: Republisher = app.env.service().await;
    let plain = app.movie("Plain").await["id"].as_str().unwrap().to_owned();
    let updated = app.movie("Before").await["id"].as_str().unwrap().to_owned();
    app.update(
        &updated,
        json!({"title": "After", "coverImage": "https://img.example.com/a.jpg"}),
    )
    .await
    .assert_ok(200);
    let deleting = app.movie("Going").await["id"].as_str().unwrap().to_owned();
    let res = app.delete(&deleting).await;
    res.assert_ok(202);
    let saga = res.data()["sagaId"].as_str().unwrap().to_owned();
    let before = drain(&app, 5).await;
    let latest: HashMap<String, u64> = before.iter().fold(HashMap::new(), |mut m, e| {
        let v = m.entry(e.envelope.aggregate_id.clone()).or_insert(0);
        *v = (*v).max(e.envelope.aggregate_version);
        m
    });

    let out = run(&r, json!({})).await;
    assert_eq!(out.republished, 3);
    assert!(out.done);
    let mut ids = [plain.clone(), updated.clone(), deleting.clone()];
    ids.sort();
    assert_eq!(out.after.as_deref(), Some(ids[2].as_str()));

    let events = drain(&app, 3).await;
    let extra = app.env.events(1, Duration::from_secs(2)).await;
    assert!(extra.is_empty(), "one event per movie: {extra:?}");
    let by_id: HashMap<&str, &ReceivedEvent> = events
        .iter()
        .map(|e| (e.envelope.aggregate_id.as_str(), e))
        .collect();
    assert_eq!(by_id.len(), 3);
    for (id, event) in &by_id {
        assert_eq!(event.envelope.aggregate_version, latest[*id] + 1, "{id}");
        contracts::find(&event.envelope.event_name, event.envelope.version)
            .expect("a contract")
            .check(&event.raw)
            .unwrap();
    }
    let p = &by_id[plain.as_str()].envelope;
    assert_eq!(p.event_name, "movie.updated");
    assert_eq!(p.correlation_id, "req-republish");
    assert_eq!(
        p.payload,
        json!({"movieId": plain, "title": "Plain", "coverImage": null, "status": "active",
               "changed": []})
    );
    let u = &by_id[updated.as_str()].envelope;
    assert_eq!(
        u.payload,
        json!({"movieId": updated, "title": "After",
               "coverImage": "https://img.example.com/a.jpg", "status": "active", "changed": []})
    );
    // A movie being deleted stays hidden in every copy: its deletion again, same saga.
    let d = &by_id[deleting.as_str()].envelope;
    assert_eq!(d.event_name, "movie.deleted");
    assert_eq!(d.correlation_id, saga);
    assert_eq!(
        d.payload,
        json!({"sagaId": saga, "movieId": deleting, "title": "Going", "coverImage": null,
               "status": "deleting"})
    );
    // Nothing else changed: the catalog reads as before.
    app.get(&plain).await.assert_ok(200);
    app.get(&deleting).await.assert_error(404, "NOT_FOUND");
}

#[tokio::test]
async fn a_walk_in_pages_resumes_where_the_answer_says_and_covers_every_movie_once() {
    let app = TestApp::spawn().await;
    let r: Republisher = app.env.service().await;
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(
            app.movie(&format!("M{n}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    ids.sort();
    drain(&app, 4).await;

    let first = run(&r, json!({"limit": 2})).await;
    assert_eq!(
        first,
        republish::Output {
            republished: 2,
            after: Some(ids[1].clone()),
            done: false
        }
    );
    // Exactly the rest: the answer knows nothing is left.
    let second = run(&r, json!({"after": first.after, "limit": 2})).await;
    assert_eq!(
        second,
        republish::Output {
            republished: 2,
            after: Some(ids[3].clone()),
            done: true
        }
    );
    let again = run(&r, json!({"after": second.after})).await;
    assert_eq!(
        again,
        republish::Output {
            republished: 0,
            after: Some(ids[3].clone()),
            done: true
        }
    );
    let events = drain(&app, 4).await;
    let mut seen: Vec<String> = events
        .iter()
        .map(|e| e.envelope.aggregate_id.clone())
        .collect();
    seen.sort();
    assert_eq!(seen, ids);
    assert!(events.iter().all(|e| e.envelope.aggregate_version == 2));
}

#[tokio::test]
async fn a_spent_deadline_stops_before_any_movie_and_says_where_to_resume() {
    let app = TestApp::spawn().await;
    let r: Republisher = app.env.service().await;
    let id = app.movie("Late").await["id"].as_str().unwrap().to_owned();
    let out = streamia_shared::republish::invoke(
        &r,
        republish::FUNCTION,
        json!({}),
        "req",
        Some(Instant::now()),
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        republish::Output {
            republished: 0,
            after: None,
            done: false
        }
    );
    // An empty payload (null) starts from the first movie.
    let out = streamia_shared::republish::invoke(
        &r,
        republish::FUNCTION,
        serde_json::Value::Null,
        "req",
        None,
    )
    .await
    .unwrap();
    assert_eq!((out.republished, out.after, out.done), (1, Some(id), true));
}

#[tokio::test]
async fn a_refused_payload_is_a_function_error_naming_the_field() {
    let app = TestApp::spawn().await;
    let r: Republisher = app.env.service().await;
    let err = streamia_shared::republish::invoke(
        &r,
        republish::FUNCTION,
        json!({"from": "x"}),
        "req",
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type, "InvalidPayload");
    assert!(err.error_message.contains("from"), "{}", err.error_message);
    let err = streamia_shared::republish::invoke(
        &r,
        republish::FUNCTION,
        json!({"after": "nope", "limit": 0}),
        "req",
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type, "ValidationError");
    assert!(
        err.error_message.contains("after: ") && err.error_message.contains("limit: "),
        "{}",
        err.error_message
    );
}
