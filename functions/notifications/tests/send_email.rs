//! The core operation, without any SQS type: a parsed event in, one email out through the
//! real SMTP sink, exactly once however often and however concurrently it is delivered.

mod common;

use std::time::Duration;

use common::*;
use streamia_notifications::events::{self, Incoming, UserEvent};
use streamia_notifications::ops::send_email::{self, Outcome};
use streamia_notifications::NotifyError;
use streamia_shared::events::Claim;
use streamia_shared::i18n::Lang;

/// The event is not claimed by anyone: the next delivery may send at once.
async fn assert_claimable(deps: &streamia_notifications::Deps, event: &Incoming<UserEvent>) {
    assert!(matches!(
        deps.inbox
            .claim(&event.event_id, Duration::from_secs(5))
            .await
            .unwrap(),
        Claim::Acquired(_)
    ));
}

fn incoming<P: serde::Serialize>(
    envelope: &streamia_shared::events::Envelope<P>,
) -> Incoming<UserEvent> {
    events::parse(untyped(envelope)).unwrap().unwrap()
}

#[tokio::test]
async fn sends_the_welcome_and_the_reset_email() {
    let deps = deps().await;
    let (a, b) = (unique_email(), unique_email());
    assert_eq!(
        send_email::execute(deps, &incoming(&welcome(&a)))
            .await
            .unwrap(),
        Outcome::Sent
    );
    assert_eq!(
        send_email::execute(deps, &incoming(&reset(&b)))
            .await
            .unwrap(),
        Outcome::Sent
    );
    let mail = mails_to(&a, 1).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0]["subject"], "Welcome to Streamia!");
    assert!(mail[0]["text"].as_str().unwrap().contains("Hi Ana"));
    let mail = mails_to(&b, 1).await;
    assert_eq!(mail[0]["subject"], "Reset your Streamia password");
    assert!(mail[0]["text"]
        .as_str()
        .unwrap()
        .contains("https://app.streamia.test/reset-password/tok123"));
}

#[tokio::test]
async fn emails_go_out_in_the_users_language_as_text_and_html() {
    let deps = deps().await;
    let (a, b) = (unique_email(), unique_email());
    let mut registered = welcome(&a);
    registered.payload.language = Lang::Es;
    registered.payload.first_name = Some("<b>Ana</b>".into());
    let mut reset_requested = reset(&b);
    reset_requested.payload.language = Lang::Es;
    for envelope in [untyped(&registered), untyped(&reset_requested)] {
        let event = events::parse(envelope).unwrap().unwrap();
        assert_eq!(
            send_email::execute(deps, &event).await.unwrap(),
            Outcome::Sent
        );
    }
    let mail = mails_to(&a, 1).await;
    assert_eq!(mail[0]["subject"], "¡Te damos la bienvenida a Streamia!");
    assert_eq!(mail[0]["language"], "es");
    let text = mail[0]["text"].as_str().unwrap();
    assert!(text.starts_with("Hola, <b>Ana</b>:"), "{text}");
    let html = mail[0]["html"].as_str().unwrap();
    assert!(html.contains("<html lang=\"es\">"), "{html}");
    assert!(
        html.contains("Hola, &lt;b&gt;Ana&lt;/b&gt;:"),
        "user data escaped: {html}"
    );
    let mail = mails_to(&b, 1).await;
    assert_eq!(mail[0]["subject"], "Restablece tu contraseña de Streamia");
    assert!(mail[0]["text"]
        .as_str()
        .unwrap()
        .contains("https://app.streamia.test/reset-password/tok123"));
    assert!(mail[0]["html"]
        .as_str()
        .unwrap()
        .contains("<a href=\"https://app.streamia.test/reset-password/tok123\">Elegir una nueva contraseña</a>"));
}

#[tokio::test]
async fn the_same_event_delivered_twice_at_once_sends_one_email() {
    let deps = deps().await;
    let to = unique_email();
    let event = incoming(&welcome(&to));
    let (first, second) = tokio::join!(
        send_email::execute(deps, &event),
        send_email::execute(deps, &event)
    );
    let outcomes = [first, second];
    let sent = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Outcome::Sent)))
        .count();
    assert_eq!(sent, 1, "{outcomes:?}");
    // The other one either saw it done, or found it in flight and asks to be retried.
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Ok(_) | Err(NotifyError::Busy { .. }))));
    // Redelivered later: nothing more.
    assert_eq!(
        send_email::execute(deps, &event).await.unwrap(),
        Outcome::AlreadySent
    );
    assert_eq!(mails_to(&to, 2).await.len(), 1);
}

#[tokio::test]
async fn a_failed_send_releases_the_event_for_the_redelivery() {
    // Nothing listens on port 9 (discard) here.
    let deps = deps_with(mail_config("9")).await;
    let event = incoming(&welcome(&unique_email()));
    let err = send_email::execute(deps, &event).await.unwrap_err();
    assert!(matches!(err, NotifyError::Mail(_)), "{err:?}");
    assert!(!deps.inbox.is_handled(&event.event_id).await.unwrap());
    // Released, not left claimed: the next delivery may send at once.
    assert_claimable(deps, &event).await;
}

#[tokio::test]
async fn a_mail_server_that_hangs_fails_the_send_within_its_own_timeout() {
    let mut mail = mail_config(&silent_smtp_server().await.to_string());
    mail.timeout = Duration::from_millis(500);
    let deps = deps_with(mail).await;
    let event = incoming(&welcome(&unique_email()));
    let started = std::time::Instant::now();
    let err = send_email::execute(deps, &event).await.unwrap_err();
    assert!(matches!(err, NotifyError::Mail(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_claimable(deps, &event).await;
}

#[test]
fn events_are_parsed_into_their_contracts_or_rejected_as_unreadable() {
    let to = unique_email();
    let parsed = events::parse(untyped(&welcome(&to))).unwrap().unwrap();
    assert!(matches!(parsed.event, UserEvent::Registered(ref e) if e.email == to));

    // Another version of a known event, or a payload breaking its contract: unreadable.
    let mut future = untyped(&welcome(&to));
    future.version = 2;
    assert!(matches!(
        events::parse(future),
        Err(NotifyError::Unreadable(_))
    ));
    let mut broken = untyped(&welcome(&to));
    broken.payload = serde_json::json!({"userId": 5});
    assert!(matches!(
        events::parse(broken),
        Err(NotifyError::Unreadable(_))
    ));
    // An event this service does not act on.
    let mut other = untyped(&welcome(&to));
    other.event_name = "user.updated".into();
    assert_eq!(events::parse(other).unwrap(), None);
}

#[tokio::test]
async fn a_mail_server_down_opens_the_circuit_and_later_emails_wait_untried() {
    let deps = deps_with(mail_config("9")).await;
    // The circuit's threshold (Policy::DEFAULT): five faults in a row, each one tried; the
    // next email is not tried. (A circuit state Redis did not record in time, on a loaded
    // machine, may take one more.)
    let mut tried = 0;
    let (event, retry_after) = loop {
        let event = incoming(&welcome(&unique_email()));
        match send_email::execute(deps, &event).await.unwrap_err() {
            NotifyError::Mail(_) => tried += 1,
            NotifyError::MailUnavailable { retry_after } => break (event, retry_after),
            other => panic!("expected the server down or the circuit open, got {other:?}"),
        }
        assert!(tried <= 12, "the circuit opened");
    };
    assert!(tried >= 5, "five faults before it opened, not {tried}");
    assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(30));
    // Deferred through the queue for the cool-down, without using up a receive.
    assert!(matches!(
        streamia_shared::events::consumer::ConsumeError::from(NotifyError::MailUnavailable {
            retry_after
        }),
        streamia_shared::events::consumer::ConsumeError::Unavailable { at_least, .. } if at_least == retry_after
    ));
    // And released for the delivery that comes back.
    assert_claimable(deps, &event).await;
}

#[tokio::test]
async fn emails_that_cannot_be_built_never_open_the_circuit() {
    let deps = deps_with(mail_config("9")).await;
    for _ in 0..10 {
        let err = send_email::execute(deps, &incoming(&welcome("not an address")))
            .await
            .unwrap_err();
        assert!(matches!(err, NotifyError::BadEmail(_)), "{err:?}");
    }
    // The server is still tried (and found down), not refused by an open circuit.
    let err = send_email::execute(deps, &incoming(&welcome(&unique_email())))
        .await
        .unwrap_err();
    assert!(matches!(err, NotifyError::Mail(_)), "{err:?}");
}

#[tokio::test]
async fn refusals_of_one_recipient_never_open_the_circuit_and_refusals_of_service_do() {
    // Anyone can sign up with an address a server refuses (no such mailbox, greylisted):
    // that must not cut everyone's email off.
    for reply in ["550 5.1.1 no such user", "450 4.2.1 greylisted, try later"] {
        let port = refusing_smtp_server(reply).await;
        let deps = deps_with(mail_config(&port.to_string())).await;
        for _ in 0..8 {
            let err = send_email::execute(deps, &incoming(&welcome(&unique_email())))
                .await
                .unwrap_err();
            assert!(matches!(err, NotifyError::Mail(_)), "{reply}: {err:?}");
        }
    }
    // A server that refuses service (421) is the server's fault: the circuit opens.
    let port = refusing_smtp_server("421 4.3.2 service shutting down").await;
    let deps = deps_with(mail_config(&port.to_string())).await;
    let mut tried = 0;
    loop {
        match send_email::execute(deps, &incoming(&welcome(&unique_email())))
            .await
            .unwrap_err()
        {
            NotifyError::Mail(_) => tried += 1,
            NotifyError::MailUnavailable { .. } => break,
            other => panic!("{other:?}"),
        }
        assert!(tried <= 12, "the circuit opened");
    }
    assert!(tried >= 5, "five faults before it opened, not {tried}");
}

#[test]
fn a_bad_recipient_is_poison_not_a_retry() {
    let err = NotifyError::from(streamia_notifications::mailer::SendError::Build("x".into()));
    assert!(matches!(
        streamia_shared::events::consumer::ConsumeError::from(err),
        streamia_shared::events::consumer::ConsumeError::Poison(_)
    ));
}

/// The service's copy of `user` (`email`) changed by `change` at `version`, as the user's own
/// events change it.
async fn copy_becomes(
    deps: &streamia_notifications::Deps,
    user: &str,
    email: &str,
    version: u64,
    change: streamia_shared::events::Change<streamia_notifications::copies::UserCopy>,
) {
    let event = incoming(&about(version, {
        let mut w = welcome(email).payload;
        w.user_id = user.to_owned();
        w
    }));
    deps.copies
        .project(&deps.mongo, &deps.copy_inbox, &event, change)
        .await
        .unwrap();
}

/// An envelope of `payload` about `user`, at `version`.
fn about<P: streamia_shared::events::Event>(
    version: u64,
    payload: P,
) -> streamia_shared::events::Envelope<P> {
    let mut envelope = streamia_shared::events::Envelope::new("users", "request-9", payload);
    envelope.aggregate_version = version;
    envelope
}

#[tokio::test]
async fn a_completed_deletion_is_mailed_from_the_copy_which_then_ends() {
    use streamia_notifications::copies::{CopyStatus, UserCopy};
    use streamia_shared::events::users::UserDeletionCompleted;
    use streamia_shared::events::{Change, Replica};
    let deps = deps().await;
    let (email, user) = (unique_email(), bson::oid::ObjectId::new().to_hex());
    let registered = incoming(&about(1, {
        let mut w = welcome(&email).payload;
        w.user_id = user.clone();
        w
    }));
    let copy = UserCopy {
        username: "ana_b".into(),
        email: email.clone(),
        first_name: Some("Ana".into()),
        language: Lang::Es,
        status: CopyStatus::Deleting,
    };
    let completed = incoming(&about(
        3,
        UserDeletionCompleted {
            saga_id: "s1".into(),
            user_id: user.clone(),
        },
    ));
    // No copy yet (its events still on their way): retried, nothing sent.
    assert!(matches!(
        send_email::execute(deps, &completed).await,
        Err(NotifyError::NoCopyYet(_))
    ));
    deps.copies
        .project(
            &deps.mongo,
            &deps.copy_inbox,
            &registered,
            Change::Set(copy),
        )
        .await
        .unwrap();
    assert_eq!(
        send_email::execute(deps, &completed).await.unwrap(),
        Outcome::Sent
    );
    assert!(matches!(
        deps.copies.get(&user).await.unwrap(),
        Some(Replica::Tombstone { version: 3 })
    ));
    // Redelivered: the copy is gone, the email is not sent twice.
    assert_eq!(
        send_email::execute(deps, &completed).await.unwrap(),
        Outcome::AlreadySent
    );
    let mail = mails_to(&email, 2).await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(mail[0]["subject"], "Tu cuenta de Streamia fue eliminada");
    assert!(mail[0]["text"].as_str().unwrap().contains("'ana_b'"));
}

#[tokio::test]
async fn a_cancelled_deletion_is_mailed_from_its_snapshot() {
    use streamia_shared::events::users::UserDeletionCancelled;
    let deps = deps().await;
    let email = unique_email();
    let cancelled = incoming(&about(
        5,
        UserDeletionCancelled {
            saga_id: "s2".into(),
            user_id: bson::oid::ObjectId::new().to_hex(),
            email: email.clone(),
            username: "<i>ana</i>".into(),
            first_name: None,
            language: Lang::En,
        },
    ));
    assert_eq!(
        send_email::execute(deps, &cancelled).await.unwrap(),
        Outcome::Sent
    );
    let mail = mails_to(&email, 1).await;
    assert_eq!(
        mail[0]["subject"],
        "We could not delete your Streamia account"
    );
    assert!(mail[0]["html"]
        .as_str()
        .unwrap()
        .contains("&lt;i&gt;ana&lt;/i&gt;"));
}

#[tokio::test]
async fn a_favorite_movie_removed_is_mailed_once_and_waits_for_a_running_deletion_of_its_fan() {
    use streamia_notifications::copies::{CopyStatus, UserCopy};
    use streamia_shared::events::favorites::FavoriteMovieRemoved;
    use streamia_shared::events::Change;
    let deps = deps().await;
    let (email, user) = (unique_email(), bson::oid::ObjectId::new().to_hex());
    let registered = incoming(&about(1, {
        let mut w = welcome(&email).payload;
        w.user_id = user.clone();
        w
    }));
    let alert = |title: &str, user: &str| {
        incoming(&about(
            2,
            FavoriteMovieRemoved {
                saga_id: "m1".into(),
                user_id: user.to_owned(),
                movie_id: bson::oid::ObjectId::new().to_hex(),
                title: title.to_owned(),
            },
        ))
    };
    let removed = alert("<b>Night</b> & Day", &user);
    // No copy of the user yet: retried later, nothing sent.
    assert!(matches!(
        send_email::execute(deps, &removed).await,
        Err(NotifyError::NoCopyYet(_))
    ));
    let copy = |status| UserCopy {
        username: "ana_b".into(),
        email: email.clone(),
        first_name: Some("Ana".into()),
        language: Lang::En,
        status,
    };
    deps.copies
        .project(
            &deps.mongo,
            &deps.copy_inbox,
            &registered,
            Change::Set(copy(CopyStatus::Active)),
        )
        .await
        .unwrap();
    assert_eq!(
        send_email::execute(deps, &removed).await.unwrap(),
        Outcome::Sent
    );
    assert_eq!(
        send_email::execute(deps, &removed).await.unwrap(),
        Outcome::AlreadySent
    );
    let mail = mails_to(&email, 2).await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(
        mail[0]["subject"],
        "A movie in your favorites left Streamia: <b>Night</b> & Day"
    );
    assert!(
        mail[0]["text"].as_str().unwrap().contains("Hi Ana"),
        "{}",
        mail[0]["text"]
    );
    assert!(mail[0]["html"]
        .as_str()
        .unwrap()
        .contains("&lt;b&gt;Night&lt;/b&gt; &amp; Day"));

    // A user whose own deletion is running: the alert waits (retried) for the saga's end;
    // cancelled, it is sent; completed (a tombstone), nobody is told.
    let (other_email, other) = (unique_email(), bson::oid::ObjectId::new().to_hex());
    let deleting = UserCopy {
        email: other_email.clone(),
        ..copy(CopyStatus::Deleting)
    };
    copy_becomes(deps, &other, &other_email, 1, Change::Set(deleting)).await;
    let waiting = alert("Night", &other);
    assert!(matches!(
        send_email::execute(deps, &waiting).await,
        Err(NotifyError::UserBeingDeleted(_))
    ));
    assert!(mails_to(&other_email, 1).await.is_empty());
    let cancelled = UserCopy {
        email: other_email.clone(),
        ..copy(CopyStatus::Active)
    };
    copy_becomes(deps, &other, &other_email, 2, Change::Set(cancelled)).await;
    assert_eq!(
        send_email::execute(deps, &waiting).await.unwrap(),
        Outcome::Sent
    );
    assert_eq!(mails_to(&other_email, 1).await.len(), 1);

    let (gone_email, gone) = (unique_email(), bson::oid::ObjectId::new().to_hex());
    copy_becomes(deps, &gone, &gone_email, 1, Change::Tombstone).await;
    assert_eq!(
        send_email::execute(deps, &alert("Night", &gone))
            .await
            .unwrap(),
        Outcome::NotSent
    );
    assert!(mails_to(&gone_email, 1).await.is_empty());
}
