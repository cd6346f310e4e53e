//! The `movies-saga-status` Lambda function: no route; an operator reads one movie-deletion
//! saga with `aws lambda invoke` (payload `{"sagaId": "..."}`; see the README, "Deleting a
//! movie").

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::saga::status::serve::<streamia_movies::store::sagas::DeletionSaga>().await
}
