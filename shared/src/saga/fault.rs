//! A fault injected on purpose into one participant's step, so the local stack's tests can
//! drive a saga into its compensation the way a real failure would.
//!
//! `SAGA_FAULT=<service>:<username prefix>` makes `<service>`'s step of a user-deletion saga
//! fail for good (it replies `user.deletion_step_failed`) for every user whose username starts
//! with the prefix. Unset (every deployed function): no fault. The local stack sets it for
//! the e2e tests; the template never does.

use crate::config::{ConfigError, Load, Lookup, Reader};

/// Which participant fails for which users, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SagaFault {
    rule: Option<(String, String)>,
}

impl SagaFault {
    /// No fault: every step does its work.
    pub fn none() -> Self {
        Self::default()
    }

    /// `service`'s step fails for usernames starting with `prefix` (tests).
    pub fn failing(service: &str, prefix: &str) -> Self {
        Self {
            rule: Some((service.to_owned(), prefix.to_owned())),
        }
    }

    /// Whether `service`'s step must fail for `username`.
    pub fn fails(&self, service: &str, username: &str) -> bool {
        self.rule
            .as_ref()
            .is_some_and(|(s, prefix)| s == service && username.starts_with(prefix.as_str()))
    }
}

/// `SAGA_FAULT`, optional; a value without `:` or with an empty part is a configuration error
/// (a fault that silently does nothing would make a test pass for the wrong reason).
impl Load for SagaFault {
    fn load(lookup: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut env = Reader::new(lookup);
        let rule = match env.get("SAGA_FAULT") {
            None => None,
            Some(raw) => match raw.split_once(':') {
                Some((service, prefix)) if !service.is_empty() && !prefix.is_empty() => {
                    Some((service.to_owned(), prefix.to_owned()))
                }
                _ => {
                    env.problem(format!(
                        "SAGA_FAULT must be <service>:<username prefix>, got {raw:?}"
                    ));
                    None
                }
            },
        };
        env.finish(Self { rule })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(value: Option<&str>) -> Result<SagaFault, ConfigError> {
        SagaFault::load(&|k: &str| {
            (k == "SAGA_FAULT")
                .then(|| value.map(str::to_owned))
                .flatten()
        })
    }

    #[test]
    fn a_fault_names_one_service_and_a_username_prefix() {
        let fault = load(Some("ratings:fault-")).unwrap();
        assert!(fault.fails("ratings", "fault-ana"));
        assert!(!fault.fails("ratings", "ana"));
        assert!(!fault.fails("favorites", "fault-ana"));
        assert_eq!(load(None).unwrap(), SagaFault::none());
        assert!(!SagaFault::none().fails("ratings", ""));
        // Empty is unset (the local stack's `SAGA_FAULT=` turns it off).
        assert_eq!(load(Some("")).unwrap(), SagaFault::none());
        for bad in ["ratings", "ratings:", ":x"] {
            assert!(load(Some(bad)).is_err(), "{bad:?}");
        }
    }
}
