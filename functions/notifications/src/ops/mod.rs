//! The service's operations: plain async functions over [`crate::Deps`], no SQS or HTTP types.

pub mod send_email;
