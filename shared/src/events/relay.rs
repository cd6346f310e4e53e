//! The scheduled outbox relay of a service, as a Lambda function: every invocation (an
//! EventBridge `Schedule` event, `rate(1 minute)` in template.yaml; the local gateway sends the
//! same) publishes what is still pending in the service's outbox.
//!
//! It reads only what it needs (`MONGODB_URI`, `MONGODB_DATABASE_PREFIX`, the topic's ARN), so
//! its template entry carries no secrets it does not use.

use std::time::Duration;

use lambda_runtime::{service_fn, LambdaEvent};

use super::{aws_config_from_env, EventPublisher, Outbox, RelayReport, Topic};
use crate::config::ConfigError;

/// Events younger than this are left to the flush that follows their commit.
pub const MIN_AGE: Duration = Duration::from_secs(5);
/// Events published per run at most; the next minute's run takes the rest.
pub const BATCH_LIMIT: usize = 200;

/// What the relay reads from its environment.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// `MONGODB_URI`.
    pub mongodb_uri: String,
    /// `<MONGODB_DATABASE_PREFIX>_<service>`.
    pub database: String,
    /// The topic's ARN (`<NAME>_EVENTS_TOPIC_ARN`).
    pub topic_arn: String,
}

impl RelayConfig {
    /// Reads the settings of `service`'s relay publishing to `topic` through `lookup`.
    pub fn from_lookup(
        service: &str,
        topic: Topic,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let mut problems = Vec::new();
        let mut required = |k: &str| {
            get(k).unwrap_or_else(|| {
                problems.push(format!("{k} is required"));
                String::new()
            })
        };
        let mongodb_uri = required("MONGODB_URI");
        let topic_arn = required(topic.env_var());
        let prefix = get("MONGODB_DATABASE_PREFIX").unwrap_or_else(|| "streamia".to_owned());
        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(Self {
            mongodb_uri,
            database: format!("{prefix}_{service}"),
            topic_arn,
        })
    }
}

/// Serves the relay of `service` (its outbox, publishing to `topic`) for the life of the
/// container. Clients are built once, before the runtime loop.
pub async fn run(service: &'static str, topic: Topic) -> Result<(), lambda_runtime::Error> {
    let config = RelayConfig::from_lookup(service, topic, |k| std::env::var(k).ok())?;
    let aws = aws_config_from_env().await;
    let mongo = crate::db::connect(&config.mongodb_uri).await?;
    let outbox = Outbox::new(
        &mongo.database(&config.database),
        EventPublisher::new(&aws, Some(config.topic_arn), service),
    );
    let outbox = &outbox;
    lambda_runtime::run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move {
            outbox
                .relay(MIN_AGE, BATCH_LIMIT)
                .await
                .map_err(|e| lambda_runtime::Diagnostic {
                    error_type: "OutboxError".to_owned(),
                    error_message: e.to_string(),
                })
        },
    ))
    .await
}

/// The report is the function's result (visible in the invocation's response and logs).
impl RelayReport {
    /// Whether anything is left for the next run because of a failure.
    pub fn has_failures(&self) -> bool {
        self.failed > 0
    }
}
