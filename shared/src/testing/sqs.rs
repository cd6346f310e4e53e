//! A consumer's dead-letter behaviour on a real queue: a LocalStack queue with a redrive
//! policy to its own DLQ (as `infra/messaging.yaml` declares every consumer's), polled the way
//! Lambda's SQS event source does with `ReportBatchItemFailures`: receive a batch, run the
//! consumer, delete what it did not report; the reported records come back after the
//! visibility timeout until the redrive policy moves them.

use std::future::Future;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName, QueueAttributeName};
use serde_json::{json, Value};

use crate::events::consumer::{process_batch, Budget, ConsumeError};
use crate::events::Envelope;

/// A queue and its dead-letter queue.
pub struct RedrivenQueue {
    client: aws_sdk_sqs::Client,
    /// The source queue.
    pub url: String,
    /// Its dead-letter queue.
    pub dlq_url: String,
}

/// What a run of the event source saw.
#[derive(Debug, Default)]
pub struct Pumped {
    /// The bodies the DLQ holds at the end.
    pub dead: Vec<String>,
    /// The bodies of the records the consumer handled (deleted), once per delivery.
    pub acknowledged: Vec<String>,
    /// The bodies of the records the consumer reported as failed, once per delivery.
    pub failed: Vec<String>,
}

impl Pumped {
    /// Asserts that only `poison` ever failed (on every delivery until the DLQ took it).
    pub fn assert_only_failed(&self, poison: &str) {
        assert!(!self.failed.is_empty(), "the poison record failed");
        assert!(
            self.failed.iter().all(|body| body == poison),
            "only the poison record fails: {:?}",
            self.failed
        );
    }

    /// Asserts that exactly `expected` were handled, each once, in any order.
    pub fn assert_acknowledged_once(&self, expected: &[String]) {
        let mut acknowledged = self.acknowledged.clone();
        acknowledged.sort();
        let mut expected = expected.to_vec();
        expected.sort();
        assert_eq!(
            acknowledged, expected,
            "each good record applied and deleted once"
        );
    }
}

impl RedrivenQueue {
    /// `<name>-<random>` with a 1 s visibility timeout and its DLQ after `max_receive_count`
    /// receives (the template's policy, smaller to be quick).
    pub async fn create(aws: &SdkConfig, name: &str, max_receive_count: u32) -> Self {
        let client = aws_sdk_sqs::Client::new(aws);
        let id = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
        let dlq_name = format!("{name}-dlq-{id}");
        let dlq_url = client
            .create_queue()
            .queue_name(&dlq_name)
            .send()
            .await
            .expect("create the DLQ")
            .queue_url
            .expect("DLQ url");
        let dlq_arn = client
            .get_queue_attributes()
            .queue_url(&dlq_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("DLQ attributes")
            .attributes
            .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
            .expect("DLQ arn");
        let redrive = json!({
            "deadLetterTargetArn": dlq_arn,
            "maxReceiveCount": max_receive_count.to_string(),
        });
        let url = client
            .create_queue()
            .queue_name(format!("{name}-{id}"))
            .attributes(QueueAttributeName::VisibilityTimeout, "1")
            .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
            .send()
            .await
            .expect("create the queue")
            .queue_url
            .expect("queue url");
        Self {
            client,
            url,
            dlq_url,
        }
    }

    /// Sends one message with `body`.
    pub async fn send(&self, body: impl Into<String>) {
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .expect("send");
    }

    /// Runs the event source with `handle` as the consumer until something reaches the DLQ
    /// (panics after `limit`).
    pub async fn pump_until_dead<F, Fut>(&self, handle: F, limit: Duration) -> Pumped
    where
        F: Fn(Envelope) -> Fut,
        Fut: Future<Output = Result<(), ConsumeError>>,
    {
        let deadline = Instant::now() + limit;
        let mut pumped = Pumped::default();
        while pumped.dead.is_empty() {
            assert!(
                Instant::now() < deadline,
                "nothing reached the DLQ in {limit:?}"
            );
            self.pump_into(&handle, &mut pumped).await;
            pumped.dead = self
                .peek(&self.dlq_url)
                .await
                .iter()
                .map(|m| m.body().unwrap_or_default().to_owned())
                .collect();
        }
        pumped
    }

    /// One receive of the event source (up to 10 records, waiting up to 1 s): the consumer
    /// runs, what it did not report is deleted.
    pub async fn pump_once<F, Fut>(&self, handle: F) -> Pumped
    where
        F: Fn(Envelope) -> Fut,
        Fut: Future<Output = Result<(), ConsumeError>>,
    {
        let mut pumped = Pumped::default();
        self.pump_into(&handle, &mut pumped).await;
        pumped
    }

    async fn pump_into<F, Fut>(&self, handle: &F, pumped: &mut Pumped)
    where
        F: Fn(Envelope) -> Fut,
        Fut: Future<Output = Result<(), ConsumeError>>,
    {
        let received = self.receive(&self.url, 1).await;
        if received.is_empty() {
            return;
        }
        let records: Vec<Value> = received.iter().map(record).collect();
        let event = serde_json::from_value(json!({ "Records": records })).expect("an SQS event");
        let response = process_batch(event, Budget::unlimited(), handle).await;
        for message in &received {
            let failed = response
                .batch_item_failures
                .iter()
                .any(|f| Some(f.item_identifier.as_str()) == message.message_id());
            if failed {
                pumped
                    .failed
                    .push(message.body().unwrap_or_default().to_owned());
                continue;
            }
            pumped
                .acknowledged
                .push(message.body().unwrap_or_default().to_owned());
            self.client
                .delete_message()
                .queue_url(&self.url)
                .receipt_handle(message.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete");
        }
    }

    /// Messages left in the source queue, visible or in flight.
    pub async fn left(&self) -> usize {
        let attributes = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .expect("queue attributes")
            .attributes
            .unwrap_or_default();
        attributes
            .values()
            .map(|n| n.parse::<usize>().unwrap_or(0))
            .sum()
    }

    /// The messages of `url` without taking them (visible again at once), as an operator
    /// reads a DLQ before moving it back.
    async fn peek(&self, url: &str) -> Vec<Message> {
        self.client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default()
    }

    async fn receive(&self, url: &str, wait_seconds: i32) -> Vec<Message> {
        self.client
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(wait_seconds)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default()
    }
}

/// The record Lambda's SQS event source builds from a received message.
fn record(message: &Message) -> Value {
    let receive_count = message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .cloned()
        .unwrap_or_else(|| "1".to_owned());
    json!({
        "messageId": message.message_id(), "receiptHandle": message.receipt_handle(),
        "body": message.body(), "attributes": {"ApproximateReceiveCount": receive_count},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:queue", "awsRegion": "us-east-1",
    })
}
