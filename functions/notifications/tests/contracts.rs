//! The events this consumer's queue subscribes to (infra/messaging.yaml) against the
//! platform's checked-in examples: every example of every subscribed event parses into an
//! event this service handles, and renders its email. A producer change that breaks this
//! consumer, or a subscription added without handling it, fails here.

use streamia_notifications::events;
use streamia_notifications::ops::send_email::email_for;
use streamia_shared::testing::contracts::{examples, subscribed_events};

/// The queue `notifications-on-user-event` consumes (template.yaml's SQS event).
const QUEUE: &str = "NotificationsUserEventsQueue";

#[test]
fn every_example_of_every_subscribed_event_is_handled() {
    let subscribed = subscribed_events(QUEUE);
    assert!(!subscribed.is_empty());
    let examples = examples();
    for name in &subscribed {
        let of_event: Vec<_> = examples.iter().filter(|e| &e.name == name).collect();
        assert!(
            !of_event.is_empty(),
            "{QUEUE} subscribes to {name}, which has no example in shared/events/examples"
        );
        for example in of_event {
            let parsed = events::parse(example.envelope()).unwrap_or_else(|e| {
                panic!(
                    "{}: this consumer cannot read it: {e}",
                    example.path.display()
                )
            });
            let incoming = parsed.unwrap_or_else(|| {
                panic!(
                    "{QUEUE} subscribes to {name} but notifications ignores it ({})",
                    example.path.display()
                )
            });
            assert_eq!(incoming.event_id, example.envelope().event_id);
            let email = email_for(&incoming.event);
            assert!(email.to.contains('@') && !email.subject.is_empty());
        }
    }
}
