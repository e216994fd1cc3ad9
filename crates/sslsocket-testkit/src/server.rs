//! A listening `ssl-server` driven by the tests, and `openssl s_client` as a peer process.

use std::io::Read as _;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use sslsocket_host::{
    Certificate, EncodingFormat, ServerEvent, Session, SocketState, SslServer, SslSocket,
};

use crate::{TestPki, WAIT_MS, event_names, session};

const WAIT: Duration = Duration::from_millis(WAIT_MS as u64);

/// A listening `ssl-server` in its own component instance.
pub struct Srv {
    /// The component instance the server lives in.
    pub session: Session,
    /// The listening server.
    pub server: SslServer,
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
}

impl Srv {
    /// A server on 127.0.0.1 (port 0) with this chain (PEM, leaf first) and key; `configure` runs
    /// before `listen`.
    pub fn start(
        chain_pem: &[&str],
        key_pem: &str,
        configure: impl FnOnce(&mut Session, SslServer),
    ) -> Self {
        let mut session = session();
        let (server, port) = listening_server(&mut session, chain_pem, key_pem, configure);
        Self {
            session,
            server,
            port,
        }
    }

    /// The test PKI's server identity (leaf + CA).
    pub fn with_pki(pki: &TestPki, configure: impl FnOnce(&mut Session, SslServer)) -> Self {
        Self::start(
            &[&pki.server.cert_pem, &pki.ca.cert_pem],
            &pki.server.key_pem,
            configure,
        )
    }

    /// Waits for the next encrypted connection and takes it.
    pub fn accept(&mut self) -> SslSocket {
        let waited = self
            .server
            .wait_for_new_connection(&mut self.session, WAIT_MS)
            .unwrap();
        let events = self.server.take_events(&mut self.session).unwrap();
        assert_eq!(waited, Ok(()), "no connection; server events {events:?}");
        self.server
            .next_pending_connection(&mut self.session)
            .unwrap()
            .expect("a pending connection")
    }

    /// Processes the server (polling its pollable) until `done` holds for the events collected so
    /// far; returns them. Panics after `timeout`.
    pub fn events_until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&[ServerEvent], bool) -> bool,
    ) -> Vec<ServerEvent> {
        let deadline = Instant::now() + timeout;
        let mut events = Vec::new();
        loop {
            self.server.process(&mut self.session).unwrap();
            events.extend(self.server.take_events(&mut self.session).unwrap());
            let pending = self
                .server
                .has_pending_connections(&mut self.session)
                .unwrap();
            if done(&events, pending) {
                return events;
            }
            assert!(
                Instant::now() < deadline,
                "server events so far: {events:?} (pending: {pending})"
            );
            let pollable = self.server.subscribe(&mut self.session).unwrap();
            self.session
                .poll(&[&pollable], Some(Duration::from_millis(50)))
                .unwrap();
            pollable.drop(&mut self.session).unwrap();
        }
    }
}

/// A new `ssl-server` in `session` with this chain (PEM, leaf first) and key, listening on
/// 127.0.0.1 (port 0) after `configure`; returns it and its port.
pub fn listening_server(
    session: &mut Session,
    chain_pem: &[&str],
    key_pem: &str,
    configure: impl FnOnce(&mut Session, SslServer),
) -> (SslServer, u16) {
    let server = session.new_server().unwrap();
    let chain: Vec<Certificate> = chain_pem
        .iter()
        .map(|pem| session.certificate_from_pem(pem).unwrap().unwrap())
        .collect();
    let refs: Vec<&Certificate> = chain.iter().collect();
    server.set_local_certificate_chain(session, &refs).unwrap();
    let key = session
        .private_key_from_data(key_pem.as_bytes(), EncodingFormat::Pem)
        .unwrap()
        .unwrap();
    server.set_private_key(session, &key).unwrap().unwrap();
    configure(session, server);
    server
        .listen(session, "127.0.0.1", 0)
        .unwrap()
        .expect("listen");
    let port = server.server_port(session).unwrap();
    assert_ne!(port, 0);
    (server, port)
}

/// `openssl s_client` with stdin kept open, stdout and stderr collected.
pub struct SClient {
    child: Child,
    stdin: Option<ChildStdin>,
    output: Arc<Mutex<String>>,
}

impl SClient {
    /// Starts `openssl s_client -connect 127.0.0.1:<port>` with `args`.
    pub fn start(port: u16, args: &[&str]) -> Self {
        let mut child = Command::new("openssl")
            .arg("s_client")
            .arg("-connect")
            .arg(format!("127.0.0.1:{port}"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("openssl s_client");
        let stdin = child.stdin.take();
        let output = Arc::new(Mutex::new(String::new()));
        for mut stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let output = Arc::clone(&output);
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    output
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        Self {
            child,
            stdin,
            output,
        }
    }

    /// Writes `data` to s_client's standard input.
    pub fn send(&mut self, data: &[u8]) {
        use std::io::Write as _;
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin.write_all(data).unwrap();
        stdin.flush().unwrap();
    }

    /// Everything s_client wrote so far (stdout and stderr).
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// Waits until the output contains `needle`; returns whether it did within 10 s.
    pub fn wait_for_output(&self, needle: &str) -> bool {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if self.output().contains(needle) {
                return true;
            }
            thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// Closes stdin, waits for the process to end (killing it after 10 s); returns the output.
    pub fn finish(mut self) -> String {
        drop(self.stdin.take());
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        thread::sleep(Duration::from_millis(20));
        self.output()
    }
}

/// Drives a component client and a server (two instances) from one thread until the client's
/// handshake ends; returns whether the client is encrypted, the accepted socket (if the server
/// finished its side) and the server's events.
pub fn c2c_connect(
    cs: &mut Session,
    client: SslSocket,
    host: &str,
    srv: &mut Srv,
) -> (bool, Option<SslSocket>, Vec<ServerEvent>) {
    client
        .connect_to_host_encrypted(cs, host, srv.port)
        .unwrap()
        .unwrap();
    let deadline = Instant::now() + WAIT;
    let mut accepted = None;
    let mut events = Vec::new();
    loop {
        client.process(cs).unwrap();
        srv.server.process(&mut srv.session).unwrap();
        events.extend(srv.server.take_events(&mut srv.session).unwrap());
        if accepted.is_none() {
            accepted = srv
                .server
                .next_pending_connection(&mut srv.session)
                .unwrap();
        }
        let encrypted = client.is_encrypted(cs).unwrap();
        let failed = client.state(cs).unwrap() == SocketState::Unconnected;
        let server_done = accepted.is_some() || events.iter().any(is_failed);
        if (encrypted && accepted.is_some()) || (failed && server_done) {
            return (encrypted, accepted, events);
        }
        if Instant::now() > deadline {
            let client_events = event_names(&client.take_events(cs).unwrap());
            panic!("c2c handshake stuck: client {client_events:?}, server {events:?}");
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// Whether a server event is a failed handshake.
pub fn is_failed(e: &ServerEvent) -> bool {
    matches!(e, ServerEvent::HandshakeFailed(_))
}
