//! The `comments-on-movie-change` Lambda function (SQS consumer): keeps the comments copy of
//! each movie (whether it exists), so comments on unknown or deleted movies are refused.

// One invocation at a time per instance: one thread, no idle workers holding memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_comments::adapters::sqs::serve_movie_changes().await
}
