//! Dependencies that misbehave on purpose, for tests proving that a hanging Redis, SNS or
//! MongoDB costs a request a bounded time and a 503, never the function's whole timeout.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A TCP server that accepts every connection and never answers (a dependency that hangs:
/// a stuck process, a black-holed network path behind a load balancer).
pub struct HangingListener {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl HangingListener {
    /// Listens on a free local port; connections are held open, silent, until drop.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        let addr = listener.local_addr().expect("local addr");
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        Self { addr, task }
    }

    /// `host:port` to point a client at.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for HangingListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A TCP proxy in front of a real dependency that can be frozen: once frozen it stops
/// forwarding in both directions but keeps every connection open, so an established client
/// connection suddenly hangs.
pub struct FreezableProxy {
    addr: SocketAddr,
    frozen: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl FreezableProxy {
    /// Proxies a free local port to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        let addr = listener.local_addr().expect("local addr");
        let frozen = Arc::new(AtomicBool::new(false));
        let flag = frozen.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let flag = flag.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        pipe_until_frozen(client, server, flag).await;
                    }
                });
            }
        });
        Self { addr, frozen, task }
    }

    /// `host:port` to point a client at.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// From now on nothing is forwarded; connections stay open and silent.
    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }
}

impl Drop for FreezableProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Copies bytes both ways; a chunk read after the freeze is dropped and the connection is
/// then held without reading further, as a hung peer would.
async fn pipe_until_frozen(client: TcpStream, server: TcpStream, frozen: Arc<AtomicBool>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let up = forward(&mut client_read, &mut server_write, &frozen);
    let down = forward(&mut server_read, &mut client_write, &frozen);
    let _ = tokio::join!(up, down);
    // Keep both sockets open (silent) until the test ends.
    std::future::pending::<()>().await;
}

async fn forward(
    from: &mut tokio::net::tcp::OwnedReadHalf,
    to: &mut tokio::net::tcp::OwnedWriteHalf,
    frozen: &AtomicBool,
) {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if frozen.load(Ordering::SeqCst) {
            return;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// An endpoint that is down (nothing listens on its port: connections are refused, as from a
/// service that is not there) until [`DownEndpoint::come_up`] forwards it to the real one.
pub struct DownEndpoint {
    port: u16,
    task: Option<JoinHandle<()>>,
}

impl DownEndpoint {
    /// A free local port, left closed.
    pub fn new() -> Self {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let port = probe.local_addr().expect("local addr").port();
        Self { port, task: None }
    }

    /// `http://127.0.0.1:PORT`, to point a client at.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// From now on the port accepts and forwards every connection to `upstream` (`host:port`).
    pub async fn come_up(&mut self, upstream: String) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("bind the endpoint's port");
        self.task = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        }));
    }
}

impl Default for DownEndpoint {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for DownEndpoint {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// `host:port` of the LocalStack the test command started (`AWS_ENDPOINT_URL`).
pub fn localstack_addr() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .unwrap_or_else(|_| "http://127.0.0.1:4566".to_owned())
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}
