//! Calling functions: through the Lambda Invoke API (`cargo lambda watch` locally, and just as
//! well LocalStack Lambda or real AWS), or directly on instances this gateway runs itself
//! (`runtime`, the fast mode).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::Region;
use aws_sdk_lambda::error::ProvideErrorMetadata;
use aws_sdk_lambda::primitives::Blob;
use serde_json::Value;

use crate::invoke_error::InvokeError;

/// Calls functions, one way or the other; cheap to clone.
#[derive(Clone)]
pub struct Invoker {
    backend: Backend,
}

/// Lambda runs a new instance's init (up to 10 s) before the invocation and outside its
/// `Timeout`. Through the Invoke API of `cargo lambda watch` the first call of a function also
/// starts it (`cargo run`), inside the call: that first call gets this much more, so a short
/// template `Timeout` is not spent on what AWS does not count.
pub const INIT_ALLOWANCE: Duration = Duration::from_secs(10);

#[derive(Clone)]
enum Backend {
    /// The Invoke API on one endpoint, and the functions it has already started.
    Api(aws_sdk_lambda::Client, Arc<Mutex<HashSet<String>>>),
    /// Instances run by this gateway through its own Runtime API.
    Local(Arc<crate::runtime::Functions>),
}

impl Invoker {
    /// A client for `endpoint` (e.g. `http://127.0.0.1:9000`), or for AWS when `None`.
    pub async fn new(endpoint: Option<&str>, region: &str) -> Self {
        let mut loader =
            streamia_shared::events::aws_defaults().region(Region::new(region.to_owned()));
        if let Some(endpoint) = endpoint {
            loader = loader.endpoint_url(endpoint).credentials_provider(
                aws_sdk_lambda::config::Credentials::new(
                    "local",
                    "local",
                    None,
                    None,
                    "local-gateway",
                ),
            );
        }
        let sdk = loader.load().await;
        let config = aws_sdk_lambda::config::Builder::from(&sdk)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        Self {
            backend: Backend::Api(aws_sdk_lambda::Client::from_conf(config), Arc::default()),
        }
    }

    /// Runs the template's function binaries itself (see `runtime`), in `region`, each with
    /// the secrets its template entry names (`secrets`, by binary).
    pub fn local(
        config: crate::runtime::RuntimeConfig,
        region: &str,
        secrets: HashMap<String, Vec<(String, String)>>,
    ) -> Self {
        Self {
            backend: Backend::Local(Arc::new(crate::runtime::Functions::new(
                config,
                region.to_owned(),
                secrets,
            ))),
        }
    }

    /// Invokes `function` synchronously with `payload`; `timeout` is the function's own.
    pub async fn invoke(
        &self,
        function: &str,
        payload: &Value,
        timeout: Duration,
    ) -> Result<Value, InvokeError> {
        match &self.backend {
            Backend::Api(client, started) => {
                let first = started
                    .lock()
                    .map(|mut s| s.insert(function.to_owned()))
                    .unwrap_or(false);
                let budget = if first {
                    timeout + INIT_ALLOWANCE
                } else {
                    timeout
                };
                invoke_api(client, function, payload, budget).await
            }
            Backend::Local(functions) => functions.invoke(function, payload, timeout).await,
        }
    }
}

/// One synchronous Invoke API call.
async fn invoke_api(
    client: &aws_sdk_lambda::Client,
    function: &str,
    payload: &Value,
    timeout: Duration,
) -> Result<Value, InvokeError> {
    {
        let body =
            serde_json::to_vec(payload).map_err(|e| InvokeError::Transport(e.to_string()))?;
        let call = client
            .invoke()
            .function_name(function)
            .payload(Blob::new(body))
            .send();
        let output = tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| InvokeError::Timeout)?
            .map_err(|e| {
                // `cargo lambda watch` reports a function error as HTTP 500 with the error
                // payload as body, where AWS answers 200 with X-Amz-Function-Error.
                if let aws_sdk_lambda::error::SdkError::ServiceError(service) = &e {
                    let payload = service
                        .raw()
                        .body()
                        .bytes()
                        .and_then(|b| serde_json::from_slice::<Value>(b).ok())
                        .filter(|p| p.get("errorMessage").is_some());
                    if let Some(payload) = payload {
                        return InvokeError::Function(payload);
                    }
                    if let Some(message) = service.err().message() {
                        return InvokeError::Function(serde_json::json!({
                            "errorType": service.err().code().unwrap_or("Unhandled"),
                            "errorMessage": message,
                        }));
                    }
                }
                InvokeError::Transport(aws_sdk_lambda::error::DisplayErrorContext(&e).to_string())
            })?;
        let bytes = output.payload.map(Blob::into_inner).unwrap_or_default();
        let value: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|e| InvokeError::Transport(format!("bad payload: {e}")))?
        };
        if output.function_error.is_some() {
            return Err(InvokeError::Function(value));
        }
        Ok(value)
    }
}
