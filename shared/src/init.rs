//! What can stop a cold start, the same for every function: only bad settings, an unreadable
//! secret, or a connection string / URL the clients cannot parse. Connections themselves open
//! on first use, so a dependency that is down is a 503 per request, not a failed init.
//!
//! HTTP functions and consumers go further ([`Deferred`]): their cold start reads only the
//! process environment, and the secrets (Secrets Manager) and clients (a `mongodb+srv://` URI
//! is a DNS lookup) come with the first invocation that needs them. A failed init is API
//! Gateway's 502 outside the contract's envelope; a failed first use is a 503 `UNAVAILABLE`
//! in it, and the next invocation tries again.

use crate::config::{ConfigError, Load};
use crate::secrets::{Environment, SecretError};
use crate::service::Service;

/// The container could not start.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// Bad or missing settings (every problem named at once).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A secret could not be read from Secrets Manager.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A MongoDB connection string the driver refuses.
    #[error("mongodb: {0}")]
    Mongo(#[from] mongodb::error::Error),
    /// A Redis URL (or CA file) the client refuses.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// A key set a signer or verifier cannot use.
    #[error("keys: {0}")]
    Keys(String),
}

/// The cold-start prelude every function runs once, before its runtime loop: the AWS SDK
/// configuration, then the environment with its secrets fetched from Secrets Manager. What
/// each function then loads from it is its own business ([`ColdStart::load`],
/// [`ColdStart::service`]).
pub struct ColdStart {
    /// SDK configuration (region, endpoint, credentials) for AWS clients.
    pub aws: aws_config::SdkConfig,
    /// The settings, secrets resolved.
    pub env: Environment,
}

impl ColdStart {
    /// Reads the process environment and fetches its `*_SECRET_ARN` secrets (the Lambda path).
    pub async fn begin() -> Result<Self, InitError> {
        let aws = crate::events::aws_config_from_env().await;
        let env = Environment::load(&aws).await?;
        Ok(Self { aws, env })
    }

    /// A prelude over explicit settings (tests: a `TestEnv`'s, with LocalStack's SDK config).
    pub fn with(aws: aws_config::SdkConfig, env: Environment) -> Self {
        Self { aws, env }
    }

    /// Loads configuration pieces (a tuple loads together and names every problem at once).
    pub fn load<T: Load>(&self) -> Result<T, ConfigError> {
        T::load(&self.env.lookup())
    }

    /// Builds service `D` and loads the entry point's own pieces `X` beside its config, in one
    /// pass, so a cold start names every problem of both at once.
    pub async fn service<D: Service, X: Load>(&self) -> Result<(D, X), InitError> {
        let (config, extra) = self.load::<(D::Config, X)>()?;
        let deps = D::build(config, &self.aws).await?;
        Ok((deps, extra))
    }
}

impl InitError {
    /// Whether trying again cannot help: bad settings, or a connection string / URL the
    /// clients refuse. Anything else (Secrets Manager, DNS) may answer on the next try.
    pub fn is_permanent(&self) -> bool {
        match self {
            InitError::Config(_) => true,
            InitError::Secret(_) => false,
            InitError::Mongo(e) => {
                matches!(*e.kind, mongodb::error::ErrorKind::InvalidArgument { .. })
            }
            InitError::Redis(e) => e.kind() == redis::ErrorKind::InvalidClientConfig,
            // A key set that does not parse stays so until an operator fixes the secret.
            InitError::Keys(_) => true,
        }
    }
}

/// Why a [`Deferred`] service is not there yet, as a request or a batch sees it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct NotReady {
    /// Bad settings: no retry helps until the function is redeployed (a 500, logged as such).
    pub permanent: bool,
    /// The cause (settings, secret and variable names: never a value).
    pub message: String,
    /// When the next try will be made: answers until then are this same failure.
    pub retry_after: std::time::Duration,
}

/// After a failure, the next [`FAILURE_HOLD`] (plus up to as much again, at random, so a fleet
/// of instances does not retry in step) answer with it without calling anyone: during an
/// outage, or a throttle (Secrets Manager's `BatchGetSecretValue` allows 100 calls a second
/// per account and region), instances must not call on every request.
const FAILURE_HOLD: std::time::Duration = std::time::Duration::from_secs(1);

/// Service `D`, built on first use rather than at cold start, and again after a failure (Secrets
/// Manager or DNS down): what every HTTP function and consumer serves with. The secrets, once
/// fetched, are kept even if the build then fails, so a retry does not fetch them again. Built
/// once, it lives as long as the process (leaked, like everything a cold start builds).
pub struct Deferred<D: 'static> {
    aws: aws_config::SdkConfig,
    vars: Vec<(String, String)>,
    env: std::sync::Mutex<Option<Environment>>,
    built: tokio::sync::OnceCell<&'static D>,
    failed: std::sync::Mutex<Option<(std::time::Instant, NotReady)>>,
}

impl<D: Service> Deferred<D> {
    /// The function's own settings (`X`, e.g. HTTP limits and CORS: no secret among them),
    /// loaded now from the process environment, and `D` for later. Only bad settings fail this,
    /// and no network call is made: nothing a dependency outage can break.
    pub async fn begin<X: Load>() -> Result<(Self, X), ConfigError> {
        let aws = crate::events::aws_config_from_env().await;
        Self::with(aws, std::env::vars().collect())
    }

    /// Like [`Deferred::begin`] over explicit settings (tests: `*_SECRET_ARN` variables and
    /// an SDK config whose endpoint may be down).
    pub fn with<X: Load>(
        aws: aws_config::SdkConfig,
        vars: Vec<(String, String)>,
    ) -> Result<(Self, X), ConfigError> {
        let plain = Environment::from_vars(
            vars.iter()
                .filter(|(k, _)| !crate::config::SECRET_SETTINGS.contains(&k.as_str()))
                .cloned(),
        );
        let own = X::load(&plain.lookup())?;
        let deferred = Self {
            aws,
            vars,
            env: std::sync::Mutex::new(None),
            built: tokio::sync::OnceCell::new(),
            failed: std::sync::Mutex::new(None),
        };
        Ok((deferred, own))
    }

    /// `D`, built now if no invocation has built it yet: secrets fetched (once), its settings
    /// loaded (every problem named), its clients made. A failure is logged here and answered
    /// again, without a new try, for about a second or two ([`NotReady::retry_after`]).
    pub async fn get(&self) -> Result<&'static D, NotReady> {
        if let Some(deps) = self.built.get() {
            return Ok(deps);
        }
        if let Some(held) = self.held_failure() {
            return Err(held);
        }
        // Boxed: the build's future (secrets, every client) is deep, and callers nest it in
        // their own futures (the compiler's type-depth limit).
        let build: crate::db::BoxFuture<'_, Result<&'static D, InitError>> = Box::pin(async {
            let kept = self.kept_env();
            let env = match kept {
                Some(env) => env,
                None => {
                    let env = Environment::resolve(self.vars.iter().cloned(), &self.aws).await?;
                    *self.env.lock().unwrap_or_else(|e| e.into_inner()) = Some(env.clone());
                    env
                }
            };
            let start = ColdStart::with(self.aws.clone(), env);
            let (deps, ()) = start.service::<D, ()>().await?;
            Ok(&*Box::leak(Box::new(deps)))
        });
        match self.built.get_or_try_init(|| build).await {
            Ok(deps) => Ok(deps),
            Err(e) => {
                if e.is_permanent() {
                    // Bad settings may be a secret's content (an empty key set before the
                    // setup step ran): the next try reads the secrets again.
                    *self.env.lock().unwrap_or_else(|e| e.into_inner()) = None;
                }
                Err(self.hold(&e))
            }
        }
    }

    fn kept_env(&self) -> Option<Environment> {
        self.env.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn held_failure(&self) -> Option<NotReady> {
        let failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        let (until, why) = failed.as_ref()?;
        let left = until.checked_duration_since(std::time::Instant::now())?;
        Some(NotReady {
            retry_after: left,
            ..why.clone()
        })
    }

    fn hold(&self, e: &InitError) -> NotReady {
        let permanent = e.is_permanent();
        if permanent {
            tracing::error!(error = %e, "misconfigured: the function cannot serve until redeployed");
        } else {
            tracing::error!(error = %e, "dependencies unavailable: trying again shortly");
        }
        let hold = FAILURE_HOLD + FAILURE_HOLD.mul_f64(rand::random::<f64>());
        let why = NotReady {
            permanent,
            message: e.to_string(),
            retry_after: hold,
        };
        let mut failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
        *failed = Some((std::time::Instant::now() + hold, why.clone()));
        why
    }
}

/// Logs why a cold start failed (the runtime only reports an init error type) and passes it on.
pub fn log_failure<E: std::fmt::Display>(error: E) -> E {
    tracing::error!(error = %error, "init failed");
    error
}
