//! The `movies-on-rating-change` Lambda function (SQS consumer): keeps each movie's rating
//! summary.

// One invocation at a time per instance: one thread, no idle workers holding memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_movies::adapters::sqs::serve_rating_changes().await
}
