//! GET /health: whether this service's dependencies answer.

use lambda_http::Request;
use serde::Serialize;
use streamia_shared::http::{ApiError, ApiResponse, RequestCtx};

use crate::AppState;

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    mongodb: &'static str,
    redis: &'static str,
}

/// Handles the route: 200 when MongoDB and Redis answer a ping, 503 otherwise.
pub async fn handle(
    state: &AppState,
    _req: Request,
    _ctx: RequestCtx,
) -> Result<ApiResponse, ApiError> {
    let mongo = state
        .mongo
        .database("admin")
        .run_command(bson::doc! {"ping": 1})
        .await;
    let mut redis = state.redis.clone();
    let redis_ok = redis::cmd("PING").query_async::<String>(&mut redis).await;
    match (mongo, redis_ok) {
        (Ok(_), Ok(_)) => Ok(ApiResponse::ok(Health {
            status: "ok",
            mongodb: "ok",
            redis: "ok",
        })),
        (Err(e), _) => Err(ApiError::unavailable(e)),
        (_, Err(e)) => Err(ApiError::unavailable(e)),
    }
}
