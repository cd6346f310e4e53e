//! One delivery as a consumer's op sees it: the ids it is deduplicated and ordered by, and the
//! payload parsed into its contract.
//!
//! Why in the platform: every consumer must make the same two checks before acting, and make
//! them the same way. An envelope of another version than the consumer's type, or a payload
//! that does not match its contract, can never succeed however often SQS redelivers it: it is
//! [`Unreadable`] (poison, to the dead-letter queue), never a retry for ever. And payloads may
//! hold secrets (the password-reset link), so the error names the field, never its value.
//!
//! ```ignore
//! // a consumer's events.rs
//! pub fn parse(envelope: Envelope) -> Result<Option<Incoming<UserEvent>>, MyError> {
//!     Ok(Some(match envelope.event_name.as_str() {
//!         UserRegistered::NAME => Incoming::<UserRegistered>::parse(envelope)?.map(UserEvent::Registered),
//!         _ => return Ok(None), // not for this consumer: acknowledged
//!     }))
//! }
//! ```

use serde::de::DeserializeOwned;

use super::consumer::ConsumeError;
use super::{Envelope, Event};

/// One parsed delivery of an event of type `E` (or of a consumer's enum of event types, after
/// [`Incoming::map`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming<E> {
    /// The envelope's `eventId`: the inbox key, the same on every redelivery.
    pub event_id: String,
    /// The request (or saga) that caused it, for logs and for the events it causes.
    pub correlation_id: String,
    /// What the event is about (a user's id for `user.*`); taken from the payload for
    /// envelopes written before envelopes carried it.
    pub aggregate_id: String,
    /// Its place among the aggregate's events (1, 2, 3...; 0: published before versions
    /// existed, or without the outbox). See `projection` for how consumers use it.
    pub aggregate_version: u64,
    /// The payload, checked against its contract.
    pub event: E,
}

/// An event that can never be handled: another version than the consumer reads, or a payload
/// that does not match its contract. Poison: redelivering it cannot help.
///
/// The message names the event, the version and the field at fault, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable event: {event_name} v{version}: {reason}")]
pub struct Unreadable {
    /// The envelope's `eventName`.
    pub event_name: String,
    /// The envelope's `version`.
    pub version: u32,
    /// What is wrong, without any payload value.
    pub reason: String,
}

impl From<Unreadable> for ConsumeError {
    fn from(e: Unreadable) -> Self {
        ConsumeError::Poison(e.to_string())
    }
}

impl<E: Event + DeserializeOwned> Incoming<E> {
    /// Parses `envelope` as an event of type `E`: same version as `E::VERSION` (the envelope's
    /// name is the caller's dispatch), payload matching `E`, and an `aggregateId` that, when the
    /// envelope carries one, is the payload's.
    pub fn parse(envelope: Envelope) -> Result<Self, Unreadable> {
        let unreadable = |reason: String| Unreadable {
            event_name: envelope.event_name.clone(),
            version: envelope.version,
            reason,
        };
        if envelope.event_id.trim().is_empty() {
            // The inbox keys on it: every id-less event would look like the first one's twin.
            return Err(unreadable("eventId is empty".to_owned()));
        }
        if envelope.version != E::VERSION {
            return Err(unreadable(format!(
                "this consumer reads version {}",
                E::VERSION
            )));
        }
        let event: E = serde_path_to_error::deserialize(envelope.payload)
            .map_err(|e| unreadable(field_error(&e)))?;
        let aggregate_id = if envelope.aggregate_id.is_empty() {
            event.aggregate_id().to_owned()
        } else if envelope.aggregate_id == event.aggregate_id() {
            envelope.aggregate_id
        } else {
            return Err(unreadable(
                "aggregateId is not the payload's aggregate".to_owned(),
            ));
        };
        Ok(Self {
            event_id: envelope.event_id,
            correlation_id: envelope.correlation_id,
            aggregate_id,
            aggregate_version: envelope.aggregate_version,
            event,
        })
    }
}

impl<E> Incoming<E> {
    /// The same delivery carrying `f(event)`: how a consumer puts the event types it reads
    /// into one enum of its own.
    pub fn map<F>(self, f: impl FnOnce(E) -> F) -> Incoming<F> {
        Incoming {
            event_id: self.event_id,
            correlation_id: self.correlation_id,
            aggregate_id: self.aggregate_id,
            aggregate_version: self.aggregate_version,
            event: f(self.event),
        }
    }
}

/// Where the payload breaks its contract, without the value found there: serde's messages
/// quote values ("invalid type: string \"https://.../reset-password/<token>\""), and a payload
/// may hold a secret. Missing and unknown fields are named (field names are the contract's,
/// not data); anything else is reported by its path only.
fn field_error(e: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let path = e.path().to_string();
    let at = match path.as_str() {
        "." => "payload".to_owned(),
        path => format!("payload.{path}"),
    };
    let message = e.inner().to_string();
    if let Some(rest) = message.strip_prefix("missing field `") {
        // The path is the object missing it; the message names the field.
        let field = rest.split('`').next().unwrap_or_default();
        return format!("{at}: missing field `{field}`");
    }
    if message.starts_with("unknown field `") {
        // The path ends with the field's name already.
        return format!("{at}: unknown field");
    }
    if path == "." {
        return "payload: not an object of the contract's shape".to_owned();
    }
    format!("{at}: wrong type or value")
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Probe {
        thing_id: String,
        count: u32,
        nested: Option<Inner>,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Inner {
        secret: u32,
    }

    impl Event for Probe {
        const NAME: &'static str = "thing.probed";
        fn aggregate_id(&self) -> &str {
            &self.thing_id
        }
    }

    fn envelope(payload: serde_json::Value) -> Envelope {
        serde_json::from_value(json!({
            "eventId": "e1", "eventName": "thing.probed", "occurredAt": "2030-01-01T00:00:00.000Z",
            "correlationId": "c1", "source": "test", "version": 1,
            "aggregateId": "t1", "aggregateVersion": 7, "payload": payload,
        }))
        .unwrap()
    }

    #[test]
    fn parses_the_ids_and_the_payload() {
        let incoming =
            Incoming::<Probe>::parse(envelope(json!({"thingId": "t1", "count": 2}))).unwrap();
        assert_eq!(
            (
                incoming.event_id.as_str(),
                incoming.correlation_id.as_str(),
                incoming.aggregate_id.as_str(),
                incoming.aggregate_version
            ),
            ("e1", "c1", "t1", 7)
        );
        assert_eq!(incoming.event.count, 2);
        assert_eq!(incoming.map(|p| p.count).event, 2);
    }

    #[test]
    fn an_envelope_from_before_aggregates_takes_the_payloads_id_at_version_0() {
        let mut old = envelope(json!({"thingId": "t9", "count": 2}));
        old.aggregate_id = String::new();
        old.aggregate_version = 0;
        let incoming = Incoming::<Probe>::parse(old).unwrap();
        assert_eq!(
            (incoming.aggregate_id.as_str(), incoming.aggregate_version),
            ("t9", 0)
        );
    }

    #[test]
    fn another_version_or_a_broken_payload_is_unreadable_and_poison() {
        let mut future = envelope(json!({"thingId": "t1", "count": 2}));
        future.version = 2;
        let e = Incoming::<Probe>::parse(future).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unreadable event: thing.probed v2: this consumer reads version 1"
        );
        assert!(matches!(ConsumeError::from(e), ConsumeError::Poison(_)));

        let e = Incoming::<Probe>::parse(envelope(json!({"thingId": "t1"}))).unwrap_err();
        assert_eq!(e.reason, "payload: missing field `count`");
        let e = Incoming::<Probe>::parse(envelope(json!({"thingId": "t1", "count": 1, "x": 1})))
            .unwrap_err();
        assert_eq!(e.reason, "payload.x: unknown field");
        let e =
            Incoming::<Probe>::parse(envelope(json!({"thingId": "t2", "count": 1}))).unwrap_err();
        assert_eq!(e.reason, "aggregateId is not the payload's aggregate");
        let e = Incoming::<Probe>::parse(envelope(json!("just a string"))).unwrap_err();
        assert_eq!(e.reason, "payload: not an object of the contract's shape");
    }

    #[test]
    fn the_error_names_the_field_never_the_value() {
        let secret = "https://app.example/reset-password/SECRET-TOKEN";
        for payload in [
            json!({"thingId": "t1", "count": secret}),
            json!({"thingId": "t1", "count": 1, "nested": {"secret": secret}}),
        ] {
            let e = Incoming::<Probe>::parse(envelope(payload)).unwrap_err();
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains("SECRET-TOKEN"), "{shown}");
            assert!(
                shown.contains("count") || shown.contains("nested.secret"),
                "{shown}"
            );
        }
    }
}
