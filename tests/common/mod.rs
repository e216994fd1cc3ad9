//! Shared helpers of the integration tests: temp directories, test PKI on disk, real TLS peers on
//! 127.0.0.1 (`openssl s_server`, a Python `ssl` STARTTLS server) and component shortcuts.
//!
//! Also used by `host-examples/cli/tests/cli.rs` and `host-examples/rust/tests/stream.rs` through
//! `#[path]`.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod scenarios;
pub mod server;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use sslsocket_host::testpki::{Authority, Identity, Usage};
use sslsocket_host::{ErrorCode, NetworkPolicy, Session, SessionConfig, SocketEvent, SslSocket};

/// Milliseconds for every wait of the tests.
pub const WAIT_MS: i32 = 10_000;

/// A directory under `std::env::temp_dir()`, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path =
            std::env::temp_dir().join(format!("sslsocket-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `contents` to `name` in the directory and returns the path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A CA with a server identity (`localhost` + 127.0.0.1) and a client identity, all on disk.
pub struct TestPki {
    pub dir: TempDir,
    pub ca: Authority,
    pub server: Identity,
    pub client: Identity,
    pub ca_pem: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

/// The subject the guest reports for the test server certificate.
pub const SERVER_SUBJECT: &str = "CN=localhost, O=sslsocket test";
/// The subject of the test CA.
pub const CA_SUBJECT: &str = "CN=sslsocket test CA, O=sslsocket test";
/// The subject of the test client certificate.
pub const CLIENT_SUBJECT: &str = "CN=sslsocket client, O=sslsocket test";

pub enum KeyKind {
    EcdsaP256,
    Rsa2048,
}

impl TestPki {
    pub fn new(tag: &str, kind: KeyKind) -> Self {
        let dir = TempDir::new(tag);
        let ca = Authority::new("sslsocket test CA").unwrap();
        let names = ["localhost", "127.0.0.1"];
        let server = match kind {
            KeyKind::EcdsaP256 => ca.issue("localhost", &names, Usage::Server).unwrap(),
            KeyKind::Rsa2048 => {
                let key = openssl_rsa_key(&dir, 2048);
                ca.issue_with_key("localhost", &names, Usage::Server, key)
                    .unwrap()
            }
        };
        let client = ca.issue("sslsocket client", &[], Usage::Client).unwrap();
        Self {
            ca_pem: dir.write("ca.pem", &ca.cert_pem),
            server_cert: dir.write("server.pem", &server.cert_pem),
            server_key: dir.write("server.key", &server.key_pem),
            client_cert: dir.write("client.pem", &client.cert_pem),
            client_key: dir.write("client.key", &client.key_pem),
            dir,
            ca,
            server,
            client,
        }
    }
}

/// An RSA key made by `openssl genpkey` (ring cannot generate RSA keys), loaded into rcgen.
pub fn openssl_rsa_key(dir: &TempDir, bits: u32) -> rcgen::KeyPair {
    rcgen::KeyPair::from_pem(&openssl_rsa_key_pem(dir, bits)).unwrap()
}

/// An RSA private key (PKCS#8 PEM) made by `openssl genpkey`.
pub fn openssl_rsa_key_pem(dir: &TempDir, bits: u32) -> String {
    let path = dir.path().join(format!("rsa{bits}.key"));
    let status = Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt"])
        .arg(format!("rsa_keygen_bits:{bits}"))
        .arg("-out")
        .arg(&path)
        .stderr(Stdio::null())
        .status()
        .expect("openssl genpkey");
    assert!(status.success(), "openssl genpkey failed");
    std::fs::read_to_string(&path).unwrap()
}

/// A port that was free a moment ago (bind port 0, read it back, close).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// A child process killed (and reaped) on drop, with its stdout collected by a thread.
pub struct Peer {
    child: Child,
    _stdin: Option<ChildStdin>,
    pub port: u16,
    output: Arc<Mutex<Vec<String>>>,
}

impl Peer {
    /// The stdout lines so far.
    pub fn output(&self) -> Vec<String> {
        self.output.lock().unwrap().clone()
    }

    /// Waits until a stdout line contains `needle`; returns whether it did within `timeout`.
    pub fn wait_for_output(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.output().iter().any(|l| l.contains(needle)) {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `command` with piped stdio and waits until a stdout line satisfies `ready` (which may
/// return the port). Returns `None` when the process exits or stays silent for 10 s.
fn spawn_peer(
    mut command: Command,
    ready: impl Fn(&str) -> Option<Option<u16>>,
) -> Option<(Peer, Option<u16>)> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn peer");
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let output = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel();
    {
        let output = Arc::clone(&output);
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line.clone());
                output.lock().unwrap().push(line);
            }
        });
    }
    {
        let output = Arc::clone(&output);
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                output.lock().unwrap().push(format!("stderr: {line}"));
            }
        });
    }
    let mut peer = Peer {
        child,
        _stdin: stdin,
        port: 0,
        output,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(port) = ready(&line) {
                    return Some((peer, port));
                }
            }
            Err(_) => {
                eprintln!("peer did not start: {:?}", peer.output());
                let _ = peer.child.kill();
                return None;
            }
        }
    }
}

/// Starts `openssl s_server` on 127.0.0.1 (a free port, retried when taken).
pub fn openssl_s_server(cert: &Path, key: &Path, args: &[&str]) -> Peer {
    for _ in 0..5 {
        let port = free_port();
        let mut command = Command::new("openssl");
        command
            .arg("s_server")
            .arg("-accept")
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .args(args);
        if let Some((mut peer, _)) = spawn_peer(command, |line| (line == "ACCEPT").then_some(None))
        {
            peer.port = port;
            return peer;
        }
    }
    panic!("openssl s_server did not start");
}

/// The Python STARTTLS echo server: a plain greeting line, waits for `STARTTLS`, replies, upgrades
/// (server side), then echoes.
pub const STARTTLS_SERVER_PY: &str = r#"
import socket, ssl, sys, threading

cert, key = sys.argv[1], sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(8)
print("PORT %d" % srv.getsockname()[1], flush=True)

def read_line(conn):
    data = b""
    while not data.endswith(b"\n"):
        byte = conn.recv(1)
        if not byte:
            break
        data += byte
    return data

def serve(conn):
    try:
        conn.sendall(b"220 sslsocket-test ESMTP ready\r\n")
        if read_line(conn) != b"STARTTLS\r\n":
            conn.sendall(b"500 expected STARTTLS\r\n")
            return
        conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
        tls = ctx.wrap_socket(conn, server_side=True)
        print("UPGRADED %s" % tls.version(), flush=True)
        while True:
            data = tls.recv(65536)
            if not data:
                break
            tls.sendall(data)
        tls.close()
    except Exception as e:
        print("ERROR %r" % e, flush=True)
    finally:
        conn.close()

while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
"#;

/// Starts the Python STARTTLS server with the given certificate and key.
pub fn python_starttls_server(dir: &TempDir, cert: &Path, key: &Path) -> Peer {
    let script = dir.write("starttls_server.py", STARTTLS_SERVER_PY);
    let mut command = Command::new("python3");
    command.arg("-u").arg(script).arg(cert).arg(key);
    spawn_port_printing_peer(command)
}

/// Starts a peer that prints `PORT n` once it listens; the peer's port is `n`.
pub fn spawn_port_printing_peer(command: Command) -> Peer {
    let (mut peer, port) = spawn_peer(command, |line| {
        line.strip_prefix("PORT ")
            .map(|p| p.trim().parse::<u16>().ok())
    })
    .expect("the peer did not start");
    peer.port = port.expect("the peer printed a port");
    peer
}

/// A fresh component instance with loopback-only network.
pub fn session() -> Session {
    Session::new(SessionConfig::new().network(NetworkPolicy::loopback_only())).expect("instantiate")
}

/// A new socket trusting the PEM CA.
pub fn socket_trusting(session: &mut Session, ca_pem: &str) -> SslSocket {
    let socket = session.new_socket().unwrap();
    assert_eq!(
        socket.add_ca_certificates_pem(session, ca_pem).unwrap(),
        Ok(1)
    );
    socket
}

/// `connect-to-host-encrypted` + `wait-for-encrypted`; returns the wait result and every event.
pub fn handshake(
    session: &mut Session,
    socket: SslSocket,
    host: &str,
    port: u16,
) -> (Result<(), ErrorCode>, Vec<SocketEvent>) {
    socket
        .connect_to_host_encrypted(session, host, port)
        .unwrap()
        .expect("connect-to-host-encrypted starts");
    let result = socket.wait_for_encrypted(session, WAIT_MS).unwrap();
    let events = socket.take_events(session).unwrap();
    (result, events)
}

/// The events by name, e.g. `["state-changed(host-lookup)", "connected", ...]`.
pub fn event_names(events: &[SocketEvent]) -> Vec<String> {
    events
        .iter()
        .map(sslsocket_host::names::event_text)
        .collect()
}

/// Asserts that `wanted` appear in `events` in this order (other events may come between).
pub fn assert_in_order(events: &[SocketEvent], wanted: &[&str]) {
    let names = event_names(events);
    let mut it = names.iter();
    for w in wanted {
        assert!(
            it.any(|n| n == w),
            "expected {wanted:?} in order, got {names:?}"
        );
    }
}

/// Writes `data` and reads the same number of bytes back.
pub fn round_trip(session: &mut Session, socket: SslSocket, data: &[u8]) -> Vec<u8> {
    socket
        .write_all(session, data, WAIT_MS)
        .unwrap()
        .expect("write");
    socket
        .read_exact(session, data.len(), WAIT_MS)
        .unwrap()
        .expect("read back")
}

/// Deterministic pseudo-random bytes (xorshift64*).
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut data = Vec::with_capacity(len + 8);
    while data.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        data.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    data.truncate(len);
    data
}

/// Flushes stdout/stderr of the test (keeps interleaved output readable).
pub fn flush() {
    let _ = std::io::stdout().flush();
}
