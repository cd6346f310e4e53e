//! The local gateway: what API Gateway and Lambda's event source mappings do in AWS, done on
//! a laptop from `template.yaml` alone.
//!
//! - `template` reads functions, routes, the authorizer, SQS sources and schedules;
//! - `routes` matches a request to a route, with path parameters (`percent`-decoded, as the
//!   proxy event's query string is);
//! - `proxy` builds the REST (v1) proxy event and maps the function's answer back;
//! - `authorizer` runs the Lambda authorizer, caching as API Gateway does;
//! - `invoke` calls functions through the Lambda Invoke API (cargo lambda watch locally), or
//!   `runtime` runs the binaries itself behind its own Lambda Runtime API (the fast mode);
//!   either way a failure is an `invoke_error::InvokeError`;
//! - `sqs` and `schedule` drive consumers and scheduled functions;
//! - `lambda_api` serves the Lambda Invoke API on the gateway's port (`aws lambda invoke
//!   --endpoint-url`), for functions with no route (`users-set-role`), in both modes;
//! - `server` ties it together, plus the API reference page at `/docs/` (`docs`; in AWS a
//!   static site of its own, not part of the API);
//! - `console` is the local console at `/_local/` (requests by correlation id, emails, queues
//!   with a redrive, sagas, circuits, metrics) and `GET /_local/mail` (`mail`).

pub mod authorizer;
pub mod console;
mod docs;
pub mod invoke;
pub mod invoke_error;
mod lambda_api;
pub mod mail;
mod percent;
pub mod proxy;
pub mod routes;
pub mod runtime;
pub mod schedule;
pub mod server;
pub mod sqs;
pub mod template;
