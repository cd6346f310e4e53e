//! The loop that serves a function's invocations: every entry point of the platform
//! (`http::serve`, `consumer::serve`, `relay::run`, `setup::run`, the authorizer) ends in
//! [`run`] instead of `lambda_runtime::run`.
//!
//! Why not `lambda_runtime::run`: its sequential loop (1.5.0, `runtime.rs`, `amzn_trace_env`)
//! sets the process environment variable `_X_AMZN_TRACE_ID` to each invocation's trace id,
//! and glibc keeps every value `setenv` ever allocated. Lambda sends a new trace id with every
//! invocation, so every function instance grew by ~150 bytes per invocation for as long as it
//! lived (measured: ARCHITECTURE.md, known limits). The runtime offers no way to turn it off,
//! so this loop does what it does on `lambda_runtime`'s public types (`Context`, `LambdaEvent`,
//! `Diagnostic`, its Runtime API client) and `lambda_http`'s `Adapter`, minus the environment:
//! the trace id lives in [`trace`] for the invocation's own future (handlers, log lines and
//! AWS SDK calls read it there).
//!
//! Before the first invocation it also fixes glibc's mmap threshold ([`malloc`]), so the 19 MiB
//! buffer of a password hash is unmapped when freed instead of kept in an arena.
//!
//! `AWS_LAMBDA_MAX_CONCURRENCY` (Lambda Managed Instances: several invocations per instance at
//! once) runs that many pollers side by side on the function's one task; each invocation keeps
//! its own trace id.

mod api;
pub mod correlation;
pub(crate) mod malloc;
pub mod trace;
mod trace_header;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use lambda_runtime::{Config, Context, Diagnostic, LambdaEvent, Service};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tracing::Instrument;

use api::{Api, Next, DEADLINE, REQUEST_ID};
pub use trace::TraceId;
pub use trace_header::TraceHeader;

/// Why the loop stopped: the Runtime API failed or sent what no invocation looks like. The
/// process then exits and Lambda starts a new instance.
pub type Error = lambda_runtime::Error;

/// Serves the invocations Lambda hands this process, for its whole life: a drop-in for
/// `lambda_runtime::run` (same handler type) that never touches the process environment.
pub async fn run<S, E, R>(handler: S) -> Result<(), Error>
where
    S: Service<LambdaEvent<E>, Response = R> + Clone,
    S::Error: Into<Diagnostic>,
    E: DeserializeOwned,
    R: Serialize,
{
    Invocations::from_env()?.serve(handler).await
}

/// Where invocations come from and how many are served at once.
pub struct Invocations {
    api: Api,
    config: Arc<Config>,
    pollers: usize,
}

impl Invocations {
    /// What Lambda sets: `AWS_LAMBDA_RUNTIME_API`, the function's name, memory and version,
    /// and `AWS_LAMBDA_MAX_CONCURRENCY` (one at a time when unset).
    pub fn from_env() -> Result<Self, Error> {
        let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
        let config = Config {
            function_name: var("AWS_LAMBDA_FUNCTION_NAME")?,
            memory: var("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")?
                .parse()
                .map_err(|e| format!("AWS_LAMBDA_FUNCTION_MEMORY_SIZE: {e}"))?,
            version: var("AWS_LAMBDA_FUNCTION_VERSION")?,
            log_stream: var("AWS_LAMBDA_LOG_STREAM_NAME").unwrap_or_default(),
            log_group: var("AWS_LAMBDA_LOG_GROUP_NAME").unwrap_or_default(),
        };
        let pollers = std::env::var("AWS_LAMBDA_MAX_CONCURRENCY")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        Self::new(&var("AWS_LAMBDA_RUNTIME_API")?, config, pollers)
    }

    /// Invocations from the Runtime API at `endpoint` (`host:port` or a URL) for a function
    /// described by `config`, up to `pollers` at once (at least one).
    pub fn new(endpoint: &str, config: Config, pollers: usize) -> Result<Self, Error> {
        let pollers = pollers.max(1);
        Ok(Self {
            api: Api::new(endpoint, pollers)?,
            config: Arc::new(config),
            pollers,
        })
    }

    /// Serves invocations with `handler` until the Runtime API fails.
    pub async fn serve<S, E, R>(self, handler: S) -> Result<(), Error>
    where
        S: Service<LambdaEvent<E>, Response = R> + Clone,
        S::Error: Into<Diagnostic>,
        E: DeserializeOwned,
        R: Serialize,
    {
        malloc::return_large_frees_to_the_os();
        // Each poller ends on its own (the Runtime API failing it): the others' invocations in
        // flight are finished, not dropped, and the first error ends the process after them.
        let pollers = (0..self.pollers).map(|_| self.poll(handler.clone()));
        let ended = futures_util::future::join_all(pollers).await;
        match ended.into_iter().find_map(Result::err) {
            Some(e) => {
                tracing::error!(error = %e, "the Runtime API failed: the runtime exits");
                Err(e)
            }
            None => Ok(()),
        }
    }

    /// One poller: the next invocation, served, and again.
    async fn poll<S, E, R>(&self, mut handler: S) -> Result<(), Error>
    where
        S: Service<LambdaEvent<E>, Response = R>,
        S::Error: Into<Diagnostic>,
        E: DeserializeOwned,
        R: Serialize,
    {
        loop {
            if let Some(next) = self.api.next().await? {
                self.invoke(&mut handler, next).await?;
            }
        }
    }

    /// Serves one invocation inside its trace scope and span, and posts the outcome.
    async fn invoke<S, E, R>(&self, handler: &mut S, next: Next) -> Result<(), Error>
    where
        S: Service<LambdaEvent<E>, Response = R>,
        S::Error: Into<Diagnostic>,
        E: DeserializeOwned,
        R: Serialize,
    {
        let request_id = next
            .headers
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .ok_or("an invocation without a request id")?
            .to_owned();
        let context = self.context(&request_id, &next);
        let trace = context
            .as_ref()
            .ok()
            .and_then(|c| c.xray_trace_id.as_deref())
            .map(TraceId::from);
        let span = tracing::info_span!(
            "invocation",
            request_id = %request_id,
            xray_trace_id = trace.as_ref().map(TraceId::as_str).unwrap_or_default()
        );
        let work = async {
            let outcome = match context {
                Ok(context) => call(handler, &next.body, context).await,
                Err(diagnostic) => Err(diagnostic),
            };
            let outcome = outcome.and_then(|response| {
                serde_json::to_vec(&response).map_err(|e| Diagnostic {
                    error_type: "Runtime.SerializeError".to_owned(),
                    error_message: e.to_string(),
                })
            });
            match outcome {
                Ok(body) => self.api.respond(&next, &request_id, body).await,
                // The runtime's own failures at error level; a handler's refusal (the
                // authorizer's 401, an operator tool's TooSoon) was logged by the handler
                // with its reason, and at error level anyone could flood the error alarms.
                Err(diagnostic) if diagnostic.error_type.starts_with("Runtime.") => {
                    tracing::error!(
                        error_type = %diagnostic.error_type,
                        error = %diagnostic.error_message,
                        "invocation failed"
                    );
                    self.api.fail(&next, &request_id, &diagnostic).await
                }
                Err(diagnostic) => {
                    tracing::warn!(
                        error_type = %diagnostic.error_type,
                        error = %diagnostic.error_message,
                        "invocation failed"
                    );
                    self.api.fail(&next, &request_id, &diagnostic).await
                }
            }
        };
        trace::scope(trace, work.instrument(span)).await
    }

    /// The invocation's context from its headers; one Lambda would never send (no deadline,
    /// unreadable client context) fails that invocation instead of the loop.
    fn context(&self, request_id: &str, next: &Next) -> Result<Context, Diagnostic> {
        let invalid = |message: String| Diagnostic {
            error_type: "Runtime.InvalidInvocation".to_owned(),
            error_message: message,
        };
        if !next.headers.contains_key(DEADLINE) {
            return Err(invalid(format!("{DEADLINE} is missing")));
        }
        Context::new(request_id, self.config.clone(), &next.headers)
            .map_err(|e| invalid(e.to_string()))
    }
}

/// The handler's answer to one event, a payload it cannot read and a panic (where panics
/// unwind: tests, debug builds) being failed invocations rather than a dead loop.
async fn call<S, E, R>(handler: &mut S, body: &[u8], context: Context) -> Result<R, Diagnostic>
where
    S: Service<LambdaEvent<E>, Response = R>,
    S::Error: Into<Diagnostic>,
    E: DeserializeOwned,
{
    let mut json = serde_json::Deserializer::from_slice(body);
    let payload: E = serde_path_to_error::deserialize(&mut json).map_err(|e| Diagnostic {
        error_type: "Runtime.DeserializeError".to_owned(),
        error_message: format!("the event is not this function's payload: {e}"),
    })?;
    let answer = AssertUnwindSafe(async {
        std::future::poll_fn(|cx| handler.poll_ready(cx))
            .await
            .map_err(Into::into)?;
        handler
            .call(LambdaEvent::new(payload, context))
            .await
            .map_err(Into::into)
    })
    .catch_unwind()
    .await;
    answer.unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(Diagnostic {
            error_type: "Runtime.HandlerPanicked".to_owned(),
            error_message: format!("the handler panicked: {message}"),
        })
    })
}
