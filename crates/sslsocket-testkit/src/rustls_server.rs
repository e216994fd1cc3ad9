//! A native TLS server (rustls with the ring provider) on loopback, run in host threads: the peer
//! of `sslsocket demo` and `bench` and of the data-path tests.

use std::io::{self, Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use anyhow::Context as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// One accepted TLS connection.
pub type TlsStream = StreamOwned<ServerConnection, TcpStream>;

/// What the server does with each connection, in its own thread.
pub type Handler = Arc<dyn Fn(&mut TlsStream) + Send + Sync>;

/// Whether a [`TlsServer`] lets clients resume earlier sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resumption {
    /// Session IDs and TLS 1.3 tickets, as rustls does by default.
    Allowed,
    /// Every handshake is a full one: no session cache, no tickets.
    Disabled,
}

/// A TLS server on 127.0.0.1 (port chosen by the OS) that runs a [`Handler`] per connection. Stops
/// accepting when dropped.
pub struct TlsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TlsServer {
    /// Starts a server with this certificate chain (leaf first, DER) and PKCS#8 key (DER).
    pub fn start(chain: &[Vec<u8>], key_pkcs8: &[u8], handler: Handler) -> anyhow::Result<Self> {
        Self::start_with(chain, key_pkcs8, handler, Resumption::Allowed)
    }

    /// As [`TlsServer::start`], choosing whether sessions resume.
    pub fn start_with(
        chain: &[Vec<u8>],
        key_pkcs8: &[u8],
        handler: Handler,
        resumption: Resumption,
    ) -> anyhow::Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Self::start_with_provider(chain, key_pkcs8, handler, resumption, provider)
    }

    /// As [`TlsServer::start_with`], with another rustls crypto provider than *ring* (for
    /// example sslsocket's own, natively, for its post-quantum groups).
    pub fn start_with_provider(
        chain: &[Vec<u8>],
        key_pkcs8: &[u8],
        handler: Handler,
        resumption: Resumption,
        provider: Arc<rustls::crypto::CryptoProvider>,
    ) -> anyhow::Result<Self> {
        let chain: Vec<CertificateDer<'static>> = chain
            .iter()
            .map(|der| CertificateDer::from(der.clone()))
            .collect();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8.to_vec()));
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .context("server certificate and key")?;
        if resumption == Resumption::Disabled {
            config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
            config.send_tls13_tickets = 0;
        }
        let config = Arc::new(config);
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = Arc::clone(&stop);
        let thread = thread::spawn(move || accept_loop(&listener, &config, &handler, &stop_flag));
        Ok(Self {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// A server that echoes every byte back until the client closes.
    pub fn echo(chain: &[Vec<u8>], key_pkcs8: &[u8]) -> anyhow::Result<Self> {
        Self::start(chain, key_pkcs8, Arc::new(echo))
    }

    /// The address it listens on (127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept_loop(
    listener: &TcpListener,
    config: &Arc<ServerConfig>,
    handler: &Handler,
    stop: &AtomicBool,
) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        // Small TLS records (tickets, 1-byte answers) must not wait for delayed ACKs.
        let _ = stream.set_nodelay(true);
        let Ok(conn) = ServerConnection::new(Arc::clone(config)) else {
            continue;
        };
        let handler = Arc::clone(handler);
        thread::spawn(move || {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
            let mut tls = StreamOwned::new(conn, stream);
            handler(&mut tls);
        });
    }
}

/// The echo handler: writes back every byte read, then sends `close_notify` when the client closes.
pub fn echo(tls: &mut TlsStream) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tls.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let Some(chunk) = buf.get(..n) else { break };
                if tls.write_all(chunk).and_then(|()| tls.flush()).is_err() {
                    return;
                }
            }
        }
    }
    close(tls);
}

/// Sends `close_notify` and flushes; errors are ignored (the peer may be gone).
pub fn close(tls: &mut TlsStream) {
    tls.conn.send_close_notify();
    let _ = tls.flush();
    let _ = tls.sock.shutdown(std::net::Shutdown::Write);
}

/// Writes `pieces` as separate TLS records (one `write` + flush each), pausing between them so that
/// they also arrive in separate TCP segments.
pub fn write_records(tls: &mut TlsStream, pieces: &[&[u8]], pause: Duration) -> io::Result<()> {
    for piece in pieces {
        tls.write_all(piece)?;
        tls.flush()?;
        thread::sleep(pause);
    }
    Ok(())
}
