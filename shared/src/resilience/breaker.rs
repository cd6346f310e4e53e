//! A circuit breaker whose state every instance of every function shares, through the auth
//! Redis (it never evicts, so an open circuit cannot be forgotten under memory pressure).
//!
//! Why shared: Lambda runs many instances at once. A per-instance breaker lets each of them
//! spend its own `failures` calls (and as many timeouts) on a dependency that is down, and a
//! fresh instance knows nothing; with the state in Redis, the first few failures anywhere open
//! the circuit everywhere, and exactly one call (from any instance) tries the dependency
//! again after the cool-down.
//!
//! The seed's three states:
//! - **closed**: calls go through; a call that fails *because of the dependency* ([`Fault`])
//!   is counted, and [`Policy::failures`] of them within [`Policy::window`], with no success
//!   in between, open the circuit (a success clears the count: a dependency that answers most
//!   calls is not cut off for a few failures among thousands). A caller's bad input is never
//!   counted, so malformed requests cannot open a circuit for everyone.
//! - **open**: calls are refused at once ([`Refused`]) until [`Policy::cool_down`] has passed.
//! - **half-open**: one call (the trial) goes through, the others are still refused; the
//!   trial's success closes the circuit, its failure opens it for another cool-down. A trial
//!   that never reports (its instance died) frees the slot after [`Policy::trial_timeout`].
//!
//! If Redis itself does not answer (within [`TIMEOUTS`]), the instance falls back to a
//! breaker of its own with the same rules, and leaves Redis alone for [`REDIS_BACKOFF`] so an
//! outage costs one short timeout per second, not one per call. A call's outcome is recorded
//! in the circuit that let it through. Times in the shared circuit are Redis's own clock
//! (`TIME`), so instances' clocks never disagree about when it opened.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::cache::{Redis, Timeouts};

/// The breaker's budget on Redis: far below the auth state's, since a breaker that cannot
/// reach Redis still decides (on its own).
pub const TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_millis(500),
    response: Duration::from_millis(250),
};

/// After Redis failed, the instance decides alone this long before trying Redis again.
pub const REDIS_BACKOFF: Duration = Duration::from_secs(1);

/// When a circuit opens and how long it stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Faults within [`Policy::window`] that open the circuit.
    pub failures: u32,
    /// The span the faults are counted in (a fixed window from the first fault).
    pub window: Duration,
    /// How long an open circuit refuses every call before it lets one trial through.
    pub cool_down: Duration,
    /// How long a trial holds the half-open slot before another call may try: longer than
    /// the call can take, so two trials never overlap.
    pub trial_timeout: Duration,
}

impl Policy {
    /// Five faults in 30 s open the circuit for 30 s (the seed's numbers).
    pub const DEFAULT: Policy = Policy {
        failures: 5,
        window: Duration::from_secs(30),
        cool_down: Duration::from_secs(30),
        trial_timeout: Duration::from_secs(30),
    };

    /// How long Redis keeps a circuit's state after its last change: past any window, open
    /// spell and trial, so a state only expires once it no longer matters.
    fn state_ttl(&self) -> Duration {
        (self.window + self.cool_down + self.trial_timeout) * 4
    }
}

/// Whether an error is the dependency's fault (it counts towards opening the circuit) or
/// the caller's (bad input, a refusal that proves the dependency is up: not counted).
pub trait Fault {
    /// `true` if the dependency failed: unreachable, timed out, answered 5xx.
    fn is_fault(&self) -> bool;
}

/// A call was refused without being made: the circuit is open (or half-open with its trial
/// running).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("circuit {name} is open; retry after {retry_after:?}")]
pub struct Refused {
    /// The circuit's name.
    pub name: &'static str,
    /// When a call may be let through again (at the earliest).
    pub retry_after: Duration,
}

/// A call through the breaker failed: refused, or made and failed.
#[derive(Debug, thiserror::Error)]
pub enum Tripped<E> {
    /// Not made: the circuit is open.
    #[error(transparent)]
    Open(#[from] Refused),
    /// Made, and it failed (counted if it was the dependency's [`Fault`]).
    #[error(transparent)]
    Failed(E),
}

/// A circuit's state, as an operator (or a test) sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Calls go through; `failures` counted in the current window.
    Closed {
        /// Faults counted so far in the window.
        failures: u32,
    },
    /// Calls are refused for `retry_after` more.
    Open {
        /// Cool-down left.
        retry_after: Duration,
    },
    /// The cool-down has passed: the next call is the trial (or a trial is running).
    HalfOpen,
}

/// What the circuit lets a call do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admission {
    /// Closed: go. `counted`: faults are counted in the window (a success clears them).
    Go { counted: bool },
    /// Half-open: go, as the one trial.
    Trial,
    /// Open: do not call; `ms` until it may be tried.
    Wait { ms: u64 },
}

/// Which circuit let a call through: its outcome is recorded in the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Shared,
    Local,
}

/// How an admitted call ended, for the circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The dependency answered (even if the answer was "your input is wrong").
    Answered,
    /// The dependency failed.
    Faulted,
}

/// One circuit, shared through Redis by every instance that names it. Cheap to clone; clones
/// share the fallback state.
#[derive(Clone)]
pub struct Breaker {
    name: &'static str,
    policy: Policy,
    shared: Option<Shared>,
    /// This instance's own circuit, used while Redis does not answer.
    local: Arc<Mutex<Circuit>>,
    /// Redis is left alone until then (ms since the epoch).
    skip_redis_until: Arc<Mutex<u64>>,
}

/// The circuit in Redis: one hash per circuit, read and changed only by the scripts below.
#[derive(Clone)]
struct Shared {
    redis: Redis,
    key: String,
    admit: Arc<redis::Script>,
    record: Arc<redis::Script>,
    read: Arc<redis::Script>,
}

impl Breaker {
    /// A circuit named `name` (`smtp`, `cloudinary`), shared under `<key_prefix>breaker:<name>`
    /// on `redis` (best connected with [`TIMEOUTS`]).
    pub fn shared(name: &'static str, policy: Policy, redis: Redis, key_prefix: &str) -> Self {
        Self {
            shared: Some(Shared {
                redis,
                key: format!("{key_prefix}breaker:{name}"),
                admit: Arc::new(redis::Script::new(ADMIT)),
                record: Arc::new(redis::Script::new(RECORD)),
                read: Arc::new(redis::Script::new(READ)),
            }),
            ..Self::local(name, policy)
        }
    }

    /// [`Breaker::shared`] on the auth Redis `config` names, connected with [`TIMEOUTS`]
    /// (lazily: a Redis that is down costs no cold start).
    pub async fn connect(
        name: &'static str,
        policy: Policy,
        config: &crate::config::RedisConfig,
    ) -> Result<Self, redis::RedisError> {
        let redis = crate::cache::connect_with(config, TIMEOUTS).await?;
        Ok(Self::shared(name, policy, redis, &config.key_prefix))
    }

    /// A circuit this instance keeps alone (tools, tests, a function without Redis).
    pub fn local(name: &'static str, policy: Policy) -> Self {
        Self {
            name,
            policy,
            shared: None,
            local: Arc::new(Mutex::new(Circuit::default())),
            skip_redis_until: Arc::new(Mutex::new(0)),
        }
    }

    /// The circuit's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Makes the call `call` if the circuit lets it, and counts how it ended.
    ///
    /// `call` is a future: it does nothing until polled, so a refused call is never started.
    pub async fn call<T, E, F>(&self, call: F) -> Result<T, Tripped<E>>
    where
        E: Fault,
        F: Future<Output = Result<T, E>>,
    {
        let (admission, via) = self.admit().await;
        if let Admission::Wait { ms } = admission {
            return Err(Tripped::Open(Refused {
                name: self.name,
                retry_after: Duration::from_millis(ms),
            }));
        }
        let result = call.await;
        let outcome = match &result {
            Err(e) if e.is_fault() => Outcome::Faulted,
            _ => Outcome::Answered,
        };
        self.report(admission, via, outcome).await;
        result.map_err(Tripped::Failed)
    }

    /// The circuit's state now (Redis's, or this instance's while Redis does not answer).
    pub async fn state(&self) -> State {
        let now = now_ms();
        if let Some(shared) = self.reachable_shared(now) {
            let mut redis = shared.redis.clone();
            let read = shared
                .read
                .key(&shared.key)
                .invoke_async::<(u32, u64, u32)>(&mut redis)
                .await;
            match read {
                Ok(raw) => return State::from_raw(raw),
                Err(e) => self.redis_failed(now, &e),
            }
        }
        self.lock_local().state(now)
    }

    async fn admit(&self) -> (Admission, Via) {
        let now = now_ms();
        if let Some(shared) = self.reachable_shared(now) {
            let mut redis = shared.redis.clone();
            let answer = shared
                .admit
                .key(&shared.key)
                .arg(ms(self.policy.trial_timeout))
                .invoke_async::<(u8, u64)>(&mut redis)
                .await;
            let admission = match answer {
                Ok((0, failures)) => Some(Admission::Go {
                    counted: failures > 0,
                }),
                Ok((1, _)) => {
                    tracing::info!(
                        circuit = self.name,
                        "circuit half-open: this call is the trial"
                    );
                    Some(Admission::Trial)
                }
                Ok((_, wait)) => Some(Admission::Wait { ms: wait.max(1) }),
                Err(e) => {
                    self.redis_failed(now, &e);
                    None
                }
            };
            if let Some(admission) = admission {
                return (admission, Via::Shared);
            }
        }
        (self.lock_local().admit(now, &self.policy), Via::Local)
    }

    async fn report(&self, admission: Admission, via: Via, outcome: Outcome) {
        if admission == (Admission::Go { counted: false }) && outcome == Outcome::Answered {
            // The common case writes nothing.
            return;
        }
        let now = now_ms();
        let opened = match (via, &self.shared) {
            (Via::Shared, Some(shared)) => {
                let mut redis = shared.redis.clone();
                let answer = shared
                    .record
                    .key(&shared.key)
                    .arg(matches!(outcome, Outcome::Faulted) as u8)
                    .arg(matches!(admission, Admission::Trial) as u8)
                    .arg(self.policy.failures)
                    .arg(ms(self.policy.window))
                    .arg(ms(self.policy.cool_down))
                    .arg(ms(self.policy.state_ttl()))
                    .invoke_async::<u8>(&mut redis)
                    .await;
                match answer {
                    Ok(opened) => opened == 1,
                    Err(e) => {
                        // Not recorded: a trial's slot frees itself after its timeout.
                        self.redis_failed(now, &e);
                        return;
                    }
                }
            }
            _ => self
                .lock_local()
                .record(now, admission, outcome, &self.policy),
        };
        self.log_change(admission, outcome, opened);
    }

    fn log_change(&self, admission: Admission, outcome: Outcome, opened: bool) {
        match (admission, outcome) {
            (Admission::Trial, Outcome::Answered) => {
                tracing::info!(
                    circuit = self.name,
                    "circuit closed: the trial call succeeded"
                );
            }
            (_, Outcome::Faulted) if opened => tracing::warn!(
                circuit = self.name,
                cool_down_ms = ms(self.policy.cool_down),
                "circuit open: calls are refused until the cool-down has passed"
            ),
            _ => {}
        }
    }

    /// The shared circuit, unless Redis failed less than [`REDIS_BACKOFF`] ago.
    fn reachable_shared(&self, now: u64) -> Option<&Shared> {
        let shared = self.shared.as_ref()?;
        let skip_until = *self
            .skip_redis_until
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        (now >= skip_until).then_some(shared)
    }

    fn redis_failed(&self, now: u64, e: &redis::RedisError) {
        tracing::warn!(
            circuit = self.name,
            error = %e,
            "circuit state unreachable in redis: this instance decides alone for now"
        );
        *self
            .skip_redis_until
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = now + ms(REDIS_BACKOFF);
    }

    fn lock_local(&self) -> std::sync::MutexGuard<'_, Circuit> {
        // A panic while holding the lock cannot leave the plain numbers half-written.
        self.local.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl State {
    /// `(failures, open_ms_left, half_open)` as the READ script returns them.
    fn from_raw((failures, open_left, half_open): (u32, u64, u32)) -> Self {
        match (open_left, half_open) {
            (0, 0) => State::Closed { failures },
            (0, _) => State::HalfOpen,
            (left, _) => State::Open {
                retry_after: Duration::from_millis(left),
            },
        }
    }
}

/// The same state machine as the scripts, for one instance alone (Redis unreachable).
#[derive(Debug, Default, Clone, Copy)]
struct Circuit {
    failures: u32,
    /// The current counting window ends then (ms since the epoch; 0: no window).
    window_end: u64,
    /// Open until then (0: closed).
    open_until: u64,
    /// A trial holds the half-open slot until then.
    trial_until: u64,
}

impl Circuit {
    fn admit(&mut self, now: u64, policy: &Policy) -> Admission {
        if self.open_until == 0 {
            return Admission::Go {
                counted: self.failures > 0 && now < self.window_end,
            };
        }
        if now < self.open_until {
            return Admission::Wait {
                ms: self.open_until - now,
            };
        }
        if now < self.trial_until {
            return Admission::Wait {
                ms: self.trial_until - now,
            };
        }
        self.trial_until = now + ms(policy.trial_timeout);
        Admission::Trial
    }

    /// Counts an outcome; `true` if it opened the circuit.
    fn record(
        &mut self,
        now: u64,
        admission: Admission,
        outcome: Outcome,
        policy: &Policy,
    ) -> bool {
        match (admission, outcome) {
            (Admission::Trial, Outcome::Answered) => {
                *self = Circuit::default();
                false
            }
            (Admission::Trial, Outcome::Faulted) => {
                *self = Circuit {
                    open_until: now + ms(policy.cool_down),
                    ..Circuit::default()
                };
                true
            }
            (_, Outcome::Answered) => {
                if self.open_until == 0 {
                    // A success clears the count: only faults with no success between open.
                    self.failures = 0;
                    self.window_end = 0;
                }
                false
            }
            (_, Outcome::Faulted) => {
                if self.open_until != 0 {
                    // Admitted before the circuit opened: already counted as open.
                    return false;
                }
                if now >= self.window_end {
                    self.failures = 0;
                    self.window_end = now + ms(policy.window);
                }
                self.failures += 1;
                if self.failures < policy.failures {
                    return false;
                }
                *self = Circuit {
                    open_until: now + ms(policy.cool_down),
                    ..Circuit::default()
                };
                true
            }
        }
    }

    fn state(&self, now: u64) -> State {
        match self.open_until {
            0 if now < self.window_end => State::Closed {
                failures: self.failures,
            },
            0 => State::Closed { failures: 0 },
            open_until if now < open_until => State::Open {
                retry_after: Duration::from_millis(open_until - now),
            },
            _ => State::HalfOpen,
        }
    }
}

/// Redis's clock in ms, as `now` in each script (`TIME`: effects replication, the default
/// since Redis 5, lets a script write after it).
macro_rules! redis_now {
    () => {
        "local t = redis.call('TIME')\nlocal now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    };
}

/// Admission: `{0, faults counted}` closed, `{1, 0}` half-open and this call is the trial,
/// `{2, ms}` wait. ARGV: trial timeout (ms).
const ADMIT: &str = concat!(
    redis_now!(),
    r"
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
if open_until == 0 then
  if now >= tonumber(redis.call('HGET', KEYS[1], 'window_end') or '0') then return {0, 0} end
  return {0, tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')}
end
if now < open_until then return {2, open_until - now} end
local trial_until = tonumber(redis.call('HGET', KEYS[1], 'trial_until') or '0')
if now < trial_until then return {2, trial_until - now} end
redis.call('HSET', KEYS[1], 'trial_until', now + tonumber(ARGV[1]))
return {1, 0}
"
);

/// Records an admitted call's outcome; returns 1 if it opened the circuit.
/// ARGV: faulted (0/1), was the trial (0/1), failures threshold, window, cool-down, state ttl
/// (times in ms).
const RECORD: &str = concat!(
    redis_now!(),
    r"
local faulted = ARGV[1] == '1'
local trial = ARGV[2] == '1'
local cool_down = tonumber(ARGV[5])
local ttl = tonumber(ARGV[6])
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
if not faulted then
  if trial then
    redis.call('DEL', KEYS[1])
  elseif open_until == 0 then
    redis.call('HDEL', KEYS[1], 'failures', 'window_end')
  end
  return 0
end
if trial then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'open_until', now + cool_down)
  redis.call('PEXPIRE', KEYS[1], ttl)
  return 1
end
if open_until ~= 0 then return 0 end
local failures
if now >= tonumber(redis.call('HGET', KEYS[1], 'window_end') or '0') then
  failures = 1
  redis.call('HSET', KEYS[1], 'failures', 1, 'window_end', now + tonumber(ARGV[4]))
else
  failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
end
if failures >= tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'open_until', now + cool_down)
  redis.call('PEXPIRE', KEYS[1], ttl)
  return 1
end
redis.call('PEXPIRE', KEYS[1], ttl)
return 0
"
);

/// `{faults in the window, ms the circuit stays open (0: not open), half-open (0/1)}`.
const READ: &str = concat!(
    redis_now!(),
    r"
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
if open_until ~= 0 then
  if now < open_until then return {0, open_until - now, 0} end
  return {0, 0, 1}
end
if now >= tonumber(redis.call('HGET', KEYS[1], 'window_end') or '0') then return {0, 0, 0} end
return {tonumber(redis.call('HGET', KEYS[1], 'failures') or '0'), 0, 0}
"
);

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: Policy = Policy {
        failures: 3,
        window: Duration::from_secs(10),
        cool_down: Duration::from_secs(5),
        trial_timeout: Duration::from_secs(2),
    };

    fn fault(c: &mut Circuit, now: u64) -> bool {
        let admission = c.admit(now, &POLICY);
        c.record(now, admission, Outcome::Faulted, &POLICY)
    }

    #[test]
    fn the_local_circuit_goes_through_every_state() {
        let mut c = Circuit::default();
        assert!(!fault(&mut c, 1_000));
        assert!(!fault(&mut c, 2_000));
        assert_eq!(c.state(2_000), State::Closed { failures: 2 });
        assert!(
            fault(&mut c, 3_000),
            "the third fault in the window opens it"
        );
        assert_eq!(c.admit(4_000, &POLICY), Admission::Wait { ms: 4_000 });
        assert_eq!(c.state(8_000), State::HalfOpen);
        assert_eq!(c.admit(8_000, &POLICY), Admission::Trial);
        assert_eq!(
            c.admit(8_500, &POLICY),
            Admission::Wait { ms: 1_500 },
            "one trial at a time"
        );
        assert!(!c.record(9_000, Admission::Trial, Outcome::Answered, &POLICY));
        assert_eq!(c.state(9_000), State::Closed { failures: 0 });
        for t in [9_100, 9_200, 9_300] {
            fault(&mut c, t);
        }
        assert_eq!(
            c.state(9_300),
            State::Open {
                retry_after: Duration::from_secs(5)
            }
        );
        // A failed trial opens it for another cool-down.
        assert_eq!(c.admit(14_300, &POLICY), Admission::Trial);
        assert!(c.record(14_400, Admission::Trial, Outcome::Faulted, &POLICY));
        assert_eq!(c.admit(14_500, &POLICY), Admission::Wait { ms: 4_900 });
    }

    #[test]
    fn faults_count_within_their_window_and_a_success_clears_them() {
        let mut c = Circuit::default();
        fault(&mut c, 0);
        fault(&mut c, 1);
        assert!(!fault(&mut c, 10_000), "a new window starts at one");
        assert_eq!(c.state(10_000), State::Closed { failures: 1 });
        assert_eq!(c.admit(10_001, &POLICY), Admission::Go { counted: true });
        c.record(
            10_001,
            Admission::Go { counted: true },
            Outcome::Answered,
            &POLICY,
        );
        assert_eq!(c.state(10_002), State::Closed { failures: 0 });
        assert_eq!(c.admit(10_002, &POLICY), Admission::Go { counted: false });
        // Faults among successes never open it; in a row they do.
        for t in 0..20 {
            fault(&mut c, 10_100 + t * 2);
            let admission = c.admit(10_101 + t * 2, &POLICY);
            c.record(10_101 + t * 2, admission, Outcome::Answered, &POLICY);
        }
        assert_eq!(c.state(10_200), State::Closed { failures: 0 });
        fault(&mut c, 10_300);
        fault(&mut c, 10_301);
        assert!(fault(&mut c, 10_302));
    }

    #[test]
    fn an_abandoned_trial_frees_the_slot_after_its_timeout() {
        let mut c = Circuit::default();
        for t in 0..3 {
            fault(&mut c, t);
        }
        assert_eq!(c.admit(6_000, &POLICY), Admission::Trial);
        assert_eq!(c.admit(7_999, &POLICY), Admission::Wait { ms: 1 });
        assert_eq!(c.admit(8_000, &POLICY), Admission::Trial);
    }
}
