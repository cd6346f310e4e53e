//! The `users-republish` Lambda function: no route; an operator republishes every user's
//! current snapshot with `aws lambda invoke` (payload `{}`, then `{"after": "<id>"}` until the
//! answer says `done`; see the README, "Republishing snapshots").

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_users::adapters::invoke::serve_republish().await
}
