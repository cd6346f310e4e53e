//! The `favorites-on-movie-deletion` Lambda function (SQS consumer): the favorites' step of the
//! movie-deletion saga (set aside, restore, purge) and its replies.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_favorites::adapters::sqs::serve_movie_deletions().await
}
