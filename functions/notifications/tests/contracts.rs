//! The events each consumer's queue subscribes to (infra/messaging.yaml) against the
//! platform's checked-in examples: every example of every subscribed event is handled. A
//! producer change that breaks a consumer, or a subscription added without handling it, fails
//! here.

use streamia_notifications::copies::{CopyStatus, UserCopy};
use streamia_notifications::events;
use streamia_notifications::ops::{copy_user, send_email};
use streamia_shared::events::Change;
use streamia_shared::i18n::Lang;
use streamia_shared::testing::contracts::assert_consumer_handles;

#[test]
fn on_user_event_handles_every_subscribed_example_and_renders_its_email() {
    // The "account deleted" email is written from the service's copy of the user.
    let copy = UserCopy {
        username: "ana".into(),
        email: "ana@example.com".into(),
        first_name: None,
        language: Lang::Es,
        status: CopyStatus::Deleting,
    };
    // The user events' queue, and the favorites' alerts' own (the same handler).
    for queue in [
        "NotificationsUserEventsQueue",
        "NotificationsFavoriteAlertsQueue",
    ] {
        let emails = assert_consumer_handles(queue, |envelope| {
            events::parse(envelope)
                .map(|parsed| parsed.map(|i| send_email::email_for(&i.event, Some(&copy))))
        });
        assert!(!emails.is_empty(), "{queue}");
        assert!(emails.iter().all(|email| email
            .as_ref()
            .is_some_and(|email| email.to.contains('@') && !email.subject.is_empty())));
    }
}

#[test]
fn on_user_change_handles_every_subscribed_example() {
    let changes = assert_consumer_handles("NotificationsUserChangesQueue", |envelope| {
        events::parse_change(envelope).map(|parsed| parsed.map(|i| copy_user::change_for(&i.event)))
    });
    // Not user.deletion_completed: the user-events consumer ends the copy after its email.
    assert!(changes.iter().all(|c| match c {
        Change::Set(copy) => copy.email.contains('@') && !copy.username.is_empty(),
        Change::Tombstone => false,
    }));
}
