//! The `comments-moderate` Lambda function.

// One invocation at a time per instance: one thread, no idle workers holding memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    streamia_shared::http::serve(streamia_comments::adapters::http::MODERATE).await
}
