//! The users service's own database: `users`, `sessions`, `refresh_tokens`, `password_resets`.
//! No other service reads it.

mod resets;
mod sessions;
mod users;

pub use resets::ResetStore;
pub use sessions::{RefreshOutcome, SessionStore};
pub use users::{ProfileChanges, UserStore};
