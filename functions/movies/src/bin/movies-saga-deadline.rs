//! The `movies-saga-deadline` Lambda function (EventBridge schedule): cancels the
//! movie-deletion sagas whose deadline passed (`ops::deletion_saga::expire`).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::scheduled::serve(streamia_movies::ops::deletion_saga::expire).await
}
