//! A record that fails for a transient reason comes back after a growing delay
//! (`ChangeMessageVisibility`), one that is poison after the queue's visibility timeout, on a
//! real LocalStack queue addressed as the SQS event source names it (its ARN).
#![cfg(feature = "testing")]

use std::time::Duration;

use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use serde_json::json;
use streamia_shared::events::consumer::{process_batch_with, Budget, ConsumeError, Requeue};
use streamia_shared::testing::TestEnv;

#[tokio::test]
async fn a_transient_failure_comes_back_later_and_poison_at_the_queues_timeout() {
    let env = TestEnv::new(&[]).await;
    let sqs = aws_sdk_sqs::Client::new(&env.aws);
    let name = format!(
        "requeue-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..10]
    );
    let url = sqs
        .create_queue()
        .queue_name(&name)
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = format!("arn:aws:sqs:us-east-1:000000000000:{name}");
    let envelope = |id: &str| {
        json!({"eventId": id, "eventName": "test.happened", "occurredAt": "2030-01-01T00:00:00.000Z",
               "correlationId": "c", "source": "test", "version": 1, "payload": {}})
        .to_string()
    };
    for id in ["transient", "poison"] {
        sqs.send_message()
            .queue_url(&url)
            .message_body(envelope(id))
            .send()
            .await
            .unwrap();
    }
    let receive = || async {
        sqs.receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
    };
    let received = receive().await;
    assert_eq!(received.len(), 2);
    let records: Vec<serde_json::Value> = received
        .iter()
        .map(|m| {
            json!({"messageId": m.message_id(), "receiptHandle": m.receipt_handle(),
                   "body": m.body(), "attributes": {"ApproximateReceiveCount": "1"},
                   "messageAttributes": {}, "eventSource": "aws:sqs",
                   "eventSourceARN": arn, "awsRegion": "us-east-1"})
        })
        .collect();
    let event = serde_json::from_value(json!({"Records": records})).unwrap();
    let requeue = Requeue::new(&env.aws, Duration::from_secs(10));
    let response = process_batch_with(
        event,
        Budget::unlimited(),
        |e| async move {
            if e.event_id == "transient" {
                Err(ConsumeError::Transient("smtp down".into()))
            } else {
                Err(ConsumeError::Poison("unreadable".into()))
            }
        },
        Some(&requeue),
    )
    .await;
    assert_eq!(response.batch_item_failures.len(), 2);
    // Past the queue's 1 s timeout only the poison record is back; the other waits 10 s.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let back: Vec<String> = receive()
        .await
        .iter()
        .map(|m| m.body().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(back, [envelope("poison")], "only the poison record is back");
}
