//! `sslsocket serve`: a TLS server inside the component, like `openssl s_server`.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, anyhow, bail};
use clap::Args;
use serde_json::json;
use socket2::{Domain, Socket, Type};
use sslsocket_host::{
    Certificate, ErrorCode, NetworkPolicy, PeerVerifyMode, Session, SessionConfig, SslServer, names,
};
use sslsocket_loops::pool::{PoolEvent, PoolOptions, ServerPool, TICKET_KEY_LEN};
use sslsocket_loops::serve::{Behaviour, Event, ServeOptions};

use crate::commands::connect::{format_of, load_certificates};
use crate::key_log::KeyLogFile;
use crate::report::{Reporter, error_fields};

/// Arguments of `sslsocket serve`.
#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    /// The IP address to listen on (the host listens; the workers have no network access).
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1")]
    bind: IpAddr,
    /// The TCP port; 0 picks a free one. The port is printed first.
    #[arg(long, value_name = "P")]
    port: u16,
    /// Workers: component instances on their own threads, each serving its share of the
    /// connections (default: one per CPU). They share one session ticket key, so a client
    /// resumes on any of them; a worker whose instance traps is replaced.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    workers: Option<u16>,
    /// The server certificate (PEM or DER); more certificates in the file are sent as its chain.
    #[arg(long, value_name = "FILE")]
    cert: PathBuf,
    /// The private key of --cert (PEM or DER).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// Intermediate certificates sent after the server certificate.
    #[arg(long, value_name = "FILE")]
    chain: Option<PathBuf>,
    /// The CA certificates client certificates are checked against.
    #[arg(long = "ca", value_name = "FILE")]
    ca: Vec<PathBuf>,
    /// Require a client certificate valid under --ca (verify-peer).
    #[arg(long, requires = "ca", conflicts_with = "request_cert")]
    verify_peer: bool,
    /// Ask for a client certificate but accept none or an unverified one (query-peer).
    #[arg(long)]
    request_cert: bool,
    /// Comma-separated ALPN protocols accepted, most preferred first (e.g. h2,http/1.1).
    #[arg(long, value_name = "P,P")]
    alpn: Option<String>,
    /// Protocol setting, by WIT name (tls-v1-2, tls-v1-3, secure-protocols...) or TLSv1.2/TLSv1.3.
    #[arg(long, value_name = "P")]
    protocol: Option<String>,
    /// Colon-separated cipher list (OpenSSL or IANA names).
    #[arg(long, value_name = "A:B")]
    ciphers: Option<String>,
    /// Staple the DER OCSP response in FILE (e.g. from `openssl ocsp -respout`) for clients that
    /// ask (`set-ocsp-response`).
    #[arg(long, value_name = "FILE")]
    ocsp_response: Option<PathBuf>,
    /// Seal session tickets with the key in FILE (48 bytes: a 16-byte name, then a 32-byte
    /// secret; e.g. `openssl rand 48 > FILE`), so that every server given the same file resumes
    /// the others' sessions. To rotate, append a new key to the file (96 bytes: the previous key,
    /// then the current one) and restart the servers one by one: tickets under either key open.
    /// Without it, a random key of this process, rotated every 12 hours.
    #[arg(long, value_name = "FILE")]
    ticket_key_file: Option<PathBuf>,
    /// Drop clients that have not finished their handshake after MS milliseconds (default 10000).
    #[arg(long, value_name = "MS")]
    handshake_timeout: Option<u32>,
    /// Write every byte received back to the client.
    #[arg(long, conflicts_with = "www")]
    echo: bool,
    /// Answer an HTTP request with a page describing the connection, then close.
    #[arg(long)]
    www: bool,
    /// Connections the OS completes before they are accepted (the listen backlog; default
    /// 50). Raise it when many clients connect at once.
    #[arg(long, value_name = "N", default_value_t = 50)]
    backlog: u32,
    /// The cap on each worker's guest memory, in MiB (about 7 KB per idle connection; see
    /// BENCHMARKS.md).
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    memory_mib: usize,
    /// Exit after N connections have ended (closed, failed or timed out); default: run forever.
    #[arg(long, value_name = "N")]
    max_connections: Option<u64>,
    /// One JSON object per line instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `serve`; exit code 0 when it stopped after --max-connections, 1 when it could not listen.
pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let out = Reporter::new(args.json);
    sslsocket_host::raise_open_file_limit();
    let fail = |code: &ErrorCode, text: String| {
        out.emit("error", error_fields(code), &text);
        Ok(ExitCode::FAILURE)
    };
    let ticket_keys = match args
        .ticket_key_file
        .as_deref()
        .map(read_ticket_keys)
        .transpose()
    {
        Ok(keys) => keys,
        Err(error) => {
            return fail(
                &ErrorCode::InvalidInput(format!("{error:#}")),
                format!("error: {error:#}"),
            );
        }
    };
    let listener = match listen(SocketAddr::new(args.bind, args.port), args.backlog) {
        Ok(listener) => listener,
        Err(error) => {
            let code = listen_error(&error);
            let text = format!("listen: {}", names::error_code_text(&code));
            return fail(&code, text);
        }
    };
    let address = listener.local_addr()?;
    let workers = args.workers.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let session = SessionConfig::new()
        .network(NetworkPolicy::deny_all())
        .memory_limit(args.memory_mib.saturating_mul(1 << 20));
    let mut serve = ServeOptions::new(behaviour(args));
    serve.max_connections = args.max_connections;
    let mut options = PoolOptions::new(workers, session, serve);
    options.ticket_keys = ticket_keys;
    // SSLKEYLOGFILE: every worker's server logs its handshakes' secrets, written here.
    let key_log = match KeyLogFile::from_env() {
        Ok(file) => file,
        Err(error) => {
            return fail(
                &ErrorCode::InvalidInput(format!("{error:#}")),
                format!("error: {error:#}"),
            );
        }
    };
    let shared = Arc::new(args.clone());
    let log_keys = key_log.is_some();
    let pool = match ServerPool::start(listener, options, move |_, session, server| {
        configure(session, server, &shared)?;
        server.set_dangerous_key_logging(session, log_keys)?;
        Ok(())
    }) {
        Ok(pool) => pool,
        Err(error) => {
            return fail(
                &ErrorCode::InvalidInput(format!("{error:#}")),
                format!("error: {error:#}"),
            );
        }
    };
    out.emit(
        "listening",
        json!({ "address": address.ip().to_string(), "port": address.port(), "workers": workers }),
        &format!("listening on {address} with {workers} workers"),
    );

    let mut tally = Tally::default();
    let mut key_log_failed = None;
    pool.run(|event| match event {
        PoolEvent::Serve { event, .. } => {
            tally.count(event);
            if let (Some(file), Event::Accepted(accepted)) = (&key_log, event)
                && let Err(error) = file.append(accepted.key_log.iter().map(String::as_str))
            {
                key_log_failed.get_or_insert(error);
            }
            report(&out, event, "");
        }
        PoolEvent::WorkerFailed {
            worker,
            error,
            replaced,
        } => out.emit(
            "worker-failed",
            json!({ "worker": worker, "message": error, "replaced": replaced }),
            &format!(
                "worker {worker} trapped ({error}){}",
                if *replaced {
                    "; a fresh instance replaced it"
                } else {
                    "; it could not be replaced"
                }
            ),
        ),
        PoolEvent::AcceptFailed(error) => out.emit(
            "accept-error",
            json!({ "error": "unknown", "message": error }),
            &format!("accept error: {error}"),
        ),
    })?;
    if let Some(error) = key_log_failed {
        out.emit(
            "error",
            json!({ "error": "unknown", "message": format!("{error:#}") }),
            &format!("error: {error:#}"),
        );
    }
    out.emit(
        "summary",
        json!({
            "accepted": tally.accepted,
            "handshakes_failed": tally.failed,
            "handshakes_timed_out": tally.timed_out,
            "ended_with_error": tally.errors,
            "bytes_received": tally.bytes,
        }),
        &format!(
            "served {} connections ({} handshakes failed, {} timed out, {} ended with an error), {} bytes received",
            tally.accepted, tally.failed, tally.timed_out, tally.errors, tally.bytes
        ),
    );
    Ok(ExitCode::SUCCESS)
}

/// What the server does with the data, from the flags.
fn behaviour(args: &ServeArgs) -> Behaviour {
    if args.echo {
        Behaviour::Echo
    } else if args.www {
        Behaviour::Www
    } else {
        Behaviour::Sink
    }
}

/// A listening socket on `address` with room for `backlog` connections not yet accepted
/// (address reuse on, as the guest's `listen` and `std` do).
fn listen(address: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(address), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&address.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    Ok(socket.into())
}

/// The error code a failed `bind` or `listen` means, as the guest's `listen` would report it.
fn listen_error(error: &std::io::Error) -> ErrorCode {
    match error.kind() {
        std::io::ErrorKind::AddrInUse => ErrorCode::AddressInUse,
        std::io::ErrorKind::AddrNotAvailable => ErrorCode::SocketAddressNotAvailable,
        std::io::ErrorKind::PermissionDenied => ErrorCode::SocketAccess,
        _ => ErrorCode::Unknown(error.to_string()),
    }
}

/// The keys of --ticket-key-file: one 48-byte key, or the previous then the current one.
fn read_ticket_keys(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let keys = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if keys.len() != TICKET_KEY_LEN && keys.len() != 2 * TICKET_KEY_LEN {
        bail!(
            "{}: a ticket key file holds one or two {TICKET_KEY_LEN}-byte keys, not {} bytes",
            path.display(),
            keys.len()
        );
    }
    Ok(keys)
}

/// What a `serve` run did, for its summary line.
#[derive(Default)]
struct Tally {
    accepted: u64,
    failed: u64,
    timed_out: u64,
    errors: u64,
    bytes: u64,
}

impl Tally {
    fn count(&mut self, event: &Event) {
        match event {
            Event::Accepted(_) => self.accepted += 1,
            Event::HandshakeFailed { .. } => self.failed += 1,
            Event::HandshakeTimedOut { .. } => self.timed_out += 1,
            Event::Closed { error: Some(_), .. } => self.errors += 1,
            Event::Received { bytes, .. } => self.bytes += *bytes as u64,
            _ => {}
        }
    }
}

/// Prints one serve event; `prefix` starts the text line (e.g. `server: `).
pub fn report(out: &Reporter, event: &Event, prefix: &str) {
    match event {
        Event::Accepted(a) => out.emit(
            "accepted",
            json!({
                "id": a.id,
                "peer": a.peer,
                "protocol": a.protocol,
                "cipher": a.cipher,
                "alpn": a.alpn,
                "resumed": a.resumed,
                "group": a.group,
                "client-certificate": a.client_certificate,
            }),
            &format!(
                "{prefix}accepted #{} from {}: {} {}{}{}{}",
                a.id,
                a.peer,
                a.protocol.as_deref().unwrap_or("(no protocol)"),
                a.cipher.as_deref().unwrap_or("(no cipher)"),
                a.group
                    .as_deref()
                    .map(|g| format!(", group {g}"))
                    .unwrap_or_default(),
                a.alpn
                    .as_deref()
                    .map(|p| format!(", ALPN {p}"))
                    .unwrap_or_default(),
                match (&a.client_certificate, a.resumed) {
                    (Some(subject), r) => format!(
                        ", client certificate {subject}{}",
                        if r { ", resumed" } else { "" }
                    ),
                    (None, true) => ", resumed".to_owned(),
                    (None, false) => String::new(),
                }
            ),
        ),
        Event::HandshakeFailed {
            peer,
            error,
            ssl_errors,
            alert_sent,
            alert_received,
        } => {
            let (name, message) = names::error_code(error);
            let list: Vec<&str> = ssl_errors.iter().map(|e| names::ssl_error(*e)).collect();
            let sent = alert_sent.as_ref().map(names::alert_text);
            let received = alert_received.as_ref().map(names::alert_text);
            let mut alerts = String::new();
            if let Some(sent) = &sent {
                alerts.push_str(&format!(", sent alert {sent}"));
            }
            if let Some(received) = &received {
                alerts.push_str(&format!(", received alert {received}"));
            }
            out.emit(
                "handshake-failed",
                json!({
                    "peer": peer, "error": name, "message": message, "ssl-errors": list,
                    "alert-sent": sent, "alert-received": received,
                }),
                &format!(
                    "{prefix}handshake failed from {}: {}{}{alerts}",
                    peer.as_deref().unwrap_or("unknown peer"),
                    names::error_code_text(error),
                    if list.is_empty() {
                        String::new()
                    } else {
                        format!(" [{}]", list.join(", "))
                    }
                ),
            );
        }
        Event::HandshakeTimedOut { peer } => out.emit(
            "handshake-timed-out",
            json!({ "peer": peer }),
            &format!(
                "{prefix}handshake timed out: {} dropped",
                peer.as_deref().unwrap_or("unknown peer")
            ),
        ),
        Event::AcceptError(e) => out.emit(
            "accept-error",
            error_fields(e),
            &format!("{prefix}accept error: {}", names::error_code_text(e)),
        ),
        Event::Received { id, bytes } => out.emit(
            "received",
            json!({ "id": id, "bytes": bytes }),
            &format!("{prefix}#{id}: received {bytes} bytes"),
        ),
        Event::Closed { id, peer, error } => {
            let (name, message) = error.as_ref().map_or((None, None), |e| {
                let (n, m) = names::error_code(e);
                (Some(n), m)
            });
            out.emit(
                "closed",
                json!({ "id": id, "peer": peer, "error": name, "message": message }),
                &format!(
                    "{prefix}#{id} from {peer} closed{}",
                    error
                        .as_ref()
                        .map(|e| format!(": {}", names::error_code_text(e)))
                        .unwrap_or_default()
                ),
            );
        }
    }
}

/// Applies identity, CA, verification, ALPN, protocol, cipher and timeout options.
fn configure(session: &mut Session, server: SslServer, args: &ServeArgs) -> anyhow::Result<()> {
    let mut chain = load_certificates(session, &args.cert)?;
    if chain.is_empty() {
        bail!("{}: no certificate", args.cert.display());
    }
    if let Some(path) = &args.chain {
        chain.extend(load_certificates(session, path)?);
    }
    let refs: Vec<&Certificate> = chain.iter().collect();
    server.set_local_certificate_chain(session, &refs)?;
    for cert in chain {
        cert.drop(session)?;
    }
    let data =
        std::fs::read(&args.key).with_context(|| format!("cannot read {}", args.key.display()))?;
    let key = session
        .private_key_from_data(&data, format_of(&data))?
        .map_err(|e| anyhow!("{}: {}", args.key.display(), names::error_code_text(&e)))?;
    server
        .set_private_key(session, &key)?
        .map_err(|e| anyhow!("{}: {}", args.key.display(), names::error_code_text(&e)))?;
    key.drop(session)?;

    if !args.ca.is_empty() {
        let mut cas = Vec::new();
        for path in &args.ca {
            cas.extend(load_certificates(session, path)?);
        }
        let refs: Vec<&Certificate> = cas.iter().collect();
        server.set_ca_certificates(session, &refs)?;
        for cert in cas {
            cert.drop(session)?;
        }
    }
    let mode = if args.verify_peer {
        PeerVerifyMode::VerifyPeer
    } else if args.request_cert {
        PeerVerifyMode::QueryPeer
    } else {
        PeerVerifyMode::VerifyNone
    };
    server.set_peer_verify_mode(session, mode)?;
    if let Some(list) = &args.alpn {
        let protocols: Vec<&str> = list
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        server
            .set_allowed_next_protocols(session, &protocols)?
            .map_err(|e| anyhow!("--alpn: {}", names::error_code_text(&e)))?;
    }
    if let Some(name) = &args.protocol {
        let protocol =
            names::parse_protocol(name).ok_or_else(|| anyhow!("unknown protocol `{name}`"))?;
        server
            .set_protocol(session, protocol)?
            .map_err(|e| anyhow!("--protocol {name}: {}", names::error_code_text(&e)))?;
    }
    if let Some(ciphers) = &args.ciphers {
        server
            .set_ciphers_by_name(session, ciphers)?
            .map_err(|e| anyhow!("--ciphers: {}", names::error_code_text(&e)))?;
    }
    if let Some(path) = &args.ocsp_response {
        let der = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        server
            .set_ocsp_response(session, &der)?
            .map_err(|e| anyhow!("{}: {}", path.display(), names::error_code_text(&e)))?;
    }
    if let Some(ms) = args.handshake_timeout {
        server.set_handshake_timeout(session, ms)?;
    }
    Ok(())
}
