//! The consumer against a real SMTP server (the test command's mail sink) and MongoDB, fed
//! with SQS events as Lambda delivers them.

use std::time::Duration;

use serde_json::{json, Value};
use streamia_notifications::mailer::MailConfig;
use streamia_notifications::{consumer, State};
use streamia_shared::events::consumer::process_batch;
use streamia_shared::events::users::{PasswordResetRequested, UserRegistered};
use streamia_shared::events::Envelope;
use streamia_shared::testing::TestEnv;

fn mail_config(port: &str) -> MailConfig {
    MailConfig::from_lookup(|k| match k {
        "SMTP_HOST" => Some("127.0.0.1".into()),
        "SMTP_PORT" => Some(port.into()),
        "SMTP_TLS" => Some("none".into()),
        "MAIL_FROM" => Some("Streamia <no-reply@streamia.test>".into()),
        _ => None,
    })
    .unwrap()
}

fn smtp_port() -> String {
    std::env::var("SMTP_PORT").unwrap_or_else(|_| "1025".into())
}

/// Mails the sink recorded for `to`.
async fn mails_to(to: &str, expected: usize) -> Vec<Value> {
    let outbox =
        std::env::var("MAIL_OUTBOX").expect("MAIL_OUTBOX: the test command starts the mail sink");
    for _ in 0..50 {
        let text = std::fs::read_to_string(&outbox).unwrap_or_default();
        let found: Vec<Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|m| m["to"] == to)
            .collect();
        if found.len() >= expected {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Vec::new()
}

fn sqs_event(bodies: &[(&str, String)]) -> aws_lambda_events::event::sqs::SqsEvent {
    let records: Vec<Value> = bodies
        .iter()
        .map(|(id, body)| {
            json!({
                "messageId": id, "receiptHandle": format!("rh-{id}"), "body": body,
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:notifications", "awsRegion": "us-east-1"
            })
        })
        .collect();
    serde_json::from_value(json!({"Records": records})).unwrap()
}

fn unique_email() -> String {
    format!(
        "{}@example.com",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

async fn state(port: &str) -> &'static State {
    let env = TestEnv::new(&[]).await;
    Box::leak(Box::new(
        State::build(&env.mongo, &mail_config(port)).await.unwrap(),
    ))
}

#[tokio::test]
async fn sends_welcome_and_reset_emails_and_reports_only_the_poison_record() {
    let state = state(&smtp_port()).await;
    let (a, b) = (unique_email(), unique_email());
    let welcome = Envelope::new(
        "users",
        "corr-1",
        UserRegistered {
            user_id: "u1".into(),
            email: a.clone(),
            username: "ana".into(),
            first_name: Some("Ana".into()),
        },
    );
    let reset = Envelope::new(
        "users",
        "corr-2",
        PasswordResetRequested {
            user_id: "u2".into(),
            email: b.clone(),
            username: "bob".into(),
            reset_url: "https://app.streamia.test/reset-password/tok123".into(),
            expires_at: "2030-01-01T00:00:00.000Z".into(),
        },
    );
    let event = sqs_event(&[
        ("m1", serde_json::to_string(&welcome).unwrap()),
        ("m2", "this is not an envelope".into()),
        ("m3", serde_json::to_string(&reset).unwrap()),
    ]);
    let response = process_batch(event, |e| consumer::on_user_event(state, e)).await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["m2"]);

    let welcome_mail = mails_to(&a, 1).await;
    assert_eq!(welcome_mail.len(), 1);
    assert_eq!(welcome_mail[0]["subject"], "Welcome to Streamia!");
    assert!(welcome_mail[0]["text"].as_str().unwrap().contains("Hi Ana"));
    let reset_mail = mails_to(&b, 1).await;
    assert_eq!(reset_mail[0]["subject"], "Reset your Streamia password");
    assert!(reset_mail[0]["text"]
        .as_str()
        .unwrap()
        .contains("https://app.streamia.test/reset-password/tok123"));

    // The wire format Lambda expects back.
    let wire = serde_json::to_value(&response).unwrap();
    assert_eq!(wire["batchItemFailures"][0]["itemIdentifier"], "m2");

    // A redelivered event sends nothing twice.
    let again = process_batch(
        sqs_event(&[("m1", serde_json::to_string(&welcome).unwrap())]),
        |e| consumer::on_user_event(state, e),
    )
    .await;
    assert!(again.batch_item_failures.is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mails_to(&a, 1).await.len(), 1);
}

#[tokio::test]
async fn unknown_versions_and_bad_payloads_are_poison_and_other_events_are_acked() {
    let state = state(&smtp_port()).await;
    let mut future = serde_json::to_value(Envelope::new(
        "users",
        "c",
        UserRegistered {
            user_id: "u".into(),
            email: unique_email(),
            username: "x".into(),
            first_name: None,
        },
    ))
    .unwrap();
    future["version"] = json!(2);
    let mut broken = future.clone();
    broken["version"] = json!(1);
    broken["payload"] = json!({"userId": 5});
    let mut other = future.clone();
    other["eventName"] = json!("user.updated");
    let response = process_batch(
        sqs_event(&[
            ("v2", future.to_string()),
            ("bad", broken.to_string()),
            ("other", other.to_string()),
        ]),
        |e| consumer::on_user_event(state, e),
    )
    .await;
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["v2", "bad"]);
}

#[tokio::test]
async fn an_unreachable_smtp_server_fails_the_record_for_a_retry() {
    // Nothing listens on port 9 (discard) here.
    let state = state("9").await;
    let to = unique_email();
    let welcome = Envelope::new(
        "users",
        "c",
        UserRegistered {
            user_id: "u".into(),
            email: to.clone(),
            username: "x".into(),
            first_name: None,
        },
    );
    let response = process_batch(
        sqs_event(&[("m", serde_json::to_string(&welcome).unwrap())]),
        |e| consumer::on_user_event(state, e),
    )
    .await;
    assert_eq!(response.batch_item_failures.len(), 1);
    // Not recorded as handled: the redelivery will send it.
    assert!(!state.inbox.seen(&welcome.event_id).await.unwrap());
}
