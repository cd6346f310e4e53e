//! Calls to dependencies that can fail or hang (SMTP, Cloudinary, S3, the cache): a circuit
//! breaker every instance shares ([`breaker`]) and bounded retries with jitter ([`retry`]).

pub mod breaker;
pub mod retry;

pub use breaker::{Breaker, Fault, Policy, Refused, State, Tripped};
pub use retry::{retry, Backoff, Transient};
