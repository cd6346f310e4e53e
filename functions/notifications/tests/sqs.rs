//! The SQS adapter: batches as Lambda delivers them, partial batch failures, duplicates in
//! one batch and in concurrent batches, and the batch's time budget, against the real SMTP
//! sink.

mod common;

use std::time::{Duration, Instant};

use common::*;
use streamia_notifications::adapters::sqs;
use streamia_shared::events::consumer::{process_batch, Budget};

#[tokio::test]
async fn sends_each_email_and_reports_only_the_poison_records() {
    let deps = deps().await;
    let (a, b) = (unique_email(), unique_email());
    let mut future = serde_json::to_value(welcome(&unique_email())).unwrap();
    future["version"] = serde_json::json!(2);
    let mut other = serde_json::to_value(welcome(&unique_email())).unwrap();
    other["eventName"] = serde_json::json!("user.updated");
    let event = sqs_event(&[
        ("m1", serde_json::to_string(&welcome(&a)).unwrap()),
        ("m2", "this is not an envelope".into()),
        ("m3", serde_json::to_string(&reset(&b)).unwrap()),
        ("v2", future.to_string()),
        ("other", other.to_string()),
    ]);
    let response = process_batch(event, Budget::unlimited(), |e| sqs::on_user_event(deps, e)).await;
    assert_eq!(failed(&response), ["m2", "v2"]);
    // The wire format Lambda expects back.
    let wire = serde_json::to_value(&response).unwrap();
    assert_eq!(wire["batchItemFailures"][0]["itemIdentifier"], "m2");
    assert_eq!(mails_to(&a, 2).await.len(), 1);
    assert_eq!(mails_to(&b, 2).await.len(), 1);
}

#[tokio::test]
async fn one_event_twice_in_a_batch_sends_one_email() {
    let deps = deps().await;
    let to = unique_email();
    let body = serde_json::to_string(&welcome(&to)).unwrap();
    let response = process_batch(
        sqs_event(&[("m1", body.clone()), ("m2", body)]),
        Budget::unlimited(),
        |e| sqs::on_user_event(deps, e),
    )
    .await;
    assert!(failed(&response).is_empty());
    assert_eq!(mails_to(&to, 2).await.len(), 1);
}

#[tokio::test]
async fn one_event_in_two_concurrent_batches_sends_one_email() {
    let deps = deps().await;
    let to = unique_email();
    let body = serde_json::to_string(&welcome(&to)).unwrap();
    let (first, second) = tokio::join!(
        process_batch(
            sqs_event(&[("m1", body.clone())]),
            Budget::unlimited(),
            |e| { sqs::on_user_event(deps, e) }
        ),
        process_batch(
            sqs_event(&[("m2", body.clone())]),
            Budget::unlimited(),
            |e| { sqs::on_user_event(deps, e) }
        ),
    );
    // At most one of them was told to come back (it found the other one sending).
    let retried: Vec<&str> = failed(&first).into_iter().chain(failed(&second)).collect();
    assert!(retried.len() <= 1, "{retried:?}");
    // SQS redelivers it: now it is done, acknowledged without a second email.
    for id in retried {
        let again = process_batch(sqs_event(&[(id, body.clone())]), Budget::unlimited(), |e| {
            sqs::on_user_event(deps, e)
        })
        .await;
        assert!(failed(&again).is_empty());
    }
    assert_eq!(mails_to(&to, 2).await.len(), 1);
}

#[tokio::test]
async fn records_left_when_the_time_budget_runs_out_are_reported_and_the_finished_ones_are_not_resent(
) {
    let deps = deps().await;
    let (a, b, c) = (unique_email(), unique_email(), unique_email());
    let bodies = [
        ("m1", serde_json::to_string(&welcome(&a)).unwrap()),
        ("m2", serde_json::to_string(&welcome(&b)).unwrap()),
        ("m3", serde_json::to_string(&welcome(&c)).unwrap()),
    ];
    // The invocation is almost over: no record can be finished in time, none is started.
    let response = process_batch(
        sqs_event(&bodies),
        Budget::until(Instant::now()).per_record(sqs::PER_RECORD),
        |e| sqs::on_user_event(deps, e),
    )
    .await;
    assert_eq!(failed(&response), ["m1", "m2", "m3"]);
    assert!(mails_to(&a, 1).await.is_empty());

    // A batch where the second record hangs (a stuck send, stood in for by a future that
    // never ends) until the invocation's deadline: the first is sent, the second is cut off
    // at the deadline, the third is not started; both are reported.
    let hanging = serde_json::from_str::<streamia_shared::events::Envelope>(&bodies[1].1)
        .unwrap()
        .event_id;
    let response = process_batch(
        sqs_event(&bodies),
        Budget::until(Instant::now() + Duration::from_secs(2)),
        |e| {
            let hangs = e.event_id == hanging;
            async move {
                if hangs {
                    std::future::pending::<()>().await;
                }
                sqs::on_user_event(deps, e).await
            }
        },
    )
    .await;
    assert_eq!(failed(&response), ["m2", "m3"]);
    assert_eq!(mails_to(&a, 1).await.len(), 1);

    // SQS redelivers the batch's failures (and, say, the whole batch again): m1 is not resent.
    let response = process_batch(sqs_event(&bodies), Budget::unlimited(), |e| {
        sqs::on_user_event(deps, e)
    })
    .await;
    assert!(failed(&response).is_empty());
    for to in [&a, &b, &c] {
        assert_eq!(mails_to(to, 2).await.len(), 1, "{to}");
    }
}

#[tokio::test]
async fn a_secrets_manager_outage_at_cold_start_fails_every_record_for_redelivery_then_recovers() {
    use streamia_notifications::deps::CopyDeps;
    use streamia_shared::events::consumer::consume;
    use streamia_shared::init::Deferred;
    use streamia_shared::testing::faults::{localstack_addr, DownEndpoint};
    use streamia_shared::testing::{aws_config_at, TestEnv};

    let env = TestEnv::new(&[]).await;
    let mut aws_endpoint = DownEndpoint::new();
    let aws = aws_config_at(&aws_endpoint.url()).await;
    let (deps, ()) = Deferred::<CopyDeps>::with::<()>(aws, env.vars()).unwrap();
    let deps: &'static Deferred<CopyDeps> = Box::leak(Box::new(deps));
    let body = serde_json::to_string(&welcome(&unique_email())).unwrap();
    let batch = || sqs_event(&[("m1", body.clone()), ("m2", body.clone())]);

    // Nothing is lost: both come back (SQS redelivers them after the visibility timeout).
    let down = consume(deps, batch(), Budget::unlimited(), sqs::on_user_change).await;
    assert_eq!(failed(&down), ["m1", "m2"]);

    aws_endpoint.come_up(localstack_addr()).await;
    // Until the hold after a failure has passed, batches come back without a new try.
    let held = consume(deps, batch(), Budget::unlimited(), sqs::on_user_change).await;
    assert_eq!(failed(&held), ["m1", "m2"]);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let up = consume(deps, batch(), Budget::unlimited(), sqs::on_user_change).await;
    assert!(failed(&up).is_empty(), "{:?}", failed(&up));
}
