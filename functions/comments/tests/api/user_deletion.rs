//! The comments' step of the user-deletion saga through its consumer: a deleted user's
//! comments leave every list while the saga runs, come back exactly when it is cancelled, and
//! when it completes are gone, except a comment others replied to, which stays as a deleted
//! comment holding their replies; the user's reports go too.

use bson::oid::ObjectId;
use serde_json::{json, Value};
use streamia_comments::adapters::sqs;
use streamia_comments::deps::SagaDeps;
use streamia_shared::events::Envelope;

use crate::common::*;

fn saga_event(name: &str, saga: &str, user: &ObjectId) -> Envelope {
    let payload = if name == "user.deletion_completed" {
        json!({"sagaId": saga, "userId": user.to_hex()})
    } else {
        json!({"sagaId": saga, "userId": user.to_hex(), "email": "ana@example.com",
               "username": "ana", "firstName": null, "language": "en"})
    };
    serde_json::from_value(json!({
        "eventId": uuid::Uuid::new_v4().to_string(), "eventName": name,
        "occurredAt": "2030-01-01T00:00:00.000Z", "correlationId": "request-3",
        "source": "users", "version": 1, "aggregateId": user.to_hex(), "aggregateVersion": 9,
        "payload": payload,
    }))
    .unwrap()
}

async fn deliver(deps: &'static SagaDeps, envelope: Envelope) {
    sqs::on_user_deletion(deps, envelope).await.unwrap();
}

#[tokio::test]
async fn a_deleted_users_comments_leave_come_back_and_go_with_the_saga() {
    let app = TestApp::spawn().await;
    let deps: &'static SagaDeps = Box::leak(Box::new(app.env.service().await));
    streamia_shared::saga::ledger::create_indexes(&app.deps.db)
        .await
        .unwrap();
    let (ana, bob) = (app.user("ana").await, app.user("bob").await);
    let movie = app.movie().await;
    let root = app.comment(&ana, &movie, "root").await;
    let root_id = root["id"].as_str().unwrap().to_owned();
    app.comment(&ana, &movie, "solo").await;
    let reply = app.reply(&bob, &movie, &root_id, "a reply").await;
    app.report(
        &ana,
        reply["id"].as_str().unwrap(),
        Some(json!({"reason": "mine"})),
    )
    .await
    .assert_ok(202);
    let all = app.texts(&movie).await;
    assert_eq!(all.len(), 3, "{all:?}");

    deliver(deps, saga_event("user.deleted", "s1", &ana.id)).await;
    assert_eq!(app.texts(&movie).await, [json!("a reply")]);
    // Set aside: ana's comments refuse every route, as if gone.
    app.edit(&ana, &root_id, json!({"text": "edited"}))
        .await
        .assert_error(404, "COMMENT_NOT_FOUND");
    deliver(deps, saga_event("user.deletion_cancelled", "s1", &ana.id)).await;
    assert_eq!(app.texts(&movie).await, all);

    deliver(deps, saga_event("user.deleted", "s2", &ana.id)).await;
    deliver(deps, saga_event("user.deletion_completed", "s2", &ana.id)).await;
    let after = app.list(&movie, &[]).await;
    let items: Vec<Value> = after.data()["items"].as_array().unwrap().clone();
    let texts: Vec<&Value> = items.iter().map(|c| &c["text"]).collect();
    assert_eq!(texts, [&json!("a reply"), &Value::Null], "{items:?}");
    let kept = items.iter().find(|c| c["id"] == root_id.as_str()).unwrap();
    assert_eq!(kept["deleted"], true, "{kept}");
    let reports = app
        .deps
        .db
        .collection::<bson::Document>("reports")
        .count_documents(bson::doc! {"userId": ana.id})
        .await
        .unwrap();
    assert_eq!(reports, 0);
}
