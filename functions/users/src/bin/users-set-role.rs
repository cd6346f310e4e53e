//! The `users-set-role` Lambda function: no route; an operator grants or takes a role with
//! `aws lambda invoke` / `sam remote invoke` (see the README).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_users::adapters::invoke::serve_set_role().await
}
