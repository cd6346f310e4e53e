//! Deploy-time setup (collections, indexes) as a CloudFormation custom resource.
//!
//! Functions do not create indexes at cold start: each service has a `<service>-setup`
//! function that CloudFormation calls on create and update of its `Custom::StreamiaSetup`
//! resource, and that the local stack runs once at start. CloudFormation waits for an answer
//! PUT to the event's `ResponseURL` (up to an hour if none comes), so every path answers:
//! success, a setup error, a setup that overruns its budget, even an event it cannot read.

use std::future::Future;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::MongoConfig;
use crate::init::{ColdStart, InitError};

/// What CloudFormation asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RequestType {
    /// The stack created the resource.
    Create,
    /// Its properties changed (e.g. `SetupVersion` bumped).
    Update,
    /// The stack deleted it: data outlives the stack, so nothing is dropped.
    Delete,
}

/// A custom resource request.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomResourceEvent {
    /// Create, update or delete.
    pub request_type: RequestType,
    /// Pre-signed URL the answer is PUT to.
    #[serde(rename = "ResponseURL")]
    pub response_url: String,
    /// Echoed back.
    pub stack_id: String,
    /// Echoed back.
    pub request_id: String,
    /// Echoed back.
    pub logical_resource_id: String,
    /// Set on update and delete; echoed back so CloudFormation does not see a replacement.
    #[serde(default)]
    pub physical_resource_id: Option<String>,
    /// The resource's properties (unused by the setup itself).
    #[serde(default)]
    pub resource_properties: Value,
}

/// The answer CloudFormation reads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct CustomResourceResponse {
    /// `SUCCESS` or `FAILED`.
    pub status: String,
    /// Why it failed (shown in the stack events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Stable per resource.
    pub physical_resource_id: String,
    /// Echoed.
    pub stack_id: String,
    /// Echoed.
    pub request_id: String,
    /// Echoed.
    pub logical_resource_id: String,
}

/// The answer could not be delivered (CloudFormation will time the resource out).
#[derive(Debug, thiserror::Error)]
#[error("could not answer CloudFormation: {0}")]
pub struct AnswerError(String);

/// The longest one answer (a PUT to the pre-signed S3 URL, normally well under a second) may
/// take; it fits inside [`ANSWER_MARGIN`], so a slow answer still ends before the invocation.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);
/// What the setup leaves of the invocation's time for answering CloudFormation.
const ANSWER_MARGIN: Duration = Duration::from_secs(3);

/// An HTTP client for answers, with a timeout so a stuck PUT cannot hold the function.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(ANSWER_TIMEOUT)
        .build()
        .unwrap_or_default()
}

/// Runs `setup` for Create and Update, nothing for Delete, and answers CloudFormation.
/// `deadline` is the invocation's; the setup gets what is left minus a margin for the answer,
/// and overrunning it answers FAILED instead of leaving the stack waiting.
pub async fn handle<F, Fut, E>(
    http: &reqwest::Client,
    event: &CustomResourceEvent,
    deadline: SystemTime,
    setup: F,
) -> Result<CustomResourceResponse, AnswerError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let budget = deadline
        .duration_since(SystemTime::now())
        .unwrap_or_default()
        .saturating_sub(ANSWER_MARGIN);
    let failure = match event.request_type {
        RequestType::Delete => None,
        RequestType::Create | RequestType::Update => {
            match tokio::time::timeout(budget, setup()).await {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(format!("setup failed: {e}")),
                Err(_) => Some(format!("setup did not finish within {budget:?}")),
            }
        }
    };
    if let Some(reason) = &failure {
        tracing::error!(reason = %reason, "setup failed");
    }
    let response = CustomResourceResponse {
        status: if failure.is_none() {
            "SUCCESS"
        } else {
            "FAILED"
        }
        .to_owned(),
        reason: failure,
        physical_resource_id: event
            .physical_resource_id
            .clone()
            .unwrap_or_else(|| format!("{}-setup", event.logical_resource_id)),
        stack_id: event.stack_id.clone(),
        request_id: event.request_id.clone(),
        logical_resource_id: event.logical_resource_id.clone(),
    };
    answer(http, &event.response_url, &response).await?;
    Ok(response)
}

/// Like [`handle`], for an event as received: one that does not parse as a custom resource
/// request is answered FAILED (when it names a `ResponseURL`) instead of leaving the stack
/// waiting for an hour.
pub async fn handle_value<F, Fut, E>(
    http: &reqwest::Client,
    payload: Value,
    deadline: SystemTime,
    setup: F,
) -> Result<CustomResourceResponse, AnswerError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let error = match serde_json::from_value::<CustomResourceEvent>(payload.clone()) {
        Ok(event) => return handle(http, &event, deadline, setup).await,
        Err(e) => e,
    };
    let Some(url) = payload["ResponseURL"].as_str() else {
        return Err(AnswerError(format!(
            "not a custom resource event ({error}) and no ResponseURL to answer"
        )));
    };
    let echo = |key: &str| payload[key].as_str().unwrap_or_default().to_owned();
    let response = CustomResourceResponse {
        status: "FAILED".to_owned(),
        reason: Some(format!("not a custom resource event: {error}")),
        physical_resource_id: payload["PhysicalResourceId"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{}-setup", echo("LogicalResourceId"))),
        stack_id: echo("StackId"),
        request_id: echo("RequestId"),
        logical_resource_id: echo("LogicalResourceId"),
    };
    answer(http, url, &response).await?;
    Ok(response)
}

/// PUTs the answer with no content type, as the pre-signed S3 URL requires.
async fn answer(
    http: &reqwest::Client,
    url: &str,
    response: &CustomResourceResponse,
) -> Result<(), AnswerError> {
    let body = serde_json::to_string(response).map_err(|e| AnswerError(e.to_string()))?;
    let sent = http
        .put(url)
        .header("content-type", "")
        .body(body)
        .send()
        .await
        .map_err(|e| AnswerError(e.to_string()))?;
    match sent.status().is_success() {
        true => Ok(()),
        false => Err(AnswerError(format!(
            "ResponseURL answered {}",
            sent.status()
        ))),
    }
}

/// A setup binary's entry point: under Lambda (`AWS_LAMBDA_RUNTIME_API` set) it serves custom
/// resource events; run by hand (the local stack's start) it runs `setup` once and exits.
pub async fn run<F, Fut, E>(setup: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: std::fmt::Display + Send,
{
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_none() {
        return setup()
            .await
            .map_err(|e| format!("setup failed: {e}").into());
    }
    let http = http_client();
    crate::runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<Value>| {
            let (http, setup) = (http.clone(), setup.clone());
            async move {
                let deadline = event.context.deadline();
                handle_value(&http, event.payload, deadline, setup)
                    .await
                    .map_err(lambda_runtime::Error::from)
            }
        },
    ))
    .await
}

/// What a setup step loads: its service's database settings, nothing else.
pub type Pieces = MongoConfig;

/// The `<service>-setup` binary of a service: creates `indexes` (the service's own, which
/// include the outbox's for a producer: [`crate::events::outbox::create_indexes`]) in the
/// service's own database, through [`run`] (a custom resource under Lambda, once by hand
/// locally). The settings are read per run: a setup runs a few times per deploy.
pub async fn serve<F, Fut>(service: &'static str, indexes: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(mongodb::Database) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<(), mongodb::error::Error>> + Send,
{
    crate::telemetry::init();
    run(move || async move {
        let start = ColdStart::begin().await?;
        database(service, &start.load::<Pieces>()?, indexes).await
    })
    .await
}

/// What a setup run does: connects to `mongo` and creates `indexes` in `service`'s database.
pub async fn database<F, Fut>(
    service: &'static str,
    mongo: &MongoConfig,
    indexes: F,
) -> Result<(), InitError>
where
    F: FnOnce(mongodb::Database) -> Fut,
    Fut: Future<Output = Result<(), mongodb::error::Error>>,
{
    let client = crate::db::connect(&mongo.uri).await?;
    let db = client.database(&mongo.database_name(service));
    indexes(db.clone()).await?;
    tracing::info!(database = %db.name(), "indexes ready");
    Ok(())
}

/// The setup step of the service that signs access tokens (users): its indexes, then the
/// key sets ([`crate::auth::keys::initialise`]: the first key pair is generated here, since
/// CloudFormation cannot make an Ed25519 key; an initialised set is left alone).
pub async fn serve_signing<F, Fut>(
    service: &'static str,
    indexes: F,
) -> Result<(), lambda_runtime::Error>
where
    F: Fn(mongodb::Database) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<(), mongodb::error::Error>> + Send,
{
    crate::telemetry::init();
    run(move || async move {
        let start = ColdStart::begin().await?;
        let (mongo, keys) = start.load::<SigningPieces>()?;
        database(service, &mongo, indexes).await?;
        let client = aws_sdk_secretsmanager::Client::new(&start.aws);
        let ids = crate::auth::keys::initialise(&client, &keys.secrets)
            .await
            .map_err(|e| InitError::Keys(e.to_string()))?;
        tracing::info!(current = ?ids.current, generated = ids.changed, "access-token keys ready");
        Ok::<(), InitError>(())
    })
    .await
}

/// What the signing service's setup step loads: its database and the key secrets it fills.
pub type SigningPieces = (MongoConfig, crate::config::KeySecretsConfig);
