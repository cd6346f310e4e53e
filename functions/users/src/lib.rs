//! The users service: accounts, sessions and passwords.
//!
//! Read it in this order: `domain` (what a user is and which values are valid), `store` (the
//! service's own MongoDB database), `sessions` (how tokens are issued and revoked), `handlers`
//! (one file per route), `events` (what it tells other services).

pub mod domain;
pub mod error;
pub mod events;
pub mod handlers;
pub mod sessions;
pub mod setup;
pub mod state;
pub mod store;

pub use state::AppState;

use std::future::Future;

use lambda_http::Request;
use streamia_shared::http::{ApiError, ApiResponse, RequestCtx};

/// The source name on every event this service publishes, and its database's suffix.
pub const SERVICE: &str = "users";

/// Entry point of every users function binary: builds the state once for the container, then
/// serves `handler` for every invocation.
pub async fn run<H, Fut>(handler: H) -> Result<(), lambda_http::Error>
where
    H: Fn(&'static AppState, Request, RequestCtx) -> Fut + Send + Sync + Copy + 'static,
    Fut: Future<Output = Result<ApiResponse, ApiError>> + Send,
{
    streamia_shared::telemetry::init();
    let state = AppState::from_env().await.map_err(|e| {
        tracing::error!(error = %e, "init failed");
        e
    })?;
    streamia_shared::http::run(state, handler).await
}
