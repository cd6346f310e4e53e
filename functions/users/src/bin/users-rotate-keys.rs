//! The `users-rotate-keys` Lambda function: no route; an operator rotates the access-token
//! keys in two steps with `aws lambda invoke` (payload `{"step": "stage"}`, later
//! `{"step": "promote"}`; see the README).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_users::adapters::invoke::serve_rotate_keys().await
}
