//! The users service's side of the user-deletion saga, against real SecantusDB and LocalStack:
//! the replies of the participants complete or cancel it once, whatever the redeliveries,
//! orders and concurrency; the deadline cancels a saga whose participant never answers.

use bson::doc;
use serde_json::json;
use streamia_shared::events::Envelope;
use streamia_users::deps::SagaDeps;
use streamia_users::ops::delete_me;
use streamia_users::ops::deletion_saga::{self, Outcome};
use streamia_users::store::sagas::{SagaState, PARTICIPANTS};

use crate::common::*;

/// A participant's reply, as its outbox publishes it.
fn reply(name: &str, saga: &str, user: &str, service: &str) -> Envelope {
    let mut payload = json!({"sagaId": saga, "userId": user, "service": service});
    if name == "user.deletion_step_failed" {
        payload["reason"] = json!("a fault injected by SAGA_FAULT");
    }
    serde_json::from_value(json!({
        "eventId": uuid::Uuid::new_v4().to_string(), "eventName": name,
        "occurredAt": "2030-01-01T00:00:00.000Z", "correlationId": "request-1",
        "source": service, "version": 1, "aggregateId": user, "aggregateVersion": 1,
        "payload": payload,
    }))
    .unwrap()
}

async fn deliver(deps: &SagaDeps, envelope: Envelope) -> Outcome {
    let incoming = deletion_saga::parse(envelope).unwrap().unwrap();
    deletion_saga::on_reply(deps, &incoming).await.unwrap()
}

/// A user whose deletion started: (saga id, user id, email).
async fn deleting(f: &Fixture) -> (String, String, String) {
    let (_, caller, view) = f.user().await;
    let cmd = delete_me::parse(
        caller,
        delete_me::Input {
            password: Some(PASSWORD.into()),
        },
    )
    .unwrap();
    let started = delete_me::execute(&f.deps, cmd, &ctx()).await.unwrap();
    (
        started.saga_id,
        view["id"].as_str().unwrap().to_owned(),
        view["email"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn the_last_confirmation_removes_the_account_once_and_frees_its_email() {
    let f = Fixture::new().await;
    let deps: SagaDeps = f.env.service().await;
    let (saga, user, email) = deleting(&f).await;
    let replies: Vec<Envelope> = PARTICIPANTS
        .iter()
        .map(|p| reply("user.deletion_step_done", &saga, &user, p))
        .collect();
    assert_eq!(deliver(&deps, replies[0].clone()).await, Outcome::Waiting);
    assert_eq!(deliver(&deps, replies[1].clone()).await, Outcome::Waiting);
    assert_eq!(deliver(&deps, replies[2].clone()).await, Outcome::Completed);
    // Every reply again, and a late failure: nothing changes.
    for r in &replies {
        assert_eq!(deliver(&deps, r.clone()).await, Outcome::Duplicate);
    }
    assert_eq!(
        deliver(
            &deps,
            reply("user.deletion_step_failed", &saga, &user, "ratings")
        )
        .await,
        Outcome::Ignored
    );
    let stored = f.deps.sagas.get(&saga).await.unwrap().unwrap();
    assert_eq!(stored.state, SagaState::Completed);
    assert!(f
        .collection("users")
        .find_one(doc! {"email": &email})
        .await
        .unwrap()
        .is_none());
    let done = f.env.events_named("user.deletion_completed", 1).await;
    assert_eq!(done.len(), 1);
    assert_eq!(
        done[0].envelope.payload,
        json!({"sagaId": saga, "userId": user})
    );
    assert_eq!(done[0].envelope.correlation_id, "request-1");
    assert!(f.env.events_named("user.deletion_completed", 2).await.len() < 2);
    // The email is free again.
    f.register(&format!("again_{}", &user[..8]), &email).await;
}

#[tokio::test]
async fn a_failure_cancels_and_the_account_logs_in_again() {
    let f = Fixture::new().await;
    let deps: SagaDeps = f.env.service().await;
    let (saga, user, email) = deleting(&f).await;
    assert_eq!(
        deliver(
            &deps,
            reply("user.deletion_step_done", &saga, &user, "favorites")
        )
        .await,
        Outcome::Waiting
    );
    assert_eq!(
        deliver(
            &deps,
            reply("user.deletion_step_failed", &saga, &user, "ratings")
        )
        .await,
        Outcome::Cancelled
    );
    // A confirmation after the cancellation (out of order) changes nothing.
    assert_eq!(
        deliver(
            &deps,
            reply("user.deletion_step_done", &saga, &user, "comments")
        )
        .await,
        Outcome::Ignored
    );
    let stored = f.deps.sagas.get(&saga).await.unwrap().unwrap();
    assert_eq!(stored.state, SagaState::Cancelled);
    assert_eq!(
        stored.reason.as_deref(),
        Some("ratings failed: a fault injected by SAGA_FAULT")
    );
    f.login(&f.deps, &email, PASSWORD).await.unwrap();
    let cancelled = f.env.events_named("user.deletion_cancelled", 1).await;
    assert_eq!(cancelled[0].envelope.payload["email"], email.as_str());
    assert_eq!(cancelled[0].envelope.payload["sagaId"], saga.as_str());
    // A reply of another saga, or of no participant, or about another user: ignored.
    assert_eq!(
        deliver(
            &deps,
            reply("user.deletion_step_done", "unknown", &user, "ratings")
        )
        .await,
        Outcome::Ignored
    );
    let (saga2, _, _) = deleting(&f).await;
    assert_eq!(
        deliver(
            &deps,
            reply("user.deletion_step_done", &saga2, &user, "ratings")
        )
        .await,
        Outcome::Ignored
    );
    assert_eq!(
        deliver(
            &deps,
            reply("user.deletion_step_done", &saga2, &user, "movies")
        )
        .await,
        Outcome::Ignored
    );
}

#[tokio::test]
async fn concurrent_confirmations_complete_the_saga_exactly_once() {
    let f = Fixture::new().await;
    let deps: SagaDeps = f.env.service().await;
    let (saga, user, _) = deleting(&f).await;
    let outcomes = futures_util::future::join_all(PARTICIPANTS.iter().map(|p| {
        let envelope = reply("user.deletion_step_done", &saga, &user, p);
        let deps = &deps;
        async move { deliver(deps, envelope).await }
    }))
    .await;
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == Outcome::Completed)
            .count(),
        1,
        "{outcomes:?}"
    );
    let rows = f
        .collection("outbox")
        .count_documents(doc! {"eventName": "user.deletion_completed"})
        .await
        .unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn a_saga_whose_participant_never_answers_is_cancelled_at_its_deadline() {
    let f = Fixture::with(&[("USER_DELETION_DEADLINE_SECONDS", "1")]).await;
    let deps: &'static SagaDeps = Box::leak(Box::new(f.env.service().await));
    let (saga, user, email) = deleting(&f).await;
    deliver(
        deps,
        reply("user.deletion_step_done", &saga, &user, "favorites"),
    )
    .await;
    // Before the deadline nothing is cancelled.
    let early = deletion_saga::expire(deps, None).await.unwrap();
    assert_eq!(early.cancelled, 0);
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let report = deletion_saga::expire(deps, None).await.unwrap();
    assert_eq!(report.cancelled, 1);
    let stored = f.deps.sagas.get(&saga).await.unwrap().unwrap();
    assert_eq!(stored.state, SagaState::Cancelled);
    assert_eq!(stored.reason.as_deref(), Some("deadline passed"));
    f.login(&f.deps, &email, PASSWORD).await.unwrap();
    assert_eq!(
        f.env.events_named("user.deletion_cancelled", 1).await.len(),
        1
    );
    // The late replies, and the next run, change nothing.
    assert_eq!(
        deliver(
            deps,
            reply("user.deletion_step_done", &saga, &user, "ratings")
        )
        .await,
        Outcome::Ignored
    );
    assert_eq!(
        deletion_saga::expire(deps, None).await.unwrap().cancelled,
        0
    );
}

#[tokio::test]
async fn a_reply_for_another_participant_than_its_source_is_ignored() {
    let f = Fixture::new().await;
    let deps: SagaDeps = f.env.service().await;
    let (saga, user, _) = deleting(&f).await;
    // Published by ratings (its topic, its outbox's source) but claiming to be favorites'.
    let mut forged = reply("user.deletion_step_done", &saga, &user, "favorites");
    forged.source = "ratings".to_owned();
    assert!(deletion_saga::parse(forged).unwrap().is_none());
    for p in PARTICIPANTS.iter().take(2) {
        deliver(&deps, reply("user.deletion_step_done", &saga, &user, p)).await;
    }
    let stored = f.deps.sagas.get(&saga).await.unwrap().unwrap();
    assert_eq!(stored.state, SagaState::Running);
}

#[tokio::test]
async fn an_account_left_deleting_without_a_saga_is_adopted_and_cancelled() {
    let f = Fixture::new().await;
    let deps: &'static SagaDeps = Box::leak(Box::new(f.env.service().await));
    let (_, caller, view) = f.user().await;
    // As a deletion made before sagas were recorded left it.
    f.collection("users")
        .update_one(
            doc! {"_id": caller.user_id},
            doc! {"$set": {"status": "deleting", "deletionSagaId": "legacy-saga"}},
        )
        .await
        .unwrap();
    streamia_users::store::create_indexes(f.deps.db.clone())
        .await
        .unwrap();
    // Adopted under a new saga id (the old one names no running saga).
    let stored = f
        .collection("users")
        .find_one(doc! {"_id": caller.user_id})
        .await
        .unwrap()
        .unwrap();
    let saga = stored.get_str("deletionSagaId").unwrap().to_owned();
    assert_ne!(saga, "legacy-saga");
    let adopted = f.deps.sagas.get(&saga).await.unwrap().unwrap();
    assert_eq!(adopted.state, SagaState::Running);
    // Idempotent: the setup step run again changes nothing.
    streamia_users::store::create_indexes(f.deps.db.clone())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(
        deletion_saga::expire(deps, None).await.unwrap().cancelled,
        1
    );
    f.login(&f.deps, view["email"].as_str().unwrap(), PASSWORD)
        .await
        .unwrap();
    let cancelled = f.env.events_named("user.deletion_cancelled", 1).await;
    assert_eq!(cancelled[0].envelope.payload["sagaId"], saga.as_str());
}

#[tokio::test]
async fn an_operator_reads_a_saga_by_id_and_sees_what_it_waits_for_and_how_it_ended() {
    use streamia_shared::saga::status;
    use streamia_users::store::SagaStore;
    let f = Fixture::new().await;
    let deps: SagaDeps = f.env.service().await;
    // What `users-saga-status` builds at its cold start: the sagas, nothing else.
    let reader: SagaStore = f.env.service().await;
    let (saga, user, email) = deleting(&f).await;
    let status = |payload: serde_json::Value| {
        let reader = &reader;
        async move { status::read(reader, payload).await }
    };
    let read = status(json!({"sagaId": saga})).await.unwrap();
    let shown = serde_json::to_value(&read).unwrap();
    assert_eq!(shown["state"], "running");
    assert_eq!(shown["userId"], user.as_str());
    assert_eq!(
        shown["waitingFor"],
        json!(["comments", "favorites", "ratings"])
    );
    assert_eq!(shown["steps"]["ratings"], "pending");
    assert!(shown["endedAt"].is_null());
    // Nothing of the user but the id: the snapshot kept for a cancellation stays inside.
    assert!(!shown.to_string().contains(&email), "{shown}");

    deliver(
        &deps,
        reply("user.deletion_step_done", &saga, &user, "favorites"),
    )
    .await;
    deliver(
        &deps,
        reply("user.deletion_step_failed", &saga, &user, "ratings"),
    )
    .await;
    // Upper-case and surrounding spaces name the same saga.
    let upper = format!(" {} ", saga.to_uppercase());
    let ended = serde_json::to_value(status(json!({"sagaId": upper})).await.unwrap()).unwrap();
    assert_eq!(ended["state"], "cancelled");
    assert_eq!(ended["steps"]["favorites"], "done");
    assert_eq!(ended["steps"]["ratings"], "failed");
    assert_eq!(ended["waitingFor"], json!([]));
    assert_eq!(
        ended["reason"],
        "ratings failed: a fault injected by SAGA_FAULT"
    );
    assert!(ended["endedAt"].is_string());

    // Refusals are function errors an operator can read.
    let unknown = uuid::Uuid::new_v4().to_string();
    for (payload, error_type) in [
        (json!({"sagaId": unknown}), "SagaNotFound"),
        (json!({"sagaId": "not-a-saga"}), "ValidationError"),
        (json!({}), "ValidationError"),
        (json!({"id": saga}), "InvalidPayload"),
        (json!("x"), "InvalidPayload"),
    ] {
        let err = status(payload.clone()).await.unwrap_err();
        assert_eq!(
            err.error_type, error_type,
            "{payload}: {}",
            err.error_message
        );
    }
}

#[test]
fn every_saga_reply_the_queue_subscribes_to_is_handled() {
    let handled = streamia_shared::testing::contracts::assert_consumer_handles(
        "UsersDeletionStepsQueue",
        deletion_saga::parse,
    );
    assert_eq!(handled.len(), 2, "done and failed");
}
