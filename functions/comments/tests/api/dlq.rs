//! A garbage record on the real queue: LocalStack's SQS redelivers it until its redrive policy
//! moves it to the dead-letter queue, while the rest of its batch is applied once. The loop
//! below does what Lambda's event source mapping does with `ReportBatchItemFailures`: receive,
//! run the consumer, delete what it did not report.

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use bson::oid::ObjectId;
use serde_json::{json, Value};
use streamia_comments::adapters::sqs;
use streamia_shared::events::consumer::{process_batch, Budget};

use crate::common::*;

const MAX_RECEIVE_COUNT: u32 = 2;

#[tokio::test]
async fn a_garbage_record_ends_in_the_dlq_and_the_rest_of_its_batch_is_applied() {
    let app = TestApp::spawn().await;
    let copies = app.copies;
    let sqs_client = aws_sdk_sqs::Client::new(&app.env.aws);
    let id = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let dlq_name = format!("comments-movie-changes-dlq-{id}");
    let dlq_url = sqs_client
        .create_queue()
        .queue_name(&dlq_name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let dlq_arn = format!("arn:aws:sqs:us-east-1:000000000000:{dlq_name}");
    let queue_url = sqs_client
        .create_queue()
        .queue_name(format!("comments-movie-changes-{id}"))
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .attributes(
            QueueAttributeName::RedrivePolicy,
            json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT.to_string()})
                .to_string(),
        )
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let movie = ObjectId::new();
    for text in [
        body(&movie_created(&movie, 1, "Heat")),
        "{not json".to_owned(),
        body(&movie_updated(&movie, 2, "Heat (1995)")),
    ] {
        sqs_client
            .send_message()
            .queue_url(&queue_url)
            .message_body(text)
            .send()
            .await
            .unwrap();
    }

    let deadline = Instant::now() + Duration::from_secs(60);
    let mut dead = Vec::new();
    let mut handled = 0;
    while dead.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the garbage never reached the DLQ"
        );
        let received = sqs_client
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
        if !received.is_empty() {
            let records: Vec<Value> = received
                .iter()
                .map(|m| {
                    json!({
                        "messageId": m.message_id(), "receiptHandle": m.receipt_handle(),
                        "body": m.body(), "attributes": {"ApproximateReceiveCount": "1"},
                        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                        "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q", "awsRegion": "us-east-1"
                    })
                })
                .collect();
            let event = serde_json::from_value(json!({"Records": records})).unwrap();
            let response = process_batch(event, Budget::unlimited(), |e| {
                sqs::on_movie_change(copies, e)
            })
            .await;
            let failed = failed(&response);
            for m in &received {
                if failed.iter().any(|f| Some(f.as_str()) == m.message_id()) {
                    assert_eq!(m.body(), Some("{not json"), "only the garbage fails");
                    continue;
                }
                handled += 1;
                sqs_client
                    .delete_message()
                    .queue_url(&queue_url)
                    .receipt_handle(m.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
        dead = sqs_client
            .receive_message()
            .queue_url(&dlq_url)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
    }
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body(), Some("{not json"));
    assert_eq!(handled, 2, "each good record applied and deleted once");
    let copy = app.deps.movies.visible(&movie).await.unwrap().unwrap();
    assert_eq!(copy.title, "Heat (1995)");
}
