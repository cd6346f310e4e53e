//! A record that fails for a transient reason comes back after a growing delay
//! (`ChangeMessageVisibility`), one that is poison after the queue's visibility timeout, on a
//! real LocalStack queue addressed as the SQS event source names it (its ARN).
#![cfg(feature = "testing")]

use std::time::Duration;

use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use serde_json::json;
use streamia_shared::events::consumer::{process_batch_with, Budget, ConsumeError, Requeue};
use streamia_shared::testing::TestEnv;

/// A queue of this test's own (1 s visibility timeout): its URL and its ARN, as the SQS
/// event source names it.
async fn queue(kind: &str) -> (TestEnv, aws_sdk_sqs::Client, String, String) {
    let env = TestEnv::new(&[]).await;
    let sqs = aws_sdk_sqs::Client::new(&env.aws);
    let name = format!(
        "{kind}-{}",
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
    (env, sqs, url, arn)
}

#[tokio::test]
async fn a_transient_failure_comes_back_later_and_poison_at_the_queues_timeout() {
    let (env, sqs, url, arn) = queue("requeue").await;
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

#[tokio::test]
async fn a_record_whose_dependency_is_down_is_sent_again_with_no_receive_used_up() {
    use streamia_shared::events::consumer::{DEFERRED_SINCE, MAX_DEFERRAL};
    let (env, sqs, url, arn) = queue("defer").await;
    let body = json!({"eventId": "e1", "eventName": "test.happened",
        "occurredAt": "2030-01-01T00:00:00.000Z", "correlationId": "c", "source": "test",
        "version": 1, "payload": {}})
    .to_string();
    let record = |receipt: &str, attributes: serde_json::Value| {
        json!({"messageId": "m1", "receiptHandle": receipt, "body": body,
               "attributes": {"ApproximateReceiveCount": "3"}, "messageAttributes": attributes,
               "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": "us-east-1"})
    };
    let attribute = |data_type: &str, value: &str| {
        json!({"stringValue": value, "dataType": data_type, "stringListValues": [],
               "binaryListValues": []})
    };
    let requeue = Requeue::new(&env.aws, Duration::from_secs(10));
    let down = |_| async {
        Err(ConsumeError::Unavailable {
            why: "smtp circuit open".into(),
            at_least: Duration::from_secs(2),
        })
    };

    // Deferred: reported done (Lambda deletes it), a copy arrives after the cool-down.
    let fresh = record(
        "r1",
        json!({"eventName": attribute("String", "test.happened")}),
    );
    let event = serde_json::from_value(json!({"Records": [fresh]})).unwrap();
    let response = process_batch_with(event, Budget::unlimited(), down, Some(&requeue)).await;
    assert!(
        response.batch_item_failures.is_empty(),
        "deferred, not failed"
    );
    let receive = || async {
        sqs.receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
    };
    assert!(
        receive().await.is_empty(),
        "the copy waits for the cool-down"
    );
    // Lambda deletes a record reported done; a copy is received like any record.
    let next_copy = || async {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let mut got = receive().await;
            if let Some(copy) = got.pop() {
                assert!(got.is_empty(), "one copy at a time");
                return copy;
            }
            assert!(std::time::Instant::now() < deadline, "the copy arrives");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    let copy = next_copy().await;
    assert_eq!(copy.body(), Some(body.as_str()), "the same event");
    let system = copy.attributes().unwrap();
    assert_eq!(
        system[&MessageSystemAttributeName::ApproximateReceiveCount],
        "1",
        "a fresh record: no receive used up"
    );
    let attributes = copy.message_attributes().unwrap();
    assert_eq!(
        attributes["eventName"].string_value(),
        Some("test.happened"),
        "its attributes kept"
    );
    let since = attributes[DEFERRED_SINCE]
        .string_value()
        .unwrap()
        .to_owned();

    // Deferred again, it keeps the first deferral's time.
    let again = record(
        copy.receipt_handle().unwrap(),
        json!({"eventName": attribute("String", "test.happened"),
               DEFERRED_SINCE: attribute("Number", &since)}),
    );
    let event = serde_json::from_value(json!({"Records": [again]})).unwrap();
    let response = process_batch_with(event, Budget::unlimited(), down, Some(&requeue)).await;
    assert!(response.batch_item_failures.is_empty());
    sqs.delete_message()
        .queue_url(&url)
        .receipt_handle(copy.receipt_handle().unwrap())
        .send()
        .await
        .unwrap();
    let second = next_copy().await;
    assert_eq!(
        second.message_attributes().unwrap()[DEFERRED_SINCE].string_value(),
        Some(since.as_str())
    );

    // Deferred for longer than MAX_DEFERRAL: it fails like any transient failure (towards
    // the DLQ, where an operator sees it).
    let old = (since.parse::<u64>().unwrap() - MAX_DEFERRAL.as_secs() - 1).to_string();
    let stale = record(
        second.receipt_handle().unwrap(),
        json!({DEFERRED_SINCE: attribute("Number", &old)}),
    );
    let event = serde_json::from_value(json!({"Records": [stale]})).unwrap();
    let response = process_batch_with(event, Budget::unlimited(), down, Some(&requeue)).await;
    assert_eq!(response.batch_item_failures.len(), 1);
}
