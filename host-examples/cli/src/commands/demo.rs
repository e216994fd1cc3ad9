//! `sslsocket demo`: component to component on 127.0.0.1. The servers are `ssl-server`s in
//! component instances of their own, each served by [`sslsocket_loops::serve`] in a host thread;
//! the client is `ssl-socket`s in another instance.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use clap::Args;
use serde_json::json;
use sslsocket_host::{Certificate, NetworkPolicy, Session, SessionConfig, SslSocket, names};
use sslsocket_loops::serve::{self, Behaviour, Event, ServeOptions};
use sslsocket_testkit::testpki::{self, Authority, Usage};

use crate::commands::serve as serve_command;
use crate::report::{Reporter, error_fields};

/// Arguments of `sslsocket demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    /// One JSON object per line instead of text.
    #[arg(long)]
    json: bool,
}

const TIMEOUT_MS: i32 = 10_000;

/// Runs the demo; exit code 0 when every step behaved as expected.
pub fn run(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let mut out = Reporter::new(args.json);
    out.step(
        "setup",
        "Setting up: a throwaway CA, a server certificate and two TLS echo servers in the component",
    );
    let ca = Authority::new("sslsocket demo CA")?;
    let leaf = ca.issue("localhost", &["localhost", "127.0.0.1"], Usage::Server)?;
    let rogue = testpki::self_signed("self-signed.localhost", &["localhost", "127.0.0.1"])?;
    out.info("CA: CN=sslsocket demo CA; server certificate for localhost and 127.0.0.1");
    out.info("compiling the component (once per process)...");
    sslsocket_host::warm_up()?;
    let server = ComponentServer::start(
        vec![leaf.cert_pem.clone(), ca.cert_pem.clone()],
        leaf.key_pem.clone(),
    )?;
    let rogue_server = ComponentServer::start(vec![rogue.cert_pem.clone()], rogue.key_pem.clone())?;
    out.info(&format!(
        "ssl-server (its own component instance) on 127.0.0.1:{}",
        server.port
    ));
    out.info(&format!(
        "self-signed ssl-server (another instance) on 127.0.0.1:{}",
        rogue_server.port
    ));
    let mut session = Session::new(SessionConfig::new().network(NetworkPolicy::loopback_only()))?;
    out.info("client: ssl-sockets in a third instance");
    out.info(&format!(
        "TLS library inside the component: {}",
        session.ssl_library_version_string()?
    ));

    let mut ok = true;

    out.step(
        "trusted",
        "1. connect-to-host-encrypted(localhost) trusting the demo CA",
    );
    let socket = session.new_socket()?;
    let added = socket
        .add_ca_certificates_pem(&mut session, &ca.cert_pem)?
        .map_err(|e| anyhow::anyhow!("add-ca-certificates-pem: {}", names::error_code_text(&e)))?;
    out.info(&format!(
        "add-ca-certificates-pem: {added} certificate(s) added"
    ));
    ok &= handshake(&mut session, socket, &out, "localhost", server.port)?;
    if ok {
        ok &= echo(
            &mut session,
            socket,
            &out,
            b"hello from inside WebAssembly\n",
        )?;
    }
    socket.disconnect_from_host(&mut session)?;
    let _ = socket.wait_for_disconnected(&mut session, 2000)?;
    out.drain(&mut session, socket)?;
    socket.drop(&mut session)?;
    server.show(&out);

    out.step(
        "wrong-host",
        "2. the same server, verified against a name not in its certificate",
    );
    let socket = session.new_socket()?;
    socket
        .add_ca_certificates_pem(&mut session, &ca.cert_pem)?
        .ok();
    socket.set_peer_verify_name(&mut session, "wrong.example")?;
    out.info("set-peer-verify-name(\"wrong.example\")");
    ok &= !handshake(&mut session, socket, &out, "localhost", server.port)?;
    socket.drop(&mut session)?;
    server.show(&out);

    out.step("self-signed", "3. a server with a self-signed certificate");
    let socket = session.new_socket()?;
    ok &= !handshake(&mut session, socket, &out, "localhost", rogue_server.port)?;
    socket.drop(&mut session)?;
    rogue_server.show(&out);

    out.step(
        "ignored",
        "4. the self-signed server again, after ignore-ssl-errors()",
    );
    let socket = session.new_socket()?;
    socket.ignore_ssl_errors(&mut session)?;
    let through = handshake(&mut session, socket, &out, "localhost", rogue_server.port)?;
    ok &= through;
    if through {
        out.ssl_errors(&mut session, socket)?;
        ok &= echo(
            &mut session,
            socket,
            &out,
            b"ignored, but still encrypted\n",
        )?;
    }
    socket.disconnect_from_host(&mut session)?;
    let _ = socket.wait_for_disconnected(&mut session, 2000)?;
    socket.drop(&mut session)?;
    rogue_server.show(&out);
    server.stop()?;
    rogue_server.stop()?;

    out.step("done", "Done");
    out.emit(
        "done",
        json!({ "ok": ok }),
        if ok {
            "every step behaved as expected"
        } else {
            "a step did not behave as expected"
        },
    );
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Connects and waits for the handshake, printing the events; returns whether it is encrypted.
fn handshake(
    session: &mut Session,
    socket: SslSocket,
    out: &Reporter,
    host: &str,
    port: u16,
) -> anyhow::Result<bool> {
    out.info(&format!("connect-to-host-encrypted(\"{host}\", {port})"));
    if let Err(e) = socket.connect_to_host_encrypted(session, host, port)? {
        out.emit(
            "error",
            error_fields(&e),
            &format!("error: {}", names::error_code_text(&e)),
        );
        return Ok(false);
    }
    out.drain(session, socket)?;
    out.info(&format!("wait-for-encrypted({TIMEOUT_MS})"));
    let result = socket.wait_for_encrypted(session, TIMEOUT_MS)?;
    let events = out.drain(session, socket)?;
    match result {
        Ok(()) => {
            if !events.iter().any(|e| names::event(e) == "encrypted") {
                out.encrypted(session, socket)?;
            }
            Ok(true)
        }
        Err(e) => {
            out.emit(
                "error",
                error_fields(&e),
                &format!("wait-for-encrypted failed: {}", names::error_code_text(&e)),
            );
            if !events.iter().any(|e| names::event(e) == "ssl-errors") {
                out.ssl_errors(session, socket)?;
            }
            Ok(false)
        }
    }
}

/// Writes a line and reads it back.
fn echo(
    session: &mut Session,
    socket: SslSocket,
    out: &Reporter,
    line: &[u8],
) -> anyhow::Result<bool> {
    if let Err(e) = socket.write_all(session, line, TIMEOUT_MS)? {
        bail!("write: {}", names::error_code_text(&e));
    }
    out.drain(session, socket)?;
    let back = socket
        .read_exact(session, line.len(), TIMEOUT_MS)?
        .map_err(|e| anyhow::anyhow!("read: {}", names::error_code_text(&e)))
        .context("echo")?;
    out.drain(session, socket)?;
    let same = back == line;
    let text = String::from_utf8_lossy(&back).into_owned();
    out.emit(
        "echo",
        json!({ "sent": String::from_utf8_lossy(line), "received": text, "ok": same }),
        &format!(
            "echo round trip: sent {:?}, received {:?}",
            String::from_utf8_lossy(line),
            text
        ),
    );
    Ok(same)
}

/// An echo `ssl-server` in a component instance of its own, served in a host thread.
struct ComponentServer {
    port: u16,
    stop: Arc<AtomicBool>,
    events: mpsc::Receiver<Event>,
    thread: Option<JoinHandle<anyhow::Result<()>>>,
}

impl ComponentServer {
    /// Starts a server on 127.0.0.1 (a free port) with this chain (leaf first) and key, PEM.
    fn start(chain_pem: Vec<String>, key_pem: String) -> anyhow::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let (port_tx, port_rx) = mpsc::channel();
        let (event_tx, events) = mpsc::channel();
        let stop_flag = Arc::clone(&stop);
        let thread = thread::spawn(move || -> anyhow::Result<()> {
            let setup = || -> anyhow::Result<(Session, sslsocket_host::SslServer)> {
                let mut session =
                    Session::new(SessionConfig::new().network(NetworkPolicy::loopback_only()))?;
                let mut chain: Vec<Certificate> = Vec::new();
                for pem in &chain_pem {
                    chain.push(
                        session
                            .certificate_from_pem(pem)?
                            .map_err(|e| anyhow!("certificate: {}", names::error_code_text(&e)))?,
                    );
                }
                let key = session
                    .private_key_from_data(key_pem.as_bytes(), sslsocket_host::EncodingFormat::Pem)?
                    .map_err(|e| anyhow!("key: {}", names::error_code_text(&e)))?;
                let server = session.new_server()?;
                let refs: Vec<&Certificate> = chain.iter().collect();
                server.set_local_certificate_chain(&mut session, &refs)?;
                server
                    .set_private_key(&mut session, &key)?
                    .map_err(|e| anyhow!("set-private-key: {}", names::error_code_text(&e)))?;
                server
                    .listen(&mut session, "127.0.0.1", 0)?
                    .map_err(|e| anyhow!("listen: {}", names::error_code_text(&e)))?;
                Ok((session, server))
            };
            let (mut session, server) = match setup() {
                Ok(pair) => pair,
                Err(e) => {
                    let _ = port_tx.send(Err(format!("{e:#}")));
                    return Err(e);
                }
            };
            let _ = port_tx.send(Ok(server.server_port(&mut session)?));
            let mut options = ServeOptions::new(Behaviour::Echo);
            options.stop = Some(stop_flag);
            options.tick = Some(Duration::from_millis(50));
            serve::run(&mut session, server, &options, |_, event| {
                let _ = event_tx.send(event.clone());
            })?;
            server.close(&mut session)?;
            server.drop(&mut session)?;
            Ok(())
        });
        let port = port_rx
            .recv()
            .map_err(|_| anyhow!("the server thread ended"))?
            .map_err(|e| anyhow!("starting the server: {e}"))?;
        Ok(Self {
            port,
            stop,
            events,
            thread: Some(thread),
        })
    }

    /// Prints the server's events until a connection has ended (at most 3 s).
    fn show(&self, out: &Reporter) {
        let deadline = Instant::now() + Duration::from_secs(3);
        while let Ok(event) = self
            .events
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            serve_command::report(out, &event, "server: ");
            if matches!(
                event,
                Event::Closed { .. }
                    | Event::HandshakeFailed { .. }
                    | Event::HandshakeTimedOut { .. }
            ) {
                break;
            }
        }
    }

    /// Stops the server and waits for its thread.
    fn stop(mut self) -> anyhow::Result<()> {
        self.stop.store(true, Ordering::SeqCst);
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result.context("server thread"),
            Some(Err(_)) => bail!("the server thread panicked"),
            None => Ok(()),
        }
    }
}
