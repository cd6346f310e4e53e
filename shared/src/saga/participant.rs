//! One participant's step of the user-deletion saga, the same in every participating service.

use std::future::Future;

use bson::oid::ObjectId;
use mongodb::Database;

use super::ledger::{Ledger, StepState};
use super::SagaFault;
use crate::db::TransactionError;
use crate::events::consumer::ConsumeError;
use crate::events::sagas::{UserDeletionStepDone, UserDeletionStepFailed};
use crate::events::users::{UserDeleted, UserDeletionCancelled, UserDeletionCompleted};
use crate::events::{
    Envelope, Event, Inbox, InboxError, Incoming, Outbox, OutboxError, Unreadable,
};

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

impl UserDeletion {
    /// Parses an envelope from a participant's user-deletions queue; `None` for another event
    /// (acknowledged).
    pub fn parse(envelope: Envelope) -> Result<Option<Incoming<UserDeletion>>, Unreadable> {
        Ok(Some(match envelope.event_name.as_str() {
            UserDeleted::NAME => Incoming::parse(envelope)?.map(UserDeletion::Started),
            UserDeletionCancelled::NAME => Incoming::parse(envelope)?.map(UserDeletion::Cancelled),
            UserDeletionCompleted::NAME => Incoming::parse(envelope)?.map(UserDeletion::Completed),
            _ => return Ok(None),
        }))
    }

    fn saga_and_user(&self) -> (&str, &str) {
        match self {
            UserDeletion::Started(e) => (&e.saga_id, &e.user_id),
            UserDeletion::Cancelled(e) => (&e.saga_id, &e.user_id),
            UserDeletion::Completed(e) => (&e.saga_id, &e.user_id),
        }
    }
}

/// Which saga an effect is for, and the correlation id (a label) its own events carry.
#[derive(Debug, Clone, Copy)]
pub struct Saga<'a> {
    /// The saga's id (the users service's): what the set-aside documents are marked with.
    pub id: &'a str,
    /// The request's correlation id, for the events and logs the effect causes.
    pub correlation_id: &'a str,
}

/// What a participant does with one user's data in its own collections. Each effect must be
/// idempotent (a redelivery runs it again) and touch only that user's documents.
pub trait UserData: Sync {
    /// Takes every document of `user` out of every read, marked with the saga's id
    /// ([`super::set_aside`]), keeping it stored.
    fn set_aside(
        &self,
        saga: Saga<'_>,
        user: ObjectId,
    ) -> impl Future<Output = Result<(), ConsumeError>> + Send;
    /// Brings back the documents of `user` that `saga` set aside (and only those: a newer
    /// saga's marks stay).
    fn restore(
        &self,
        saga: Saga<'_>,
        user: ObjectId,
    ) -> impl Future<Output = Result<(), ConsumeError>> + Send;
    /// Deletes every document of `user` (the account is gone for good; what was written
    /// after the set-aside goes too).
    fn purge(
        &self,
        saga: Saga<'_>,
        user: ObjectId,
    ) -> impl Future<Output = Result<(), ConsumeError>> + Send;
}

/// What [`Participant::consume`] did, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The data is set aside and `user.deletion_step_done` is committed (once per event).
    SetAside,
    /// The step failed for good (an injected fault) and `user.deletion_step_failed` is
    /// committed.
    Failed,
    /// The start came after the saga ended here (as the state says): nothing changed.
    Late(StepState),
    /// The data the saga set aside is back.
    Restored,
    /// The user's data is gone.
    Purged,
    /// Not a saga event of this participant's.
    Ignored,
}

/// A participant of the user-deletion saga: its ledger, the inbox and outbox of its replies,
/// and the fault a test may inject. Cheap to clone; build it once per container.
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

    /// Handles one envelope of the participant's user-deletions queue with `data`'s effects.
    ///
    /// A start sets the data aside, then commits the reply with the event's inbox entry in one
    /// transaction (a redelivery sets aside again, harmlessly, and replies nothing new). A
    /// start and an end of the same saga racing each other (the deadline cancelled the saga
    /// while this start was on its way) still end right: the end is recorded in the ledger
    /// BEFORE its effect, and the start reads the ledger AFTER its own effect, so whichever
    /// order their single-document writes land in, the last effect is the end's.
    pub async fn consume(
        &self,
        data: &impl UserData,
        envelope: Envelope,
    ) -> Result<Step, ConsumeError> {
        let Some(incoming) = UserDeletion::parse(envelope)? else {
            return Ok(Step::Ignored);
        };
        let (saga, user_id) = incoming.event.saga_and_user();
        let step_saga = Saga {
            id: saga,
            correlation_id: &incoming.correlation_id,
        };
        let user = ObjectId::parse_str(user_id).map_err(|_| {
            ConsumeError::Poison(format!("{}: userId is not an id", incoming.event_id))
        })?;
        let subject = format!("user:{user}");
        let step = match &incoming.event {
            UserDeletion::Started(started) => {
                match self.ledger.begin(saga, &subject).await.map_err(transient)? {
                    StepState::Aside => {}
                    ended => return Ok(Step::Late(ended)),
                }
                if self.fault.fails(self.service, &started.username) {
                    self.reply_failed(&incoming, saga, user_id).await?;
                    Step::Failed
                } else {
                    data.set_aside(step_saga, user).await?;
                    match self.ledger.state(saga).await.map_err(transient)? {
                        Some(StepState::Restored) => {
                            data.restore(step_saga, user).await?;
                            Step::Late(StepState::Restored)
                        }
                        Some(StepState::Purged) => {
                            data.purge(step_saga, user).await?;
                            Step::Late(StepState::Purged)
                        }
                        _ => {
                            self.reply_done(&incoming, saga, user_id).await?;
                            Step::SetAside
                        }
                    }
                }
            }
            UserDeletion::Cancelled(_) => {
                let end = self
                    .ledger
                    .end(saga, &subject, StepState::Restored)
                    .await
                    .map_err(transient)?;
                if end != StepState::Restored {
                    // Completed before (a cancellation cannot follow a completion).
                    Step::Late(end)
                } else {
                    data.restore(step_saga, user).await?;
                    Step::Restored
                }
            }
            UserDeletion::Completed(_) => {
                self.ledger
                    .end(saga, &subject, StepState::Purged)
                    .await
                    .map_err(transient)?;
                data.purge(step_saga, user).await?;
                Step::Purged
            }
        };
        tracing::info!(
            service = self.service,
            saga_id = %saga,
            user_id = %user,
            event_id = %incoming.event_id,
            correlation_id = %incoming.correlation_id,
            step = ?step,
            "user deletion saga step"
        );
        Ok(step)
    }

    async fn reply_done(
        &self,
        incoming: &Incoming<UserDeletion>,
        saga: &str,
        user: &str,
    ) -> Result<(), ConsumeError> {
        let reply = UserDeletionStepDone {
            saga_id: saga.to_owned(),
            user_id: user.to_owned(),
            service: self.service.to_owned(),
        };
        self.reply(incoming, reply).await
    }

    async fn reply_failed(
        &self,
        incoming: &Incoming<UserDeletion>,
        saga: &str,
        user: &str,
    ) -> Result<(), ConsumeError> {
        let reply = UserDeletionStepFailed {
            saga_id: saga.to_owned(),
            user_id: user.to_owned(),
            service: self.service.to_owned(),
            reason: "a fault injected by SAGA_FAULT".to_owned(),
        };
        self.reply(incoming, reply).await
    }

    /// Commits `reply` with the event's inbox entry: once per event, whatever the deliveries.
    async fn reply<P: Event + Clone + Send + Sync>(
        &self,
        incoming: &Incoming<UserDeletion>,
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
