//! The `movies-outbox-relay` Lambda function (EventBridge schedule): publishes the movie events
//! still pending in the movies outbox.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    use streamia_shared::events::{relay, Topic};
    relay::run(streamia_movies::SERVICE, Topic::MovieEvents).await
}
