//! The users service: accounts, sessions and passwords.
//!
//! Read it in this order: `domain` (what a user is and which values are valid), `ops` (one
//! file per operation: parse a command, execute it), `store` (the service's own MongoDB
//! database), `sessions` (how tokens are issued and revoked), `events` (what it tells other
//! services), `adapters` (how an HTTP request reaches an operation), `error` (the one mapping
//! to HTTP), `deps` and `config` (what a cold start builds).

pub mod adapters;
pub mod config;
pub mod deps;
pub mod domain;
pub mod error;
pub mod events;
pub mod ops;
pub mod sessions;
pub mod setup;
pub mod store;

pub use deps::Deps;
pub use error::UsersError;

use std::future::Future;

use lambda_http::Request;
use streamia_shared::http::{ApiError, ApiResponse, RequestCtx};

/// The source name on every event this service publishes, and its database's suffix.
pub const SERVICE: &str = "users";

/// Entry point of every users HTTP function binary: builds the dependencies once for the
/// container, then serves `route` for every invocation.
pub async fn run<H, Fut>(route: H) -> Result<(), lambda_http::Error>
where
    H: Fn(&'static Deps, Request, RequestCtx) -> Fut + Send + Sync + Copy + 'static,
    Fut: Future<Output = Result<ApiResponse, ApiError>> + Send,
{
    streamia_shared::telemetry::init();
    let deps = Deps::from_env().await.map_err(|e| {
        tracing::error!(error = %e, "init failed");
        e
    })?;
    streamia_shared::http::run(deps, route).await
}
