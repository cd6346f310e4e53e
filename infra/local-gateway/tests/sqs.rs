//! SQS event sources against LocalStack: partial batch failures and the dead-letter queue.

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
      Timeout: 5
      Events:
        Queue:
          Type: SQS
          Properties:
            Queue: !GetAtt Messaging.Outputs.FixtureQueueArn
            BatchSize: 10
            MaximumBatchingWindowInSeconds: 1
            FunctionResponseTypes: [ReportBatchItemFailures]
"#;

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
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            "1",
        )
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
            json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}).to_string(),
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
        event_sources: true,
    })
    .await
    .unwrap();

    // Wait for the poison message to reach the DLQ.
    let deadline = Instant::now() + Duration::from_secs(45);
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

    let seen = |body: &str| {
        lambda
            .calls_to("fixture-consumer")
            .iter()
            .flat_map(|e| e["Records"].as_array().unwrap().clone())
            .filter(|r| r["body"] == body)
            .count()
    };
    // Successes were deleted after one delivery; the failure came back alone until the
    // redrive policy's maxReceiveCount moved it.
    assert_eq!(seen("ok-1"), 1);
    assert_eq!(seen("ok-2"), 1);
    assert_eq!(seen("fail-always"), 2);
    let calls = lambda.calls_to("fixture-consumer");
    let last = calls.last().unwrap()["Records"].as_array().unwrap().clone();
    assert_eq!(
        last.len(),
        1,
        "the retry batch holds only the failed record"
    );
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
    let left = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    assert_eq!(
        left.attributes.unwrap()
            [&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages],
        "0"
    );
}
