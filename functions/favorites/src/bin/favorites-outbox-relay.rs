//! The `favorites-outbox-relay` Lambda function (EventBridge schedule): publishes the saga
//! replies still pending in the favorites outbox.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    use streamia_shared::events::{relay, Topic};
    relay::run(streamia_favorites::SERVICE, Topic::FavoriteEvents).await
}
