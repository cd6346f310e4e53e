//! The `notifications-on-user-event` Lambda function (SQS consumer).

// One invocation at a time per instance: one thread, no idle workers holding memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_notifications::adapters::sqs::serve_user_events().await
}
