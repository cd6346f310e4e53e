//! The MongoDB client, created once per container.

use std::time::Duration;

use mongodb::options::ClientOptions;
use mongodb::Client;

/// Finding a usable server (cold start: DNS, TCP, TLS, handshake); past it an operation fails
/// with a server-selection error (503).
const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(4);
/// One TCP + TLS connect.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Pooled connections idle longer than this are not reused (see [`connect`]).
const MAX_IDLE_TIME: Duration = Duration::from_secs(60);
/// Pooled connections per server unless the URI sets `maxPoolSize`. A Lambda instance serves
/// one invocation at a time, and every instance keeps its pool open while it lives (frozen
/// ones too), so the cluster's connection limit is shared by pool size x instances: see the
/// connection budget in README.md.
const MAX_POOL_SIZE: u32 = 2;

/// Connects lazily with short timeouts: a database outage answers 503 within seconds instead of
/// holding the function until its timeout.
///
/// The 3.x driver has no client-side timeout for an operation on an established connection
/// (no `socketTimeoutMS`, no `timeoutMS`; `maxTimeMS` is enforced by the server, so useless
/// when the server hangs). Operations are bounded by the request's deadline instead
/// (`http::Route::respond` answers 503 when it passes), which covers every call a handler makes.
pub async fn connect(uri: &str) -> Result<Client, mongodb::error::Error> {
    let mut options = ClientOptions::parse(uri).await?;
    options
        .app_name
        .get_or_insert_with(|| "streamia".to_owned());
    options.server_selection_timeout = Some(SERVER_SELECTION_TIMEOUT);
    options.connect_timeout = Some(CONNECT_TIMEOUT);
    options.max_pool_size = Some(options.max_pool_size.unwrap_or(MAX_POOL_SIZE));
    // Lambda freezes a container between invocations, and NAT / VPC network interfaces drop
    // idle connections after a few minutes without telling either end: a pooled connection
    // idle this long is closed and replaced rather than trusted.
    options.max_idle_time = Some(options.max_idle_time.unwrap_or(MAX_IDLE_TIME));
    Client::with_options(options)
}

/// Whether a write failed on a unique index, and on which one (by index name).
pub fn duplicate_key_index(err: &mongodb::error::Error) -> Option<String> {
    use mongodb::error::{ErrorKind, WriteFailure};
    let (code, message) = match err.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => (e.code, e.message.clone()),
        ErrorKind::Command(e) => (e.code, e.message.clone()),
        ErrorKind::InsertMany(e) => {
            let first = e.write_errors.as_ref()?.first()?;
            (first.code, first.message.clone())
        }
        _ => return None,
    };
    if code != 11000 {
        return None;
    }
    // "E11000 duplicate key error collection: db.users index: email_unique dup key: ..."
    let index = message
        .split("index: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("")
        .to_owned();
    Some(index)
}

/// A boxed future borrowing the transaction's session, what a [`transaction`] body returns
/// (`Box::pin(async move { ... })`).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Longest time [`transaction`] keeps retrying; well inside any function's timeout.
const TRANSACTION_RETRY_BUDGET: Duration = Duration::from_secs(10);

/// The first retry's ceiling; each further retry doubles it, up to [`RETRY_CEILING_CAP`].
const RETRY_BASE: Duration = Duration::from_millis(10);
/// The longest one wait between two attempts may be.
const RETRY_CEILING_CAP: Duration = Duration::from_millis(500);

/// The most the wait before retry number `retry` (0 for the first) may be: exponential, capped.
fn retry_ceiling(retry: u32) -> Duration {
    RETRY_BASE
        .saturating_mul(1u32 << retry.min(16))
        .min(RETRY_CEILING_CAP)
}

/// How long to wait before retry number `retry`: anywhere between zero and its ceiling ("full
/// jitter"). Two transactions that conflicted would otherwise run again at the same instant
/// and conflict again; random waits spread them apart, and the growing ceiling backs off when
/// many contend for one document (the outbox's version counter of a busy aggregate).
fn retry_delay(retry: u32, rng: &mut impl rand::Rng) -> Duration {
    let ceiling = retry_ceiling(retry).as_micros() as u64;
    Duration::from_micros(rng.gen_range(0..=ceiling))
}

/// Waits before a retry, never past `give_up`.
async fn back_off(retry: &mut u32, give_up: std::time::Instant) {
    // The generator lives only in this statement: the future stays `Send`.
    let delay = retry_delay(*retry, &mut rand::thread_rng());
    *retry = retry.saturating_add(1);
    let left = give_up.saturating_duration_since(std::time::Instant::now());
    tokio::time::sleep(delay.min(left)).await;
}

/// An error a [`transaction`] body may return: the body's writes fail with the driver's error
/// (`From`), and the helper must tell whether running the whole body again can succeed.
pub trait TransactionError: From<mongodb::error::Error> {
    /// Whether the transaction should run again from the start (a `TransientTransactionError`,
    /// e.g. a write conflict with a concurrent transaction).
    fn is_transient(&self) -> bool;
}

impl TransactionError for mongodb::error::Error {
    fn is_transient(&self) -> bool {
        self.contains_label(mongodb::error::TRANSIENT_TRANSACTION_ERROR)
    }
}

/// Runs `body`'s writes in ONE multi-document transaction and commits it.
///
/// Why a helper: the retry rules are easy to get wrong. The body runs again (in a fresh
/// transaction) on a `TransientTransactionError`, the commit is retried on
/// `UnknownTransactionCommitResult`, for at most 10 s, each retry after a random wait that grows
/// with the attempts (see [`retry_delay`]); any other error aborts and is returned.
/// The body must therefore be repeatable: pass every write `.session(&mut *session)` and keep
/// side effects (publishing, email) for after the commit. `context` is what the body borrows
/// (the driver's own `and_run` shape: a closure cannot lend its captures to a future that
/// borrows the session).
///
/// A write that publishes events goes through [`crate::events::Outbox::commit`], which wraps
/// this helper (staging the events inside, publishing them after the commit). A consumer's
/// effect goes through `Inbox::apply`. Used directly, for a write that publishes nothing:
///
/// ```ignore
/// db::transaction(&client, (&store, input), |session, (store, input)| {
///     Box::pin(async move { store.insert(session, input).await.map_err(Into::into) })
/// })
/// .await?;
/// ```
pub async fn transaction<C, T, E, F>(client: &Client, mut context: C, mut body: F) -> Result<T, E>
where
    E: TransactionError,
    F: for<'s> FnMut(&'s mut mongodb::ClientSession, &'s mut C) -> BoxFuture<'s, Result<T, E>>,
{
    use mongodb::error::UNKNOWN_TRANSACTION_COMMIT_RESULT;
    let give_up = std::time::Instant::now() + TRANSACTION_RETRY_BUDGET;
    let mut retry = 0;
    let mut session = client.start_session().await?;
    'attempt: loop {
        session.start_transaction().await?;
        let value = match body(&mut session, &mut context).await {
            Ok(value) => value,
            Err(e) => {
                // The server may have aborted it already; either way nothing is committed.
                let _ = session.abort_transaction().await;
                if e.is_transient() && std::time::Instant::now() < give_up {
                    tracing::warn!(retry, "transaction conflict, running it again");
                    back_off(&mut retry, give_up).await;
                    continue 'attempt;
                }
                return Err(e);
            }
        };
        loop {
            match session.commit_transaction().await {
                Ok(()) => return Ok(value),
                Err(e)
                    if e.contains_label(UNKNOWN_TRANSACTION_COMMIT_RESULT)
                        && std::time::Instant::now() < give_up =>
                {
                    back_off(&mut retry, give_up).await;
                    continue;
                }
                Err(e) if e.is_transient() && std::time::Instant::now() < give_up => {
                    back_off(&mut retry, give_up).await;
                    continue 'attempt;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn retry_waits_grow_then_cap() {
        assert_eq!(retry_ceiling(0), Duration::from_millis(10));
        assert_eq!(retry_ceiling(1), Duration::from_millis(20));
        assert_eq!(retry_ceiling(3), Duration::from_millis(80));
        assert_eq!(retry_ceiling(6), RETRY_CEILING_CAP);
        assert_eq!(retry_ceiling(u32::MAX), RETRY_CEILING_CAP);
    }

    #[test]
    fn retry_waits_are_jittered_within_their_ceiling() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for retry in 0..10 {
            let waits: Vec<Duration> = (0..50).map(|_| retry_delay(retry, &mut rng)).collect();
            assert!(
                waits.iter().all(|w| *w <= retry_ceiling(retry)),
                "{waits:?}"
            );
            let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
            assert!(
                distinct.len() > 10,
                "two conflicting retries must not wait alike"
            );
        }
    }
}
