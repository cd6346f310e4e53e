//! The `users-saga-deadline` Lambda function (EventBridge schedule): cancels the user-deletion
//! sagas whose deadline passed (`ops::deletion_saga::expire`).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::scheduled::serve(streamia_users::ops::deletion_saga::expire).await
}
