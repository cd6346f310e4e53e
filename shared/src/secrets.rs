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
    /// The variable naming the secret (`JWT_SECRET_ARN`).
    pub var: String,
    /// Its ARN or name.
    pub arn: String,
    /// Why (the SDK's error, never a value).
    pub message: String,
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
    /// it holds (`JWT_SECRET_ARN` -> `JWT_SECRET`, see [`secret_name`]). A plain value of a secret setting in `vars` is dropped, so a deployed function
    /// cannot be configured around Secrets Manager by mistake.
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
        let fetched = futures_util::future::join_all(wanted.into_iter().map(|(name, arn)| {
            let client = client.clone();
            async move {
                let answer = client.get_secret_value().secret_id(&arn).send().await;
                let error = |message: String| SecretError {
                    var: secret_arn_var(&name),
                    arn: arn.clone(),
                    message,
                };
                match answer {
                    Ok(out) => match out.secret_string {
                        // A value pasted with a trailing newline must not break a URI.
                        Some(value) => Ok((name, value.trim().to_owned())),
                        None => Err(error("the secret has no string value".to_owned())),
                    },
                    Err(e) => Err(error(
                        aws_sdk_secretsmanager::error::DisplayErrorContext(&e).to_string(),
                    )),
                }
            }
        }))
        .await;
        for result in fetched {
            let (name, value) = result?;
            vars.insert(name, value);
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
