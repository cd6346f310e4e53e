//! The `ratings-outbox-relay` Lambda function (EventBridge schedule): publishes the
//! `rating.changed` events still pending in the ratings outbox.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    use streamia_shared::events::{relay, Topic};
    relay::run(streamia_ratings::SERVICE, Topic::RatingEvents).await
}
