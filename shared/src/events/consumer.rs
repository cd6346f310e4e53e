//! Running an SQS consumer: one envelope per record, partial batch failures reported so that
//! only failed records come back, and poison records end in the dead-letter queue instead of
//! blocking the rest of the batch.

use std::future::Future;
use std::time::Instant;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, LambdaEvent};

use super::Envelope;

/// Why a record was not processed; either way it is reported as failed and redelivered, until
/// the queue's maxReceiveCount moves it to the dead-letter queue.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    /// The record can never succeed (not an envelope, unknown version): it goes to the DLQ.
    #[error("poison message: {0}")]
    Poison(String),
    /// A dependency failed; a redelivery may succeed.
    #[error("transient failure: {0}")]
    Transient(String),
}

/// Processes every record of a batch with `handle`, in order, and reports the failed ones.
pub async fn process_batch<F, Fut>(event: SqsEvent, handle: F) -> SqsBatchResponse
where
    F: Fn(Envelope) -> Fut,
    Fut: Future<Output = Result<(), ConsumeError>>,
{
    let started = Instant::now();
    let total = event.records.len();
    let mut response = SqsBatchResponse::default();
    let mut correlation_ids = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let outcome = match serde_json::from_str::<Envelope>(record.body.as_deref().unwrap_or("")) {
            Err(e) => Err(ConsumeError::Poison(format!(
                "body is not an event envelope: {e}"
            ))),
            Ok(envelope) => {
                correlation_ids.push(envelope.correlation_id.clone());
                let (name, event_id) = (envelope.event_name.clone(), envelope.event_id.clone());
                handle(envelope).await.inspect_err(|e| {
                    tracing::error!(message_id = %id, event_name = %name, event_id = %event_id, error = %e, "record failed");
                })
            }
        };
        if let Err(e) = outcome {
            if matches!(e, ConsumeError::Poison(_)) {
                tracing::error!(message_id = %id, error = %e, "poison record");
            }
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    tracing::info!(
        records = total,
        failed = response.batch_item_failures.len(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        correlation_ids = %correlation_ids.join(","),
        "event batch"
    );
    response
}

/// Serves an SQS consumer as a Lambda function for the life of the container; `state` is built
/// once in `main`.
pub async fn run<S, H, Fut>(state: S, handle: H) -> Result<(), lambda_runtime::Error>
where
    S: Send + Sync + 'static,
    H: Fn(&'static S, Envelope) -> Fut + Send + Sync + Copy + 'static,
    Fut: Future<Output = Result<(), ConsumeError>> + Send,
{
    let state: &'static S = Box::leak(Box::new(state));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, std::convert::Infallible>(process_batch(event.payload, |e| handle(state, e)).await)
    }))
    .await
}
