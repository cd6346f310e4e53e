//! An SMTP outage through the whole local stack: the mail server stops for two minutes,
//! sign-ups go on, their welcome emails wait (the `smtp` circuit opens and the senders defer
//! the records to their queue) and are all sent once it is back; none reaches the DLQ.
//!
//! It stops the stack's one mail sink, so the test command runs it on its own, after the
//! other tests (`infra/local/test.sh`: every test but this binary, then this one).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

fn base() -> String {
    std::env::var("STREAMIA_API_URL")
        .expect("STREAMIA_API_URL: run the README's test command, which starts the local stack")
}

/// The outage's length (the acceptance: two minutes).
const OUTAGE: Duration = Duration::from_secs(120);

/// The sink's pid file (`infra/local/mailsink.py` writes it next to its outbox).
fn sink_pid() -> String {
    let outbox =
        std::env::var("MAIL_OUTBOX").expect("MAIL_OUTBOX: the test command starts the mail sink");
    std::fs::read_to_string(format!("{outbox}.pid"))
        .expect("the mail sink's pid file")
        .trim()
        .to_owned()
}

fn signal_sink(signal: &str) -> bool {
    std::process::Command::new("kill")
        .args([format!("-{signal}"), sink_pid()])
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts the sink again however the test ends (a failed assertion included).
struct SinkStopped;

impl SinkStopped {
    fn now() -> Self {
        assert!(signal_sink("USR1"), "kill -USR1 the mail sink");
        SinkStopped
    }
}

impl Drop for SinkStopped {
    fn drop(&mut self) {
        if !signal_sink("USR2") {
            eprintln!("could not start the mail sink again (kill -USR2 failed)");
        }
    }
}

async fn mails(http: &reqwest::Client) -> Vec<Value> {
    http.get(format!("{}/_local/mail", base()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The bodies of every message in the notification senders' dead-letter queues that mention
/// `needle`. Each message is received (hidden for a moment) and made visible again at once:
/// nothing consumes a DLQ, and this reads all of it, not only a first page.
async fn dlq_messages_with(sqs: &aws_sdk_sqs::Client, needle: &str) -> Vec<String> {
    let urls = sqs.list_queues().send().await.unwrap();
    let dlqs: Vec<&String> = urls
        .queue_urls()
        .iter()
        .filter(|url| {
            url.ends_with("-notifications-user-events-dlq")
                || url.ends_with("-notifications-favorite-alerts-dlq")
        })
        .collect();
    assert!(!dlqs.is_empty(), "the stack's notification DLQs exist");
    let mut found = Vec::new();
    for url in dlqs {
        let mut handles = Vec::new();
        loop {
            let page = sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .visibility_timeout(30)
                .send()
                .await
                .unwrap();
            let messages = page.messages();
            if messages.is_empty() {
                break;
            }
            for m in messages {
                let body = m.body().unwrap_or_default();
                if body.contains(needle) {
                    found.push(body.to_owned());
                }
                handles.extend(m.receipt_handle().map(str::to_owned));
            }
        }
        for handle in handles {
            let _ = sqs
                .change_message_visibility()
                .queue_url(url)
                .receipt_handle(handle)
                .visibility_timeout(0)
                .send()
                .await;
        }
    }
    found
}

#[tokio::test]
async fn an_smtp_outage_delays_the_welcome_emails_and_loses_none() {
    let http = reqwest::Client::new();
    let sqs = aws_sdk_sqs::Client::new(&streamia_shared::testing::localstack_config().await);
    let stopped = SinkStopped::now();
    let started = Instant::now();
    let run = format!("out{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let emails: Vec<String> = (0..6).map(|i| format!("{run}{i}@example.com")).collect();
    for (i, email) in emails.iter().enumerate() {
        let res = http
            .post(format!("{}/api/v1/auth/register", base()))
            .json(&json!({"username": format!("{run}{i}"), "email": email,
                          "password": "Secret123", "firstName": "Olga"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "sign-ups go on with SMTP down"
        );
    }
    // Through the outage: no email can arrive, and none may reach a dead-letter queue.
    while started.elapsed() < OUTAGE {
        let dead = dlq_messages_with(&sqs, &run).await;
        assert!(dead.is_empty(), "an email reached a DLQ: {dead:?}");
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    let during = mails(&http).await;
    assert!(
        !during.iter().any(|m| emails.iter().any(|e| m["to"] == *e)),
        "no email was sent while the server was down"
    );
    drop(stopped);

    // Back: each welcome email is sent, once (the circuit's cool-down and a trial at most).
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let all = mails(&http).await;
        let sent: Vec<&Value> = all
            .iter()
            .filter(|m| emails.iter().any(|e| m["to"] == *e))
            .collect();
        if sent.len() >= emails.len() || Instant::now() > deadline {
            for email in &emails {
                assert_eq!(
                    sent.iter().filter(|m| m["to"] == *email).count(),
                    1,
                    "one welcome email for {email}"
                );
            }
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let dead = dlq_messages_with(&sqs, &run).await;
    assert!(dead.is_empty(), "an email reached a DLQ: {dead:?}");
}
