//! The `favorites-on-movie-change` Lambda function (SQS consumer): keeps the service's copy of
//! each movie (exists, title, cover) from the movie events.

// One invocation at a time per instance: one thread, no idle workers holding memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_favorites::adapters::sqs::serve_movie_changes().await
}
