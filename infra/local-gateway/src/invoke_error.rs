//! How an invocation fails, whichever way the function was invoked: through the Lambda Invoke
//! API (`invoke`) or on an instance the gateway runs itself (`runtime`). Both backends return
//! it, so it lives in neither.

use serde_json::Value;

/// A function did not answer normally.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The function returned an error (`X-Amz-Function-Error`): its error payload.
    #[error("function error: {0}")]
    Function(Value),
    /// It did not answer within its timeout.
    #[error("function timed out")]
    Timeout,
    /// The Lambda endpoint could not be reached or answered garbage.
    #[error("invoke failed: {0}")]
    Transport(String),
}

impl InvokeError {
    /// The `errorMessage` of a function error.
    pub fn error_message(&self) -> Option<&str> {
        match self {
            InvokeError::Function(v) => v["errorMessage"].as_str(),
            _ => None,
        }
    }
}
