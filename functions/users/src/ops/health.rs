//! Health: whether this service's dependencies answer. The route is public, so its answer
//! names no internals: 200 `{status: "ok"}` or the envelope's 503; which dependency failed
//! (and why) is in the error, which only the log line carries.

use serde::Serialize;

use crate::error::UsersError;
use crate::Deps;

/// Every dependency answered.
#[derive(Debug, Serialize)]
pub struct Health {
    /// `ok`.
    pub status: &'static str,
}

/// Pings MongoDB and writes a short-lived key to Redis (a PING would pass on a full or
/// read-only auth Redis that refuses every logout and login); the first that fails is named in
/// the error (for the log, never the client).
pub async fn execute(deps: &Deps) -> Result<Health, UsersError> {
    let down = |dependency: &'static str| {
        move |e: Box<dyn std::error::Error + Send + Sync>| UsersError::DependencyDown {
            dependency,
            source: e,
        }
    };
    deps.db
        .run_command(bson::doc! {"ping": 1})
        .await
        .map_err(|e| down("mongodb")(e.into()))?;
    let mut redis = deps.redis.clone();
    redis::cmd("SET")
        .arg(&deps.health_key)
        .arg(1)
        .arg("EX")
        .arg(5)
        .query_async::<()>(&mut redis)
        .await
        .map_err(|e| down("redis")(e.into()))?;
    Ok(Health { status: "ok" })
}
