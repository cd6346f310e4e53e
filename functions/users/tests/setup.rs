//! The setup step as CloudFormation drives it: a custom resource event whose ResponseURL is a
//! local HTTP listener standing in for the pre-signed S3 URL. Every path must answer, or the
//! stack would wait an hour.

use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use streamia_shared::config::{Load, MongoConfig};
use streamia_shared::setup::{self, handle_value, http_client, CustomResourceResponse};
use streamia_shared::testing::TestEnv;
use streamia_users::store::create_indexes;
use streamia_users::SERVICE;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A one-shot HTTP server: records the method, content type and body of the first request.
struct ResponseUrl {
    url: String,
    received: oneshot::Receiver<(String, String, Value)>,
}

async fn response_url() -> ResponseUrl {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/cfn-response?X-Amz-Signature=abc",
        listener.local_addr().unwrap()
    );
    let (tx, received) = oneshot::channel();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let (head, body) = loop {
            let n = socket.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    break (head.to_owned(), body.to_owned());
                }
            }
            assert!(n > 0, "connection closed early");
        };
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .await
            .unwrap();
        let method = head.split(' ').next().unwrap().to_owned();
        let content_type = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-type")
                    .then(|| v.trim().to_owned())
            })
            .unwrap_or_default();
        let _ = tx.send((method, content_type, serde_json::from_str(&body).unwrap()));
    });
    ResponseUrl { url, received }
}

fn event(kind: &str, url: &str) -> Value {
    json!({
        "RequestType": kind,
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:000000000000:stack/streamia/1",
        "RequestId": "req-1",
        "ResourceType": "Custom::StreamiaSetup",
        "LogicalResourceId": "UsersSetup",
        "ServiceToken": "arn:aws:lambda:us-east-1:000000000000:function:users-setup",
        "ResourceProperties": {"SetupVersion": "1"}
    })
}

fn deadline(secs: u64) -> SystemTime {
    SystemTime::now() + Duration::from_secs(secs)
}

async fn index_names(mongo: &MongoConfig, collection: &str) -> Vec<String> {
    let client = mongodb::Client::with_uri_str(&mongo.uri).await.unwrap();
    client
        .database(&mongo.database_name("users"))
        .collection::<bson::Document>(collection)
        .list_index_names()
        .await
        .unwrap_or_default()
}

#[tokio::test]
async fn create_builds_the_indexes_and_answers_success() {
    let env = TestEnv::new(&[]).await;
    let target = response_url().await;
    let answer = handle_value(
        &http_client(),
        event("Create", &target.url),
        deadline(60),
        || setup::database(SERVICE, &env.mongo, create_indexes),
    )
    .await
    .unwrap();
    let (method, content_type, body) = target.received.await.unwrap();
    assert_eq!(method, "PUT");
    assert_eq!(
        content_type, "",
        "the pre-signed URL is signed without a content type"
    );
    let sent: CustomResourceResponse = serde_json::from_value(body).unwrap();
    assert_eq!(sent, answer);
    assert_eq!(sent.status, "SUCCESS");
    assert_eq!(sent.request_id, "req-1");
    assert_eq!(sent.logical_resource_id, "UsersSetup");
    assert!(sent.stack_id.contains("stack/streamia"));
    let users = index_names(&env.mongo, "users").await;
    assert!(users.iter().any(|n| n.contains("email")), "{users:?}");
    assert!(!index_names(&env.mongo, "sessions").await.is_empty());
    assert!(!index_names(&env.mongo, "password_resets").await.is_empty());
}

#[tokio::test]
async fn an_unreachable_database_answers_failed_with_the_reason() {
    let target = response_url().await;
    let mongo = MongoConfig::load(&|k: &str| match k {
        // Nothing listens on port 9: server selection fails after its short timeout.
        "MONGODB_URI" => Some("mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300".into()),
        _ => None,
    })
    .unwrap();
    let answer = handle_value(
        &http_client(),
        event("Update", &target.url),
        deadline(60),
        || setup::database(SERVICE, &mongo, create_indexes),
    )
    .await
    .unwrap();
    let (_, _, body) = target.received.await.unwrap();
    assert_eq!(body["Status"], "FAILED");
    assert!(
        body["Reason"].as_str().unwrap().contains("mongodb"),
        "{body}"
    );
    assert_eq!(answer.status, "FAILED");
}

#[tokio::test]
async fn a_setup_that_overruns_its_budget_answers_failed_instead_of_hanging() {
    let target = response_url().await;
    // 4 s left, 3 s kept for the answer: the setup gets 1 s and never finishes.
    let answer = handle_value(
        &http_client(),
        event("Create", &target.url),
        deadline(4),
        std::future::pending::<Result<(), String>>,
    )
    .await
    .unwrap();
    assert_eq!(answer.status, "FAILED");
    let (_, _, body) = target.received.await.unwrap();
    assert!(
        body["Reason"].as_str().unwrap().contains("did not finish"),
        "{body}"
    );
}

#[tokio::test]
async fn delete_keeps_the_data_and_answers_success_with_the_same_physical_id() {
    let target = response_url().await;
    let mut e = event("Delete", &target.url);
    e["PhysicalResourceId"] = json!("UsersSetup-setup");
    let answer = handle_value(&http_client(), e, deadline(60), || async {
        Err::<(), _>("setup must not run on delete")
    })
    .await
    .unwrap();
    assert_eq!(answer.status, "SUCCESS");
    assert_eq!(answer.physical_resource_id, "UsersSetup-setup");
    let (_, _, body) = target.received.await.unwrap();
    assert_eq!(body["PhysicalResourceId"], "UsersSetup-setup");
}

#[tokio::test]
async fn an_unreadable_event_is_still_answered() {
    let target = response_url().await;
    let mut e = event("Create", &target.url);
    e["RequestType"] = json!("Explode");
    let answer = handle_value(&http_client(), e, deadline(60), || async {
        Ok::<(), String>(())
    })
    .await
    .unwrap();
    assert_eq!(answer.status, "FAILED");
    let (_, _, body) = target.received.await.unwrap();
    assert_eq!(body["Status"], "FAILED");
    assert_eq!(body["RequestId"], "req-1");
}
