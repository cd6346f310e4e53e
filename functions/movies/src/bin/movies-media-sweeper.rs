//! The `movies-media-sweeper` Lambda function (EventBridge schedule): deletes the media objects
//! no movie references any more once they are due (`store::MediaDeletions`).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_shared::scheduled::serve(streamia_movies::ops::sweep_media::execute).await
}
