//! The `ratings-setup` function: the ratings database's indexes (the ratings' unique pair,
//! the history's, the summary aggregation's, the sweeper's, the outbox's and the inbox's),
//! run by a CloudFormation custom resource at deploy and by the local stack's start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::setup::serve(
        streamia_ratings::SERVICE,
        streamia_ratings::store::create_indexes,
    )
    .await
}
