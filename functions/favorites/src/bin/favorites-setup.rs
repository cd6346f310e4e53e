//! The `favorites-setup` function: the favorites database's indexes (the favorites' and the
//! inbox's), run by a CloudFormation custom resource at deploy and by the local stack's start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::setup::serve(
        streamia_favorites::SERVICE,
        streamia_favorites::store::create_indexes,
    )
    .await
}
