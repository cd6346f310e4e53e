//! The `comments-on-user-change` Lambda function (SQS consumer): keeps the comments copy of
//! each user's username, shown beside their comments.

// One invocation at a time per instance: one thread, no idle workers holding memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    streamia_comments::adapters::sqs::serve_user_changes().await
}
