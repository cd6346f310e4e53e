//! The sagas (both owners' `deletion_sagas`, read as their `*-saga-status` functions answer)
//! and the circuits (their shared state in the auth Redis).

use axum::response::Response;
use serde_json::json;
use streamia_shared::config::RedisConfig;
use streamia_shared::resilience::{Breaker, Policy, State};

/// The services that own a saga, with the field naming its subject.
const OWNERS: [(&str, &str); 2] = [("users", "userId"), ("movies", "movieId")];
/// Sagas listed per owner (the most recently started).
const SAGAS_SHOWN: i64 = 20;
/// The circuits the functions use (`notifications::mailer::CIRCUIT`, `shared::media`).
const CIRCUITS: [&str; 3] = ["smtp", "s3", "cloudinary"];

/// The owners' databases.
pub(super) struct Sagas {
    dbs: Vec<(&'static str, &'static str, mongodb::Database)>,
}

impl Sagas {
    pub(super) async fn connect(uri: &str, prefix: &str) -> Option<Self> {
        let client = match streamia_shared::db::connect(uri).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "console: no MongoDB, no sagas");
                return None;
            }
        };
        let dbs = OWNERS
            .iter()
            .map(|(service, subject)| {
                (
                    *service,
                    *subject,
                    client.database(&format!("{prefix}_{service}")),
                )
            })
            .collect();
        Some(Self { dbs })
    }

    /// Both owners' recent sagas, newest first per owner.
    pub(super) async fn recent(&self) -> Response {
        let mut sagas = Vec::new();
        let mut errors = Vec::new();
        for (service, subject, db) in &self.dbs {
            match streamia_shared::saga::status::recent(db, subject, SAGAS_SHOWN).await {
                Ok(found) => sagas.extend(found.into_iter().map(|s| {
                    let mut v = json!(s);
                    v["owner"] = json!(service);
                    v
                })),
                Err(e) => errors.push(format!("{service}: {e}")),
            }
        }
        super::json_ok(&json!({"available": true, "sagas": sagas, "errors": errors}))
    }
}

/// The circuits, read from the auth Redis.
pub(super) struct Circuits {
    breakers: Vec<Breaker>,
}

impl Circuits {
    pub(super) async fn connect(url: &str, key_prefix: &str) -> Option<Self> {
        let config = RedisConfig {
            url: url.to_owned(),
            ca_cert: None,
            key_prefix: key_prefix.to_owned(),
        };
        let mut breakers = Vec::new();
        for name in CIRCUITS {
            match Breaker::connect(name, Policy::DEFAULT, &config).await {
                Ok(b) => breakers.push(b),
                Err(e) => {
                    tracing::warn!(error = %e, "console: no Redis, no circuits");
                    return None;
                }
            }
        }
        Some(Self { breakers })
    }

    /// Each circuit's state as every instance sees it.
    pub(super) async fn states(&self) -> Vec<serde_json::Value> {
        let mut states = Vec::new();
        for b in &self.breakers {
            states.push(match b.state().await {
                State::Closed { failures } => {
                    json!({"name": b.name(), "state": "closed", "failures": failures})
                }
                State::Open { retry_after } => json!({
                    "name": b.name(), "state": "open",
                    "retryAfterMs": retry_after.as_millis() as u64,
                }),
                State::HalfOpen => json!({"name": b.name(), "state": "half-open"}),
            });
        }
        states
    }
}
