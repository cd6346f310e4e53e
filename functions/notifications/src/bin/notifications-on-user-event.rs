//! The `notifications-on-user-event` Lambda function (SQS consumer).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::telemetry::init();
    let deps = streamia_notifications::Deps::from_env().await?;
    streamia_notifications::adapters::sqs::run(deps).await
}
