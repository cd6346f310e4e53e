//! The `movies-republish` Lambda function: no route; an operator republishes every movie's
//! current snapshot with `aws lambda invoke` (payload `{}`, then `{"after": "<id>"}` until the
//! answer says `done`; see the README, "Republishing snapshots").

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    use streamia_movies::ops::republish::{Republisher, FUNCTION};
    streamia_shared::republish::serve::<Republisher>(FUNCTION).await
}
