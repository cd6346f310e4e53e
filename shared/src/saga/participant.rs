//! One participant's step of a deletion saga (a user's or a movie's), the same in every
//! participating service.

use std::future::Future;

use bson::oid::ObjectId;
use mongodb::Database;

use super::ledger::{Ledger, StepState};
use super::SagaFault;
use crate::db::TransactionError;
use crate::events::consumer::ConsumeError;
use crate::events::movies::{MovieDeleted, MovieDeletionCancelled, MovieDeletionCompleted};
use crate::events::sagas::{
    MovieDeletionStepDone, MovieDeletionStepFailed, UserDeletionStepDone, UserDeletionStepFailed,
};
use crate::events::users::{UserDeleted, UserDeletionCancelled, UserDeletionCompleted};
use crate::events::{
    Envelope, Event, Inbox, InboxError, Incoming, Outbox, OutboxError, Unreadable,
};

/// Where a deletion saga is, as one of its events says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// It started: set the subject's data aside and reply.
    Started,
    /// It was compensated: bring back what was set aside.
    Cancelled,
    /// It completed: purge the subject's data.
    Completed,
}

/// A kind of deletion saga (what it deletes), as a participant follows it: the events of its
/// queue, and the replies it owes the saga's owner.
pub trait Deletion: Sized + Send + Sync {
    /// What the saga deletes (`user`, `movie`): the ledger's subject and the logs' label.
    const SUBJECT: &'static str;
    /// The confirmation (`<subject>.deletion_step_done`).
    type Done: Event + Clone + Send + Sync;
    /// The failure for good (`<subject>.deletion_step_failed`).
    type Failed: Event + Clone + Send + Sync;
    /// Parses an envelope of the participant's queue; `None` for another event (acknowledged).
    fn parse(envelope: Envelope) -> Result<Option<Incoming<Self>>, Unreadable>;
    /// Which phase this event is.
    fn phase(&self) -> Phase;
    /// The saga's id and the subject's id (as the event carries them).
    fn saga_and_subject(&self) -> (&str, &str);
    /// The subject's name as the event carries it (a username, a title), or "" when it
    /// carries none: what `SAGA_FAULT` matches, and what an effect may quote.
    fn name(&self) -> &str;
    /// The confirmation of `service` for saga `saga` about `subject`.
    fn done(saga: &str, subject: &str, service: &str) -> Self::Done;
    /// The failure of `service` for saga `saga` about `subject`.
    fn failed(saga: &str, subject: &str, service: &str, reason: &str) -> Self::Failed;
}

/// The events of a user-deletion saga a participant follows (its queue's filter policy:
/// `user.deleted`, `user.deletion_cancelled`, `user.deletion_completed`).
#[derive(Debug, Clone, PartialEq)]
pub enum UserDeletion {
    /// The saga started: set the user's data aside and reply.
    Started(UserDeleted),
    /// The saga was compensated: restore what was set aside.
    Cancelled(UserDeletionCancelled),
    /// The saga completed: purge the user's data.
    Completed(UserDeletionCompleted),
}

impl Deletion for UserDeletion {
    const SUBJECT: &'static str = "user";
    type Done = UserDeletionStepDone;
    type Failed = UserDeletionStepFailed;

    fn parse(envelope: Envelope) -> Result<Option<Incoming<Self>>, Unreadable> {
        Ok(Some(match envelope.event_name.as_str() {
            UserDeleted::NAME => Incoming::parse(envelope)?.map(UserDeletion::Started),
            UserDeletionCancelled::NAME => Incoming::parse(envelope)?.map(UserDeletion::Cancelled),
            UserDeletionCompleted::NAME => Incoming::parse(envelope)?.map(UserDeletion::Completed),
            _ => return Ok(None),
        }))
    }

    fn phase(&self) -> Phase {
        match self {
            UserDeletion::Started(_) => Phase::Started,
            UserDeletion::Cancelled(_) => Phase::Cancelled,
            UserDeletion::Completed(_) => Phase::Completed,
        }
    }

    fn saga_and_subject(&self) -> (&str, &str) {
        match self {
            UserDeletion::Started(e) => (&e.saga_id, &e.user_id),
            UserDeletion::Cancelled(e) => (&e.saga_id, &e.user_id),
            UserDeletion::Completed(e) => (&e.saga_id, &e.user_id),
        }
    }

    fn name(&self) -> &str {
        match self {
            UserDeletion::Started(e) => &e.username,
            UserDeletion::Cancelled(e) => &e.username,
            UserDeletion::Completed(_) => "",
        }
    }

    fn done(saga: &str, subject: &str, service: &str) -> Self::Done {
        UserDeletionStepDone {
            saga_id: saga.to_owned(),
            user_id: subject.to_owned(),
            service: service.to_owned(),
        }
    }

    fn failed(saga: &str, subject: &str, service: &str, reason: &str) -> Self::Failed {
        UserDeletionStepFailed {
            saga_id: saga.to_owned(),
            user_id: subject.to_owned(),
            service: service.to_owned(),
            reason: reason.to_owned(),
        }
    }
}

/// The events of a movie-deletion saga a participant follows (its queue's filter policy:
/// `movie.deleted`, `movie.deletion_cancelled`, `movie.deletion_completed`).
#[derive(Debug, Clone, PartialEq)]
pub enum MovieDeletion {
    /// The saga started: set the movie's data aside and reply.
    Started(MovieDeleted),
    /// The saga was compensated: restore what was set aside.
    Cancelled(MovieDeletionCancelled),
    /// The saga completed: purge the movie's data.
    Completed(MovieDeletionCompleted),
}

impl Deletion for MovieDeletion {
    const SUBJECT: &'static str = "movie";
    type Done = MovieDeletionStepDone;
    type Failed = MovieDeletionStepFailed;

    fn parse(envelope: Envelope) -> Result<Option<Incoming<Self>>, Unreadable> {
        Ok(Some(match envelope.event_name.as_str() {
            MovieDeleted::NAME => Incoming::parse(envelope)?.map(MovieDeletion::Started),
            MovieDeletionCancelled::NAME => {
                Incoming::parse(envelope)?.map(MovieDeletion::Cancelled)
            }
            MovieDeletionCompleted::NAME => {
                Incoming::parse(envelope)?.map(MovieDeletion::Completed)
            }
            _ => return Ok(None),
        }))
    }

    fn phase(&self) -> Phase {
        match self {
            MovieDeletion::Started(_) => Phase::Started,
            MovieDeletion::Cancelled(_) => Phase::Cancelled,
            MovieDeletion::Completed(_) => Phase::Completed,
        }
    }

    fn saga_and_subject(&self) -> (&str, &str) {
        match self {
            MovieDeletion::Started(e) => (&e.saga_id, &e.movie_id),
            MovieDeletion::Cancelled(e) => (&e.saga_id, &e.movie_id),
            MovieDeletion::Completed(e) => (&e.saga_id, &e.movie_id),
        }
    }

    fn name(&self) -> &str {
        match self {
            MovieDeletion::Started(e) => &e.title,
            MovieDeletion::Cancelled(e) => &e.title,
            MovieDeletion::Completed(e) => &e.title,
        }
    }

    fn done(saga: &str, subject: &str, service: &str) -> Self::Done {
        MovieDeletionStepDone {
            saga_id: saga.to_owned(),
            movie_id: subject.to_owned(),
            service: service.to_owned(),
        }
    }

    fn failed(saga: &str, subject: &str, service: &str, reason: &str) -> Self::Failed {
        MovieDeletionStepFailed {
            saga_id: saga.to_owned(),
            movie_id: subject.to_owned(),
            service: service.to_owned(),
            reason: reason.to_owned(),
        }
    }
}

/// Which saga an effect is for, and the correlation id (a label) its own events carry.
#[derive(Debug, Clone, Copy)]
pub struct Saga<'a> {
    /// The saga's id (its owner's): what the set-aside documents are marked with.
    pub id: &'a str,
    /// The request's correlation id, for the events and logs the effect causes.
    pub correlation_id: &'a str,
    /// The subject's name as the event carries it ([`Deletion::name`]; a movie's title on
    /// every movie event, which the favorites' alerts quote), or "".
    pub name: &'a str,
}

/// What a participant does with one subject's data (a user's, a movie's: `K`) in its own
/// collections. Each effect must be idempotent (a redelivery runs it again) and touch only
/// that subject's documents.
pub trait SagaData<K: Deletion>: Sync {
    /// Takes every document of `subject` out of every read, marked with the saga's id
    /// ([`super::set_aside`]), keeping it stored.
    fn set_aside(
        &self,
        saga: Saga<'_>,
        subject: ObjectId,
    ) -> impl Future<Output = Result<(), ConsumeError>> + Send;
    /// Brings back the documents of `subject` that `saga` set aside (and only those: a newer
    /// saga's marks stay).
    fn restore(
        &self,
        saga: Saga<'_>,
        subject: ObjectId,
    ) -> impl Future<Output = Result<(), ConsumeError>> + Send;
    /// Deletes every document of `subject` (it is gone for good; what was written after the
    /// set-aside goes too).
    fn purge(
        &self,
        saga: Saga<'_>,
        subject: ObjectId,
    ) -> impl Future<Output = Result<(), ConsumeError>> + Send;
}

/// What [`Participant::consume`] did, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The data is set aside and the confirmation is committed (once per event).
    SetAside,
    /// The step failed for good (an injected fault) and the failure is committed.
    Failed,
    /// The start came after the saga ended here (as the state says): nothing changed.
    Late(StepState),
    /// The data the saga set aside is back.
    Restored,
    /// The subject's data is gone.
    Purged,
    /// Not a saga event of this participant's.
    Ignored,
}

/// A participant of one kind of deletion saga, in one consuming function: its ledger, the
/// inbox and outbox of its replies, and the fault a test may inject. Cheap to clone; build it
/// once per container.
#[derive(Clone)]
pub struct Participant {
    service: &'static str,
    ledger: Ledger,
    inbox: Inbox,
    outbox: Outbox,
    fault: SagaFault,
}

/// Why the reply could not be committed: retried by the transaction, then by SQS.
#[derive(Debug, thiserror::Error)]
enum ReplyError {
    #[error(transparent)]
    Inbox(#[from] InboxError),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error("mongodb: {0}")]
    Mongo(#[from] mongodb::error::Error),
}

impl TransactionError for ReplyError {
    fn is_transient(&self) -> bool {
        match self {
            ReplyError::Inbox(e) => e.is_transient(),
            ReplyError::Outbox(e) => e.is_transient(),
            ReplyError::Mongo(e) => TransactionError::is_transient(e),
        }
    }
}

fn transient(e: impl std::fmt::Display) -> ConsumeError {
    ConsumeError::Transient(e.to_string())
}

impl Participant {
    /// `service` (`favorites`, ...) names the participant in its replies; `consumer` is the
    /// consuming function (its inbox entries carry it); replies go out through `outbox`, the
    /// service's, whose publisher has the service's topic. The ledger lives in `db`.
    pub fn new(
        db: &Database,
        service: &'static str,
        consumer: &str,
        outbox: Outbox,
        fault: SagaFault,
    ) -> Self {
        Self {
            service,
            ledger: Ledger::new(db),
            inbox: Inbox::new(db, consumer),
            outbox,
            fault,
        }
    }

    /// The ledger (tests, operators).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Handles one envelope of the participant's deletions queue of kind `K` with `data`'s
    /// effects.
    ///
    /// A start sets the data aside, then commits the reply with the event's inbox entry in one
    /// transaction (a redelivery sets aside again, harmlessly, and replies nothing new). A
    /// start and an end of the same saga racing each other (the deadline cancelled the saga
    /// while this start was on its way) still end right: the end is recorded in the ledger
    /// BEFORE its effect, and the start reads the ledger AFTER its own effect, so whichever
    /// order their single-document writes land in, the last effect is the end's.
    pub async fn consume<K: Deletion>(
        &self,
        data: &impl SagaData<K>,
        envelope: Envelope,
    ) -> Result<Step, ConsumeError> {
        let Some(incoming) = K::parse(envelope)? else {
            return Ok(Step::Ignored);
        };
        let (saga, subject_id) = incoming.event.saga_and_subject();
        let step_saga = Saga {
            id: saga,
            correlation_id: &incoming.correlation_id,
            name: incoming.event.name(),
        };
        let subject = ObjectId::parse_str(subject_id).map_err(|_| {
            ConsumeError::Poison(format!(
                "{}: the {} id is not an id",
                incoming.event_id,
                K::SUBJECT
            ))
        })?;
        let ledger_subject = format!("{}:{subject}", K::SUBJECT);
        let step = match incoming.event.phase() {
            Phase::Started => {
                match self
                    .ledger
                    .begin(saga, &ledger_subject)
                    .await
                    .map_err(transient)?
                {
                    StepState::Aside => {}
                    ended => return Ok(Step::Late(ended)),
                }
                if self.fault.fails(self.service, incoming.event.name()) {
                    let failed = K::failed(
                        saga,
                        subject_id,
                        self.service,
                        "a fault injected by SAGA_FAULT",
                    );
                    self.reply(&incoming, failed).await?;
                    Step::Failed
                } else {
                    data.set_aside(step_saga, subject).await?;
                    match self.ledger.state(saga).await.map_err(transient)? {
                        Some(StepState::Restored) => {
                            data.restore(step_saga, subject).await?;
                            Step::Late(StepState::Restored)
                        }
                        Some(StepState::Purged) => {
                            data.purge(step_saga, subject).await?;
                            Step::Late(StepState::Purged)
                        }
                        _ => {
                            let done = K::done(saga, subject_id, self.service);
                            self.reply(&incoming, done).await?;
                            Step::SetAside
                        }
                    }
                }
            }
            Phase::Cancelled => {
                let end = self
                    .ledger
                    .end(saga, &ledger_subject, StepState::Restored)
                    .await
                    .map_err(transient)?;
                if end != StepState::Restored {
                    // Completed before (a cancellation cannot follow a completion).
                    Step::Late(end)
                } else {
                    data.restore(step_saga, subject).await?;
                    Step::Restored
                }
            }
            Phase::Completed => {
                self.ledger
                    .end(saga, &ledger_subject, StepState::Purged)
                    .await
                    .map_err(transient)?;
                data.purge(step_saga, subject).await?;
                Step::Purged
            }
        };
        tracing::info!(
            service = self.service,
            saga_id = %saga,
            subject = %ledger_subject,
            event_id = %incoming.event_id,
            correlation_id = %incoming.correlation_id,
            step = ?step,
            "{} deletion saga step",
            K::SUBJECT
        );
        Ok(step)
    }

    /// Commits `reply` with the event's inbox entry: once per event, whatever the deliveries.
    async fn reply<K: Deletion, P: Event + Clone + Send + Sync>(
        &self,
        incoming: &Incoming<K>,
        reply: P,
    ) -> Result<(), ConsumeError> {
        self.outbox
            .commit(
                &incoming.correlation_id,
                (&self.inbox, incoming.event_id.as_str(), reply),
                |mut tx, (inbox, event_id, reply)| {
                    Box::pin(async move {
                        if inbox.record(tx.session(), event_id).await? {
                            tx.stage(reply.clone()).await?;
                        }
                        Ok::<_, ReplyError>(())
                    })
                },
            )
            .await
            .map_err(transient)
    }
}
