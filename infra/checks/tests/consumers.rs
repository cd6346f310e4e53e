//! Consumers sized to their timeout: `BatchSize` x the consumer's per-record reserve fits in
//! the function's `Timeout` minus the platform's margin (`streamia_checks::consumers`).

mod common;

use std::time::Duration;

use streamia_checks::consumers::batch_violations;
use streamia_local_gateway::template::{Context, Template};
use streamia_notifications::adapters::sqs;
use streamia_shared::events::consumer::Limits;

/// The per-record reserve of each SQS consumer binary: the constant its adapter passes as
/// `Limits::per_record`, so a change there is checked against the template here.
const PER_RECORD_RESERVES: &[(&str, Duration)] = &[
    ("notifications-on-user-event", sqs::PER_RECORD),
    ("notifications-on-favorite-alert", sqs::PER_RECORD),
    ("notifications-on-user-change", sqs::CHANGE_PER_RECORD),
    (
        "movies-on-rating-change",
        streamia_movies::adapters::sqs::PER_RECORD,
    ),
    (
        "favorites-on-movie-change",
        streamia_favorites::adapters::sqs::PER_RECORD,
    ),
    (
        "ratings-on-movie-change",
        streamia_ratings::adapters::sqs::PER_RECORD,
    ),
    (
        "comments-on-movie-change",
        streamia_comments::adapters::sqs::PER_RECORD,
    ),
    (
        "comments-on-user-change",
        streamia_comments::adapters::sqs::PER_RECORD,
    ),
    (
        "users-on-deletion-step",
        streamia_users::adapters::sqs::PER_RECORD,
    ),
    (
        "favorites-on-user-deletion",
        streamia_favorites::adapters::sqs::SAGA_PER_RECORD,
    ),
    (
        "ratings-on-user-deletion",
        streamia_ratings::adapters::sqs::SAGA_PER_RECORD,
    ),
    (
        "comments-on-user-deletion",
        streamia_comments::adapters::sqs::SAGA_PER_RECORD,
    ),
    (
        "movies-on-deletion-step",
        streamia_movies::adapters::sqs::SAGA_PER_RECORD,
    ),
    (
        "favorites-on-movie-deletion",
        streamia_favorites::adapters::sqs::MOVIE_SAGA_PER_RECORD,
    ),
    (
        "ratings-on-movie-deletion",
        streamia_ratings::adapters::sqs::SAGA_PER_RECORD,
    ),
    (
        "comments-on-movie-deletion",
        streamia_comments::adapters::sqs::MOVIE_SAGA_PER_RECORD,
    ),
];

#[test]
fn every_consumers_batch_fits_in_its_timeout() {
    let margin = Limits::default().margin;
    assert_eq!(margin, Duration::from_secs(1), "the platform's margin");
    let problems = batch_violations(&common::template(), PER_RECORD_RESERVES, margin);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A one-consumer template: `Globals` timeout, function `Timeout` and `BatchSize`, each
/// written only when given.
fn consumer(globals_timeout: Option<u64>, timeout: Option<u64>, batch: Option<u64>) -> Template {
    let globals = globals_timeout
        .map(|t| format!("Globals:\n  Function:\n    Timeout: {t}\n"))
        .unwrap_or_default();
    let timeout = timeout
        .map(|t| format!("      Timeout: {t}\n"))
        .unwrap_or_default();
    let batch = batch
        .map(|b| format!("            BatchSize: {b}\n"))
        .unwrap_or_default();
    let text = format!(
        r#"Transform: AWS::Serverless-2016-10-31
{globals}Resources:
  SlowConsumerFunction:
    Type: AWS::Serverless::Function
    Metadata: {{BuildMethod: rust-cargolambda, BuildProperties: {{Binary: slow-consumer}}}}
    Properties:
{timeout}      Events:
        Queue:
          Type: SQS
          Properties:
            Queue: arn:aws:sqs:us-east-1:000000000000:slow
{batch}            FunctionResponseTypes: [ReportBatchItemFailures]
"#
    );
    Template::parse(&text, &Context::default()).unwrap()
}

/// The broken example's consumer: 12 s per record.
const RESERVE: &[(&str, Duration)] = &[("slow-consumer", Duration::from_secs(12))];
const MARGIN: Duration = Duration::from_secs(1);

#[test]
fn a_batch_larger_than_its_timeout_allows_is_named_with_the_fix() {
    let problems = batch_violations(&consumer(None, Some(29), Some(10)), RESERVE, MARGIN);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let problem = &problems[0];
    for expected in [
        "SlowConsumerFunction (slow-consumer)",
        "BatchSize 10 x 12s per record = 120s",
        "Timeout 29s minus the 1s margin (28s)",
        "set BatchSize to at most 2",
        "raise Timeout to at least 121s",
    ] {
        assert!(problem.contains(expected), "{expected:?} not in {problem}");
    }
    // What the message proposes passes.
    assert_eq!(
        batch_violations(&consumer(None, Some(29), Some(2)), RESERVE, MARGIN),
        Vec::<String>::new()
    );
    assert_eq!(
        batch_violations(&consumer(None, Some(121), Some(10)), RESERVE, MARGIN),
        Vec::<String>::new()
    );
}

#[test]
fn aws_defaults_apply_batch_size_10_and_the_globals_timeout() {
    // No BatchSize: 10. No Timeout: the Globals' 29 s.
    let problems = batch_violations(&consumer(Some(29), None, None), RESERVE, MARGIN);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("BatchSize 10 x"), "{}", problems[0]);
    assert!(problems[0].contains("Timeout 29s"), "{}", problems[0]);
    // No Globals either: Lambda's 3 s, where not one 12 s record fits.
    let problems = batch_violations(&consumer(None, None, Some(1)), RESERVE, MARGIN);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("not even one record fits"),
        "{}",
        problems[0]
    );
}

#[test]
fn the_reserves_table_cannot_drift_from_the_template() {
    let t = consumer(None, Some(29), Some(2));
    let problems = batch_violations(&t, &[], MARGIN);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("SlowConsumerFunction (slow-consumer) consumes an SQS queue"),
        "{}",
        problems[0]
    );
    let stale = [RESERVE[0], ("gone-consumer", Duration::from_secs(1))];
    let problems = batch_violations(&t, &stale, MARGIN);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("gone-consumer"), "{}", problems[0]);
}

/// A rating write's mark (`streamia_ratings::store::PENDING`) must outlast the function that
/// writes it: a mark that expires while its writer may still be between its write and its
/// count lets a clean release forget that write (the summary's exactness argument,
/// `functions/ratings/src/ops/summarize.rs`). Raising a writer's `Timeout` past it fails here.
#[test]
fn a_rating_writes_mark_outlasts_its_writer() {
    let template = common::template();
    let writers = ["ratings-put", "ratings-delete"];
    for binary in writers {
        let function = template
            .functions
            .iter()
            .find(|f| f.binary == binary)
            .unwrap_or_else(|| panic!("{binary} is not in template.yaml"));
        assert!(
            function.timeout < streamia_ratings::store::PENDING,
            "{} Timeout {:?} must stay under the write mark's {:?} (PENDING)",
            function.logical_id,
            function.timeout,
            streamia_ratings::store::PENDING
        );
    }
}
