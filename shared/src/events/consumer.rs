//! Running an SQS consumer: one envelope per record, partial batch failures reported so that
//! only failed records come back, and poison records end in the dead-letter queue instead of
//! blocking the rest of the batch.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, LambdaEvent};

use super::Envelope;
use crate::init::{log_failure, Deferred, NotReady};
use crate::metrics::{Metrics, Unit};
use crate::runtime::correlation;
use crate::service::Service;

/// Why a record was not processed; either way it is reported as failed and redelivered, until
/// the queue's maxReceiveCount moves it to the dead-letter queue.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    /// The record can never succeed (not an envelope, unknown version): it goes to the DLQ.
    #[error("poison message: {0}")]
    Poison(String),
    /// A dependency failed; a redelivery may succeed.
    #[error("transient failure: {0}")]
    Transient(String),
    /// A dependency is known to be down for `at_least` more (its circuit is open): the record
    /// is not failed but sent again to arrive after that ([`Requeue::defer`]), so an outage
    /// uses up none of its receives (for [`MAX_DEFERRAL`] at most; past that, or if SQS does
    /// not take the copy, it fails like a transient failure and comes back no sooner).
    #[error("unavailable for at least {at_least:?}: {why}")]
    Unavailable {
        /// What is down.
        why: String,
        /// The circuit's cool-down left.
        at_least: Duration,
    },
}

/// How much of the invocation a batch may use.
///
/// Why: a consumer that runs into its Lambda timeout fails the WHOLE batch, so records it had
/// finished come back too (sent twice, or pushed towards the DLQ). Instead the batch stops
/// starting records when too little time is left and reports the rest as failures; SQS
/// redelivers only those.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Finish (or give up on) every record by then; `None`: no deadline (tests, tools).
    deadline: Option<Instant>,
    /// A record is started only if at least this much time is left (the slowest a record can
    /// legitimately take, e.g. the SMTP timeout), so a started record is rarely cut off.
    per_record: Duration,
}

/// What a consumer declares about its records' timing; the deadline comes from each
/// invocation's context.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Kept free before the Lambda deadline for reporting the batch result.
    pub margin: Duration,
    /// See [`Budget`]: the time one record may take at most.
    pub per_record: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            margin: Duration::from_secs(1),
            per_record: Duration::ZERO,
        }
    }
}

impl Budget {
    /// No deadline.
    pub fn unlimited() -> Self {
        Self {
            deadline: None,
            per_record: Duration::ZERO,
        }
    }

    /// Every record finished or abandoned by `deadline`.
    pub fn until(deadline: Instant) -> Self {
        Self {
            deadline: Some(deadline),
            per_record: Duration::ZERO,
        }
    }

    /// Starts a record only while at least `reserve` is left.
    pub fn per_record(self, reserve: Duration) -> Self {
        Self {
            per_record: reserve,
            ..self
        }
    }

    /// The invocation's deadline (from the Lambda context) minus `limits.margin`.
    ///
    /// Lambda always hands an invocation a deadline in the future. A runtime that does not
    /// (`cargo lambda watch` sends a constant `600000`, i.e. 1970) gives no usable deadline:
    /// the batch then runs without one, as it did before budgets existed.
    pub fn from_context(context: &lambda_runtime::Context, limits: Limits) -> Self {
        let unbounded = Self::unlimited().per_record(limits.per_record);
        let Ok(left) = context.deadline().duration_since(SystemTime::now()) else {
            tracing::warn!(
                deadline_ms = context.deadline,
                "the runtime gave a deadline in the past; running the batch without one"
            );
            return unbounded;
        };
        Self::until(Instant::now() + left.saturating_sub(limits.margin))
            .per_record(limits.per_record)
    }

    /// Time left, or `None` without a deadline.
    fn left(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }
}

/// Processes the records of a batch with `handle`, in order, within `budget`, and reports the
/// failed and unfinished ones (`ReportBatchItemFailures`). Failed records come back after the
/// queue's visibility timeout; see [`process_batch_with`] for the growing delay deployed
/// consumers give records that failed for a transient reason.
pub async fn process_batch<F, Fut>(event: SqsEvent, budget: Budget, handle: F) -> SqsBatchResponse
where
    F: Fn(Envelope) -> Fut,
    Fut: Future<Output = Result<(), ConsumeError>>,
{
    process_batch_with(event, budget, handle, None).await
}

/// [`process_batch`], then every record that failed for a transient reason is kept away for
/// [`retry_delay`] of its receive count (`ChangeMessageVisibility` through `requeue`), so a
/// dependency's brownout (SMTP, MongoDB) spaces the retries out instead of using up the
/// record's receives at the queue's visibility timeout and pushing healthy messages into the
/// dead-letter queue. Poison records keep the queue's timeout: they reach the DLQ soon.
pub async fn process_batch_with<F, Fut>(
    event: SqsEvent,
    budget: Budget,
    handle: F,
    requeue: Option<&Requeue>,
) -> SqsBatchResponse
where
    F: Fn(Envelope) -> Fut,
    Fut: Future<Output = Result<(), ConsumeError>>,
{
    let mut delayed = Vec::new();
    let mut deferred = Vec::new();
    let started = Instant::now();
    let total = event.records.len();
    let mut response = SqsBatchResponse::default();
    let mut correlation_ids = Vec::new();
    let mut unfinished = 0usize;
    let mut deferrals = 0usize;
    let mut receives = Vec::with_capacity(total);
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        receives.push((id.clone(), receive_count(&record)));
        let retry = Retry::of(&record);
        let left = budget.left();
        if left.is_some_and(|left| left.is_zero() || left < budget.per_record) {
            // Not started: out of time. It comes back alone, untouched.
            unfinished += 1;
            response.batch_item_failures.push(failure(id));
            continue;
        }
        let outcome = match serde_json::from_str::<Envelope>(record.body.as_deref().unwrap_or("")) {
            Err(e) => Err(ConsumeError::Poison(format!(
                "body is not an event envelope: {e}"
            ))),
            Ok(envelope) => {
                correlation_ids.push(envelope.correlation_id.clone());
                let (name, event_id) = (envelope.event_name.clone(), envelope.event_id.clone());
                let correlation_id = envelope.correlation_id.clone();
                let work = correlation::scope(&correlation_id, handle(envelope));
                let done = match left {
                    None => work.await,
                    Some(left) => match tokio::time::timeout(left, work).await {
                        Ok(done) => done,
                        Err(_) => {
                            unfinished += 1;
                            Err(ConsumeError::Transient("out of time for this batch".into()))
                        }
                    },
                };
                done.inspect_err(|e| match e {
                    ConsumeError::Unavailable { .. } => {
                        tracing::warn!(message_id = %id, event_name = %name, event_id = %event_id, correlation_id = %correlation_id, error = %e, "record not tried: a dependency is unavailable")
                    }
                    _ => {
                        tracing::error!(message_id = %id, event_name = %name, event_id = %event_id, correlation_id = %correlation_id, error = %e, "record failed")
                    }
                })
            }
        };
        if let Err(e) = outcome {
            match e {
                ConsumeError::Poison(_) => {
                    tracing::error!(message_id = %id, error = %e, "poison record")
                }
                ConsumeError::Transient(_) => delayed.extend(retry),
                ConsumeError::Unavailable { at_least, .. } => {
                    let retry = retry.map(|r| r.no_sooner_than(at_least));
                    match (requeue, Deferral::of(&record)) {
                        // Decided after the batch: sent again later, or failed as usual.
                        (Some(_), Some(copy)) if !copy.expired() => {
                            deferred.push((id, copy.after(at_least), retry));
                            continue;
                        }
                        _ => delayed.extend(retry),
                    }
                }
            }
            response.batch_item_failures.push(failure(id));
        }
    }
    if let Some(requeue) = requeue {
        // One budget for both: the copies first (a copy SQS did not take fails its record,
        // which then waits like any delayed one), then the delays.
        let started = Instant::now();
        let copies: Vec<&Deferral> = deferred.iter().map(|(_, copy, _)| copy).collect();
        let taken = requeue.defer(&copies, DELAY_BUDGET).await;
        for ((id, _, retry), taken) in deferred.into_iter().zip(taken) {
            if taken {
                deferrals += 1;
            } else {
                delayed.extend(retry);
                response.batch_item_failures.push(failure(id));
            }
        }
        requeue
            .delay(&delayed, DELAY_BUDGET.saturating_sub(started.elapsed()))
            .await;
    }
    let dead_lettered = dead_lettered(&receives, &response, dead_letter_after());
    let as_count = |n: usize| n as f64;
    Metrics::of_function()
        .value("Records", as_count(total), Unit::Count)
        .value("RecordsDeadLettered", as_count(dead_lettered), Unit::Count)
        .value(
            "RecordsFailed",
            as_count(response.batch_item_failures.len()),
            Unit::Count,
        )
        .value("RecordsDeferred", as_count(deferrals), Unit::Count)
        .value(
            "BatchLatency",
            started.elapsed().as_secs_f64() * 1000.0,
            Unit::Milliseconds,
        )
        .cold_start()
        .emit();
    tracing::info!(
        records = total,
        failed = response.batch_item_failures.len(),
        unfinished,
        deferred = deferrals,
        budget_ms = budget.deadline.map(|d| d.saturating_duration_since(started).as_millis() as u64),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        correlation_ids = %correlation_ids.join(","),
        "event batch"
    );
    response
}

/// The first delay of a record that failed for a transient reason, by default: the deployed
/// queues' visibility timeout (`ConsumerVisibilityTimeout`, 180 s), so a delay never comes
/// back sooner than the queue would bring it; each next receive doubles it: 3, 6, 12, 15
/// minutes..., so with the queues' 5 receives a record survives a dependency down for about
/// half an hour before its dead-letter queue (a poison record keeps the queue's timeout).
/// `SQS_RETRY_BASE_SECONDS` sets it (the local stack: 10, its queues' visibility timeout).
pub const RETRY_BASE: Duration = Duration::from_secs(180);

/// The longest delay (SQS allows 12 hours).
pub const RETRY_MAX: Duration = Duration::from_secs(15 * 60);

/// How long a record received `receive_count` times waits after a transient failure, from
/// `base`.
pub fn retry_delay(base: Duration, receive_count: u32) -> Duration {
    let doublings = receive_count.saturating_sub(1).min(16);
    base.saturating_mul(1 << doublings).min(RETRY_MAX.max(base))
}

/// The most the delays of one batch may take after the records (inside the invocation's
/// margin, `Limits::margin`, 1 s by default): a slow SQS costs the delay, never the batch.
const DELAY_BUDGET: Duration = Duration::from_millis(500);

/// How often SQS delivered `record` (this delivery included).
fn receive_count(record: &aws_lambda_events::event::sqs::SqsMessage) -> u32 {
    record
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

/// The queue's `maxReceiveCount` (`MAX_RECEIVE_COUNT`, the template's `MaxReceiveCount` or the
/// queue's own): a record failed on that delivery is moved to the dead-letter queue by SQS,
/// which tells nobody; read once per container.
fn dead_letter_after() -> Option<u32> {
    static AFTER: std::sync::OnceLock<Option<u32>> = std::sync::OnceLock::new();
    *AFTER.get_or_init(|| {
        std::env::var("MAX_RECEIVE_COUNT")
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .filter(|n| *n > 0)
    })
}

/// The failed records this was the last delivery of (`receives`: each record's id and receive
/// count): SQS moves them to the dead-letter queue. Each is logged as an error, and counted
/// (`RecordsDeadLettered`: the DLQ arrivals, per function).
fn dead_lettered(
    receives: &[(String, u32)],
    response: &SqsBatchResponse,
    after: Option<u32>,
) -> usize {
    let Some(after) = after else {
        return 0;
    };
    let failed: std::collections::HashSet<&str> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    let mut count = 0;
    for (id, receives) in receives {
        if *receives >= after && failed.contains(id.as_str()) {
            tracing::error!(message_id = %id, receives, "record failed on its last delivery: SQS moves it to the dead-letter queue");
            count += 1;
        }
    }
    count
}

/// What it takes to delay one record: its queue, its receipt and how often it was received.
#[derive(Debug, Clone)]
struct Retry {
    queue_url: String,
    receipt_handle: String,
    receive_count: u32,
    /// The record must not come back sooner (a circuit's cool-down).
    at_least: Duration,
}

impl Retry {
    fn no_sooner_than(self, at_least: Duration) -> Self {
        Self { at_least, ..self }
    }

    fn of(record: &aws_lambda_events::event::sqs::SqsMessage) -> Option<Self> {
        Some(Self {
            queue_url: queue_url(record.event_source_arn.as_deref()?)?,
            receipt_handle: record.receipt_handle.clone()?,
            receive_count: receive_count(record),
            at_least: Duration::ZERO,
        })
    }
}

/// How long a record may be sent again while a dependency's circuit is open (see
/// [`Requeue::defer`]): past this, it fails like any other and its receives run out towards
/// the dead-letter queue, where an operator sees it. An email an hour late (a reset link
/// expires in an hour) is worth no more waiting.
pub const MAX_DEFERRAL: Duration = Duration::from_secs(60 * 60);

/// The message attribute that carries when a record was first deferred (seconds since the
/// epoch), so that [`MAX_DEFERRAL`] counts from then, not from the latest copy.
pub const DEFERRED_SINCE: &str = "streamia-deferred-since";

/// A copy of a record to send again, as it arrived (body and message attributes).
#[derive(Debug, Clone)]
struct Deferral {
    queue_url: String,
    body: String,
    attributes: std::collections::HashMap<String, aws_sdk_sqs::types::MessageAttributeValue>,
    since: u64,
    delay: Duration,
}

impl Deferral {
    fn of(record: &aws_lambda_events::event::sqs::SqsMessage) -> Option<Self> {
        use aws_sdk_sqs::types::MessageAttributeValue;
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let since = record
            .message_attributes
            .get(DEFERRED_SINCE)
            .and_then(|a| a.string_value.as_deref())
            .and_then(|v| v.parse::<u64>().ok())
            // A time to come is not a deferral's (nothing of ours writes one): from now.
            .filter(|since| *since <= now)
            .unwrap_or(now);
        // SQS takes at most 10 message attributes; ours is one of them.
        let ours = usize::from(!record.message_attributes.contains_key(DEFERRED_SINCE));
        if record.message_attributes.len() + ours > 10 {
            return None;
        }
        let mut attributes = std::collections::HashMap::new();
        for (name, value) in &record.message_attributes {
            let (Some(data_type), Some(text)) = (&value.data_type, &value.string_value) else {
                // Binary attributes are not used by any producer here; a record with one is
                // not copied (it fails and is retried as usual).
                return None;
            };
            let value = MessageAttributeValue::builder()
                .data_type(data_type)
                .string_value(text)
                .build()
                .ok()?;
            attributes.insert(name.clone(), value);
        }
        let since_value = MessageAttributeValue::builder()
            .data_type("Number")
            .string_value(since.to_string())
            .build()
            .ok()?;
        attributes.insert(DEFERRED_SINCE.to_owned(), since_value);
        Some(Self {
            queue_url: queue_url(record.event_source_arn.as_deref()?)?,
            body: record.body.clone()?,
            attributes,
            since,
            delay: Duration::ZERO,
        })
    }

    fn expired(&self) -> bool {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        now.saturating_sub(self.since) >= MAX_DEFERRAL.as_secs()
    }

    fn after(self, delay: Duration) -> Self {
        Self { delay, ..self }
    }
}

/// `arn:<partition>:sqs:<region>:<account>:<name>` -> the queue's URL (its partition's DNS
/// suffix; the SDK sends the call to its own endpoint, a VPC endpoint's included).
fn queue_url(arn: &str) -> Option<String> {
    let mut parts = arn.split(':');
    let (Some("arn"), Some(partition), Some("sqs"), Some(region), Some(account), Some(name)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let suffix = match partition {
        "aws-cn" => "amazonaws.com.cn",
        "aws" | "aws-us-gov" => "amazonaws.com",
        "aws-iso" => "c2s.ic.gov",
        "aws-iso-b" => "sc2s.sgov.gov",
        _ => return None,
    };
    Some(format!("https://sqs.{region}.{suffix}/{account}/{name}"))
}

/// Delays records that failed for a transient reason (`sqs:ChangeMessageVisibility`: each
/// consumer's `SQSPollerPolicy` in the template grants it on its own queue). Cheap to clone;
/// one per container.
#[derive(Clone)]
pub struct Requeue {
    sqs: aws_sdk_sqs::Client,
    base: Duration,
}

impl Requeue {
    /// An SQS client on `aws` (the function's SDK configuration), delays from `base`.
    pub fn new(aws: &aws_config::SdkConfig, base: Duration) -> Self {
        Self {
            sqs: aws_sdk_sqs::Client::new(aws),
            base,
        }
    }

    /// The base the environment sets (`SQS_RETRY_BASE_SECONDS`), else [`RETRY_BASE`].
    pub fn base_from_env() -> Duration {
        std::env::var("SQS_RETRY_BASE_SECONDS")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|s| *s > 0)
            .map_or(RETRY_BASE, Duration::from_secs)
    }

    /// Sends a copy of each record whose dependency's circuit is open to its queue again, to
    /// arrive after the cool-down (SQS `DelaySeconds`, rounded up, plus up to a fifth more of
    /// jitter so the copies do not all come back in the same second; at most 15 minutes),
    /// and says which SQS took: their originals are reported done. A copy starts with no
    /// receives, so an outage of the dependency does not use up the record's receives and
    /// push it into the dead-letter queue (for [`MAX_DEFERRAL`] at most). The copy is the
    /// same event (same id): a consumer's inbox makes a twin harmless. Within `budget` in
    /// all (`SendMessageBatch`, ten at a time); a copy not confirmed in time counts as not
    /// taken (its record fails as usual; if SQS took it after all, the inbox drops the twin).
    async fn defer(&self, copies: &[&Deferral], budget: Duration) -> Vec<bool> {
        let mut taken = vec![false; copies.len()];
        if copies.is_empty() {
            return taken;
        }
        let sent = tokio::time::timeout(budget, self.send_copies(copies, &mut taken)).await;
        if sent.is_err() {
            tracing::warn!("deferring records ran out of time; the unconfirmed ones fail and come back as usual");
        }
        taken
    }

    async fn send_copies(&self, copies: &[&Deferral], taken: &mut [bool]) {
        use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
        use rand::Rng;
        let indexed: Vec<(usize, &&Deferral)> = copies.iter().enumerate().collect();
        // A batch is one queue's; an event source's records all come from one.
        for chunk in indexed.chunks(10) {
            let queue_url = &chunk[0].1.queue_url;
            let mut entries = Vec::new();
            for (i, copy) in chunk.iter().filter(|(_, c)| &c.queue_url == queue_url) {
                let ms = u64::try_from(copy.delay.as_millis()).unwrap_or(u64::MAX);
                let jitter = rand::thread_rng().gen_range(0..=ms / 5);
                let delay = (ms + jitter).div_ceil(1000).clamp(1, 900);
                let entry = SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(&copy.body)
                    .set_message_attributes(Some(copy.attributes.clone()))
                    .delay_seconds(i32::try_from(delay).unwrap_or(900))
                    .build();
                match entry {
                    Ok(entry) => entries.push(entry),
                    Err(e) => tracing::warn!(error = %e, "cannot build a deferral"),
                }
            }
            if entries.is_empty() {
                continue;
            }
            let sent = self
                .sqs
                .send_message_batch()
                .queue_url(queue_url)
                .set_entries(Some(entries))
                .send()
                .await;
            match sent {
                Ok(out) => {
                    for ok in out.successful() {
                        if let Some(i) = ok.id().parse::<usize>().ok().filter(|i| *i < taken.len())
                        {
                            taken[i] = true;
                        }
                    }
                    for failed in out.failed() {
                        tracing::warn!(
                            code = failed.code(),
                            "SQS refused a deferral; its record fails and comes back as usual"
                        );
                    }
                    let n = out.successful().len();
                    tracing::info!(
                        records = n,
                        "dependency unavailable: records sent again for after its cool-down"
                    );
                }
                Err(e) => tracing::warn!(
                    error = %aws_sdk_sqs::error::DisplayErrorContext(&e),
                    "could not defer records; they fail and come back as usual"
                ),
            }
        }
    }

    /// Sets each record's visibility to its [`retry_delay`] (no sooner than its `at_least`),
    /// within `budget` in all.
    /// A failure is logged and changes nothing else: the record then comes back after the
    /// queue's visibility timeout.
    async fn delay(&self, records: &[Retry], budget: Duration) {
        if records.is_empty() {
            return;
        }
        if tokio::time::timeout(budget, self.delay_each(records))
            .await
            .is_err()
        {
            tracing::warn!("delaying failed records ran out of time; they come back after the queue's visibility timeout");
        }
    }

    async fn delay_each(&self, records: &[Retry]) {
        for record in records {
            let delay = retry_delay(self.base, record.receive_count)
                .max(record.at_least)
                .min(RETRY_MAX.max(self.base));
            let changed = self
                .sqs
                .change_message_visibility()
                .queue_url(&record.queue_url)
                .receipt_handle(&record.receipt_handle)
                .visibility_timeout(
                    i32::try_from(delay.as_millis().div_ceil(1000)).unwrap_or(i32::MAX),
                )
                .send()
                .await;
            match changed {
                Ok(_) => tracing::info!(
                    receive_count = record.receive_count,
                    delay_s = delay.as_secs(),
                    "transient failure: the record comes back later"
                ),
                Err(e) => tracing::warn!(
                    error = %aws_sdk_sqs::error::DisplayErrorContext(&e),
                    "could not delay a failed record; it comes back after the queue's visibility timeout"
                ),
            }
        }
    }
}

fn failure(id: String) -> BatchItemFailure {
    let mut failure = BatchItemFailure::default();
    failure.item_identifier = id;
    failure
}

/// One invocation of a consumer of service `D`: the batch through `handle`, `D` built first if
/// no invocation has built it yet. While it cannot be built (Secrets Manager or DNS down), every
/// record is reported failed, so SQS delivers it again later: nothing is lost or half done.
pub async fn consume<D, H, Fut>(
    deps: &'static Deferred<D>,
    event: SqsEvent,
    budget: Budget,
    handle: H,
) -> SqsBatchResponse
where
    D: Service,
    H: Fn(&'static D, Envelope) -> Fut,
    Fut: Future<Output = Result<(), ConsumeError>>,
{
    consume_with(deps, event, budget, handle, None).await
}

/// [`consume`], delaying the records that failed for a transient reason through `requeue`
/// (see [`process_batch_with`]).
pub async fn consume_with<D, H, Fut>(
    deps: &'static Deferred<D>,
    event: SqsEvent,
    budget: Budget,
    handle: H,
    requeue: Option<&Requeue>,
) -> SqsBatchResponse
where
    D: Service,
    H: Fn(&'static D, Envelope) -> Fut,
    Fut: Future<Output = Result<(), ConsumeError>>,
{
    // Building may wait on Secrets Manager or DNS: not past the batch's own deadline.
    let ready = match budget.left() {
        None => deps.get().await,
        Some(left) => tokio::time::timeout(left, deps.get())
            .await
            .unwrap_or_else(|_| {
                Err(NotReady {
                    permanent: false,
                    message: "out of time building the service".to_owned(),
                    retry_after: Duration::ZERO,
                })
            }),
    };
    match ready {
        Ok(deps) => process_batch_with(event, budget, |e| handle(deps, e), requeue).await,
        Err(e) => {
            let why = format!("service not ready: {e}");
            process_batch_with(
                event,
                budget,
                |_| {
                    let why = why.clone();
                    async move { Err(ConsumeError::Transient(why)) }
                },
                requeue,
            )
            .await
        }
    }
}

/// Serves an SQS consumer of service `D` as a Lambda function for the life of the container:
/// `D`'s dependencies built on first use ([`Deferred`], as [`crate::http::serve`] does), then
/// [`consume`] for every invocation (served by [`crate::runtime::run`]), each batch within the
/// invocation's deadline minus `limits.margin`; a record that fails for a transient reason
/// comes back after a growing delay ([`retry_delay`]).
pub async fn serve<D, H, Fut>(limits: Limits, handle: H) -> Result<(), lambda_runtime::Error>
where
    D: Service,
    H: Fn(&'static D, Envelope) -> Fut + Send + Sync + Copy + 'static,
    Fut: Future<Output = Result<(), ConsumeError>> + Send,
{
    crate::telemetry::init();
    let (deps, ()) = Deferred::<D>::begin::<()>().await.map_err(log_failure)?;
    let deps: &'static Deferred<D> = Box::leak(Box::new(deps));
    let requeue: &'static Requeue = Box::leak(Box::new(Requeue::new(
        &crate::events::aws_config_from_env().await,
        Requeue::base_from_env(),
    )));
    crate::runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let budget = Budget::from_context(&event.context, limits);
        Ok::<_, std::convert::Infallible>(
            consume_with(deps, event.payload, budget, handle, Some(requeue)).await,
        )
    }))
    .await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::json;

    use super::*;

    fn batch(ids: &[&str]) -> SqsEvent {
        let records: Vec<serde_json::Value> = ids
            .iter()
            .map(|id| {
                let envelope = json!({
                    "eventId": id, "eventName": "test.happened", "occurredAt": "2030-01-01T00:00:00.000Z",
                    "correlationId": "c", "source": "test", "version": 1, "payload": {}
                });
                json!({"messageId": id, "body": envelope.to_string()})
            })
            .collect();
        serde_json::from_value(json!({"Records": records})).unwrap()
    }

    /// A record failed on its last delivery (receive count at `maxReceiveCount`) is a DLQ
    /// arrival; one failed earlier, or one that succeeded on its last, is not; without
    /// `MAX_RECEIVE_COUNT` nothing is counted.
    #[test]
    fn a_record_failed_on_its_last_delivery_counts_as_a_dlq_arrival() {
        let receives: Vec<(String, u32)> = [("a", 3), ("b", 2), ("c", 3), ("d", 4)]
            .iter()
            .map(|(id, n)| (id.to_string(), *n))
            .collect();
        let mut response = SqsBatchResponse::default();
        for id in ["a", "b", "d"] {
            response.batch_item_failures.push(failure(id.to_owned()));
        }
        assert_eq!(dead_lettered(&receives, &response, Some(3)), 2);
        assert_eq!(dead_lettered(&receives, &response, Some(5)), 0);
        assert_eq!(dead_lettered(&receives, &response, None), 0);
    }

    fn failed(response: &SqsBatchResponse) -> Vec<&str> {
        response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect()
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_a_ceiling() {
        let deployed: Vec<u64> = (1..=5)
            .map(|n| retry_delay(RETRY_BASE, n).as_secs())
            .collect();
        assert_eq!(deployed, [180, 360, 720, 900, 900]);
        let local = Duration::from_secs(10);
        let secs: Vec<u64> = (1..=6).map(|n| retry_delay(local, n).as_secs()).collect();
        assert_eq!(secs, [10, 20, 40, 80, 160, 320]);
        assert_eq!(retry_delay(local, 0), local);
        assert_eq!(retry_delay(local, u32::MAX), RETRY_MAX);
        // Never sooner than the base (a queue's own timeout), even past the ceiling.
        assert_eq!(retry_delay(Duration::from_secs(3600), 9).as_secs(), 3600);
        // Five receives at the local base span 150 s before the last.
        assert_eq!(
            (1..5).map(|n| retry_delay(local, n).as_secs()).sum::<u64>(),
            150
        );
    }

    #[test]
    fn a_queue_arn_names_its_url() {
        assert_eq!(
            queue_url("arn:aws:sqs:eu-west-1:123456789012:streamia-notifications-user-events")
                .as_deref(),
            Some("https://sqs.eu-west-1.amazonaws.com/123456789012/streamia-notifications-user-events")
        );
        assert_eq!(
            queue_url("arn:aws-cn:sqs:cn-north-1:1:q").as_deref(),
            Some("https://sqs.cn-north-1.amazonaws.com.cn/1/q")
        );
        assert_eq!(queue_url("arn:aws:sns:eu-west-1:1:x"), None);
        assert_eq!(queue_url("nonsense"), None);
    }

    #[tokio::test]
    async fn a_record_still_running_at_the_deadline_and_those_after_it_are_reported_unfinished() {
        let calls = AtomicUsize::new(0);
        let response = process_batch(
            batch(&["a", "hangs", "c"]),
            Budget::until(Instant::now() + Duration::from_millis(300)),
            |envelope| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if envelope.event_id == "hangs" {
                        std::future::pending::<()>().await;
                    }
                    Ok(())
                }
            },
        )
        .await;
        assert_eq!(failed(&response), ["hangs", "c"]);
        // "c" was never started; "a" finished and is not reported (so it is not redelivered).
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn records_are_not_started_when_less_than_their_reserve_is_left() {
        let calls = AtomicUsize::new(0);
        let response = process_batch(
            batch(&["a", "b"]),
            Budget::until(Instant::now() + Duration::from_secs(30))
                .per_record(Duration::from_secs(3600)),
            |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Ok(()) }
            },
        )
        .await;
        assert_eq!(failed(&response), ["a", "b"]);
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn the_budget_comes_from_the_invocation_deadline() {
        let mut context = lambda_runtime::Context::default();
        let in_ten_seconds = SystemTime::now() + Duration::from_secs(10);
        context.deadline = in_ten_seconds
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let budget = Budget::from_context(
            &context,
            Limits {
                margin: Duration::from_secs(2),
                per_record: Duration::from_secs(1),
            },
        );
        let left = budget.left().unwrap();
        assert!(
            left > Duration::from_secs(7) && left <= Duration::from_secs(8),
            "{left:?}"
        );
        assert_eq!(budget.per_record, Duration::from_secs(1));
        // Less time left than the margin: nothing left, no record is started.
        context.deadline = (SystemTime::now() + Duration::from_millis(500))
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        assert_eq!(
            Budget::from_context(&context, Limits::default()).left(),
            Some(Duration::ZERO)
        );
        // A deadline in the past (cargo lambda watch's constant 600000) or none: unbounded.
        for deadline in [600_000, 0] {
            context.deadline = deadline;
            assert_eq!(
                Budget::from_context(&context, Limits::default()).left(),
                None
            );
        }
    }
}
