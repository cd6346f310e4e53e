//! The invocation's trace id on every AWS SDK call it makes.
//!
//! The SDK's own `RecursionDetectionInterceptor` copies `_X_AMZN_TRACE_ID` from the process
//! environment into `X-Amzn-Trace-Id`, when that header is not set yet. The platform never sets
//! that variable (see [`super::trace`]), so this interceptor sets the header from
//! [`super::trace::current`] instead: SNS (and any other AWS service) sees the same trace, and
//! X-Ray links the call to the invocation.

use aws_sdk_sns::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_sns::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_sns::error::BoxError;
use http::HeaderValue;

/// The header X-Ray (and the SDK's recursion detection) reads.
const TRACE_HEADER: &str = "x-amzn-trace-id";

/// Adds `X-Amzn-Trace-Id: <current trace id>` to each request of an SDK client built with it
/// (`aws_sdk_xxx::config::Builder::from(sdk).interceptor(TraceHeader)`). Outside an invocation
/// it adds nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceHeader;

impl Intercept for TraceHeader {
    fn name(&self) -> &'static str {
        "StreamiaTraceHeader"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // A value that is not a valid header (never the case for Lambda's) is left out rather
        // than failing the call.
        let value = super::trace::current().and_then(|t| HeaderValue::from_str(t.as_str()).ok());
        if let Some(value) = value {
            context
                .request_mut()
                .headers_mut()
                .insert(TRACE_HEADER, value);
        }
        Ok(())
    }
}
