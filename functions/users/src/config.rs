//! Settings only the users service reads. What functions of several services need (MongoDB,
//! Redis, tokens, topics) are the platform's pieces in `streamia_shared::config`; a function of
//! another service never sees these.

use std::fmt;

use streamia_shared::config::{ConfigError, Load, Lookup, Reader};
use url::Url;

/// `FRONTEND_URL`'s default: the web app's dev server.
const DEFAULT_FRONTEND_URL: &str = "http://localhost:5173";

/// The users service's own settings, validated once at cold start.
#[derive(Clone)]
pub struct UsersConfig {
    /// Base URL of the web app, for links in emails (`FRONTEND_URL`).
    pub frontend_url: Url,
    /// How long a user-deletion saga may wait for its participants before
    /// `users-saga-deadline` cancels it (`USER_DELETION_DEADLINE_SECONDS`, default 40
    /// minutes: past every SQS redelivery of a step whose dependency is down, 3 + 6 + 12 + 15
    /// minutes with the deployed retry delays (`SQS_RETRY_BASE_SECONDS`), so a saga is
    /// cancelled only once a step is in its dead-letter queue or its consumer is gone, never
    /// because a participant had a bad quarter of an hour).
    pub deletion_deadline: std::time::Duration,
}

/// `USER_DELETION_DEADLINE_SECONDS`'s default.
const DEFAULT_DELETION_DEADLINE_SECS: u64 = 2400;

/// Loads beside the platform's pieces, so one cold start names every problem at once.
impl Load for UsersConfig {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let raw_url = env.or("FRONTEND_URL", DEFAULT_FRONTEND_URL);
        let frontend_url = match Url::parse(raw_url.trim().trim_end_matches('/')) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Some(url),
            _ => {
                env.problem(format!(
                    "FRONTEND_URL must be an http(s) URL, got {raw_url:?}"
                ));
                None
            }
        };
        let deletion_deadline = std::time::Duration::from_secs(env.positive(
            "USER_DELETION_DEADLINE_SECONDS",
            DEFAULT_DELETION_DEADLINE_SECS,
        ));
        let config = frontend_url.map(|frontend_url| Self {
            frontend_url,
            deletion_deadline,
        });
        // A missing URL was recorded as a problem, so `finish` fails first.
        env.finish(config)?.ok_or_else(|| ConfigError {
            problems: vec!["FRONTEND_URL is invalid".to_owned()],
        })
    }
}

impl fmt::Debug for UsersConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsersConfig")
            .field("frontend_url", &self.frontend_url.as_str())
            .field("deletion_deadline", &self.deletion_deadline)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> (Result<UsersConfig, ConfigError>, Vec<String>) {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        let seen = RefCell::new(Vec::new());
        let config = UsersConfig::load(&|k: &str| {
            seen.borrow_mut().push(k.to_owned());
            map.get(k).map(|v| v.to_string())
        });
        (config, seen.into_inner())
    }

    #[test]
    fn reads_only_its_own_variables() {
        // A leftover ADMIN_EMAILS (removed: roles come from an operator only) is not read.
        let (config, seen) = read(&[("ADMIN_EMAILS", "admin@streamia.local")]);
        assert_eq!(seen, ["FRONTEND_URL", "USER_DELETION_DEADLINE_SECONDS"]);
        let config = config.unwrap();
        assert_eq!(config.frontend_url.as_str(), "http://localhost:5173/");
        assert_eq!(config.deletion_deadline.as_secs(), 2400);
        let (config, _) = read(&[("USER_DELETION_DEADLINE_SECONDS", "3")]);
        assert_eq!(config.unwrap().deletion_deadline.as_secs(), 3);
    }

    #[test]
    fn names_the_problem() {
        let (config, _) = read(&[("FRONTEND_URL", "ftp://x")]);
        assert_eq!(config.unwrap_err().problems.len(), 1);
    }
}
