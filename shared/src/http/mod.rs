//! HTTP in and out, the same way in every function: the contract's envelope, one error type
//! mapped to status codes in one place, bounded JSON parsing, identity from the authorizer, and
//! the per-request wrapper that adds the correlation id and CORS headers and writes the access
//! log line.

mod body;
mod cors;
mod error;
mod identity;
pub mod path;
mod preflight;
#[cfg(test)]
mod proxy_event;
pub mod query;
mod response;
mod route;
mod serve;

pub use body::{parse_json, parse_optional_json};
pub use cors::{
    Cors, ALLOWED_METHODS, ALLOWED_REQUEST_HEADERS, CORS_ALLOWED_ORIGINS, EXPOSED_HEADERS,
    PREFLIGHT_MAX_AGE_SECONDS,
};
pub use error::ApiError;
pub use identity::Identity;
pub use preflight::{preflight, serve_preflight};
pub use response::ApiResponse;
pub use route::{serve, Access, Answer, HttpPieces, Req, Route};
pub use serve::{respond, respond_for, CORRELATION_HEADER};
