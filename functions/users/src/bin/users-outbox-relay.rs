//! The `users-outbox-relay` Lambda function (EventBridge schedule): publishes the user events
//! still pending in the users outbox.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    use streamia_shared::events::{relay, Topic};
    relay::run(streamia_users::SERVICE, Topic::UserEvents).await
}
