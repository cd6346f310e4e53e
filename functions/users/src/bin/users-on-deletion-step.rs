//! The `users-on-deletion-step` Lambda function (SQS): the participants' replies to
//! user-deletion sagas; the last confirmation completes a saga, a failure cancels it.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_users::adapters::sqs::serve_deletion_steps().await
}
