//! Workspace-level checks. The tests in `tests/` hold `template.yaml` to the code (every
//! binary deployed, every function given only the environment and permissions it reads), to
//! `infra/openapi.yaml` and to the API contract (`infra/api-contract.md`). The rules that a
//! test also feeds deliberately broken input live here, as plain functions.
//!
//! - `consumers`: an SQS consumer's batch fits in its timeout;
//! - `layers`: operations, stores and domain types name no HTTP type;
//! - `preflight`: every path a route serves has its CORS preflight;
//! - `stores`: a function can read only its own service's MongoDB secret.

pub mod consumers;
pub mod intrinsics;
pub mod layers;
pub mod preflight;
pub mod stores;
