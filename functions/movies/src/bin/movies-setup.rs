//! The `movies-setup` function: the movies database's indexes (every list query's, the
//! outbox's and the inbox's), run by a CloudFormation custom resource at deploy and by the
//! local stack's start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::setup::serve(
        streamia_movies::SERVICE,
        streamia_movies::store::create_indexes,
    )
    .await
}
