//! The `ratings-on-user-deletion` Lambda function (SQS consumer): the ratings' step of the
//! user-deletion saga (set aside, restore, purge, each with the movies' summaries brought up
//! to date) and its replies.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_ratings::adapters::sqs::serve_user_deletions().await
}
