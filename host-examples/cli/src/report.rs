//! Output of the `sslsocket` command: human-readable lines, or one JSON object per line.

use std::io::Write as _;

use serde_json::{Map, Value, json};
use sslsocket_host::{ErrorCode, Session, SocketEvent, SslErrorReport, SslSocket, names};

use crate::key_log::KeyLogFile;

/// `println!` that ignores write errors (a closed pipe, as in `sslsocket ... | head`) instead of
/// panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Prints events either as text (`* ...` lines on stdout) or as JSON lines.
pub struct Reporter {
    json: bool,
    step: Option<String>,
    key_log: Option<KeyLogFile>,
}

impl Reporter {
    /// A reporter; `json` selects JSON lines.
    pub fn new(json: bool) -> Self {
        Self {
            json,
            step: None,
            key_log: None,
        }
    }

    /// Appends the `key-log-line` events [`Reporter::drain`] sees to `file` instead of printing
    /// them (they are secrets).
    pub fn with_key_log(mut self, file: Option<KeyLogFile>) -> Self {
        self.key_log = file;
        self
    }

    /// Whether output is JSON.
    pub fn json(&self) -> bool {
        self.json
    }

    /// Starts a named step (the demo): a heading in text mode, a `step` field in JSON mode.
    pub fn step(&mut self, name: &str, title: &str) {
        self.step = Some(name.to_owned());
        if !self.json {
            say!("\n== {title}");
        }
    }

    /// Prints an informational line (text mode only).
    pub fn info(&self, text: &str) {
        if !self.json {
            say!("   {text}");
        }
    }

    /// Prints one event: `fields` are added to `{"event": name}` in JSON mode; `text` is printed in
    /// text mode.
    pub fn emit(&self, name: &str, fields: Value, text: &str) {
        if self.json {
            let mut object = Map::new();
            object.insert("event".to_owned(), Value::from(name));
            if let Some(step) = &self.step {
                object.insert("step".to_owned(), Value::from(step.as_str()));
            }
            if let Value::Object(extra) = fields {
                object.extend(extra);
            }
            say!("{}", Value::Object(object));
        } else {
            say!("*  {text}");
        }
    }

    /// Drains the socket's queued events and prints each; returns them. `encrypted` and
    /// `ssl-errors` events are printed with details (protocol, cipher, peer chain; errors with the
    /// certificate each concerns); the `remote-host-closed` error as `end-of-stream`.
    pub fn drain(
        &self,
        session: &mut Session,
        socket: SslSocket,
    ) -> anyhow::Result<Vec<SocketEvent>> {
        let events = socket.take_events(session)?;
        for event in &events {
            match event {
                SocketEvent::Encrypted => self.encrypted(session, socket)?,
                SocketEvent::SslErrors(_) => {
                    self.ssl_errors(session, socket)?;
                }
                SocketEvent::KeyLogLine(line) => {
                    if let Some(file) = &self.key_log {
                        file.append([line.as_str()])?;
                    }
                }
                // Qt reports the peer's close as an error (`RemoteHostClosedError`); here it is
                // the normal end of the stream.
                SocketEvent::Error(ErrorCode::RemoteHostClosed) => self.emit(
                    "end-of-stream",
                    json!({}),
                    "event end-of-stream (the peer closed the connection)",
                ),
                other => {
                    let fields = match other {
                        SocketEvent::ModeChanged(m) => json!({ "mode": names::mode(*m) }),
                        SocketEvent::StateChanged(s) => json!({ "state": names::socket_state(*s) }),
                        SocketEvent::BytesWritten(n) => json!({ "bytes": n }),
                        SocketEvent::Error(code) => error_fields(code),
                        // The peer as it was when the event happened (a handshake that failed
                        // since has dropped the connection).
                        SocketEvent::Connected(peer) => json!({
                            "peer-address": peer.as_ref().map(|p| &p.address),
                            "peer-port": peer.as_ref().map(|p| p.port),
                        }),
                        _ => json!({}),
                    };
                    self.emit(
                        names::event(other),
                        fields,
                        &format!("event {}", names::event_text(other)),
                    );
                }
            }
        }
        Ok(events)
    }

    /// Prints the `encrypted` event with protocol, cipher and peer chain.
    pub fn encrypted(&self, session: &mut Session, socket: SslSocket) -> anyhow::Result<()> {
        let protocol = socket
            .session_protocol(session)?
            .map(names::protocol_display);
        let cipher = socket.current_cipher(session)?;
        let chain = socket.peer_chain_subjects(session)?;
        let cipher_name = cipher.as_ref().map(|c| c.name.clone());
        let iana = cipher.as_ref().map(|c| c.iana_name.clone());
        self.emit(
            "encrypted",
            json!({
                "protocol": protocol,
                "cipher": cipher_name,
                "cipher-iana": iana,
                "peer-chain": chain,
            }),
            &format!(
                "encrypted: {} {}",
                protocol.unwrap_or("(no protocol)"),
                cipher_name.as_deref().unwrap_or("(no cipher)")
            ),
        );
        if !self.json {
            for (depth, subject) in chain.iter().enumerate() {
                say!("     peer chain {depth}: {subject}");
            }
        }
        Ok(())
    }

    /// Prints the socket's `ssl-errors` list as one event; returns the error names.
    pub fn ssl_errors(
        &self,
        session: &mut Session,
        socket: SslSocket,
    ) -> anyhow::Result<Vec<&'static str>> {
        let report = socket.ssl_error_report(session)?;
        let names: Vec<&'static str> = report.iter().map(|r| names::ssl_error(r.error)).collect();
        self.emit(
            "ssl-errors",
            json!({ "errors": ssl_error_values(&report) }),
            &format!("ssl-errors: {}", names.join(", ")),
        );
        if !self.json {
            for r in &report {
                say!("     {}", ssl_error_line(r));
            }
        }
        Ok(names)
    }

    /// Prints the stapled OCSP responses checked in the handshake, one event each (or that there
    /// was none).
    pub fn ocsp(&self, session: &mut Session, socket: SslSocket) -> anyhow::Result<()> {
        let responses = socket.ocsp_report(session)?;
        if responses.is_empty() {
            self.emit(
                "ocsp",
                json!({ "response": null }),
                "ocsp: no response checked",
            );
        }
        for r in responses {
            let status = names::ocsp_certificate_status(r.certificate_status);
            let reason = names::ocsp_revocation_reason(r.revocation_reason);
            self.emit(
                "ocsp",
                json!({
                    "status": status,
                    "revocation-reason": reason,
                    "responder": r.responder,
                    "subject": r.subject,
                }),
                &format!(
                    "ocsp: {status} ({reason}) for {}, responder {}",
                    r.subject,
                    r.responder.as_deref().unwrap_or("unknown")
                ),
            );
        }
        Ok(())
    }
}

/// `{"error": "<case>", "message": "..."}` for an error code.
pub fn error_fields(code: &sslsocket_host::ErrorCode) -> Value {
    let (name, message) = names::error_code(code);
    json!({ "error": name, "message": message })
}

/// `ssl-errors` entries as JSON objects: `error` (the WIT name), `message`, `certificate` (its
/// subject, or null).
pub fn ssl_error_values(report: &[SslErrorReport]) -> Vec<Value> {
    report
        .iter()
        .map(|r| {
            json!({
                "error": names::ssl_error(r.error),
                "message": r.message,
                "certificate": r.certificate,
            })
        })
        .collect()
}

/// One `ssl-errors` entry as text: `name: message [certificate subject]`.
pub fn ssl_error_line(r: &SslErrorReport) -> String {
    format!(
        "{}: {} [{}]",
        names::ssl_error(r.error),
        r.message,
        r.certificate.as_deref().unwrap_or("no certificate")
    )
}
