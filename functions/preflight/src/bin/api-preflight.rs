//! The `api-preflight` Lambda function: the CORS preflight (`OPTIONS`) of every path of the
//! API, naming the request's origin when it is allowed (see `streamia_shared::http::preflight`).

// One invocation at a time per instance: one thread, no idle workers holding memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    streamia_shared::http::serve_preflight().await
}
