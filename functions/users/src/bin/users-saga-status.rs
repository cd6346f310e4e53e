//! The `users-saga-status` Lambda function: no route; an operator reads one user-deletion saga
//! with `aws lambda invoke` (payload `{"sagaId": "..."}`; see the README, "Deleting an
//! account").

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::saga::status::serve::<streamia_users::store::DeletionSaga>().await
}
