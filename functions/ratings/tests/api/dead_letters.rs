//! A garbage message on the ratings' movie-changes queue ends in its dead-letter queue while
//! the rest of its batch is applied: a real LocalStack queue with the template's kind of
//! redrive policy, polled and acknowledged the way Lambda's SQS event source does (delete the
//! records the function did not report, leave the reported ones to come back).

use std::time::Duration;

use serde_json::json;
use streamia_ratings::adapters::sqs;
use streamia_shared::testing::sqs::RedrivenQueue;

use crate::common::*;

#[tokio::test]
async fn a_garbage_message_ends_in_the_dlq_and_the_rest_of_its_batch_is_applied() {
    let app = TestApp::spawn().await;
    let queue = RedrivenQueue::create(&app.env.aws, "ratings-movie-changes", 2).await;
    let (a, b) = (
        bson::oid::ObjectId::new().to_hex(),
        bson::oid::ObjectId::new().to_hex(),
    );
    let good = [
        serde_json::to_string(&movie_event(created(&a, "Alpha"), 1)).unwrap(),
        serde_json::to_string(&movie_event(created(&b, "Beta"), 1)).unwrap(),
    ];
    queue.send(good[0].clone()).await;
    queue.send("{\"garbage\": true").await;
    queue.send(good[1].clone()).await;
    let deps = app.deps;
    let pumped = queue
        .pump_until_dead(|e| sqs::on_movie_change(deps, e), Duration::from_secs(45))
        .await;
    assert_eq!(pumped.dead, ["{\"garbage\": true"]);
    pumped.assert_only_failed("{\"garbage\": true");
    pumped.assert_acknowledged_once(&good);
    // The good records were applied, once, and acknowledged.
    let ana = app.user().await;
    for movie in [&a, &b] {
        app.rate(&ana, movie, json!(5)).await.assert_ok(201);
    }
    assert_eq!(queue.left().await, 0, "the source queue drained");
}
