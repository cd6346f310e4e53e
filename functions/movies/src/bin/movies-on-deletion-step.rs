//! The `movies-on-deletion-step` Lambda function (SQS): the participants' replies to
//! movie-deletion sagas; completes or cancels each saga (`ops::deletion_saga`).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_movies::adapters::sqs::serve_deletion_steps().await
}
