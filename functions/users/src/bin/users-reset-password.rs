//! The `users-reset-password` Lambda function.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    streamia_users::run(streamia_users::adapters::http::reset_password).await
}
