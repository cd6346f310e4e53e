//! The `users-setup` function: the users database's collections and indexes, created by a
//! CloudFormation custom resource at deploy and by the local stack's start (run by hand).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::telemetry::init();
    streamia_shared::setup::run(streamia_users::setup::run).await
}
