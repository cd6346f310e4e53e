//! The `notifications-on-user-event` Lambda function (SQS consumer).

// One invocation at a time per instance: one thread, no idle workers holding memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::telemetry::init();
    let state = streamia_notifications::State::from_env().await?;
    streamia_shared::events::consumer::run(state, |state, envelope| {
        streamia_notifications::consumer::on_user_event(state, envelope)
    })
    .await
}
