//! A blocking TLS stream for Rust programs: [`TlsStream`] implements [`std::io::Read`] and
//! [`std::io::Write`] over a socket of the component, in a [`Session`] of its own, like
//! `std::net::TcpStream` with TLS (and the guest's verification) in between.
//!
//! ```
//! use std::io::{Read, Write};
//! use std::sync::{Arc, atomic::{AtomicBool, Ordering}};
//! use sslsocket_host::{EncodingFormat, Session, SessionConfig, TlsStream};
//! use sslsocket_loops::serve::{self, Behaviour, ServeOptions};
//! use sslsocket_testkit::testpki::{Authority, Usage};
//!
//! # fn main() -> anyhow::Result<()> {
//! // An echo server in another instance (any TLS server will do).
//! let ca = Authority::new("doc CA")?;
//! let id = ca.issue("localhost", &["localhost"], Usage::Server)?;
//! let mut server_session = Session::new(SessionConfig::new())?;
//! let server = server_session.new_server()?;
//! let cert = server_session.certificate_from_pem(&id.cert_pem)??;
//! server.set_local_certificate(&mut server_session, &cert)?;
//! let key = server_session.private_key_from_data(id.key_pem.as_bytes(), EncodingFormat::Pem)??;
//! server.set_private_key(&mut server_session, &key)??;
//! server.listen(&mut server_session, "127.0.0.1", 0)??;
//! let port = server.server_port(&mut server_session)?;
//! let stop = Arc::new(AtomicBool::new(false));
//! let mut options = ServeOptions::new(Behaviour::Echo);
//! options.stop = Some(stop.clone());
//! let echo = std::thread::spawn(move || serve::run(&mut server_session, server, &options, |_, _| {}));
//!
//! let mut stream = TlsStream::builder().ca_pem(&ca.cert_pem).connect("localhost", port)?;
//! stream.write_all(b"hello")?;
//! let mut answer = [0u8; 5];
//! stream.read_exact(&mut answer)?;
//! assert_eq!(&answer, b"hello");
//! assert_eq!(stream.protocol()?.as_deref(), Some("TLSv1.3"));
//! drop(stream);
//! stop.store(true, Ordering::Relaxed);
//! echo.join().unwrap()?;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use crate::{
    EncodingFormat, ErrorCode, NetworkPolicy, Session, SessionConfig, SslErrorReport, SslSocket,
    names,
};

/// A TLS connection made by the component, read and written like a `TcpStream`.
///
/// Each stream has its own component instance (a [`Session`]); for many connections at once,
/// use a [`Session`] and its sockets directly. The socket is aborted and its resources released
/// when the stream is dropped.
pub struct TlsStream {
    session: Session,
    socket: SslSocket,
    timeout: Duration,
}

/// The options of [`TlsStreamBuilder::connect`]: CA certificates, the name checked, ALPN, a client
/// certificate, the timeout.
#[derive(Clone, Debug, Default)]
pub struct TlsStreamBuilder {
    ca_pem: Vec<String>,
    ca_files: Vec<PathBuf>,
    verify_name: Option<String>,
    alpn: Vec<String>,
    identity: Option<(String, String)>,
    timeout: Option<Duration>,
}

/// Why a [`TlsStream`] call failed: the component's error code and, for a failed handshake, every
/// certificate error found (`ssl-errors`). It is the source of the `io::Error` the stream returns.
#[derive(Clone, Debug, PartialEq)]
pub struct TlsError {
    /// The error code.
    pub code: ErrorCode,
    /// The certificate errors, with the subjects of their certificates.
    pub ssl_errors: Vec<SslErrorReport>,
}

/// The default timeout of connecting, the handshake, and each read or write.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl TlsStream {
    /// The options, to end with [`TlsStreamBuilder::connect`].
    pub fn builder() -> TlsStreamBuilder {
        TlsStreamBuilder::default()
    }

    /// Connects to `host:port` with the defaults (the system roots, a 30 s timeout), as
    /// `TlsStream::builder().connect(host, port)`.
    ///
    /// # Errors
    /// As [`TlsStreamBuilder::connect`].
    pub fn connect(host: &str, port: u16) -> io::Result<Self> {
        Self::builder().connect(host, port)
    }

    /// The negotiated protocol, `TLSv1.2` or `TLSv1.3`.
    ///
    /// # Errors
    /// A trap in the component, as an `io::Error`.
    pub fn protocol(&mut self) -> io::Result<Option<String>> {
        let protocol = self
            .socket
            .session_protocol(&mut self.session)
            .map_err(io::Error::other)?;
        Ok(protocol.map(|p| names::protocol_display(p).to_owned()))
    }

    /// The ALPN protocol agreed, if any.
    ///
    /// # Errors
    /// A trap in the component, as an `io::Error`.
    pub fn alpn_protocol(&mut self) -> io::Result<Option<String>> {
        self.socket
            .next_negotiated_protocol(&mut self.session)
            .map_err(io::Error::other)
    }

    /// The subjects of the peer's certificate chain, leaf first.
    ///
    /// # Errors
    /// A trap in the component, as an `io::Error`.
    pub fn peer_chain(&mut self) -> io::Result<Vec<String>> {
        self.socket
            .peer_chain_subjects(&mut self.session)
            .map_err(io::Error::other)
    }

    /// The session and socket underneath, for everything else the WIT offers.
    pub fn parts(&mut self) -> (&mut Session, SslSocket) {
        (&mut self.session, self.socket)
    }

    fn millis(&self) -> i32 {
        i32::try_from(self.timeout.as_millis()).unwrap_or(i32::MAX)
    }
}

impl TlsStreamBuilder {
    /// Trusts the CA certificates in this PEM text (instead of the system roots, once any is
    /// given).
    pub fn ca_pem(mut self, pem: &str) -> Self {
        self.ca_pem.push(pem.to_owned());
        self
    }

    /// Trusts the CA certificates in this PEM file.
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_files.push(path.into());
        self
    }

    /// Checks the server's certificate against `name` (and sends it as SNI) instead of the host
    /// connected to.
    pub fn verify_name(mut self, name: &str) -> Self {
        self.verify_name = Some(name.to_owned());
        self
    }

    /// Offers these ALPN protocols, most preferred first.
    pub fn alpn(mut self, protocols: &[&str]) -> Self {
        self.alpn = protocols.iter().map(|p| (*p).to_owned()).collect();
        self
    }

    /// Presents this client certificate (PEM) with its private key (PEM).
    pub fn client_certificate(mut self, cert_pem: &str, key_pem: &str) -> Self {
        self.identity = Some((cert_pem.to_owned(), key_pem.to_owned()));
        self
    }

    /// The timeout of connecting, the handshake and each read or write (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Connects to `host:port` (the guest may reach exactly that address) and completes the
    /// handshake.
    ///
    /// # Errors
    /// `InvalidInput` for unreadable options; otherwise an `io::Error` whose source is a
    /// [`TlsError`] (with the certificate errors when verification failed).
    pub fn connect(self, host: &str, port: u16) -> io::Result<TlsStream> {
        let policy = NetworkPolicy::deny_all()
            .allow_host_port(host, port)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let mut session =
            Session::new(SessionConfig::new().network(policy)).map_err(io::Error::other)?;
        let socket = session.new_socket().map_err(io::Error::other)?;
        let mut stream = TlsStream {
            session,
            socket,
            timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
        };
        self.configure(&mut stream)?;
        let session = &mut stream.session;
        let started = socket
            .connect_to_host_encrypted(session, host, port)
            .map_err(io::Error::other)?;
        let millis = stream.millis();
        let done = match started {
            Ok(()) => socket
                .wait_for_encrypted(&mut stream.session, millis)
                .map_err(io::Error::other)?,
            Err(e) => Err(e),
        };
        match done {
            Ok(()) => Ok(stream),
            Err(code) => Err(stream.error(code)),
        }
    }

    fn configure(&self, stream: &mut TlsStream) -> io::Result<()> {
        let (session, socket) = (&mut stream.session, stream.socket);
        let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidInput, what);
        let mut pems = self.ca_pem.clone();
        for path in &self.ca_files {
            pems.push(
                std::fs::read_to_string(path)
                    .map_err(|e| invalid(format!("{}: {e}", path.display())))?,
            );
        }
        for pem in &pems {
            socket
                .add_ca_certificates_pem(session, pem)
                .map_err(io::Error::other)?
                .map_err(|e| invalid(format!("CA certificates: {}", names::error_code_text(&e))))?;
        }
        if let Some(name) = &self.verify_name {
            socket
                .set_peer_verify_name(session, name)
                .map_err(io::Error::other)?;
        }
        if !self.alpn.is_empty() {
            let list: Vec<&str> = self.alpn.iter().map(String::as_str).collect();
            socket
                .set_allowed_next_protocols(session, &list)
                .map_err(io::Error::other)?
                .map_err(|e| invalid(format!("ALPN: {}", names::error_code_text(&e))))?;
        }
        if let Some((cert_pem, key_pem)) = &self.identity {
            let cert = session
                .certificate_from_pem(cert_pem)
                .map_err(io::Error::other)?
                .map_err(|e| {
                    invalid(format!(
                        "client certificate: {}",
                        names::error_code_text(&e)
                    ))
                })?;
            socket
                .set_local_certificate(session, &cert)
                .map_err(io::Error::other)?;
            cert.drop(session).map_err(io::Error::other)?;
            let key = session
                .private_key_from_data(key_pem.as_bytes(), EncodingFormat::Pem)
                .map_err(io::Error::other)?
                .map_err(|e| invalid(format!("client key: {}", names::error_code_text(&e))))?;
            socket
                .set_private_key(session, &key)
                .map_err(io::Error::other)?
                .map_err(|e| invalid(format!("client key: {}", names::error_code_text(&e))))?;
            key.drop(session).map_err(io::Error::other)?;
        }
        Ok(())
    }
}

impl TlsStream {
    /// An `io::Error` for `code`, with the socket's certificate errors.
    fn error(&mut self, code: ErrorCode) -> io::Error {
        let ssl_errors = self
            .socket
            .ssl_error_report(&mut self.session)
            .unwrap_or_default();
        let kind = match code {
            ErrorCode::SocketTimeout => io::ErrorKind::TimedOut,
            ErrorCode::ConnectionRefused => io::ErrorKind::ConnectionRefused,
            ErrorCode::RemoteHostClosed => io::ErrorKind::ConnectionReset,
            ErrorCode::SocketAccess => io::ErrorKind::PermissionDenied,
            ErrorCode::InvalidInput(_) => io::ErrorKind::InvalidInput,
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, TlsError { code, ssl_errors })
    }
}

impl io::Read for TlsStream {
    /// Reads what is decrypted, waiting (up to the timeout) when nothing is; `Ok(0)` once the
    /// peer has closed and everything was read.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let session = &mut self.session;
            let available = self
                .socket
                .bytes_available(session)
                .map_err(io::Error::other)?;
            if available > 0 {
                let data = self
                    .socket
                    .read(session, buf.len() as u64)
                    .map_err(io::Error::other)?
                    .map_err(|code| self.error(code))?;
                let n = data.len().min(buf.len());
                if let (Some(to), Some(from)) = (buf.get_mut(..n), data.get(..n)) {
                    to.copy_from_slice(from);
                }
                return Ok(n);
            }
            if self.socket.at_end(session).map_err(io::Error::other)? {
                return Ok(0);
            }
            let millis = self.millis();
            match self
                .socket
                .wait_for_ready_read(&mut self.session, millis)
                .map_err(io::Error::other)?
            {
                Ok(()) => {}
                // The peer closed: what it sent before is still read, then Ok(0).
                Err(ErrorCode::RemoteHostClosed) => {}
                Err(code) if self.socket.bytes_available(&mut self.session).unwrap_or(0) == 0 => {
                    let at_end = self.socket.at_end(&mut self.session).unwrap_or(false);
                    if at_end {
                        return Ok(0);
                    }
                    return Err(self.error(code));
                }
                Err(_) => {}
            }
        }
    }
}

impl io::Write for TlsStream {
    /// Queues all of `buf` (the component never blocks a write) and sends what it can.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self
            .socket
            .write(&mut self.session, buf)
            .map_err(io::Error::other)?
            .map_err(|code| self.error(code))?;
        Ok(usize::try_from(written).unwrap_or(buf.len()))
    }

    /// Waits (up to the timeout) until everything written is on the network.
    fn flush(&mut self) -> io::Result<()> {
        if self
            .socket
            .bytes_to_write(&mut self.session)
            .map_err(io::Error::other)?
            == 0
        {
            return Ok(());
        }
        let millis = self.millis();
        self.socket
            .wait_for_bytes_written(&mut self.session, millis)
            .map_err(io::Error::other)?
            .map_err(|code| self.error(code))
    }
}

impl Drop for TlsStream {
    fn drop(&mut self) {
        let _ = self.socket.abort(&mut self.session);
        let _ = self.socket.drop(&mut self.session);
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&names::error_code_text(&self.code))?;
        for (i, e) in self.ssl_errors.iter().enumerate() {
            f.write_str(if i == 0 { ": " } else { ", " })?;
            write!(f, "{}", names::ssl_error(e.error))?;
            if let Some(subject) = &e.certificate {
                write!(f, " ({subject})")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for TlsError {}
