//! Ways in: each adapter turns what arrives (an API Gateway request; an operator's direct
//! invocation; an SQS record of the deletion saga) into an operation's
//! command, runs it, and turns the result into that channel's answer.

pub mod http;
pub mod invoke;
pub mod sqs;
