//! A garbage message on the ratings' movie-changes queue ends in its dead-letter queue while
//! the rest of its batch is applied: a real LocalStack queue with the template's kind of
//! redrive policy, polled and acknowledged the way Lambda's SQS event source does (delete the
//! records the function did not report, leave the reported ones to come back).

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::{json, Value};
use streamia_ratings::adapters::sqs;
use streamia_shared::events::consumer::{process_batch, Budget};

use crate::common::*;

/// The test queue's redrive policy (the template's MaxReceiveCount, small to be quick).
const MAX_RECEIVE_COUNT: u32 = 2;

async fn queue(sqs: &aws_sdk_sqs::Client, name: &str, redrive_to: Option<&str>) -> String {
    let mut create = sqs
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::VisibilityTimeout, "1");
    if let Some(dlq_arn) = redrive_to {
        create = create.attributes(
            QueueAttributeName::RedrivePolicy,
            json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT.to_string()})
                .to_string(),
        );
    }
    create.send().await.unwrap().queue_url.unwrap()
}

#[tokio::test]
async fn a_garbage_message_ends_in_the_dlq_and_the_rest_of_its_batch_is_applied() {
    let app = TestApp::spawn().await;
    let sqs = aws_sdk_sqs::Client::new(&app.env.aws);
    let id = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let dlq_name = format!("ratings-movie-changes-dlq-{id}");
    let dlq_url = queue(&sqs, &dlq_name, None).await;
    let dlq_arn = format!("arn:aws:sqs:us-east-1:000000000000:{dlq_name}");
    let queue_url = queue(&sqs, &format!("ratings-movie-changes-{id}"), Some(&dlq_arn)).await;
    let (a, b) = (
        bson::oid::ObjectId::new().to_hex(),
        bson::oid::ObjectId::new().to_hex(),
    );
    for body in [
        serde_json::to_string(&movie_event(created(&a, "Alpha"), 1)).unwrap(),
        "{\"garbage\": true".to_owned(),
        serde_json::to_string(&movie_event(created(&b, "Beta"), 1)).unwrap(),
    ] {
        sqs.send_message()
            .queue_url(&queue_url)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }

    // The event source: receive a batch, invoke, delete what was not reported.
    let deps = app.deps;
    let deadline = Instant::now() + Duration::from_secs(45);
    let mut dead = Vec::new();
    while dead.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the garbage never reached the DLQ"
        );
        let received = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(
                aws_sdk_sqs::types::MessageSystemAttributeName::ApproximateReceiveCount,
            )
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
                        "messageId": m.message_id, "receiptHandle": m.receipt_handle,
                        "body": m.body, "attributes": {}, "messageAttributes": {},
                        "eventSource": "aws:sqs", "awsRegion": "us-east-1",
                    })
                })
                .collect();
            let event = serde_json::from_value(json!({ "Records": records })).unwrap();
            let response = process_batch(event, Budget::unlimited(), |e| {
                sqs::on_movie_change(deps, e)
            })
            .await;
            for message in &received {
                let failed = response
                    .batch_item_failures
                    .iter()
                    .any(|f| Some(f.item_identifier.as_str()) == message.message_id.as_deref());
                if !failed {
                    sqs.delete_message()
                        .queue_url(&queue_url)
                        .receipt_handle(message.receipt_handle.clone().unwrap())
                        .send()
                        .await
                        .unwrap();
                }
            }
        }
        dead = sqs
            .receive_message()
            .queue_url(&dlq_url)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
    }
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body.as_deref(), Some("{\"garbage\": true"));
    // The good records were applied, once, and acknowledged.
    let ana = app.user().await;
    for movie in [&a, &b] {
        app.rate(&ana, movie, json!(5)).await.assert_ok(201);
    }
    let left = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap_or_default();
    assert!(
        left.values().all(|n| n == "0"),
        "the source queue drained: {left:?}"
    );
}
