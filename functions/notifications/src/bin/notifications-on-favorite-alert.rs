//! The `notifications-on-favorite-alert` Lambda function (SQS consumer of the favorites'
//! alerts, apart from the user events' emails).

// One invocation at a time per instance: one thread, no idle workers holding memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_notifications::adapters::sqs::serve_favorite_alerts().await
}
