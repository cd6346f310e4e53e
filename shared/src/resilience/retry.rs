//! Retrying a call that failed for a transient reason, with exponential backoff and full
//! jitter, never past a deadline.
//!
//! Why full jitter: instances that failed together (a dependency's blip) would otherwise
//! retry together, in waves; a delay drawn uniformly from `[0, min(cap, base·2ⁿ)]` spreads
//! them out (AWS Architecture Blog, "Exponential Backoff And Jitter"). Why a deadline: a
//! function that sleeps past its timeout loses the whole invocation (an HTTP 502, an SQS
//! batch coming back entirely), so a retry is made only if the wait ends before it.

use std::future::Future;
use std::time::{Duration, Instant};

use rand::Rng;

/// Whether an error may go away by itself (a timeout, a refused connection, a 503); bad input
/// or a 4xx is never retried.
pub trait Transient {
    /// `true` if the same call may succeed a moment later.
    fn is_transient(&self) -> bool;
}

/// How many times to try and how long to wait between tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Tries in all (the first call included); at least one is always made.
    pub attempts: u32,
    /// The first wait's ceiling; each later one doubles it.
    pub base: Duration,
    /// No wait's ceiling exceeds this.
    pub cap: Duration,
}

impl Backoff {
    /// Three tries, waits up to 100 ms then 200 ms: for calls inside a request's budget.
    pub const QUICK: Backoff = Backoff {
        attempts: 3,
        base: Duration::from_millis(100),
        cap: Duration::from_secs(1),
    };

    /// The ceiling of the wait after the `failed`-th failure (1-based).
    pub fn ceiling(&self, failed: u32) -> Duration {
        let doublings = failed.saturating_sub(1).min(20);
        self.base.saturating_mul(1 << doublings).min(self.cap)
    }

    /// A wait drawn uniformly from `[0, ceiling(failed)]`.
    pub fn wait(&self, failed: u32) -> Duration {
        let ceiling = self.ceiling(failed);
        let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::thread_rng().gen_range(0..=ms))
    }
}

/// Calls `call` until it succeeds, fails for good (not [`Transient`]), has been tried
/// `backoff.attempts` times, or the next wait would end past `deadline`; the last error is
/// returned. `deadline` is when the caller must have its answer (its own budget's end).
pub async fn retry<T, E, F, Fut>(
    backoff: Backoff,
    deadline: Option<Instant>,
    mut call: F,
) -> Result<T, E>
where
    E: Transient,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut failed = 0;
    loop {
        let error = match call().await {
            Ok(value) => return Ok(value),
            Err(e) => e,
        };
        failed += 1;
        if !error.is_transient() || failed >= backoff.attempts.max(1) {
            return Err(error);
        }
        let wait = backoff.wait(failed);
        if deadline.is_some_and(|d| Instant::now() + wait >= d) {
            return Err(error);
        }
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[derive(Debug, PartialEq)]
    enum E {
        Blip,
        Bad,
    }

    impl Transient for E {
        fn is_transient(&self) -> bool {
            matches!(self, E::Blip)
        }
    }

    const FAST: Backoff = Backoff {
        attempts: 4,
        base: Duration::from_millis(1),
        cap: Duration::from_millis(4),
    };

    #[test]
    fn ceilings_double_up_to_the_cap_and_waits_stay_under_them() {
        let b = Backoff {
            attempts: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(700),
        };
        let ceilings: Vec<_> = (1..=5).map(|n| b.ceiling(n).as_millis()).collect();
        assert_eq!(ceilings, [100, 200, 400, 700, 700]);
        assert!((0..1000).all(|_| b.wait(3) <= Duration::from_millis(400)));
        assert!(
            (0..1000).any(|_| b.wait(3) < Duration::from_millis(200)),
            "full jitter draws from zero up"
        );
        assert_eq!(b.ceiling(u32::MAX), Duration::from_millis(700));
    }

    #[tokio::test]
    async fn transient_errors_are_retried_until_the_attempts_run_out() {
        let calls = AtomicU32::new(0);
        let result: Result<(), E> = retry(FAST, None, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(E::Blip)
        })
        .await;
        assert_eq!(result, Err(E::Blip));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_success_after_blips_is_returned() {
        let calls = AtomicU32::new(0);
        let result = retry(FAST, None, || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(E::Blip),
                n => Ok(n),
            }
        })
        .await;
        assert_eq!(result, Ok(2));
    }

    #[tokio::test]
    async fn bad_input_is_never_retried() {
        let calls = AtomicU32::new(0);
        let result: Result<(), E> = retry(FAST, None, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(E::Bad)
        })
        .await;
        assert_eq!(result, Err(E::Bad));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn no_wait_runs_past_the_deadline() {
        let slow = Backoff {
            attempts: 10,
            base: Duration::from_secs(60),
            cap: Duration::from_secs(60),
        };
        let calls = AtomicU32::new(0);
        let started = Instant::now();
        // A wait of zero can be drawn; only one under 60 s fits before a deadline 50 ms away.
        let deadline = Some(started + Duration::from_millis(50));
        let result: Result<(), E> = retry(slow, deadline, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(E::Blip)
        })
        .await;
        assert_eq!(result, Err(E::Blip));
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
