//! The `notifications-setup` function: the notifications database's indexes (the inbox's
//! purge), created by a CloudFormation custom resource at deploy and by the local stack's start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::setup::serve(
        streamia_notifications::SERVICE,
        streamia_notifications::create_indexes,
    )
    .await
}
