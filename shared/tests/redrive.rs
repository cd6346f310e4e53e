//! The operator's way back from a dead-letter queue (README, "Deleting an account",
//! Operators): `aws sqs start-message-move-task --source-arn <dlq-arn>` moves its messages
//! back to the queue they came from, here against LocalStack as against AWS, and the consumer
//! then handles them once.
#![cfg(feature = "testing")]

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::json;
use streamia_shared::events::consumer::ConsumeError;
use streamia_shared::testing::sqs::RedrivenQueue;
use streamia_shared::testing::TestEnv;

#[tokio::test]
async fn a_message_moved_back_from_the_dlq_is_handled() {
    let env = TestEnv::new(&[]).await;
    let queue = RedrivenQueue::create(&env.aws, "redrive", 2).await;
    let body = json!({"eventId": "e1", "eventName": "test.happened",
        "occurredAt": "2030-01-01T00:00:00.000Z", "correlationId": "c", "source": "test",
        "version": 1, "payload": {}})
    .to_string();
    queue.send(body.clone()).await; // kept to compare with what the DLQ holds
                                    // A dependency down: the record fails until the DLQ takes it.
    let pumped = queue
        .pump_until_dead(
            |_| async { Err(ConsumeError::Transient("down".into())) },
            Duration::from_secs(30),
        )
        .await;
    assert_eq!(pumped.dead, [body]);

    let sqs = aws_sdk_sqs::Client::new(&env.aws);
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue.dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .unwrap();
    sqs.start_message_move_task()
        .source_arn(&dlq_arn)
        .send()
        .await
        .expect("start-message-move-task");
    // The dependency is back: the moved message is handled (and deleted) once.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if queue.left().await > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the message never came back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let handled = std::sync::atomic::AtomicUsize::new(0);
    let deadline = Instant::now() + Duration::from_secs(30);
    while queue.left().await > 0 {
        assert!(
            Instant::now() < deadline,
            "the moved message was not handled"
        );
        queue
            .pump_once(|_| {
                handled.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async { Ok(()) }
            })
            .await;
    }
    assert_eq!(handled.load(std::sync::atomic::Ordering::SeqCst), 1);
}
