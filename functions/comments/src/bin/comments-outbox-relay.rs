//! The `comments-outbox-relay` Lambda function (EventBridge schedule): publishes the saga
//! replies still pending in the comments outbox.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    use streamia_shared::events::{relay, Topic};
    relay::run(streamia_comments::SERVICE, Topic::CommentEvents).await
}
