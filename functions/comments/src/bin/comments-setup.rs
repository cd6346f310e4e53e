//! The `comments-setup` function: the comments database's indexes (the public list's, the
//! moderation list's, the reports' unique one, the inboxes'), after backfilling the fields
//! they need on older documents (`listed`, the reports' text version), run by a CloudFormation
//! custom resource at deploy (again when its `SetupVersion` changes) and by the local stack's
//! start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::setup::serve(
        streamia_comments::SERVICE,
        streamia_comments::store::create_indexes,
    )
    .await
}
