//! The environment a function's config loaders read: process variables plus secrets fetched
//! once per cold start from AWS Secrets Manager.
//!
//! Anyone who can read a function's configuration can read its environment variables, so
//! secret values never sit there: the template sets `<NAME>_SECRET_ARN`, IAM lets the function
//! read only its own secrets, and [`Environment::load`] fetches each one and answers `NAME`
//! with its value. Locally the stack creates the same secrets in LocalStack, so the code path
//! is the same everywhere.

use std::collections::HashMap;

use aws_config::SdkConfig;

use crate::config::{secret_arn_var, secret_name, SECRET_SETTINGS};

/// A secret named in the environment could not be read.
#[derive(Debug, thiserror::Error)]
#[error("secret {arn} ({var}) could not be read: {message}")]
pub struct SecretError {
    /// The variable naming the secret (`REDIS_URL_SECRET_ARN`).
    pub var: String,
    /// Its ARN or name.
    pub arn: String,
    /// Why (the SDK's error, never a value).
    pub message: String,
}

/// The most secret ids one `BatchGetSecretValue` call takes.
const BATCH_LIMIT: usize = 20;

/// At most this many pages of one batch answer (20 ids fit in one): an endpoint that keeps
/// answering with a next token does not hold the cold start until the deadline.
const MAX_PAGES: usize = 4;

/// How a batch call failed.
enum Batch {
    /// Secrets Manager throttled the call (`ThrottlingException`).
    Throttled,
    /// Anything else, or a secret that could not be read.
    Failed(SecretError),
}

/// Fetches `wanted` (setting name, secret name or full ARN: what an entry of the answer is
/// matched by) in one `BatchGetSecretValue` call (and
/// its next pages, if Secrets Manager splits the answer): the settings with their values, or
/// the first secret that could not be read.
async fn fetch_batch(
    client: &aws_sdk_secretsmanager::Client,
    wanted: &[(String, String)],
) -> Result<Vec<(String, String)>, Batch> {
    let error = |name: &str, arn: &str, message: String| SecretError {
        var: secret_arn_var(name),
        arn: arn.to_owned(),
        message,
    };
    let mut values: HashMap<String, String> = HashMap::new();
    let mut errors: HashMap<String, String> = HashMap::new();
    let mut next_token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let answer = client
            .batch_get_secret_value()
            .set_secret_id_list(Some(wanted.iter().map(|(_, arn)| arn.clone()).collect()))
            .set_next_token(next_token.take())
            .send()
            .await
            .map_err(|e| {
                use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
                let throttled = e.code() == Some("ThrottlingException");
                let error = SecretError {
                    var: wanted
                        .iter()
                        .map(|(name, _)| secret_arn_var(name))
                        .collect::<Vec<_>>()
                        .join(", "),
                    arn: wanted
                        .iter()
                        .map(|(_, arn)| arn.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    message: aws_sdk_secretsmanager::error::DisplayErrorContext(&e).to_string(),
                };
                match throttled {
                    true => Batch::Throttled,
                    false => Batch::Failed(error),
                }
            })?;
        for entry in answer.secret_values() {
            // A value pasted with a trailing newline must not break a URI.
            let value = entry.secret_string().map(|v| v.trim().to_owned());
            for id in [entry.arn(), entry.name()].into_iter().flatten() {
                if let Some(value) = &value {
                    values.insert(id.to_owned(), value.clone());
                }
            }
        }
        for failure in answer.errors() {
            if let Some(id) = failure.secret_id() {
                let code = failure.error_code().unwrap_or("error");
                let message = failure.message().unwrap_or_default();
                errors.insert(id.to_owned(), format!("{code}: {message}"));
            }
        }
        next_token = answer.next_token().map(str::to_owned);
        if next_token.is_none() {
            break;
        }
    }
    wanted
        .iter()
        .map(|(name, arn)| match values.get(arn) {
            Some(value) => Ok((name.clone(), value.clone())),
            None => Err(error(
                name,
                arn,
                errors
                    .get(arn)
                    .cloned()
                    .unwrap_or_else(|| "no string value returned for it".to_owned()),
            )),
        })
        .collect::<Result<_, _>>()
        .map_err(Batch::Failed)
}

/// One `GetSecretValue` call per secret, concurrently: the fallback when batches are throttled.
async fn fetch_each(
    client: &aws_sdk_secretsmanager::Client,
    wanted: &[(String, String)],
) -> Result<Vec<(String, String)>, SecretError> {
    let calls = wanted.iter().map(|(name, arn)| async move {
        let error = |message: String| SecretError {
            var: secret_arn_var(name),
            arn: arn.clone(),
            message,
        };
        let out = client
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            .map_err(|e| {
                error(aws_sdk_secretsmanager::error::DisplayErrorContext(&e).to_string())
            })?;
        match out.secret_string {
            Some(value) => Ok((name.clone(), value.trim().to_owned())),
            None => Err(error("the secret has no string value".to_owned())),
        }
    });
    futures_util::future::join_all(calls)
        .await
        .into_iter()
        .collect()
}

/// Settings as a function's loaders see them.
#[derive(Clone, Default)]
pub struct Environment {
    vars: HashMap<String, String>,
}

impl Environment {
    /// The process environment with every `*_SECRET_ARN` resolved (the Lambda path).
    pub async fn load(sdk: &SdkConfig) -> Result<Self, SecretError> {
        let vars: Vec<(String, String)> = std::env::vars().collect();
        Self::resolve(vars, sdk).await
    }

    /// `vars` with every `*_SECRET_ARN` fetched from Secrets Manager and exposed as the setting
    /// it holds (`REDIS_URL_SECRET_ARN` -> `REDIS_URL`, see [`secret_name`]). A plain value of a
    /// secret setting in `vars` is dropped, so a deployed function cannot be configured around
    /// Secrets Manager by mistake. All of a function's secrets come in one `BatchGetSecretValue`
    /// call: in AWS every call is a round trip added to the cold start.
    pub async fn resolve(
        vars: impl IntoIterator<Item = (String, String)> + Send,
        sdk: &SdkConfig,
    ) -> Result<Self, SecretError> {
        let mut vars: HashMap<String, String> = vars
            .into_iter()
            .filter(|(k, _)| !SECRET_SETTINGS.contains(&k.as_str()))
            .collect();
        let wanted: Vec<(String, String)> = vars
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .filter_map(|(k, v)| Some((secret_name(k)?, v.clone())))
            .collect();
        if wanted.is_empty() {
            return Ok(Self { vars });
        }
        let client = aws_sdk_secretsmanager::Client::new(sdk);
        for chunk in wanted.chunks(BATCH_LIMIT) {
            let fetched = match fetch_batch(&client, chunk).await {
                // BatchGetSecretValue allows 100 calls a second per account and region (not
                // raised on request), GetSecretValue 10,000: a burst of cold starts that meets
                // the first falls back to the second, one call per secret, concurrently.
                Err(Batch::Throttled) => fetch_each(&client, chunk).await?,
                Err(Batch::Failed(e)) => return Err(e),
                Ok(fetched) => fetched,
            };
            vars.extend(fetched);
        }
        Ok(Self { vars })
    }

    /// An environment from explicit values (tests; no secret is fetched).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        Self {
            vars: vars.into_iter().collect(),
        }
    }

    /// One setting.
    pub fn get(&self, key: &str) -> Option<String> {
        self.vars.get(key).cloned()
    }

    /// The lookup closure config loaders take.
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> + '_ {
        move |key| self.get(key)
    }
}

/// Values stay out of logs.
impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut keys: Vec<&String> = self.vars.keys().collect();
        keys.sort();
        f.debug_struct("Environment").field("keys", &keys).finish()
    }
}
