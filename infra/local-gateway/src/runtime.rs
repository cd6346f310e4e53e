//! Running function binaries the way Lambda does, with no second proxy in between: the gateway
//! serves the Lambda Runtime API (`/2018-06-01/runtime/...`) itself and starts each function's
//! binary with `AWS_LAMBDA_RUNTIME_API` pointing at it.
//!
//! As in Lambda, instances start lazily (on an invocation no idle instance can take), up to a
//! limit per function; each runs one invocation at a time; one that overruns the function's
//! timeout is killed (the next invocation gets a fresh instance); one that exits mid-invocation
//! fails that invocation with `Runtime.ExitError`; one that fails its init fails the invocations
//! waiting for it with `Runtime.InitError`.
//!
//! Each function's secrets are the ones its template entry names (`*_SECRET_ARN`, resolved by
//! `Template::own_variables`), as IAM allows in AWS: the `*_SECRET_ARN` variables of the
//! gateway's own environment are not passed on, so a function whose entry lacks a secret fails
//! here as it would when deployed, and one service's functions never get another's MongoDB
//! secret. A literal value an entry sets for its function alone (`MAX_BODY_BYTES`) is given to
//! that function only. The rest of the gateway's environment is inherited, as `cargo lambda
//! watch` does.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use http::StatusCode;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot, Notify};

use crate::invoke_error::InvokeError;

/// Lambda's limit on a synchronous response payload.
const MAX_PAYLOAD: usize = 6 * 1024 * 1024;
/// The Runtime API's version prefix.
const PREFIX: &str = "/2018-06-01/runtime";

/// Where the binaries are and how far each function scales.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// The directory holding one executable per function, named as the template's binary
    /// (`target/release` after `cargo build --release`).
    pub bin_dir: PathBuf,
    /// The most instances one function runs at once (Lambda's concurrency for it).
    pub instances: usize,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` given to every function.
    pub memory_mb: u32,
    /// Variables every function gets on top of the gateway's own environment (which they
    /// inherit, as `cargo lambda watch` passes its own on).
    pub env: Vec<(String, String)>,
}

/// The functions run directly, one pool of instances per function, created on first use.
pub(crate) struct Functions {
    config: RuntimeConfig,
    region: String,
    /// Each function's secrets (`*_SECRET_ARN` of its template entry), by binary.
    secrets: HashMap<String, Vec<(String, String)>>,
    /// The gateway's own `*_SECRET_ARN` variables, removed from every function's environment.
    inherited_secrets: Vec<std::ffi::OsString>,
    pools: Mutex<HashMap<String, Arc<Pool>>>,
}

/// How one invocation ended, as the instance reported it.
enum Outcome {
    /// `POST .../{id}/response`: the payload.
    Response(Bytes),
    /// `POST .../{id}/error`: the error payload.
    Error(Bytes),
    /// The process went away during the invocation or its init.
    Failed(Value),
}

/// One queued invocation.
struct Invocation {
    id: String,
    payload: Bytes,
    deadline_ms: u128,
    reply: oneshot::Sender<Outcome>,
}

/// Instance counts, under one lock so scaling decisions see a consistent picture.
#[derive(Default)]
struct Counts {
    /// Processes alive.
    started: usize,
    /// Started, not yet polling for work (in init).
    starting: usize,
    /// Polling `next` with nothing to do.
    idle: usize,
    /// Answered their invocation, not yet back at `next`: about to be idle.
    finishing: usize,
    /// Invocations submitted and not yet handed to an instance.
    queued: usize,
}

impl Counts {
    /// Instances that will take queued work without a new one starting.
    fn spare(&self) -> usize {
        self.idle + self.starting + self.finishing
    }
}

/// Every instance of one function, and the work waiting for them.
struct Pool {
    name: String,
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    arn: String,
    binary: PathBuf,
    max: usize,
    env: Vec<(String, String)>,
    /// Inherited variables the process must not see (the gateway's secrets).
    removed: Vec<std::ffi::OsString>,
    queue: mpsc::UnboundedSender<Invocation>,
    /// The receiving end; an instance's `next` holds it while it waits.
    waiting: tokio::sync::Mutex<mpsc::UnboundedReceiver<Invocation>>,
    counts: Mutex<Counts>,
    /// Invocations handed out: who runs them and who waits for the answer.
    in_flight: Mutex<HashMap<String, Running>>,
    serial: AtomicU64,
}

/// An invocation handed to an instance: where its answer goes, and who runs it.
type Running = (oneshot::Sender<Outcome>, Arc<Instance>);

/// One process and its Runtime API endpoint.
struct Instance {
    pool: Arc<Pool>,
    /// Set on its first `next`: init is over.
    polled: AtomicBool,
    /// Between answering an invocation and its next `next` (counted in `Counts::finishing`).
    finishing: AtomicBool,
    /// The invocation it runs, if any.
    current: Mutex<Option<String>>,
    /// What the function reported at `/init/error`.
    init_error: Mutex<Option<Value>>,
    /// Kill the process (its invocation timed out).
    kill: Notify,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn epoch_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

impl Functions {
    /// Pools are created on first use; nothing starts until a function is invoked. `secrets`
    /// are each function's own, by binary (see the module's documentation).
    pub(crate) fn new(
        config: RuntimeConfig,
        region: String,
        secrets: HashMap<String, Vec<(String, String)>>,
    ) -> Self {
        let inherited_secrets = std::env::vars_os()
            .map(|(name, _)| name)
            .filter(|name| {
                name.to_str()
                    .is_some_and(|n| n.ends_with(streamia_shared::config::SECRET_ARN_SUFFIX))
            })
            .collect();
        Self {
            config,
            region,
            secrets,
            inherited_secrets,
            pools: Mutex::new(HashMap::new()),
        }
    }

    fn pool(&self, function: &str) -> Result<Arc<Pool>, InvokeError> {
        let mut pools = lock(&self.pools);
        if let Some(pool) = pools.get(function) {
            return Ok(pool.clone());
        }
        let binary = self.config.bin_dir.join(function);
        if !binary.is_file() {
            return Err(InvokeError::Transport(format!(
                "no binary {} (build the functions first)",
                binary.display()
            )));
        }
        let (queue, rx) = mpsc::unbounded_channel();
        let pool = Arc::new(Pool {
            name: function.to_owned(),
            arn: format!(
                "arn:aws:lambda:{}:000000000000:function:{function}",
                self.region
            ),
            binary,
            max: self.config.instances.max(1),
            env: [
                ("AWS_LAMBDA_FUNCTION_NAME", function.to_owned()),
                ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
                (
                    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                    self.config.memory_mb.to_string(),
                ),
                (
                    "AWS_LAMBDA_LOG_GROUP_NAME",
                    format!("/aws/lambda/{function}"),
                ),
                ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
                ("AWS_REGION", self.region.clone()),
                ("AWS_DEFAULT_REGION", self.region.clone()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .chain(self.config.env.iter().cloned())
            .chain(self.secrets.get(function).into_iter().flatten().cloned())
            .collect(),
            removed: self.inherited_secrets.clone(),
            queue,
            waiting: tokio::sync::Mutex::new(rx),
            counts: Mutex::new(Counts::default()),
            in_flight: Mutex::new(HashMap::new()),
            serial: AtomicU64::new(0),
        });
        pools.insert(function.to_owned(), pool.clone());
        Ok(pool)
    }

    /// Runs `payload` on an instance of `function`; `timeout` is the function's own.
    pub(crate) async fn invoke(
        &self,
        function: &str,
        payload: &Value,
        timeout: Duration,
    ) -> Result<Value, InvokeError> {
        let pool = self.pool(function)?;
        let payload =
            serde_json::to_vec(payload).map_err(|e| InvokeError::Transport(e.to_string()))?;
        let id = uuid::Uuid::new_v4().to_string();
        let (reply, answer) = oneshot::channel();
        pool.submit(Invocation {
            id: id.clone(),
            payload: payload.into(),
            deadline_ms: epoch_ms() + timeout.as_millis(),
            reply,
        });
        let parse = |bytes: &[u8]| -> Value {
            if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(bytes)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
            }
        };
        match tokio::time::timeout(timeout, answer).await {
            Ok(Ok(Outcome::Response(bytes))) => serde_json::from_slice(&bytes)
                .or_else(|e| {
                    if bytes.is_empty() {
                        Ok(Value::Null)
                    } else {
                        Err(e)
                    }
                })
                .map_err(|e| InvokeError::Transport(format!("bad payload: {e}"))),
            Ok(Ok(Outcome::Error(bytes))) => Err(InvokeError::Function(parse(&bytes))),
            Ok(Ok(Outcome::Failed(error))) => Err(InvokeError::Function(error)),
            Ok(Err(_)) => Err(InvokeError::Transport("the instance went away".to_owned())),
            Err(_) => {
                pool.timed_out(&id);
                Err(InvokeError::Timeout)
            }
        }
    }
}

impl Pool {
    /// Queues an invocation and starts an instance when no idle or starting one will take it.
    fn submit(self: &Arc<Self>, invocation: Invocation) {
        let start = {
            let mut counts = lock(&self.counts);
            counts.queued += 1;
            if counts.queued > counts.spare() && counts.started < self.max {
                counts.started += 1;
                counts.starting += 1;
                true
            } else {
                false
            }
        };
        // The receiver lives as long as the pool, so sending cannot fail.
        let _ = self.queue.send(invocation);
        if start {
            tokio::spawn(self.clone().run_instance());
        }
    }

    /// The invocation `id` overran its timeout: Lambda stops the sandbox running it.
    fn timed_out(&self, id: &str) {
        if let Some((_, instance)) = lock(&self.in_flight).remove(id) {
            tracing::warn!(function = %self.name, request_id = %id, "task timed out; stopping the instance");
            instance.kill.notify_one();
        }
    }

    /// One instance from start to exit: its Runtime API endpoint, its process, and the
    /// clean-up Lambda does when a sandbox goes away.
    async fn run_instance(self: Arc<Self>) {
        let instance = Arc::new(Instance {
            pool: self.clone(),
            polled: AtomicBool::new(false),
            finishing: AtomicBool::new(false),
            current: Mutex::new(None),
            init_error: Mutex::new(None),
            kill: Notify::new(),
        });
        let status = match self.spawn(&instance).await {
            Ok(status) => status,
            Err(e) => format!("could not start {}: {e}", self.binary.display()),
        };
        self.exited(&instance, &status);
    }

    /// Serves the instance's Runtime API and runs its process until it exits or is killed;
    /// returns how it ended.
    async fn spawn(&self, instance: &Arc<Instance>) -> std::io::Result<String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new()
            .route(&format!("{PREFIX}/invocation/next"), get(next))
            .route(
                &format!("{PREFIX}/invocation/{{id}}/response"),
                post(response),
            )
            .route(&format!("{PREFIX}/invocation/{{id}}/error"), post(error))
            .route(&format!("{PREFIX}/init/error"), post(init_error))
            .layer(DefaultBodyLimit::max(MAX_PAYLOAD))
            .with_state(instance.clone());
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let mut command = tokio::process::Command::new(&self.binary);
        for name in &self.removed {
            command.env_remove(name);
        }
        let mut child = command
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env(
                "AWS_LAMBDA_LOG_STREAM_NAME",
                format!("local/[$LATEST]{serial:032x}"),
            )
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn();
        let result = match &mut child {
            Ok(child) => {
                tracing::info!(function = %self.name, pid = child.id(), "instance started");
                tokio::select! {
                    status = child.wait() => status.map(|s| format!("Runtime exited with error: {s}")),
                    () = instance.kill.notified() => {
                        let _ = child.kill().await;
                        Ok("killed after a timeout".to_owned())
                    }
                }
            }
            Err(_) => Err(std::io::Error::other("spawn failed")),
        };
        server.abort();
        child.and(result)
    }

    /// Lambda's clean-up when a sandbox goes away: its invocation fails, an init failure fails
    /// the invocations that waited for it, and work still queued gets a new instance.
    fn exited(self: &Arc<Self>, instance: &Arc<Instance>, status: &str) {
        tracing::warn!(function = %self.name, status, "instance stopped");
        if let Some(id) = lock(&instance.current).take() {
            if let Some((reply, _)) = lock(&self.in_flight).remove(&id) {
                let _ = reply.send(Outcome::Failed(json!({
                    "errorType": "Runtime.ExitError",
                    "errorMessage": format!("RequestId: {id} Error: {status}"),
                })));
            }
        }
        let (polled, alone, restart) = {
            let mut counts = lock(&self.counts);
            // Marked as polled so a `next` still in flight does not count it again.
            let polled = instance.polled.swap(true, Ordering::AcqRel);
            counts.started -= 1;
            if !polled {
                counts.starting -= 1;
            }
            if instance.finishing.swap(false, Ordering::AcqRel) {
                counts.finishing -= 1;
            }
            let alone = counts.started == 0;
            let restart = polled && counts.queued > counts.spare();
            if restart {
                counts.started += 1;
                counts.starting += 1;
            }
            (polled, alone, restart)
        };
        if restart {
            tokio::spawn(self.clone().run_instance());
        } else if !polled && alone {
            // Init failed and no other instance will take the waiting invocations.
            let error = lock(&instance.init_error).take().unwrap_or_else(
                || json!({"errorType": "Runtime.InitError", "errorMessage": status}),
            );
            if let Ok(mut waiting) = self.waiting.try_lock() {
                while let Ok(invocation) = waiting.try_recv() {
                    lock(&self.counts).queued -= 1;
                    let _ = invocation.reply.send(Outcome::Failed(error.clone()));
                }
            }
        }
    }
}

/// Counts an instance as idle while it waits for work, even if the wait is abandoned.
struct Idle<'a>(&'a Pool);

impl<'a> Idle<'a> {
    fn new(pool: &'a Pool) -> Self {
        lock(&pool.counts).idle += 1;
        Self(pool)
    }
}

impl Drop for Idle<'_> {
    fn drop(&mut self) {
        lock(&self.0.counts).idle -= 1;
    }
}

fn empty(status: StatusCode) -> Response {
    let mut res = Response::new(Body::empty());
    *res.status_mut() = status;
    res
}

/// `GET /invocation/next`: long-polls for the next invocation, with Lambda's headers.
async fn next(State(instance): State<Arc<Instance>>) -> Response {
    let pool = &instance.pool;
    {
        // Flags and counts change under the counts lock, so an exiting instance sees both.
        let mut counts = lock(&pool.counts);
        if !instance.polled.swap(true, Ordering::AcqRel) {
            counts.starting -= 1;
        }
        if instance.finishing.swap(false, Ordering::AcqRel) {
            counts.finishing -= 1;
        }
    }
    let invocation = loop {
        let received = {
            let _idle = Idle::new(pool);
            pool.waiting.lock().await.recv().await
        };
        let Some(invocation) = received else {
            return empty(StatusCode::INTERNAL_SERVER_ERROR);
        };
        lock(&pool.counts).queued -= 1;
        // Its caller gave up (timed out while queued): nobody waits for the answer.
        if !invocation.reply.is_closed() {
            break invocation;
        }
    };
    let Invocation {
        id,
        payload,
        deadline_ms,
        reply,
    } = invocation;
    *lock(&instance.current) = Some(id.clone());
    lock(&pool.in_flight).insert(id.clone(), (reply, instance.clone()));
    let now = epoch_ms();
    let trace = format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        now / 1000,
        &id.replace('-', "")[..24],
        &id.replace('-', "")[16..32]
    );
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", id.as_str())
        .header("lambda-runtime-deadline-ms", deadline_ms.to_string())
        .header("lambda-runtime-invoked-function-arn", pool.arn.as_str())
        .header("lambda-runtime-trace-id", trace)
        .body(Body::from(payload))
        .unwrap_or_else(|_| empty(StatusCode::INTERNAL_SERVER_ERROR))
}

/// Ends the instance's current invocation `id` with `outcome`; 400 for an id it does not run.
fn finish(instance: &Instance, id: &str, outcome: Outcome) -> Response {
    {
        let mut current = lock(&instance.current);
        if current.as_deref() != Some(id) {
            return empty(StatusCode::BAD_REQUEST);
        }
        *current = None;
    }
    {
        let mut counts = lock(&instance.pool.counts);
        if !instance.finishing.swap(true, Ordering::AcqRel) {
            counts.finishing += 1;
        }
    }
    // Gone from the table when the caller already timed out.
    if let Some((reply, _)) = lock(&instance.pool.in_flight).remove(id) {
        let _ = reply.send(outcome);
    }
    empty(StatusCode::ACCEPTED)
}

/// `POST /invocation/{id}/response`.
async fn response(
    State(instance): State<Arc<Instance>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    finish(&instance, &id, Outcome::Response(body))
}

/// `POST /invocation/{id}/error`.
async fn error(
    State(instance): State<Arc<Instance>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    finish(&instance, &id, Outcome::Error(body))
}

/// `POST /init/error`: kept for the invocations waiting on this instance.
async fn init_error(State(instance): State<Arc<Instance>>, body: Bytes) -> Response {
    let error = serde_json::from_slice(&body).unwrap_or_else(
        |_| json!({"errorType": "Runtime.InitError", "errorMessage": String::from_utf8_lossy(&body)}),
    );
    tracing::error!(function = %instance.pool.name, error = %error, "init failed");
    *lock(&instance.init_error) = Some(error);
    empty(StatusCode::ACCEPTED)
}
