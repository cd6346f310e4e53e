//! The `ratings-on-movie-deletion` Lambda function (SQS consumer): the ratings' step of the
//! movie-deletion saga (set aside, restore, purge) and its replies.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_ratings::adapters::sqs::serve_movie_deletions().await
}
