//! Every event source's queue and its dead-letter queue: their depths, and the redrive that
//! moves a dead-letter queue's messages back to their queue once the cause is fixed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName, SendMessageBatchRequestEntry};
use aws_sdk_sqs::Client;
use serde::Serialize;
use tokio::sync::Mutex;

/// A queue a function consumes, from the template's event sources.
#[derive(Debug, Clone)]
pub(crate) struct Watched {
    /// The consumer.
    pub function: String,
    /// The queue's ARN.
    pub queue_arn: String,
}

/// One queue's depth, with its dead-letter queue's.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueDepth {
    /// The queue's name.
    pub queue: String,
    /// Its consumer.
    pub function: String,
    /// Messages waiting (`ApproximateNumberOfMessages`).
    pub visible: Option<u64>,
    /// Messages being handled or waiting out a failure's visibility timeout.
    pub in_flight: Option<u64>,
    /// Messages sent with a delay (a deferral while a circuit is open).
    pub delayed: Option<u64>,
    /// The dead-letter queue's name (its `RedrivePolicy`).
    pub dlq: Option<String>,
    /// Messages in the dead-letter queue.
    pub dlq_visible: Option<u64>,
    /// Why something could not be read.
    pub error: Option<String>,
}

/// Why a redrive stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RedriveError {
    /// Not one of the template's queues: the console moves nothing else.
    #[error("unknown queue")]
    Unknown,
    /// The queue has no dead-letter queue.
    #[error("the queue has no dead-letter queue")]
    NoDlq,
    /// SQS failed.
    #[error("SQS: {0}")]
    Sqs(String),
}

/// The template's queues, reached through SQS (LocalStack).
pub(crate) struct Queues {
    sqs: Client,
    watched: Vec<Watched>,
    urls: Mutex<HashMap<String, String>>,
}

/// The most one redrive moves, and for how long it runs.
const REDRIVE_MAX: usize = 1000;
const REDRIVE_BUDGET: Duration = Duration::from_secs(20);

fn name_of(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

fn count(attrs: &HashMap<QueueAttributeName, String>, name: QueueAttributeName) -> Option<u64> {
    attrs.get(&name).and_then(|v| v.parse().ok())
}

impl Queues {
    pub(crate) fn new(sqs: Client, watched: Vec<Watched>) -> Self {
        Self {
            sqs,
            watched,
            urls: Mutex::new(HashMap::new()),
        }
    }

    async fn url(&self, name: &str) -> Result<String, String> {
        if let Some(url) = self.urls.lock().await.get(name) {
            return Ok(url.clone());
        }
        let url = self
            .sqs
            .get_queue_url()
            .queue_name(name)
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?
            .queue_url
            .unwrap_or_default();
        self.urls.lock().await.insert(name.to_owned(), url.clone());
        Ok(url)
    }

    async fn attributes(&self, name: &str) -> Result<HashMap<QueueAttributeName, String>, String> {
        let url = self.url(name).await?;
        Ok(self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?
            .attributes
            .unwrap_or_default())
    }

    /// The dead-letter queue's name, from the queue's `RedrivePolicy`.
    fn dlq_of(attrs: &HashMap<QueueAttributeName, String>) -> Option<String> {
        let policy = attrs.get(&QueueAttributeName::RedrivePolicy)?;
        let policy: serde_json::Value = serde_json::from_str(policy).ok()?;
        Some(name_of(policy["deadLetterTargetArn"].as_str()?).to_owned())
    }

    /// Every queue's depth, in the template's order.
    pub(crate) async fn depths(&self) -> Vec<QueueDepth> {
        let mut depths = Vec::with_capacity(self.watched.len());
        for w in &self.watched {
            let queue = name_of(&w.queue_arn).to_owned();
            let mut depth = QueueDepth {
                queue: queue.clone(),
                function: w.function.clone(),
                visible: None,
                in_flight: None,
                delayed: None,
                dlq: None,
                dlq_visible: None,
                error: None,
            };
            match self.attributes(&queue).await {
                Ok(attrs) => {
                    depth.visible = count(&attrs, QueueAttributeName::ApproximateNumberOfMessages);
                    depth.in_flight = count(
                        &attrs,
                        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
                    );
                    depth.delayed = count(
                        &attrs,
                        QueueAttributeName::ApproximateNumberOfMessagesDelayed,
                    );
                    depth.dlq = Self::dlq_of(&attrs);
                }
                Err(e) => depth.error = Some(e),
            }
            if let Some(dlq) = depth.dlq.clone() {
                match self.attributes(&dlq).await {
                    Ok(attrs) => {
                        depth.dlq_visible =
                            count(&attrs, QueueAttributeName::ApproximateNumberOfMessages)
                    }
                    Err(e) => depth.error = Some(e),
                }
            }
            depths.push(depth);
        }
        depths
    }

    /// Moves `queue`'s dead-letter messages back to it (body and message attributes kept; a
    /// message is deleted from the dead-letter queue only once SQS took its copy), up to
    /// [`REDRIVE_MAX`] within [`REDRIVE_BUDGET`]: how many moved.
    pub(crate) async fn redrive(&self, queue: &str) -> Result<usize, RedriveError> {
        if !self.watched.iter().any(|w| name_of(&w.queue_arn) == queue) {
            return Err(RedriveError::Unknown);
        }
        let sqs_err = |e: String| RedriveError::Sqs(e);
        let attrs = self.attributes(queue).await.map_err(sqs_err)?;
        let dlq = Self::dlq_of(&attrs).ok_or(RedriveError::NoDlq)?;
        let to = self.url(queue).await.map_err(sqs_err)?;
        let from = self.url(&dlq).await.map_err(sqs_err)?;
        let started = Instant::now();
        let mut moved = 0;
        while moved < REDRIVE_MAX && started.elapsed() < REDRIVE_BUDGET {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&from)
                .max_number_of_messages(10)
                .visibility_timeout(30)
                .wait_time_seconds(0)
                .message_attribute_names("All")
                .send()
                .await
                .map_err(|e| {
                    RedriveError::Sqs(aws_sdk_sqs::error::DisplayErrorContext(e).to_string())
                })?;
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            let mut entries = Vec::with_capacity(messages.len());
            for (i, m) in messages.iter().enumerate() {
                let attributes: HashMap<String, MessageAttributeValue> =
                    m.message_attributes.clone().unwrap_or_default();
                let entry = SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(m.body.clone().unwrap_or_default())
                    .set_message_attributes((!attributes.is_empty()).then_some(attributes))
                    .build()
                    .map_err(|e| RedriveError::Sqs(e.to_string()))?;
                entries.push(entry);
            }
            let sent = self
                .sqs
                .send_message_batch()
                .queue_url(&to)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| {
                    RedriveError::Sqs(aws_sdk_sqs::error::DisplayErrorContext(e).to_string())
                })?;
            for ok in sent.successful {
                let Some(m) = ok.id.parse::<usize>().ok().and_then(|i| messages.get(i)) else {
                    continue;
                };
                let Some(receipt) = &m.receipt_handle else {
                    continue;
                };
                let deleted = self
                    .sqs
                    .delete_message()
                    .queue_url(&from)
                    .receipt_handle(receipt)
                    .send()
                    .await;
                // Not deleted: it shows up in the dead-letter queue again after its
                // visibility timeout, a copy having gone back (at least once, as SQS is).
                if let Err(e) = deleted {
                    tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "redriven message not deleted from the DLQ");
                }
                moved += 1;
            }
            if !sent.failed.is_empty() {
                return Err(RedriveError::Sqs(format!(
                    "{} messages not sent back: {:?}",
                    sent.failed.len(),
                    sent.failed.first().map(|f| f.message.clone())
                )));
            }
        }
        Ok(moved)
    }
}
