//! The circuit breaker against a real Redis: two breakers with the same name stand for two
//! Lambda instances, sharing one circuit; with Redis gone, each decides alone.
#![cfg(feature = "testing")]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use streamia_shared::cache::{self, Redis, Timeouts};
use streamia_shared::config::RedisConfig;
use streamia_shared::resilience::breaker::{self, Breaker, Fault, Policy, State, Tripped};
use streamia_shared::testing::redis_server::RedisServer;

/// What the fake dependency answers.
#[derive(Debug, PartialEq)]
enum Dep {
    /// It is down.
    Down,
    /// The caller sent something wrong; the dependency itself is fine.
    BadInput,
}

impl Fault for Dep {
    fn is_fault(&self) -> bool {
        matches!(self, Dep::Down)
    }
}

const POLICY: Policy = Policy {
    failures: 3,
    window: Duration::from_secs(30),
    cool_down: Duration::from_secs(2),
    trial_timeout: Duration::from_secs(5),
};

/// A connection with the auth state's generous timeouts: on a loaded test machine a short
/// one would send the breaker to its per-instance fallback and blur what is tested.
async fn redis_at(url: String) -> Redis {
    redis_with(url, Timeouts::AUTH).await
}

async fn redis_with(url: String, timeouts: Timeouts) -> Redis {
    let config = RedisConfig {
        url,
        key_prefix: "t:".to_owned(),
        ca_cert: None,
    };
    cache::connect_with(&config, timeouts).await.unwrap()
}

/// Two instances of one circuit, under a name of their own (tests share the server).
async fn two_instances(server: &RedisServer) -> (Breaker, Breaker) {
    let name: &'static str = Box::leak(uuid::Uuid::new_v4().to_string().into_boxed_str());
    let a = Breaker::shared(name, POLICY, redis_at(server.url()).await, "t:");
    let b = Breaker::shared(name, POLICY, redis_at(server.url()).await, "t:");
    (a, b)
}

async fn fail(b: &Breaker, why: Dep) -> Result<(), Tripped<Dep>> {
    b.call(async { Err::<(), _>(why) }).await
}

async fn succeed(b: &Breaker, calls: &AtomicU32) -> Result<(), Tripped<Dep>> {
    b.call(async {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok::<(), Dep>(())
    })
    .await
}

#[tokio::test]
async fn two_instances_share_one_circuit_through_every_state() {
    let server = RedisServer::start(&[]);
    let (a, b) = two_instances(&server).await;
    let calls = AtomicU32::new(0);

    // Closed: faults on both instances add up.
    assert!(matches!(
        fail(&a, Dep::Down).await,
        Err(Tripped::Failed(Dep::Down))
    ));
    assert!(matches!(fail(&b, Dep::Down).await, Err(Tripped::Failed(_))));
    assert_eq!(a.state().await, State::Closed { failures: 2 });
    assert!(matches!(fail(&a, Dep::Down).await, Err(Tripped::Failed(_))));

    // Open: the other instance refuses too, without calling.
    match succeed(&b, &calls).await {
        Err(Tripped::Open(refused)) => {
            assert!(refused.retry_after <= POLICY.cool_down && !refused.retry_after.is_zero())
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "a refused call is never made"
    );
    assert!(matches!(b.state().await, State::Open { .. }));

    // Half-open after the cool-down: one trial (on b), the other instance still refused.
    tokio::time::sleep(POLICY.cool_down).await;
    assert_eq!(a.state().await, State::HalfOpen);
    let trial = b.call(async {
        // While the trial runs, a is refused.
        let during = a.call(async { Ok::<(), Dep>(()) }).await;
        assert!(matches!(during, Err(Tripped::Open(_))), "{during:?}");
        Ok::<(), Dep>(())
    });
    trial.await.unwrap();

    // The trial succeeded: closed for both, count reset.
    assert_eq!(a.state().await, State::Closed { failures: 0 });
    succeed(&a, &calls).await.unwrap();
    succeed(&b, &calls).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // And open again after three more faults; a failed trial keeps it open.
    for _ in 0..3 {
        let _ = fail(&b, Dep::Down).await;
    }
    assert!(matches!(a.state().await, State::Open { .. }));
    tokio::time::sleep(POLICY.cool_down).await;
    assert!(
        matches!(fail(&a, Dep::Down).await, Err(Tripped::Failed(_))),
        "the trial"
    );
    assert!(
        matches!(b.state().await, State::Open { .. }),
        "a failed trial reopens"
    );
}

#[tokio::test]
async fn bad_input_never_opens_the_circuit() {
    let server = RedisServer::start(&[]);
    let (a, b) = two_instances(&server).await;
    for _ in 0..20 {
        assert!(matches!(
            fail(&a, Dep::BadInput).await,
            Err(Tripped::Failed(Dep::BadInput))
        ));
    }
    assert_eq!(b.state().await, State::Closed { failures: 0 });
    let calls = AtomicU32::new(0);
    succeed(&b, &calls).await.unwrap();
}

#[tokio::test]
async fn with_redis_down_each_instance_decides_alone() {
    let server = RedisServer::start(&[]);
    let (a, b) = two_instances(&server).await;
    drop(server);

    for _ in 0..3 {
        assert!(matches!(fail(&a, Dep::Down).await, Err(Tripped::Failed(_))));
    }
    let calls = AtomicU32::new(0);
    assert!(
        matches!(succeed(&a, &calls).await, Err(Tripped::Open(_))),
        "a opened its own circuit"
    );
    assert!(matches!(a.state().await, State::Open { .. }));
    succeed(&b, &calls).await.unwrap();
    assert_eq!(
        b.state().await,
        State::Closed { failures: 0 },
        "b knows nothing of a's"
    );

    // a's own circuit half-opens and closes like the shared one.
    tokio::time::sleep(POLICY.cool_down).await;
    succeed(&a, &calls).await.unwrap();
    assert_eq!(a.state().await, State::Closed { failures: 0 });
}

#[tokio::test]
async fn a_hanging_redis_costs_a_call_one_short_timeout_then_none() {
    let hanging = streamia_shared::testing::faults::HangingListener::start().await;
    let name: &'static str = "hanging";
    let b = Breaker::shared(
        name,
        POLICY,
        redis_with(format!("redis://{}/", hanging.addr()), breaker::TIMEOUTS).await,
        "t:",
    );
    let calls = AtomicU32::new(0);
    succeed(&b, &calls).await.unwrap();
    // Within the backoff, Redis is not asked again: the call is made at once.
    let started = std::time::Instant::now();
    succeed(&b, &calls).await.unwrap();
    assert!(started.elapsed() < breaker::TIMEOUTS.connect);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}
