//! The `ratings-on-movie-change` Lambda function (SQS consumer): keeps the ratings' copy of
//! each movie (which exist and are visible) from movie events.

// One invocation at a time per instance: one thread, no idle workers holding memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_ratings::adapters::sqs::serve_movie_changes().await
}
