//! The `users-login` Lambda function.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    streamia_users::run(streamia_users::adapters::http::login).await
}
