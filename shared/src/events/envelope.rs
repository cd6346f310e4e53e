//! The event envelope: `{eventId, eventName, occurredAt, correlationId, source, version,
//! aggregateId, aggregateVersion, payload}`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// A payload type that is published as an event.
pub trait Event: Serialize {
    /// `<entity>.<past-tense verb>`, e.g. `user.registered`; subscriptions filter on it.
    const NAME: &'static str;
    /// Bumped when the payload changes incompatibly; consumers check it.
    const VERSION: u32 = 1;

    /// The id of the thing this event is about (a user's id for every `user.*` event): the
    /// events of one aggregate are numbered in order ([`Envelope::aggregate_version`]), so a
    /// consumer can tell an older event that arrives late from a newer one.
    fn aggregate_id(&self) -> &str;

    /// The kind of aggregate: the event name's entity (`user` for `user.registered`).
    fn aggregate_type() -> &'static str {
        Self::NAME.split('.').next().unwrap_or(Self::NAME)
    }
}

/// What travels on SNS/SQS.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<P = serde_json::Value> {
    /// Unique per event; consumers use it to ignore redeliveries.
    pub event_id: String,
    /// The event's name.
    pub event_name: String,
    /// When the fact happened, RFC 3339 UTC.
    pub occurred_at: String,
    /// The id of the request (or saga) that caused it.
    pub correlation_id: String,
    /// The publishing service.
    pub source: String,
    /// Payload schema version.
    pub version: u32,
    /// See [`Event::aggregate_id`]. Empty in envelopes written before aggregates existed.
    #[serde(default)]
    pub aggregate_id: String,
    /// Position of this event among its aggregate's events: 1 for the first, one more for each
    /// next, assigned in the same transaction as the change (the outbox). 0 for envelopes
    /// written before versions existed (and for events published without the outbox), which
    /// order before every versioned one.
    #[serde(default)]
    pub aggregate_version: u64,
    /// The fact itself.
    pub payload: P,
}

impl<P: Event> Envelope<P> {
    /// Wraps a payload in a new envelope.
    pub fn new(source: &str, correlation_id: &str, payload: P) -> Self {
        Self::at(source, correlation_id, payload, Utc::now())
    }

    /// Same, with an explicit time (tests, replays).
    pub fn at(source: &str, correlation_id: &str, payload: P, occurred_at: DateTime<Utc>) -> Self {
        Self {
            event_id: uuid::Uuid::new_v4().to_string(),
            event_name: P::NAME.to_owned(),
            occurred_at: occurred_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            correlation_id: correlation_id.to_owned(),
            source: source.to_owned(),
            version: P::VERSION,
            aggregate_id: payload.aggregate_id().to_owned(),
            aggregate_version: 0,
            payload,
        }
    }
}
