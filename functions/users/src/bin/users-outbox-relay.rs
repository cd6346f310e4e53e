//! The `users-outbox-relay` Lambda function (EventBridge schedule): publishes the user events
//! still pending in the users outbox.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    streamia_shared::telemetry::init();
    streamia_shared::events::relay::run(
        streamia_users::SERVICE,
        streamia_shared::events::Topic::UserEvents,
    )
    .await
}
