//! Configuration read from the environment once, at init.
//!
//! A function that is missing a setting should fail its cold start with a message naming every
//! problem at once, not fail the first request that happens to need the setting.

use std::fmt;
use std::time::Duration;

use crate::events::Topic;

/// Everything a Streamia function may need from its environment, validated.
#[derive(Clone)]
pub struct Config {
    /// MongoDB connection string (`MONGODB_URI`).
    pub mongodb_uri: String,
    /// Prefix of every service database name: the users service uses `<prefix>_users`
    /// (`MONGODB_DATABASE_PREFIX`, default `streamia`). Tests give each test its own prefix.
    pub database_prefix: String,
    /// Redis connection string (`REDIS_URL`; `rediss://` for TLS).
    pub redis_url: String,
    /// PEM file of the CA(s) a `rediss://` server's certificate is verified against instead of
    /// the system roots (`REDIS_CA_CERT`), for a Redis with a private CA.
    pub redis_ca_cert: Option<std::path::PathBuf>,
    /// Prefix of every Redis key (`REDIS_KEY_PREFIX`, default `streamia:`), so that several
    /// stacks or tests can share one Redis.
    pub redis_key_prefix: String,
    /// Signing secret and lifetimes of tokens.
    pub tokens: TokenConfig,
    /// ARNs of the SNS topics this function may publish to (`<NAME>_EVENTS_TOPIC_ARN`);
    /// functions that publish nothing have none.
    pub topics: Vec<(Topic, String)>,
    /// Largest request body a function parses (`MAX_BODY_BYTES`, default 64 KiB).
    pub max_body_bytes: usize,
}

/// How tokens are signed and how long they live.
#[derive(Clone)]
pub struct TokenConfig {
    /// HMAC secret for access tokens (`JWT_SECRET`, at least 32 bytes).
    pub jwt_secret: String,
    /// `iss` claim (`JWT_ISSUER`, default `streamia`).
    pub issuer: String,
    /// Access token lifetime (`ACCESS_TOKEN_TTL_SECONDS`, default 900).
    pub access_ttl: Duration,
    /// Refresh token and session lifetime (`REFRESH_TOKEN_TTL_SECONDS`, default 30 days).
    pub refresh_ttl: Duration,
}

/// Every problem found in the environment, so one failed cold start names them all.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {}", .problems.join("; "))]
pub struct ConfigError {
    /// One line per bad or missing variable.
    pub problems: Vec<String>,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads settings through `lookup`, so tests can build a config without touching the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut env = Reader {
            lookup: &lookup,
            problems: Vec::new(),
        };
        let mongodb_uri = env.required("MONGODB_URI");
        let database_prefix = env.or("MONGODB_DATABASE_PREFIX", "streamia");
        let redis_url = env.required("REDIS_URL");
        let redis_key_prefix = env.or("REDIS_KEY_PREFIX", "streamia:");
        let redis_ca_cert = env.get("REDIS_CA_CERT").map(std::path::PathBuf::from);
        let redis_tls = redis_url.starts_with("rediss://") || redis_url.starts_with("valkeys://");
        if redis_ca_cert.is_some() && !redis_tls {
            env.problems
                .push("REDIS_CA_CERT is set but REDIS_URL is not rediss://".to_owned());
        }
        let jwt_secret = env.required("JWT_SECRET");
        if !jwt_secret.is_empty() && jwt_secret.len() < 32 {
            env.problems
                .push("JWT_SECRET must be at least 32 bytes long".to_owned());
        }
        let issuer = env.or("JWT_ISSUER", "streamia");
        let access_ttl = env.seconds("ACCESS_TOKEN_TTL_SECONDS", 900);
        let refresh_ttl = env.seconds("REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600);
        let topics = Topic::ALL
            .into_iter()
            .filter_map(|t| Some((t, lookup(t.env_var()).filter(|v| !v.trim().is_empty())?)))
            .collect();
        let max_body_bytes = env.seconds("MAX_BODY_BYTES", 64 * 1024).as_secs() as usize;
        if !database_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            env.problems.push(
                "MONGODB_DATABASE_PREFIX may hold only letters, digits, '_' and '-'".to_owned(),
            );
        }
        if !env.problems.is_empty() {
            return Err(ConfigError {
                problems: env.problems,
            });
        }
        Ok(Self {
            mongodb_uri,
            database_prefix,
            redis_url,
            redis_ca_cert,
            redis_key_prefix,
            tokens: TokenConfig {
                jwt_secret,
                issuer,
                access_ttl,
                refresh_ttl,
            },
            topics,
            max_body_bytes,
        })
    }

    /// The database a service owns: one database per service, never shared.
    pub fn database_name(&self, service: &str) -> String {
        format!("{}_{}", self.database_prefix, service)
    }

    /// The ARN of a topic, when this function was given one.
    pub fn topic_arn(&self, topic: Topic) -> Option<String> {
        self.topics
            .iter()
            .find(|(t, _)| *t == topic)
            .map(|(_, arn)| arn.clone())
    }
}

/// Secrets never reach a log line, even through `{:?}`.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_prefix", &self.database_prefix)
            .field("redis_key_prefix", &self.redis_key_prefix)
            .field("jwt_secret", &"<redacted>")
            .field("access_ttl", &self.tokens.access_ttl)
            .field("refresh_ttl", &self.tokens.refresh_ttl)
            .field("topics", &self.topics)
            .finish_non_exhaustive()
    }
}

struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<String>,
}

impl Reader<'_> {
    fn get(&self, key: &str) -> Option<String> {
        (self.lookup)(key).filter(|v| !v.trim().is_empty())
    }

    fn required(&mut self, key: &str) -> String {
        self.get(key).unwrap_or_else(|| {
            self.problems.push(format!("{key} is required"));
            String::new()
        })
    }

    fn or(&self, key: &str, default: &str) -> String {
        self.get(key).unwrap_or_else(|| default.to_owned())
    }

    fn seconds(&mut self, key: &str, default: u64) -> Duration {
        match self.get(key) {
            None => Duration::from_secs(default),
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(n) if n > 0 => Duration::from_secs(n),
                _ => {
                    self.problems
                        .push(format!("{key} must be a positive integer, got {raw:?}"));
                    Duration::from_secs(default)
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn names_every_missing_variable_at_once() {
        let err = config(&[]).unwrap_err();
        let all = err.to_string();
        assert!(all.contains("MONGODB_URI is required"), "{all}");
        assert!(all.contains("REDIS_URL is required"), "{all}");
        assert!(all.contains("JWT_SECRET is required"), "{all}");
    }

    #[test]
    fn rejects_short_secret_and_bad_numbers() {
        let err = config(&[
            ("MONGODB_URI", "mongodb://x"),
            ("REDIS_URL", "redis://x"),
            ("JWT_SECRET", "short"),
            ("ACCESS_TOKEN_TTL_SECONDS", "ten"),
            ("REFRESH_TOKEN_TTL_SECONDS", "-1"),
        ])
        .unwrap_err();
        assert_eq!(err.problems.len(), 3, "{err}");
    }

    #[test]
    fn defaults_and_debug_hides_the_secret() {
        let cfg = config(&[
            ("MONGODB_URI", "mongodb://x"),
            ("REDIS_URL", "redis://x"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef-secret"),
        ])
        .unwrap();
        assert_eq!(cfg.database_name("users"), "streamia_users");
        assert_eq!(cfg.tokens.access_ttl, Duration::from_secs(900));
        assert!(!format!("{cfg:?}").contains("0123456789abcdef"));
    }
}
