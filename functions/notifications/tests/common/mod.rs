//! Test support: the real SMTP sink of the test command (its MAIL_OUTBOX file), a fresh
//! database per test, SQS events as Lambda delivers them.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::{json, Value};
use streamia_notifications::deps::CopyDeps;
use streamia_notifications::mailer::MailConfig;
use streamia_notifications::Deps;
use streamia_shared::config::Load;
use streamia_shared::events::users::{PasswordResetRequested, UserRegistered};
use streamia_shared::events::Envelope;
use streamia_shared::service::Service;
use streamia_shared::testing::TestEnv;

pub fn mail_config(port: &str) -> MailConfig {
    MailConfig::load(&|k: &str| match k {
        "SMTP_HOST" => Some("127.0.0.1".into()),
        "SMTP_PORT" => Some(port.into()),
        "SMTP_TLS" => Some("none".into()),
        "MAIL_FROM" => Some("Streamia <no-reply@streamia.test>".into()),
        _ => None,
    })
    .unwrap()
}

/// The test command's SMTP sink.
pub fn smtp_port() -> String {
    std::env::var("SMTP_PORT").unwrap_or_else(|_| "1025".into())
}

/// Dependencies on this test's own database, mailing through `mail`.
pub async fn deps_with(mail: MailConfig) -> &'static Deps {
    let env = TestEnv::new(&[]).await;
    let deps = Deps::build((env.mongo.clone(), mail, env.redis.clone()), &env.aws).await;
    Box::leak(Box::new(deps.unwrap()))
}

/// The user-changes consumer's dependencies on this test's own database.
pub async fn copy_deps() -> &'static CopyDeps {
    let env = TestEnv::new(&[]).await;
    Box::leak(Box::new(env.service::<CopyDeps>().await))
}

/// Dependencies mailing to the real sink.
pub async fn deps() -> &'static Deps {
    deps_with(mail_config(&smtp_port())).await
}

/// Every mail the sink recorded for `to`, once at least `expected` arrived (or after 5 s).
/// Asking for one more than expected and getting exactly the expected number back proves no
/// extra mail came.
pub async fn mails_to(to: &str, expected: usize) -> Vec<Value> {
    let outbox =
        std::env::var("MAIL_OUTBOX").expect("MAIL_OUTBOX: the test command starts the mail sink");
    let mut found = Vec::new();
    for _ in 0..50 {
        let text = std::fs::read_to_string(&outbox).unwrap_or_default();
        found = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|m| m["to"] == to)
            .collect();
        if found.len() >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    found
}

pub fn unique_email() -> String {
    format!(
        "{}@example.com",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

pub fn welcome(to: &str) -> Envelope<UserRegistered> {
    Envelope::new(
        "users",
        "corr-1",
        UserRegistered {
            user_id: "u1".into(),
            email: to.into(),
            username: "ana".into(),
            first_name: Some("Ana".into()),
            language: Default::default(),
        },
    )
}

pub fn reset(to: &str) -> Envelope<PasswordResetRequested> {
    Envelope::new(
        "users",
        "corr-2",
        PasswordResetRequested {
            user_id: "u2".into(),
            email: to.into(),
            username: "bob".into(),
            reset_url: "https://app.streamia.test/reset-password/tok123".into(),
            expires_at: "2030-01-01T00:00:00.000Z".into(),
            language: Default::default(),
        },
    )
}

/// The untyped envelope a consumer receives.
pub fn untyped<P: serde::Serialize>(envelope: &Envelope<P>) -> Envelope {
    serde_json::from_value(serde_json::to_value(envelope).unwrap()).unwrap()
}

/// An SQS event holding `(messageId, body)` records.
pub fn sqs_event(bodies: &[(&str, String)]) -> aws_lambda_events::event::sqs::SqsEvent {
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

pub fn failed(response: &aws_lambda_events::event::sqs::SqsBatchResponse) -> Vec<&str> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

/// An "SMTP server" that accepts connections and never says a word: a hung mail server.
pub async fn silent_smtp_server() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    port
}

/// An SMTP server that takes every command but answers each `RCPT TO` with `rcpt_reply`
/// (e.g. `550 5.1.1 no such user`, `421 4.3.2 shutting down`): a server refusing one email
/// for its recipient, or refusing service. Returns its port.
pub async fn refusing_smtp_server(rcpt_reply: &'static str) -> u16 {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 refusing.test ESMTP\r\n").await;
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.split_whitespace().next().unwrap_or("").to_uppercase();
                    let reply = match verb.as_str() {
                        "EHLO" | "HELO" => "250 refusing.test".to_owned(),
                        "RCPT" => rcpt_reply.to_owned(),
                        "QUIT" => "221 bye".to_owned(),
                        _ => "250 ok".to_owned(),
                    };
                    if write
                        .write_all(format!("{reply}\r\n").as_bytes())
                        .await
                        .is_err()
                    {
                        break;
                    }
                    if verb == "QUIT" || reply.starts_with("421") {
                        break;
                    }
                }
            });
        }
    });
    port
}
