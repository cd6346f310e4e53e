//! Publishing events to SNS.
//!
//! Handlers hand every event to [`EventPublisher::publish`] and nothing else, so a
//! transactional outbox can later slot in behind this one method without touching a handler.

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
/// `AWS_ENDPOINT_URL` for LocalStack), once per container.
pub async fn aws_config_from_env() -> SdkConfig {
    aws_defaults().load().await
}

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
        Self {
            sns: aws_sdk_sns::Client::new(sdk),
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
    pub async fn publish_envelope<P: Event>(
        &self,
        envelope: &Envelope<P>,
    ) -> Result<(), PublishError> {
        let topic_arn = self.topic_arn.as_deref().ok_or(PublishError::NoTopic)?;
        let body = serde_json::to_string(envelope)?;
        let attr = |value: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
        };
        let sns_error = |message: String| PublishError::Sns {
            event_name: envelope.event_name.clone(),
            event_id: envelope.event_id.clone(),
            message,
        };
        let event_name = attr(&envelope.event_name).map_err(|e| sns_error(e.to_string()))?;
        let correlation = attr(&envelope.correlation_id).map_err(|e| sns_error(e.to_string()))?;
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
            event_name = %envelope.event_name,
            event_id = %envelope.event_id,
            correlation_id = %envelope.correlation_id,
            "event published"
        );
        Ok(())
    }
}
