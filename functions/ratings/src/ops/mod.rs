//! The ratings service's operations, one file each, callable from any adapter (an HTTP route,
//! the sweeper's schedule) and from tests without HTTP types.
//!
//! Every operation has the same shape:
//! - `Input`: the raw fields as a client sends them (plain data, `deny_unknown_fields`);
//! - `parse(..) -> Result<Command, RatingsError>`: every field checked at once into a
//!   `Command` whose fields are domain values, so it cannot be invalid;
//! - `execute(&Deps, Command, ..) -> Result<Output, RatingsError>`: the work, against the
//!   service's own store and its events.
//!
//! The writes (`put`, `delete`) are one single-document operation each, then
//! [`summarize::after_write`]; `summarize` is where each movie's summary and its
//! `rating.changed` come from.

pub mod delete;
pub mod list_mine;
pub mod movie_deletion;
pub mod movie_stats;
pub mod put;
pub mod summarize;
pub mod sweep_summaries;
pub mod user_deletion;

pub use streamia_shared::service::{Caller, Ctx};
