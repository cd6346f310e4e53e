//! The `users-get-me` Lambda function.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    streamia_users::run(streamia_users::adapters::http::get_me).await
}
