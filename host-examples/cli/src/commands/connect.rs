//! `sslsocket connect`.

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow, bail};
use clap::Args;
use serde_json::json;
use sslsocket_host::{
    Certificate, EncodingFormat, ErrorCode, NetworkPolicy, Session, SessionConfig, SslError,
    SslSocket, names,
};

use crate::key_log::KeyLogFile;
use crate::report::{Reporter, error_fields};

/// Arguments of `sslsocket connect`.
#[derive(Args, Debug)]
pub struct ConnectArgs {
    /// Host name or address to connect to (also the name verified against the certificate).
    host: String,
    /// TCP port.
    port: u16,
    /// Trust the CA certificates in FILE (PEM or DER), in addition to the built-in Mozilla roots.
    #[arg(long = "ca", value_name = "FILE")]
    ca: Vec<PathBuf>,
    /// Present the certificate in FILE (PEM or DER) as client certificate; needs --key.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// The private key of --cert (PEM or DER).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
    /// Protocol setting, by WIT name (tls-v1-2, tls-v1-3, secure-protocols...) or TLSv1.2/TLSv1.3.
    #[arg(long, value_name = "P")]
    protocol: Option<String>,
    /// Colon-separated cipher list (OpenSSL or IANA names).
    #[arg(long, value_name = "A:B")]
    ciphers: Option<String>,
    /// `all` (`ignore-ssl-errors`), or a comma-separated list of ssl-error names to tolerate for
    /// any certificate (`ignore-ssl-errors-list`; a handshake with other errors still fails).
    #[arg(long, value_name = "all|ERR,ERR")]
    ignore_errors: Option<String>,
    /// Check the peer's chain against the certificate revocation lists in FILE (PEM with one or
    /// more `X509 CRL` blocks, or one DER CRL); may be repeated.
    #[arg(long = "crl", value_name = "FILE")]
    crl: Vec<PathBuf>,
    /// Ask the server for a stapled OCSP response and check it (`set-ocsp-stapling-enabled`);
    /// the response is printed as an `ocsp` event.
    #[arg(long)]
    ocsp: bool,
    /// Peer verification mode: none, query, peer or auto (the default), or the WIT names
    /// (verify-none, query-peer, verify-peer, auto-verify-peer).
    #[arg(long, value_name = "none|query|peer|auto")]
    verify_mode: Option<String>,
    /// Plain connection first: read a greeting line, send STARTTLS, read the reply, then TLS.
    #[arg(long)]
    starttls: bool,
    /// Verify the certificate against NAME instead of HOST.
    #[arg(long, value_name = "NAME")]
    peer_verify_name: Option<String>,
    /// Send TEXT after the handshake (`\n`, `\r`, `\t` and `\\` escapes are understood). Without
    /// it, standard input is sent when it is not a terminal.
    #[arg(long, value_name = "TEXT")]
    send: Option<String>,
    /// Deadline for connecting and the handshake, and how long to wait for more data, in ms.
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    timeout: i32,
    /// After the handshake, export keying material for LABEL and print it as a
    /// `keying-material` event (RFC 5705 / RFC 8446 §7.5, as `openssl s_client -keymatexport`).
    #[arg(long, value_name = "LABEL")]
    keymatexport: Option<String>,
    /// How many bytes --keymatexport exports.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 20,
        requires = "keymatexport"
    )]
    keymatexportlen: u32,
    /// One JSON object per line instead of text.
    #[arg(long)]
    json: bool,
}

/// Which ssl-errors `--ignore-errors` tolerates.
enum Tolerance {
    None,
    All,
    Only(Vec<SslError>),
}

/// Runs `connect`; exit code 0 only when the connection was encrypted (and any reported ssl-errors
/// were tolerated).
pub fn run(args: &ConnectArgs) -> anyhow::Result<ExitCode> {
    let tolerance = parse_tolerance(args.ignore_errors.as_deref())?;
    let policy = NetworkPolicy::deny_all()
        .allow_host_port(&args.host, args.port)
        .with_context(|| format!("cannot resolve {}", args.host))?;
    let mut session = Session::new(SessionConfig::new().network(policy))?;
    let socket = session.new_socket()?;
    // SSLKEYLOGFILE, as curl and OpenSSL-based tools honour it: the secrets go to that file.
    let key_log = KeyLogFile::from_env()?;
    socket.set_dangerous_key_logging(&mut session, key_log.is_some())?;
    let out = Reporter::new(args.json).with_key_log(key_log);

    if let Err(error) = configure(&mut session, socket, args, &tolerance) {
        out.emit(
            "error",
            json!({ "error": "invalid-input", "message": format!("{error:#}") }),
            &format!("error: {error:#}"),
        );
        return Ok(ExitCode::FAILURE);
    }

    let handshake = if args.starttls {
        starttls(&mut session, socket, args, &out)?
    } else {
        let started = socket.connect_to_host_encrypted(&mut session, &args.host, args.port)?;
        match started {
            Ok(()) => socket.wait_for_encrypted(&mut session, args.timeout)?,
            Err(e) => Err(e),
        }
    };
    let events = out.drain(&mut session, socket)?;
    let saw = |name: &str| events.iter().any(|e| names::event(e) == name);

    if args.ocsp {
        out.ocsp(&mut session, socket)?;
    }
    if let Err(code) = handshake {
        if !saw("ssl-errors") && !socket.ssl_errors(&mut session)?.is_empty() {
            out.ssl_errors(&mut session, socket)?;
        }
        if !saw("error") {
            out.emit(
                "error",
                error_fields(&code),
                &format!("error: {}", names::error_code_text(&code)),
            );
        }
        socket.abort(&mut session)?;
        return Ok(ExitCode::FAILURE);
    }
    if !saw("encrypted") {
        out.encrypted(&mut session, socket)?;
    }
    // Errors tolerated by --ignore-errors are still shown.
    if !saw("ssl-errors") && !socket.ssl_errors(&mut session)?.is_empty() {
        out.ssl_errors(&mut session, socket)?;
    }

    if let Some(label) = &args.keymatexport {
        match socket.export_keying_material(&mut session, label, None, args.keymatexportlen)? {
            Ok(bytes) => {
                let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
                out.emit(
                    "keying-material",
                    json!({ "label": label, "length": bytes.len(), "keying-material": hex }),
                    &format!(
                        "keying material for {label:?} ({} bytes): {hex}",
                        bytes.len()
                    ),
                );
            }
            Err(code) => out.emit(
                "error",
                error_fields(&code),
                &format!("error: --keymatexport: {}", names::error_code_text(&code)),
            ),
        }
    }
    exchange(&mut session, socket, args, &out)?;
    socket.disconnect_from_host(&mut session)?;
    if socket.state(&mut session)? != sslsocket_host::SocketState::Unconnected {
        let _ = socket.wait_for_disconnected(&mut session, 1000)?;
    }
    out.drain(&mut session, socket)?;
    Ok(ExitCode::SUCCESS)
}

fn parse_tolerance(text: Option<&str>) -> anyhow::Result<Tolerance> {
    match text {
        None => Ok(Tolerance::None),
        Some("all") => Ok(Tolerance::All),
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| {
                names::parse_ssl_error(n).ok_or_else(|| anyhow!("unknown ssl-error name `{n}`"))
            })
            .collect::<anyhow::Result<Vec<_>>>()
            .map(Tolerance::Only),
    }
}

/// Applies the CA, identity, protocol, cipher and verification options to the socket.
fn configure(
    session: &mut Session,
    socket: SslSocket,
    args: &ConnectArgs,
    tolerance: &Tolerance,
) -> anyhow::Result<()> {
    for path in &args.ca {
        for cert in load_certificates(session, path)? {
            socket.add_ca_certificate(session, &cert)?;
            cert.drop(session)?;
        }
    }
    if let (Some(cert_path), Some(key_path)) = (&args.cert, &args.key) {
        let certs = load_certificates(session, cert_path)?;
        let Some(leaf) = certs.first().copied() else {
            bail!("{}: no certificate", cert_path.display());
        };
        socket.set_local_certificate(session, &leaf)?;
        for cert in certs {
            cert.drop(session)?;
        }
        let data = std::fs::read(key_path)
            .with_context(|| format!("cannot read {}", key_path.display()))?;
        let key = session
            .private_key_from_data(&data, format_of(&data))?
            .map_err(|e| anyhow!("{}: {}", key_path.display(), names::error_code_text(&e)))?;
        socket
            .set_private_key(session, &key)?
            .map_err(|e| anyhow!("{}: {}", key_path.display(), names::error_code_text(&e)))?;
        key.drop(session)?;
    }
    if let Some(name) = &args.protocol {
        let protocol =
            names::parse_protocol(name).ok_or_else(|| anyhow!("unknown protocol `{name}`"))?;
        socket
            .set_protocol(session, protocol)?
            .map_err(|e| anyhow!("--protocol {name}: {}", names::error_code_text(&e)))?;
    }
    if let Some(ciphers) = &args.ciphers {
        socket
            .set_ciphers_by_name(session, ciphers)?
            .map_err(|e| anyhow!("--ciphers: {}", names::error_code_text(&e)))?;
    }
    if let Some(name) = &args.peer_verify_name {
        socket.set_peer_verify_name(session, name)?;
    }
    for path in &args.crl {
        let data =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        socket
            .add_crls(session, &data, format_of(&data))?
            .map_err(|e| anyhow!("{}: {}", path.display(), names::error_code_text(&e)))?;
    }
    if args.ocsp {
        socket.set_ocsp_stapling_enabled(session, true)?;
    }
    if let Some(name) = &args.verify_mode {
        let mode = names::parse_peer_verify_mode(name)
            .ok_or_else(|| anyhow!("unknown --verify-mode `{name}` (none, query, peer, auto)"))?;
        socket.set_peer_verify_mode(session, mode)?;
    }
    match tolerance {
        Tolerance::None => {}
        Tolerance::All => socket.ignore_ssl_errors(session)?,
        Tolerance::Only(errors) => {
            let list: Vec<(SslError, Option<&Certificate>)> =
                errors.iter().map(|e| (*e, None)).collect();
            socket.ignore_ssl_errors_list(session, &list)?;
        }
    }
    Ok(())
}

/// PEM when the data looks like PEM text, DER otherwise.
pub fn format_of(data: &[u8]) -> EncodingFormat {
    if data.windows(11).any(|w| w == b"-----BEGIN ") {
        EncodingFormat::Pem
    } else {
        EncodingFormat::Der
    }
}

pub fn load_certificates(session: &mut Session, path: &Path) -> anyhow::Result<Vec<Certificate>> {
    let data = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    session
        .certificates_from_data(&data, format_of(&data))?
        .map_err(|e| anyhow!("{}: {}", path.display(), names::error_code_text(&e)))
}

/// Plain connect, greeting, `STARTTLS`, reply, then the client handshake.
fn starttls(
    session: &mut Session,
    socket: SslSocket,
    args: &ConnectArgs,
    out: &Reporter,
) -> anyhow::Result<Result<(), ErrorCode>> {
    if let Err(e) = socket.connect_to_host(session, &args.host, args.port)? {
        return Ok(Err(e));
    }
    if let Err(e) = socket.wait_for_connected(session, args.timeout)? {
        return Ok(Err(e));
    }
    out.drain(session, socket)?;
    if let Err(e) = report_plain_line(session, socket, args.timeout, out)? {
        return Ok(Err(e));
    }
    if let Err(e) = socket.write_all(session, b"STARTTLS\r\n", args.timeout)? {
        return Ok(Err(e));
    }
    if let Err(e) = report_plain_line(session, socket, args.timeout, out)? {
        return Ok(Err(e));
    }
    out.drain(session, socket)?;
    if let Err(e) = socket.start_client_handshake(session)? {
        return Ok(Err(e));
    }
    Ok(socket.wait_for_encrypted(session, args.timeout)?)
}

/// Reads one line of the plain (pre-STARTTLS) conversation and reports it as `plain-data`.
fn report_plain_line(
    session: &mut Session,
    socket: SslSocket,
    msecs: i32,
    out: &Reporter,
) -> anyhow::Result<Result<(), ErrorCode>> {
    while !socket.can_read_line(session)? {
        if let Err(e) = socket.wait_for_ready_read(session, msecs)? {
            return Ok(Err(e));
        }
    }
    let line = match socket.read_line(session, 64 * 1024)? {
        Ok(line) => String::from_utf8_lossy(&line).into_owned(),
        Err(e) => return Ok(Err(e)),
    };
    out.emit(
        "plain-data",
        json!({ "text": line }),
        &format!("plain: {}", line.trim_end()),
    );
    Ok(Ok(()))
}

/// Sends `--send` or stdin, then prints what comes back until the peer closes or `--timeout` ms
/// pass without data.
fn exchange(
    session: &mut Session,
    socket: SslSocket,
    args: &ConnectArgs,
    out: &Reporter,
) -> anyhow::Result<()> {
    let data = match &args.send {
        Some(text) => unescape(text).into_bytes(),
        None if !std::io::stdin().is_terminal() => {
            let mut data = Vec::new();
            std::io::stdin().read_to_end(&mut data)?;
            data
        }
        None => Vec::new(),
    };
    if !data.is_empty()
        && let Err(e) = socket.write_all(session, &data, args.timeout)?
    {
        out.emit(
            "error",
            error_fields(&e),
            &format!("error: {}", names::error_code_text(&e)),
        );
        return Ok(());
    }
    loop {
        let chunk = socket.read_all(session)?;
        match chunk {
            Ok(bytes) if !bytes.is_empty() => {
                let text = String::from_utf8_lossy(&bytes);
                if out.json() {
                    out.emit("data", json!({ "text": text, "bytes": bytes.len() }), "");
                } else {
                    let mut stdout = std::io::stdout().lock();
                    let _ = stdout
                        .write_all(text.as_bytes())
                        .and_then(|()| stdout.flush());
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                out.emit(
                    "error",
                    error_fields(&e),
                    &format!("error: {}", names::error_code_text(&e)),
                );
                return Ok(());
            }
        }
        out.drain(session, socket)?;
        match socket.wait_for_ready_read(session, args.timeout)? {
            Ok(()) => {}
            Err(ErrorCode::SocketTimeout | ErrorCode::RemoteHostClosed) => return Ok(()),
            Err(e) => {
                out.emit(
                    "error",
                    error_fields(&e),
                    &format!("error: {}", names::error_code_text(&e)),
                );
                return Ok(());
            }
        }
    }
}

/// Replaces `\n`, `\r`, `\t` and `\\` escapes.
fn unescape(text: &str) -> String {
    let mut result = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            result.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => result.push('\n'),
            Some('r') => result.push('\r'),
            Some('t') => result.push('\t'),
            Some('\\') => result.push('\\'),
            Some(other) => {
                result.push('\\');
                result.push(other);
            }
            None => result.push('\\'),
        }
    }
    result
}
