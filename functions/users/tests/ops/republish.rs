//! The operator's `users-republish`: every user's current snapshot published again, one event
//! each, numbered after everything the user published before, so every copy applies it; paged
//! by id and resumable.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;
use streamia_shared::events::contracts;
use streamia_shared::fields::Patch;
use streamia_shared::testing::ReceivedEvent;
use streamia_users::ops::republish::{self, Republisher};
use streamia_users::ops::{delete_me, update_me};

use crate::common::*;

/// The events published so far, until `expected` have come.
async fn drain(f: &Fixture, expected: usize) -> Vec<ReceivedEvent> {
    let events = f.env.events(expected, Duration::from_secs(20)).await;
    assert_eq!(events.len(), expected, "{events:?}");
    events
}

async fn run(r: &Republisher, payload: serde_json::Value) -> republish::Output {
    streamia_shared::republish::invoke(r, republish::FUNCTION, payload, "req-republish", None)
        .await
        .unwrap()
}

#[tokio::test]
async fn every_user_gets_its_current_snapshot_once_with_a_newer_version() {
    let f = Fixture::new().await;
    let r: Republisher = f.env.service().await;
    let (_, plain, plain_view) = f.user().await;
    let (_, renamed, _) = f.user().await;
    let cmd = update_me::parse(
        renamed.clone(),
        update_me::Input {
            username: Patch::Value("Renamed_9".into()),
            first_name: Patch::Value("Ana".into()),
            language: Patch::Value("es".into()),
            ..Default::default()
        },
    )
    .unwrap();
    update_me::execute(&f.deps, cmd, &ctx()).await.unwrap();
    let (_, leaving, leaving_view) = f.user().await;
    let cmd = delete_me::parse(
        leaving.clone(),
        delete_me::Input {
            password: Some(PASSWORD.into()),
        },
    )
    .unwrap();
    let saga = delete_me::execute(&f.deps, cmd, &ctx())
        .await
        .unwrap()
        .saga_id;
    // registered x3, updated, deleted.
    let before = drain(&f, 5).await;
    let mut latest: HashMap<String, u64> = HashMap::new();
    for e in &before {
        let v = latest.entry(e.envelope.aggregate_id.clone()).or_insert(0);
        *v = (*v).max(e.envelope.aggregate_version);
    }

    let out = run(&r, json!({})).await;
    assert_eq!(out.republished, 3);
    assert!(out.done);

    let events = drain(&f, 3).await;
    let extra = f.env.events(1, Duration::from_secs(2)).await;
    assert!(extra.is_empty(), "one event per user: {extra:?}");
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
    let plain_id = plain.user_id.to_hex();
    let p = &by_id[plain_id.as_str()].envelope;
    assert_eq!(p.event_name, "user.updated");
    assert_eq!(p.correlation_id, "req-republish");
    assert_eq!(
        p.payload,
        json!({"userId": plain_id, "username": plain_view["username"], "email": plain_view["email"],
               "firstName": null, "lastName": null, "avatar": null, "language": "en",
               "changed": []})
    );
    let renamed_id = renamed.user_id.to_hex();
    let u = &by_id[renamed_id.as_str()].envelope;
    assert_eq!(u.event_name, "user.updated");
    assert_eq!(u.payload["username"], "Renamed_9");
    assert_eq!(u.payload["firstName"], "Ana");
    assert_eq!(u.payload["language"], "es");
    assert_eq!(u.payload["changed"], json!([]));
    // An account being deleted stays so in every copy: its deletion again, same saga.
    let leaving_id = leaving.user_id.to_hex();
    let d = &by_id[leaving_id.as_str()].envelope;
    assert_eq!(d.event_name, "user.deleted");
    assert_eq!(d.correlation_id, saga);
    assert_eq!(
        d.payload,
        json!({"sagaId": saga, "userId": leaving_id, "email": leaving_view["email"],
               "username": leaving_view["username"], "firstName": null, "language": "en"})
    );
}

#[tokio::test]
async fn a_walk_in_pages_resumes_where_the_answer_says_and_covers_every_user_once() {
    let f = Fixture::new().await;
    let r: Republisher = f.env.service().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(f.user().await.1.user_id.to_hex());
    }
    ids.sort();
    drain(&f, 3).await;

    let first = run(&r, json!({"limit": 2})).await;
    assert_eq!(
        first,
        republish::Output {
            republished: 2,
            after: Some(ids[1].clone()),
            done: false
        }
    );
    let second = run(&r, json!({"after": first.after})).await;
    assert_eq!(
        second,
        republish::Output {
            republished: 1,
            after: Some(ids[2].clone()),
            done: true
        }
    );
    let events = drain(&f, 3).await;
    let mut seen: Vec<String> = events
        .iter()
        .map(|e| e.envelope.aggregate_id.clone())
        .collect();
    seen.sort();
    assert_eq!(seen, ids);
    assert!(events.iter().all(|e| e.envelope.aggregate_version == 2));

    let err = streamia_shared::republish::invoke(
        &r,
        republish::FUNCTION,
        json!({"after": "nope"}),
        "req",
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type, "ValidationError");
    assert!(
        err.error_message.contains("after: "),
        "{}",
        err.error_message
    );
    let err = streamia_shared::republish::invoke(
        &r,
        republish::FUNCTION,
        json!({"userId": "x"}),
        "req",
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(err.error_type, "InvalidPayload");
}
