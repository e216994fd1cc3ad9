//! `sslsocket demo`: the component against a throwaway TLS echo server on 127.0.0.1.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use clap::Args;
use serde_json::json;
use sslsocket_host::server::TlsServer;
use sslsocket_host::testpki::{self, Authority, Usage};
use sslsocket_host::{NetworkPolicy, Session, SessionConfig, SslSocket, names};

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
        "Setting up: a throwaway CA, a server certificate and a TLS echo server",
    );
    let ca = Authority::new("sslsocket demo CA")?;
    let leaf = ca.issue("localhost", &["localhost", "127.0.0.1"], Usage::Server)?;
    let server = TlsServer::echo(&[leaf.cert_der.clone(), ca.cert_der.clone()], &leaf.key_der)?;
    let rogue = testpki::self_signed("self-signed.localhost", &["localhost", "127.0.0.1"])?;
    let rogue_server = TlsServer::echo(std::slice::from_ref(&rogue.cert_der), &rogue.key_der)?;
    out.info("CA: CN=sslsocket demo CA; server certificate for localhost and 127.0.0.1");
    out.info(&format!("native rustls echo server on {}", server.addr()));
    out.info(&format!(
        "self-signed echo server on {}",
        rogue_server.addr()
    ));
    out.info("compiling the component (once per process)...");
    sslsocket_host::warm_up()?;
    let mut session = Session::new(SessionConfig::new().network(NetworkPolicy::loopback_only()))?;
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
    ok &= handshake(&mut session, socket, &out, "localhost", server.port())?;
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
    ok &= !handshake(&mut session, socket, &out, "localhost", server.port())?;
    socket.drop(&mut session)?;

    out.step("self-signed", "3. a server with a self-signed certificate");
    let socket = session.new_socket()?;
    ok &= !handshake(&mut session, socket, &out, "localhost", rogue_server.port())?;
    socket.drop(&mut session)?;

    out.step(
        "ignored",
        "4. the self-signed server again, after ignore-ssl-errors()",
    );
    let socket = session.new_socket()?;
    socket.ignore_ssl_errors(&mut session)?;
    let through = handshake(&mut session, socket, &out, "localhost", rogue_server.port())?;
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
    socket.drop(&mut session)?;

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
