//! The `comments-on-movie-deletion` Lambda function (SQS consumer): the comments' step of the
//! movie-deletion saga (set aside, restore, purge) and its replies.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_comments::adapters::sqs::serve_movie_deletions().await
}
