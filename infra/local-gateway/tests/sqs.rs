//! SQS event sources against LocalStack: partial batch failures and the dead-letter queue, and
//! batches no larger than the template's `BatchSize`.

mod common;

use std::time::{Duration, Instant};

use common::{Answer, Lambda};
use serde_json::{json, Value};
use streamia_local_gateway::server::{start, GatewayConfig};
use streamia_local_gateway::template::Context;

const FIXTURE: &str = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  ConsumerFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: fixture-consumer}}
    Properties:
      Timeout: 2
      Events:
        Queue:
          Type: SQS
          Properties:
            Queue: !GetAtt Messaging.Outputs.FixtureQueueArn
            BatchSize: 10
            MaximumBatchingWindowInSeconds: 1
            FunctionResponseTypes: [ReportBatchItemFailures]
"#;

/// The fixture queue's redrive policy.
const MAX_RECEIVE_COUNT: u32 = 3;

/// Fails every record whose body starts with "fail", reporting it by message id.
fn consumer(_: &str, event: &Value) -> Answer {
    let failures: Vec<Value> = event["Records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["body"].as_str().unwrap().starts_with("fail"))
        .map(|r| json!({"itemIdentifier": r["messageId"]}))
        .collect();
    Answer::Ok(json!({"batchItemFailures": failures}))
}

#[tokio::test]
async fn failed_records_come_back_alone_and_poison_ends_in_the_dlq() {
    let aws = streamia_shared::testing::localstack_config().await;
    let sqs = aws_sdk_sqs::Client::new(&aws);
    let id = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let dlq_url = sqs
        .create_queue()
        .queue_name(format!("fixture-dlq-{id}"))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let dlq_arn = format!("arn:aws:sqs:us-east-1:000000000000:fixture-dlq-{id}");
    let queue_name = format!("fixture-{id}");
    let queue_url = sqs
        .create_queue()
        .queue_name(&queue_name)
        // Not shorter than the function's timeout (AWS refuses such a mapping) and longer than
        // the 1 s batching window: a record cannot come back inside the window that received it.
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            "2",
        )
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
            json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT.to_string()})
                .to_string(),
        )
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    for body in ["ok-1", "fail-always", "ok-2"] {
        sqs.send_message()
            .queue_url(&queue_url)
            .message_body(body)
            .message_attributes(
                "correlationId",
                aws_sdk_sqs::types::MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(format!("corr-{body}"))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }

    let lambda = Lambda::start(consumer).await;
    let mut context = Context {
        region: "us-east-1".into(),
        stack_name: "fixture".into(),
        ..Context::default()
    };
    context.outputs.insert(
        "Messaging.Outputs.FixtureQueueArn".into(),
        format!("arn:aws:sqs:us-east-1:000000000000:{queue_name}"),
    );
    let endpoint =
        std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into());
    start(GatewayConfig {
        template_text: FIXTURE.to_owned(),
        context,
        listen: "127.0.0.1:0".parse().unwrap(),
        lambda_endpoint: Some(lambda.endpoint()),
        runtime: None,
        aws_endpoint: Some(endpoint),
        mail_outbox: None,
        docs_dir: None,
        console: Default::default(),
        event_sources: true,
    })
    .await
    .unwrap();

    // Wait on observable state, not on time: the poison is in the DLQ and the source queue
    // holds nothing any more (visible or in flight).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut dead = Vec::new();
    while dead.is_empty() && Instant::now() < deadline {
        dead = sqs
            .receive_message()
            .queue_url(&dlq_url)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default();
    }
    assert_eq!(dead.len(), 1, "poison message did not reach the DLQ");
    assert_eq!(dead[0].body.as_deref(), Some("fail-always"));
    while queue_depth(&sqs, &queue_url).await != 0 {
        assert!(Instant::now() < deadline, "the source queue did not drain");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let calls = lambda.calls_to("fixture-consumer");
    let records = |call: &Value| call["Records"].as_array().unwrap().clone();
    let deliveries = |body: &str| -> Vec<u32> {
        calls
            .iter()
            .flat_map(records)
            .filter(|r| r["body"] == body)
            .map(|r| {
                r["attributes"]["ApproximateReceiveCount"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect()
    };
    // Successes were deleted after their one delivery.
    assert_eq!(deliveries("ok-1").len(), 1, "{calls:#?}");
    assert_eq!(deliveries("ok-2").len(), 1, "{calls:#?}");
    // The failure came back, alone, until the redrive policy moved it: never delivered past
    // maxReceiveCount. (SQS counts every receive, so a receive whose answer never reached the
    // function spends a count too: the number of deliveries is not fixed, its bounds are.)
    let poison = deliveries("fail-always");
    assert!(
        poison.len() >= 2 && poison.len() <= MAX_RECEIVE_COUNT as usize,
        "poison delivered {} times: {poison:?}",
        poison.len()
    );
    assert!(
        poison.windows(2).all(|w| w[0] < w[1]) && poison[poison.len() - 1] <= MAX_RECEIVE_COUNT,
        "receive counts of the poison's deliveries: {poison:?}"
    );
    let first_poison = calls
        .iter()
        .position(|c| records(c).iter().any(|r| r["body"] == "fail-always"))
        .unwrap();
    for retry in &calls[first_poison + 1..] {
        assert!(
            records(retry).iter().all(|r| r["body"] == "fail-always"),
            "a retry batch holds only the failed record: {retry:#}"
        );
    }
    // Records have the SQS event shape consumers parse.
    let first: aws_lambda_events::sqs::SqsEvent = serde_json::from_value(calls[0].clone()).unwrap();
    let record = &first.records[0];
    assert_eq!(record.event_source.as_deref(), Some("aws:sqs"));
    assert!(record.attributes.contains_key("ApproximateReceiveCount"));
    assert!(record.message_attributes["correlationId"]
        .string_value
        .as_deref()
        .unwrap()
        .starts_with("corr-"));
}

#[tokio::test]
async fn a_batch_never_holds_more_records_than_the_templates_batch_size() {
    let aws = streamia_shared::testing::localstack_config().await;
    let sqs = aws_sdk_sqs::Client::new(&aws);
    let id = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
    let queue_name = format!("fixture-batch-{id}");
    let queue_url = sqs
        .create_queue()
        .queue_name(&queue_name)
        // Long enough that nothing comes back during the test: every record is delivered once.
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            "60",
        )
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    const SENT: usize = 5;
    for n in 0..SENT {
        sqs.send_message()
            .queue_url(&queue_url)
            .message_body(format!("ok-{n}"))
            .send()
            .await
            .unwrap();
    }

    let lambda = Lambda::start(consumer).await;
    let mut context = Context {
        region: "us-east-1".into(),
        stack_name: "fixture".into(),
        ..Context::default()
    };
    context.outputs.insert(
        "Messaging.Outputs.FixtureQueueArn".into(),
        format!("arn:aws:sqs:us-east-1:000000000000:{queue_name}"),
    );
    let endpoint =
        std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into());
    // Every record is already queued and the window (1 s) lets the poller gather: without the
    // limit it would hand over more than 2 at once.
    start(GatewayConfig {
        template_text: FIXTURE.replace("BatchSize: 10", "BatchSize: 2"),
        context,
        listen: "127.0.0.1:0".parse().unwrap(),
        lambda_endpoint: Some(lambda.endpoint()),
        runtime: None,
        aws_endpoint: Some(endpoint),
        mail_outbox: None,
        docs_dir: None,
        console: Default::default(),
        event_sources: true,
    })
    .await
    .unwrap();

    let deadline = Instant::now() + Duration::from_secs(60);
    let sizes = || -> Vec<usize> {
        lambda
            .calls_to("fixture-consumer")
            .iter()
            .map(|c| c["Records"].as_array().unwrap().len())
            .collect()
    };
    while sizes().iter().sum::<usize>() < SENT {
        assert!(
            Instant::now() < deadline,
            "delivered batches: {:?}",
            sizes()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sizes = sizes();
    assert_eq!(sizes.iter().sum::<usize>(), SENT, "{sizes:?}");
    assert_eq!(sizes.iter().max(), Some(&2), "batch sizes: {sizes:?}");
}

/// Messages in the queue, visible or in flight.
async fn queue_depth(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> u64 {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap_or_default();
    [
        A::ApproximateNumberOfMessages,
        A::ApproximateNumberOfMessagesNotVisible,
    ]
    .iter()
    .map(|a| attributes[a].parse::<u64>().unwrap())
    .sum()
}
