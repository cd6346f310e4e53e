//! Republishing every aggregate's current snapshot (an operator's `<service>-republish`
//! function, no route), so the copies other services keep of it can be rebuilt: a service
//! deployed after an aggregate last changed has never heard of it, and an event that ended in
//! a DLQ during an outage left a copy behind.
//!
//! Why in the platform: every service whose aggregates others copy (movies, users) walks its
//! collection the same way; only "which collection" and "which event for one item" differ, and
//! those are the service's [`Aggregates`]. The walk goes by `_id`, one event per item staged
//! through the service's outbox in the item's own transaction (so it carries the aggregate's
//! next version: newer than anything a copy holds), and stops before the invocation's deadline
//! (less [`RESERVE`]) or at an optional `limit`: the answer says where it stopped (`after`) and
//! whether anything is left (`done`), and the operator invokes again with that `after`.
//! Running it twice is harmless: copies take the newer snapshot, which is the same.

use std::future::Future;
use std::time::{Duration, Instant};

use bson::oid::ObjectId;
use serde::{Deserialize, Serialize};

use crate::domain::{parse_object_id, Invalid};
use crate::fields::{self, FieldErrors};
use crate::i18n::Msg;

/// Items read per page of the walk.
pub const PAGE: u64 = 100;

/// Kept back from the deadline: one more item's transaction at its worst (the transaction
/// retries, up to 10 s) and its publish (the outbox's flush budget, 3 s), then the answer. A
/// run stops before starting an item with less than this left, rather than being killed by its
/// timeout with no answer saying where it got.
pub const RESERVE: Duration = Duration::from_secs(15);

/// The invocation's payload; `{}` starts from the first item.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Input {
    /// Resume after this id (the `after` of the previous answer).
    pub after: Option<String>,
    /// At most this many items in this invocation (at least 1); the deadline bounds it anyway.
    pub limit: Option<u64>,
}

/// A valid request.
#[derive(Debug, Clone, Default)]
pub struct Command {
    /// Where to resume (`None`: from the first item).
    pub after: Option<ObjectId>,
    /// At most this many items (`None`: until the deadline or the end).
    pub limit: Option<u64>,
}

/// What the operator gets back (the invocation's result).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    /// Events staged by this invocation (one per item).
    pub republished: u64,
    /// The last id this invocation reached (the input's `after` when none): the next
    /// invocation's `after`.
    pub after: Option<String>,
    /// Whether no item is left after `after`.
    pub done: bool,
}

/// A run that stopped on a failure (MongoDB down, ...): how far it got, so the operator
/// resumes from there (or from the start: republishing again is harmless).
#[derive(Debug, thiserror::Error)]
#[error("stopped after {republished} (resume with after = {after:?}): {error}")]
pub struct Stopped<E: std::error::Error + 'static> {
    /// Events staged before the failure.
    pub republished: u64,
    /// The last id done before the failure.
    pub after: Option<String>,
    /// What failed.
    #[source]
    pub error: E,
}

/// Checks every field at once.
pub fn parse(input: Input) -> Result<Command, FieldErrors> {
    let (after, limit) = fields::all((
        fields::optional("after", input.after, |a| parse_object_id(&a)),
        fields::optional("limit", input.limit, |l| match l {
            0 => Err(Invalid::from(Msg::FieldAtLeastOne)),
            l => Ok(l),
        }),
    ))?;
    Ok(Command { after, limit })
}

/// What a service republishes: its collection, read by id, and the event of one item.
pub trait Aggregates: Sync {
    /// One stored item (a movie, an account).
    type Item: serde::de::DeserializeOwned + Send + Sync;
    /// The service's error.
    type Error: std::error::Error + From<mongodb::error::Error> + Send + 'static;

    /// The item's id.
    fn id(item: &Self::Item) -> ObjectId;

    /// The collection walked by `_id` (every item, any status).
    fn collection(&self) -> &mongodb::Collection<Self::Item>;

    /// Stages the item's snapshot event in its own transaction (reading the item there);
    /// false when there was nothing to republish.
    fn republish(
        &self,
        item: &Self::Item,
        correlation_id: &str,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;
}

/// Walks the items after `cmd.after` by id and republishes each, until none is left,
/// `cmd.limit` is reached or `deadline` (less [`RESERVE`]) is near. `function` names the run
/// in its log lines.
pub async fn walk<A: Aggregates>(
    aggregates: &A,
    cmd: Command,
    deadline: Option<Instant>,
    function: &str,
    correlation_id: &str,
) -> Result<Output, Stopped<A::Error>> {
    let mut out = Output {
        republished: 0,
        after: cmd.after.map(|id| id.to_hex()),
        done: false,
    };
    let mut after = cmd.after;
    let limit = cmd.limit.unwrap_or(u64::MAX);
    let mut reached = 0_u64;
    let stop = |out: &Output, error: A::Error| Stopped {
        republished: out.republished,
        after: out.after.clone(),
        error,
    };
    'walk: while reached < limit {
        let size = i64::try_from(PAGE.min(limit - reached)).unwrap_or(i64::MAX);
        let page = match page_after(aggregates.collection(), after, size).await {
            Ok(page) => page,
            Err(e) => return Err(stop(&out, e.into())),
        };
        if page.is_empty() {
            out.done = true;
            break;
        }
        for item in page {
            if deadline.is_some_and(|d| Instant::now() + RESERVE > d) {
                tracing::warn!(
                    republished = out.republished,
                    function,
                    "republish: time budget spent; invoke again with the answer's after"
                );
                break 'walk;
            }
            match aggregates.republish(&item, correlation_id).await {
                Ok(true) => out.republished += 1,
                Ok(false) => {}
                Err(e) => return Err(stop(&out, e)),
            }
            reached += 1;
            let id = A::id(&item);
            after = Some(id);
            out.after = Some(id.to_hex());
        }
    }
    if !out.done {
        out.done = match any_after(aggregates.collection(), after).await {
            Ok(any) => !any,
            Err(e) => return Err(stop(&out, e.into())),
        };
    }
    tracing::info!(
        republished = out.republished,
        after = ?out.after,
        done = out.done,
        correlation_id,
        function,
        "republished"
    );
    Ok(out)
}

/// Up to `limit` documents of `collection` whose `_id` comes after `after` (from the first
/// when `None`), by `_id`: one page of the walk, on the `_id` index every collection has.
async fn page_after<T>(
    collection: &mongodb::Collection<T>,
    after: Option<ObjectId>,
    limit: i64,
) -> Result<Vec<T>, mongodb::error::Error>
where
    T: serde::de::DeserializeOwned + Send + Sync,
{
    use futures_util::TryStreamExt;
    collection
        .find(after_filter(after))
        .sort(bson::doc! {"_id": 1})
        .limit(limit)
        .await?
        .try_collect()
        .await
}

/// Whether `collection` holds a document whose `_id` comes after `after`: whether a walk that
/// stopped there is done.
async fn any_after<T>(
    collection: &mongodb::Collection<T>,
    after: Option<ObjectId>,
) -> Result<bool, mongodb::error::Error>
where
    T: serde::de::DeserializeOwned + Send + Sync,
{
    Ok(collection.find_one(after_filter(after)).await?.is_some())
}

fn after_filter(after: Option<ObjectId>) -> bson::Document {
    match after {
        Some(id) => bson::doc! {"_id": {"$gt": id}},
        None => bson::doc! {},
    }
}

/// What every `<service>-republish` function loads: the service's database and its events
/// topic.
pub type Pieces = (crate::config::MongoConfig, crate::config::Topics);

/// The service's database and an outbox publishing to `topic`, for a republisher's
/// `Service::build`. The topic is required: republishing without one would only fill the
/// outbox.
pub async fn connect(
    (mongo_config, topics): Pieces,
    aws: &crate::service::SdkConfig,
    service: &'static str,
    topic: crate::events::Topic,
) -> Result<(mongodb::Database, crate::events::Outbox), crate::init::InitError> {
    let arn = topics
        .arn(topic)
        .ok_or_else(|| crate::config::ConfigError {
            problems: vec![format!("{} is required", topic.env_var())],
        })?;
    let mongo = crate::db::connect(&mongo_config.uri).await?;
    let db = mongo.database(&mongo_config.database_name(service));
    let publisher = crate::events::EventPublisher::new(aws, Some(arn), service);
    let outbox = crate::events::Outbox::new(&mongo, &db, publisher);
    Ok((db, outbox))
}

/// One invocation of a `<service>-republish` function: the payload (`{}`, none, or `{"after":
/// "<id>", "limit": n}`) parsed and checked, then the walk until `deadline`. The invocation's
/// request id is the correlation id of the events (a deletion keeps its saga's), so the log
/// line and the events can be matched. Errors, as function errors (`X-Amz-Function-Error`)
/// for the operator: `InvalidPayload`, `ValidationError` (which fields), `Unavailable` (with
/// how far the run got).
pub async fn invoke<A: Aggregates>(
    aggregates: &A,
    function: &str,
    payload: serde_json::Value,
    request_id: &str,
    deadline: Option<Instant>,
) -> Result<Output, lambda_runtime::Diagnostic> {
    // `aws lambda invoke` without a payload sends nothing, read as null: from the first item.
    let payload = match payload {
        serde_json::Value::Null => serde_json::Value::Object(Default::default()),
        other => other,
    };
    let input: Input = serde_json::from_value(payload).map_err(|e| lambda_runtime::Diagnostic {
        error_type: "InvalidPayload".to_owned(),
        error_message: format!("expected {{}} or {{\"after\": \"<id>\", \"limit\": n}}: {e}"),
    })?;
    let cmd = parse(input).map_err(|FieldErrors(fields)| lambda_runtime::Diagnostic {
        error_type: "ValidationError".to_owned(),
        error_message: fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message.render(crate::i18n::Lang::En)))
            .collect::<Vec<_>>()
            .join("; "),
    })?;
    walk(aggregates, cmd, deadline, function, request_id)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, correlation_id = %request_id, function, "republish stopped");
            lambda_runtime::Diagnostic {
                error_type: "Unavailable".to_owned(),
                error_message: e.to_string(),
            }
        })
}

/// Serves the `function` (`<service>-republish`) for the life of its container: `A` (the
/// service's collection and outbox) built once per cold start, then one bounded walk per
/// invocation ([`invoke`]).
pub async fn serve<A>(function: &'static str) -> Result<(), lambda_runtime::Error>
where
    A: Aggregates + crate::service::Service + 'static,
{
    use crate::init::{log_failure, ColdStart};
    crate::telemetry::init();
    let start = ColdStart::begin().await.map_err(log_failure)?;
    let (aggregates, ()) = start.service::<A, ()>().await.map_err(log_failure)?;
    let aggregates: &'static A = Box::leak(Box::new(aggregates));
    crate::runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            let deadline = crate::scheduled::deadline(&event.context);
            invoke(
                aggregates,
                function,
                event.payload,
                &event.context.request_id,
                deadline,
            )
            .await
        },
    ))
    .await
}
