//! Deleting media objects no movie references any more (`store::MediaDeletions`): at once
//! after the change that dropped the reference, and by the scheduled `movies-media-sweeper`
//! for whatever is left and due.

use std::time::{Duration, Instant};

use bson::DateTime;
use serde::Serialize;
use streamia_shared::media::MediaError;

use crate::error::MoviesError;
use crate::Deps;

/// How long a sweeper holds a row before another run may take it again.
const LEASE: Duration = Duration::from_secs(300);
/// When an object the storage would not delete is tried again.
const RETRY_AFTER: Duration = Duration::from_secs(900);
/// A video being confirmed or a subtitle being stored is collected this long after it was
/// started if no movie references it by then (a function's timeout is seconds).
pub(crate) const GRACE: Duration = Duration::from_secs(3600);
/// One object's deletion at most (the lease, the storage call, the row): a run stops this long
/// before its deadline.
const PER_OBJECT: Duration = Duration::from_secs(8);

/// `delay` from now, as MongoDB stores it.
pub(crate) fn from_now(delay: Duration) -> DateTime {
    DateTime::from_millis(DateTime::now().timestamp_millis() + delay.as_millis() as i64)
}

/// Deletes `key` now, the change that dropped its last reference being committed (its row
/// scheduled due now in that change's transaction). A failure is logged: the row stays due,
/// and the sweeper deletes it. Whether the storage deleted it (false: a caller with more keys
/// stops, the storage being likely down, and leaves them all to the sweeper).
pub(crate) async fn delete_now(deps: &Deps, key: &str) -> bool {
    let Ok((storage, _)) = deps.media() else {
        return false;
    };
    if let Err(e) = storage.delete(key).await {
        tracing::warn!(key, error = %e, "media object not deleted yet: the sweeper will");
        return false;
    }
    if let Err(e) = deps.media_deletions.cancel(None, key).await {
        tracing::warn!(key, error = %e, "media object deleted; its row stays for the sweeper");
    }
    true
}

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Swept {
    /// Objects deleted.
    pub deleted: usize,
    /// Objects the storage would not delete (tried again later).
    pub failed: usize,
}

/// Deletes every due object, one at a time, until none is due or `deadline` (the
/// invocation's, less a margin) passes. The first storage failure ends the run (the storage
/// is likely down: the rest waits for the next run).
pub async fn execute(deps: &Deps, deadline: Option<Instant>) -> Result<Swept, MoviesError> {
    let (storage, _) = deps.media()?;
    let mut swept = Swept::default();
    while deadline.is_none_or(|d| Instant::now() + PER_OBJECT < d) {
        let Some(leased) = deps.media_deletions.lease_due(LEASE).await? else {
            break;
        };
        match storage.delete(&leased.key).await {
            Ok(()) => {
                deps.media_deletions.done(&leased).await?;
                swept.deleted += 1;
            }
            Err(e) => {
                tracing::warn!(key = %leased.key, error = %e, "media object not deleted: tried again later");
                // The circuit open: not tried, due again as soon as a trial call may go.
                let after = match e {
                    MediaError::CircuitOpen { retry_after, .. } => retry_after,
                    _ => RETRY_AFTER,
                };
                deps.media_deletions
                    .retry_at(&leased, from_now(after))
                    .await?;
                swept.failed += 1;
                break;
            }
        }
    }
    Ok(swept)
}
