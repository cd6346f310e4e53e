//! Publishing events to SNS.
//!
//! Handlers hand every event to [`EventPublisher::publish`] and nothing else, so a
//! transactional outbox can later slot in behind this one method without touching a handler.

use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_sns::types::MessageAttributeValue;

use super::{Envelope, Event};

/// Publishing failed; the caller decides whether that fails the request.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The envelope could not be serialized.
    #[error("could not serialize event: {0}")]
    Serialize(#[from] serde_json::Error),
    /// SNS refused or did not answer.
    #[error("could not publish event {event_name} ({event_id}): {message}")]
    Sns {
        /// The event's name.
        event_name: String,
        /// The event's id.
        event_id: String,
        /// The SDK's error, without the message body.
        message: String,
    },
    /// No topic is configured for this function.
    #[error("no topic ARN is set for this function")]
    NoTopic,
}

/// Longest one SNS publish attempt may take.
const PUBLISH_ATTEMPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
/// Longest a publish may take, retries included.
const PUBLISH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The SDK's configuration loader with its HTTPS client on rustls + ring, the one crypto backend
/// every function links (the SDK's default client would add aws-lc-rs beside mongodb's ring).
/// Every SDK client in the workspace starts from here.
pub fn aws_defaults() -> aws_config::ConfigLoader {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    aws_config::defaults(BehaviorVersion::latest()).http_client(https)
}

/// Loads the AWS SDK configuration from the environment (credentials, region, and
/// `AWS_ENDPOINT_URL` for LocalStack), once per container, with the call budget of
/// [`aws_config_loader`]. Every AWS client (SNS, SQS, Secrets Manager) is built from it.
pub async fn aws_config_from_env() -> SdkConfig {
    aws_config_loader().load().await
}

/// The SDK defaults have no operation timeout and back off for up to 20 s: a hanging endpoint
/// would hold a request until Lambda kills it. Here one call (all attempts) gets
/// [`AWS_OPERATION_TIMEOUT`], well inside a function's 10 s, and then fails (503).
///
/// Tests use this loader with their own endpoint to check the budget against a hanging server.
pub fn aws_config_loader() -> aws_config::ConfigLoader {
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    aws_defaults()
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(AWS_CONNECT_TIMEOUT)
                .operation_attempt_timeout(AWS_ATTEMPT_TIMEOUT)
                .operation_timeout(AWS_OPERATION_TIMEOUT)
                .build(),
        )
        // One retry, soon: a throttled or dropped call gets a second chance that still fits.
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(100))
                .with_max_backoff(Duration::from_millis(500)),
        )
}

/// Connecting to an AWS endpoint (in-region: milliseconds).
pub(crate) const AWS_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// One attempt of one call (SNS Publish answers in tens of milliseconds).
pub(crate) const AWS_ATTEMPT_TIMEOUT: Duration = Duration::from_millis(2500);
/// One call, every attempt and backoff included.
pub(crate) const AWS_OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

/// Publishes envelopes to one SNS topic, with `eventName` and `correlationId` message
/// attributes for subscription filter policies and tracing.
#[derive(Clone)]
pub struct EventPublisher {
    sns: aws_sdk_sns::Client,
    topic_arn: Option<String>,
    source: &'static str,
}

impl EventPublisher {
    /// A publisher for `source` (the service name) on `topic_arn`.
    pub fn new(sdk: &SdkConfig, topic_arn: Option<String>, source: &'static str) -> Self {
        // A publish never holds its caller (a request, the relay) for long: SNS that does not
        // answer is a failed publish the outbox retries later.
        let timeouts = aws_sdk_sns::config::timeout::TimeoutConfig::builder()
            .operation_attempt_timeout(PUBLISH_ATTEMPT_TIMEOUT)
            .operation_timeout(PUBLISH_TIMEOUT)
            .build();
        // Each publish carries the invocation's trace id (`X-Amzn-Trace-Id`).
        let config = aws_sdk_sns::config::Builder::from(sdk)
            .timeout_config(timeouts)
            .interceptor(crate::runtime::TraceHeader)
            .build();
        Self {
            sns: aws_sdk_sns::Client::from_conf(config),
            topic_arn,
            source,
        }
    }

    /// Wraps `payload` in an envelope and publishes it; returns the envelope as sent.
    pub async fn publish<P: Event>(
        &self,
        correlation_id: &str,
        payload: P,
    ) -> Result<Envelope<P>, PublishError> {
        let envelope = Envelope::new(self.source, correlation_id, payload);
        self.publish_envelope(&envelope).await?;
        Ok(envelope)
    }

    /// Publishes an envelope built elsewhere (e.g. replayed from an outbox).
    pub async fn publish_envelope<P: serde::Serialize>(
        &self,
        envelope: &Envelope<P>,
    ) -> Result<(), PublishError> {
        let body = serde_json::to_string(envelope)?;
        self.publish_body(
            &EnvelopeIds {
                event_name: &envelope.event_name,
                event_id: &envelope.event_id,
                correlation_id: &envelope.correlation_id,
            },
            body,
        )
        .await
    }

    /// The service name every envelope of this publisher carries as `source`.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// Publishes an already serialized envelope (the outbox stores the exact body it sends).
    pub(crate) async fn publish_body(
        &self,
        ids: &EnvelopeIds<'_>,
        body: String,
    ) -> Result<(), PublishError> {
        let topic_arn = self.topic_arn.as_deref().ok_or(PublishError::NoTopic)?;
        let attr = |value: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
        };
        let sns_error = |message: String| PublishError::Sns {
            event_name: ids.event_name.to_owned(),
            event_id: ids.event_id.to_owned(),
            message,
        };
        let event_name = attr(ids.event_name).map_err(|e| sns_error(e.to_string()))?;
        let correlation = attr(ids.correlation_id).map_err(|e| sns_error(e.to_string()))?;
        self.sns
            .publish()
            .topic_arn(topic_arn)
            .message(body)
            .message_attributes("eventName", event_name)
            .message_attributes("correlationId", correlation)
            .send()
            .await
            .map_err(|e| sns_error(aws_sdk_sns::error::DisplayErrorContext(&e).to_string()))?;
        tracing::info!(
            event_name = %ids.event_name,
            event_id = %ids.event_id,
            correlation_id = %ids.correlation_id,
            "event published"
        );
        Ok(())
    }
}

/// The envelope fields SNS message attributes and logs need.
pub(crate) struct EnvelopeIds<'a> {
    pub(crate) event_name: &'a str,
    pub(crate) event_id: &'a str,
    pub(crate) correlation_id: &'a str,
}
