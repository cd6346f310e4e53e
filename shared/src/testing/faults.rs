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
