//! The `users-setup` function: the users database's collections and indexes, and the first
//! access-token key pair when the key secrets are still empty; run by a CloudFormation custom
//! resource at deploy and by the local stack's start (run by hand).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::setup::serve_signing(
        streamia_users::SERVICE,
        streamia_users::store::create_indexes,
    )
    .await
}
