//! A `redis-server` of a test's own, for what the shared one must not be put through: filling
//! its memory under an eviction policy (`maxmemory`, `maxmemory-policy`), and the like.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` on a free port of 127.0.0.1, without persistence; stopped on drop.
pub struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// Starts one with `args` added to its command line (e.g. `["--maxmemory", "8mb",
    /// "--maxmemory-policy", "noeviction"]`); panics when it does not come up.
    pub fn start(args: &[&str]) -> Self {
        Self::listening(|port| {
            let mut all = vec!["--port".to_owned(), port.to_string()];
            all.extend(args.iter().map(|a| a.to_string()));
            all
        })
    }

    /// Starts one listening as `listen(port)` says on a free port (e.g. a TLS port only:
    /// `--port 0 --tls-port PORT ...`), without persistence; panics when it does not come up.
    pub fn listening(listen: impl Fn(u16) -> Vec<String>) -> Self {
        // The OS picks a free port; if another process takes it before redis-server binds,
        // redis-server exits and another one is tried.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let mut child = Command::new("redis-server")
                .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .args(listen(port))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server (apt-get install redis-server)");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Self { child, port };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("redis-server did not start");
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its URL, for `REDIS_URL`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Fills the server past its `maxmemory` (with `noeviction`, it then refuses every write
    /// with `OOM`); returns the bytes written. Panics if it does not refuse writes afterwards
    /// (no `maxmemory`, or a policy that evicts).
    ///
    /// One `SETRANGE` (a tiny request, accepted while there is room) allocates the room left
    /// plus 2 MB: the memory used ends well over the limit, so the few kilobytes Redis frees by
    /// itself (idle clients' buffers) cannot bring it back under. Filling with many small
    /// writes would stop just over the limit, within what those buffers free.
    pub async fn fill(&self) -> usize {
        let mut conn = self.connection().await;
        let info: String = redis::cmd("INFO")
            .arg("memory")
            .query_async(&mut conn)
            .await
            .expect("INFO memory");
        let field = |name: &str| -> usize {
            info.lines()
                .find_map(|line| line.strip_prefix(&format!("{name}:")))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or_else(|| panic!("INFO memory has no {name}"))
        };
        let (used, max) = (field("used_memory"), field("maxmemory"));
        assert!(max > 0, "start the server with --maxmemory");
        let size = max.saturating_sub(used) + 2 * 1024 * 1024;
        redis::cmd("SETRANGE")
            .arg("filler:0")
            .arg(size - 1)
            .arg("x")
            .query_async::<()>(&mut conn)
            .await
            .expect("SETRANGE while there is room");
        let probe: Result<(), redis::RedisError> = redis::cmd("SET")
            .arg("filler:probe")
            .arg(1)
            .query_async(&mut conn)
            .await;
        match probe {
            Err(e) if e.code() == Some("OOM") => size,
            other => panic!("a full redis-server took a write ({other:?}): is it noeviction?"),
        }
    }

    /// A connection of the test's own (administration: `INFO`, `REPLICAOF`, ...).
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .expect("redis url")
            .get_multiplexed_async_connection()
            .await
            .expect("connect to the test's redis-server")
    }

    /// Deletes what [`RedisServer::fill`] wrote: writes are accepted again.
    pub async fn drain(&self) {
        let mut conn = self.connection().await;
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("filler:*")
            .query_async(&mut conn)
            .await
            .expect("KEYS filler:*");
        for key in keys {
            redis::cmd("DEL")
                .arg(key)
                .query_async::<()>(&mut conn)
                .await
                .expect("DEL");
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
