//! The service's operations: plain async functions over its deps, no SQS or HTTP types.

pub mod copy_user;
pub mod send_email;
