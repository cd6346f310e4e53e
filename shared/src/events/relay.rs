//! The scheduled outbox relay of a service, as a Lambda function: every invocation (an
//! EventBridge `Schedule` event, `rate(1 minute)` in template.yaml; the local gateway sends the
//! same) publishes what is still pending in the service's outbox.
//!
//! It reads only what it needs (`MONGODB_URI_SECRET_ARN`, `MONGODB_DATABASE_PREFIX`, the topic's
//! ARN), so its template entry carries no secrets it does not use.

use std::time::Duration;

use lambda_runtime::{service_fn, LambdaEvent};

use super::{EventPublisher, Outbox, RelayReport, Topic};
use crate::config::{ConfigError, MongoConfig, Topics};
use crate::init::{log_failure, ColdStart};

/// Events younger than this are left to the flush that follows their commit.
pub const MIN_AGE: Duration = Duration::from_secs(5);
/// Events published per run at most; the next minute's run takes the rest. The run's time
/// budget (its timeout less a reserve) usually stops it first: a backlog (a movie's thousands
/// of fans alerted) drains at SNS's pace, not 200 a minute, and an event staged behind it
/// (a saga's reply whose flush failed) is not kept waiting for hours.
pub const BATCH_LIMIT: usize = 5000;

/// Serves the relay of `service` (its outbox, publishing to `topic`) for the life of the
/// container ([`crate::runtime::run`]). Clients are built once, before the runtime loop. It reads only what it needs
/// ([`Pieces`]: the MongoDB settings, its secret fetched once from Secrets Manager, and the
/// topic's ARN).
pub async fn run(service: &'static str, topic: Topic) -> Result<(), lambda_runtime::Error> {
    crate::telemetry::init();
    let start = ColdStart::begin().await.map_err(log_failure)?;
    let (mongo, topics) = start.load::<Pieces>().map_err(log_failure)?;
    let topic_arn = topics.arn(topic).ok_or_else(|| {
        log_failure(ConfigError {
            problems: vec![format!("{} is required", topic.env_var())],
        })
    })?;
    let client = crate::db::connect(&mongo.uri).await.map_err(log_failure)?;
    let outbox = Outbox::new(
        &client,
        &client.database(&mongo.database_name(service)),
        EventPublisher::new(&start.aws, Some(topic_arn), service),
    );
    let outbox = &outbox;
    crate::runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            outbox
                .relay_until(
                    MIN_AGE,
                    BATCH_LIMIT,
                    crate::scheduled::deadline(&event.context),
                )
                .await
                .map_err(|e| lambda_runtime::Diagnostic {
                    error_type: "OutboxError".to_owned(),
                    error_message: e.to_string(),
                })
        },
    ))
    .await
}

/// What a relay loads: its service's database and the topic it publishes to.
pub type Pieces = (MongoConfig, Topics);

/// The report is the function's result (visible in the invocation's response and logs).
impl RelayReport {
    /// Whether anything is left for the next run because of a failure.
    pub fn has_failures(&self) -> bool {
        self.failed > 0
    }
}
