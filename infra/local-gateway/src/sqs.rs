//! SQS event sources: poll the queue, invoke the consumer with real SQS event batches, delete
//! what succeeded. Failed records stay, so the queue's redrive policy moves poison messages to
//! the dead-letter queue after maxReceiveCount, exactly as the AWS event source mapping does.

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use serde_json::{json, Map, Value};

use crate::invoke::Invoker;
use crate::template::{Function, QueueSource};

/// Drives one function from one queue.
pub struct QueuePoller {
    /// SQS (LocalStack).
    pub sqs: aws_sdk_sqs::Client,
    /// Lambda.
    pub invoker: Invoker,
    /// The consumer.
    pub function: Function,
    /// The mapping.
    pub source: QueueSource,
}

/// `arn:aws:sqs:region:account:name` -> (region, account, name).
fn arn_parts(arn: &str) -> Option<(&str, &str, &str)> {
    let parts: Vec<&str> = arn.split(':').collect();
    (parts.len() == 6 && parts[2] == "sqs").then(|| (parts[3], parts[4], parts[5]))
}

fn record(message: &Message, queue_arn: &str, region: &str) -> Value {
    let attributes: Map<String, Value> = message
        .attributes
        .iter()
        .flatten()
        .map(|(k, v)| (k.as_str().to_owned(), json!(v)))
        .collect();
    let message_attributes: Map<String, Value> = message
        .message_attributes
        .iter()
        .flatten()
        .map(|(k, v)| {
            (
                k.clone(),
                json!({
                    "stringValue": v.string_value,
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": v.data_type,
                }),
            )
        })
        .collect();
    json!({
        "messageId": message.message_id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.md5_of_body,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    })
}

impl QueuePoller {
    async fn queue_url(&self) -> String {
        let (_, account, name) = arn_parts(&self.source.queue_arn).unwrap_or(("", "", ""));
        loop {
            match self
                .sqs
                .get_queue_url()
                .queue_name(name)
                .queue_owner_aws_account_id(account)
                .send()
                .await
            {
                Ok(out) => return out.queue_url.unwrap_or_default(),
                Err(e) => {
                    tracing::warn!(queue = %self.source.queue_arn, error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "queue not reachable yet");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
    }

    async fn receive(&self, url: &str) -> Vec<Message> {
        let started = Instant::now();
        let mut batch: Vec<Message> = Vec::new();
        loop {
            let want = (self.source.batch_size - batch.len()).min(10) as i32;
            let wait = if batch.is_empty() { 1 } else { 0 };
            match self
                .sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(want)
                .wait_time_seconds(wait)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .message_attribute_names("All")
                .send()
                .await
            {
                Ok(out) => batch.extend(out.messages.unwrap_or_default()),
                Err(e) => {
                    tracing::warn!(queue = %self.source.queue_arn, error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "receive failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    return batch;
                }
            }
            let full = batch.len() >= self.source.batch_size;
            let window_over = started.elapsed() >= self.source.batching_window;
            if batch.is_empty() || full || window_over {
                return batch;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Which records to delete after the function answered `response`.
    fn succeeded<'a>(&self, batch: &'a [Message], response: &Value) -> Vec<&'a Message> {
        if !self.source.report_batch_item_failures {
            return batch.iter().collect();
        }
        let Some(failures) = response.get("batchItemFailures").and_then(Value::as_array) else {
            // An empty or null answer means every record succeeded.
            return if response.is_null() || response.as_object().is_some_and(|o| o.is_empty()) {
                batch.iter().collect()
            } else {
                Vec::new()
            };
        };
        let failed: Vec<&str> = failures
            .iter()
            .filter_map(|f| f["itemIdentifier"].as_str())
            .collect();
        if failures.len() != failed.len() {
            // A failure without an identifier fails the whole batch, as in AWS.
            return Vec::new();
        }
        batch
            .iter()
            .filter(|m| !failed.contains(&m.message_id.as_deref().unwrap_or_default()))
            .collect()
    }

    async fn delete(&self, url: &str, messages: &[&Message]) {
        for chunk in messages.chunks(10) {
            let entries: Vec<DeleteMessageBatchRequestEntry> = chunk
                .iter()
                .enumerate()
                .filter_map(|(i, m)| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(m.receipt_handle.clone()?)
                        .build()
                        .ok()
                })
                .collect();
            if let Err(e) = self
                .sqs
                .delete_message_batch()
                .queue_url(url)
                .set_entries(Some(entries))
                .send()
                .await
            {
                tracing::error!(queue = %self.source.queue_arn, error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "delete failed");
            }
        }
    }

    /// Polls for ever (spawn it).
    pub async fn run(self) {
        let url = self.queue_url().await;
        let region = arn_parts(&self.source.queue_arn)
            .map(|p| p.0)
            .unwrap_or("us-east-1")
            .to_owned();
        tracing::info!(function = %self.function.binary, queue = %self.source.queue_arn, "polling queue");
        loop {
            let batch = self.receive(&url).await;
            if batch.is_empty() {
                continue;
            }
            let records: Vec<Value> = batch
                .iter()
                .map(|m| record(m, &self.source.queue_arn, &region))
                .collect();
            let correlation_ids: Vec<String> = batch
                .iter()
                .filter_map(|m| {
                    m.message_attributes
                        .as_ref()?
                        .get("correlationId")?
                        .string_value
                        .clone()
                })
                .collect();
            let started = Instant::now();
            let outcome = self
                .invoker
                .invoke(
                    &self.function.binary,
                    &json!({"Records": records}),
                    self.function.timeout,
                )
                .await;
            let done = match &outcome {
                Ok(response) => self.succeeded(&batch, response),
                Err(_) => Vec::new(),
            };
            self.delete(&url, &done).await;
            let error = outcome.err().map(|e| e.to_string());
            tracing::info!(
                function = %self.function.binary,
                queue = %self.source.queue_arn,
                records = batch.len(),
                succeeded = done.len(),
                failed = batch.len() - done.len(),
                latency_ms = started.elapsed().as_secs_f64() * 1000.0,
                correlation_ids = %correlation_ids.join(","),
                error = error.as_deref().unwrap_or(""),
                "event batch"
            );
        }
    }
}
