//! Peer processes on 127.0.0.1: `openssl s_server`, the Python STARTTLS server, any command that
//! prints the port it listens on; killed when dropped.

use std::io::{BufRead as _, BufReader};
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::TempDir;

/// A port that was free a moment ago (bind port 0, read it back, close).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// A child process killed (and reaped) on drop, with its stdout collected by a thread.
pub struct Peer {
    child: Child,
    _stdin: Option<ChildStdin>,
    /// The port it listens on, on 127.0.0.1.
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
