//! The `notifications-on-user-change` Lambda function (SQS consumer): keeps the copy of each
//! user's name and email.

// One invocation at a time per instance: one thread, no idle workers holding memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_notifications::adapters::sqs::serve_user_changes().await
}
