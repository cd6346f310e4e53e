//! The `ratings-summary-sweeper` Lambda function (EventBridge schedule): recomputes the movie
//! summaries a writer left behind (`ops::sweep_summaries`).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::scheduled::serve(streamia_ratings::ops::sweep_summaries::execute).await
}
