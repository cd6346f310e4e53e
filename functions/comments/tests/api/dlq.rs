//! A garbage record on the real queue: LocalStack's SQS redelivers it until its redrive policy
//! moves it to the dead-letter queue, while the rest of its batch is applied once. The loop
//! below does what Lambda's event source mapping does with `ReportBatchItemFailures`: receive,
//! run the consumer, delete what it did not report.

use std::time::Duration;

use bson::oid::ObjectId;
use streamia_comments::adapters::sqs;
use streamia_shared::testing::sqs::RedrivenQueue;

use crate::common::*;

#[tokio::test]
async fn a_garbage_record_ends_in_the_dlq_and_the_rest_of_its_batch_is_applied() {
    let app = TestApp::spawn().await;
    let copies = app.copies;
    let queue = RedrivenQueue::create(&app.env.aws, "comments-movie-changes", 2).await;
    let movie = ObjectId::new();
    let good = [
        body(&movie_created(&movie, 1, "Heat")),
        body(&movie_updated(&movie, 2, "Heat (1995)")),
    ];
    queue.send(good[0].clone()).await;
    queue.send("{not json").await;
    queue.send(good[1].clone()).await;
    let pumped = queue
        .pump_until_dead(|e| sqs::on_movie_change(copies, e), Duration::from_secs(60))
        .await;
    assert_eq!(pumped.dead, ["{not json"]);
    pumped.assert_only_failed("{not json");
    pumped.assert_acknowledged_once(&good);
    let copy = app.deps.movies.visible(&movie).await.unwrap().unwrap();
    assert_eq!(copy.title, "Heat (1995)");
}
