//! Typed handles to the component's resources (`ssl-socket`, `ssl-server`, `certificate`,
//! `key`, pollables), their methods, and plain-data reports of what they hold.

use wasmtime::component::{Resource, ResourceAny};
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::bindings::sync::io::poll::HostPollable as _;

use crate::*;

/// Declares handle methods that forward to the generated `call_*` functions of the `via` API.
macro_rules! forward {
    (via $api:ident; $( $(#[$doc:meta])* fn $name:ident => $call:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty; )*) => {
        $(
            $(#[$doc])*
            pub fn $name(&self, session: &mut Session $(, $arg: $ty)*) -> wasmtime::Result<$ret> {
                let (api, store) = session.$api();
                api.$call(store, self.0 $(, $arg)*)
            }
        )*
    };
}

/// A handle to an `ssl-socket` resource in a [`Session`]. Drop it with [`SslSocket::drop`].
#[derive(Clone, Copy, Debug)]
pub struct SslSocket(pub ResourceAny);

impl SslSocket {
    forward! {
        via ssl_socket_api;
        /// `connect-to-host`: starts a plain TCP connection.
        fn connect_to_host => call_connect_to_host(host: &str, port: u16) -> Result<(), ErrorCode>;
        /// `connect-to-host-encrypted`: connects, then runs a TLS client handshake.
        fn connect_to_host_encrypted => call_connect_to_host_encrypted(host: &str, port: u16) -> Result<(), ErrorCode>;
        /// `start-client-handshake`: upgrades a plain connected socket (STARTTLS).
        fn start_client_handshake => call_start_client_handshake() -> Result<(), ErrorCode>;
        /// `disconnect-from-host`: flushes, sends close_notify and closes.
        fn disconnect_from_host => call_disconnect_from_host() -> ();
        /// `shutdown-write`: half-close (close_notify and FIN, reading goes on).
        fn shutdown_write => call_shutdown_write() -> Result<(), ErrorCode>;
        /// `close`.
        fn close => call_close() -> ();
        /// `abort`.
        fn abort => call_abort() -> ();
        /// `wait-for-connected(msecs)`.
        fn wait_for_connected => call_wait_for_connected(msecs: i32) -> Result<(), ErrorCode>;
        /// `wait-for-encrypted(msecs)`.
        fn wait_for_encrypted => call_wait_for_encrypted(msecs: i32) -> Result<(), ErrorCode>;
        /// `wait-for-ready-read(msecs)`.
        fn wait_for_ready_read => call_wait_for_ready_read(msecs: i32) -> Result<(), ErrorCode>;
        /// `wait-for-bytes-written(msecs)`.
        fn wait_for_bytes_written => call_wait_for_bytes_written(msecs: i32) -> Result<(), ErrorCode>;
        /// `wait-for-disconnected(msecs)`.
        fn wait_for_disconnected => call_wait_for_disconnected(msecs: i32) -> Result<(), ErrorCode>;
        /// `process`: does the work that can be done without blocking.
        fn process => call_process() -> ();
        /// `take-events`: the queued signals, oldest first.
        fn take_events => call_take_events() -> Vec<SocketEvent>;
        /// `read(max-size)`.
        fn read => call_read(max_size: u64) -> Result<Vec<u8>, ErrorCode>;
        /// `read-all`.
        fn read_all => call_read_all() -> Result<Vec<u8>, ErrorCode>;
        /// `read-line(max-size)`.
        fn read_line => call_read_line(max_size: u64) -> Result<Vec<u8>, ErrorCode>;
        /// `can-read-line`.
        fn can_read_line => call_can_read_line() -> bool;
        /// `get-char`.
        fn get_char => call_get_char() -> Result<Option<u8>, ErrorCode>;
        /// `put-char`.
        fn put_char => call_put_char(c: u8) -> Result<(), ErrorCode>;
        /// `write(data)`: queues data, returns its length.
        fn write => call_write(data: &[u8]) -> Result<u64, ErrorCode>;
        /// `bytes-available`.
        fn bytes_available => call_bytes_available() -> u64;
        /// `bytes-to-write`.
        fn bytes_to_write => call_bytes_to_write() -> u64;
        /// `at-end`.
        fn at_end => call_at_end() -> bool;
        /// `read-buffer-size`: 0 means no limit.
        fn read_buffer_size => call_read_buffer_size() -> u64;
        /// `set-read-buffer-size`: stop reading from the network once this much waits.
        fn set_read_buffer_size => call_set_read_buffer_size(size: u64) -> ();
        /// `write-buffer-size`.
        fn write_buffer_size => call_write_buffer_size() -> u64;
        /// `set-write-buffer-size`: stop reading from the peer while this much waits to be sent.
        fn set_write_buffer_size => call_set_write_buffer_size(size: u64) -> ();
        /// `state`.
        fn state => call_state() -> SocketState;
        /// `mode`.
        fn mode => call_mode() -> Mode;
        /// `is-encrypted`.
        fn is_encrypted => call_is_encrypted() -> bool;
        /// `error`: the last error.
        fn error => call_error() -> Option<ErrorCode>;
        /// `error-string`.
        fn error_string => call_error_string() -> String;
        /// `peer-address`.
        fn peer_address => call_peer_address() -> Option<String>;
        /// `peer-port`.
        fn peer_port => call_peer_port() -> u16;
        /// `peer-name`.
        fn peer_name => call_peer_name() -> String;
        /// `protocol`: the setting for the next handshake.
        fn protocol => call_protocol() -> Protocol;
        /// `set-protocol`.
        fn set_protocol => call_set_protocol(protocol: Protocol) -> Result<(), ErrorCode>;
        /// `session-protocol`: the negotiated version.
        fn session_protocol => call_session_protocol() -> Option<Protocol>;
        /// `ciphers`.
        fn ciphers => call_ciphers() -> Vec<Cipher>;
        /// `set-ciphers-by-name("A:B")`.
        fn set_ciphers_by_name => call_set_ciphers_by_name(names: &str) -> Result<(), ErrorCode>;
        /// `current-cipher`.
        fn current_cipher => call_current_cipher() -> Option<Cipher>;
        /// `key-exchange-groups`: the groups offered or accepted, most preferred first.
        fn key_exchange_groups => call_key_exchange_groups() -> Vec<String>;
        /// `set-key-exchange-groups`: IANA names such as `X25519MLKEM768` or `secp256r1`.
        fn set_key_exchange_groups => call_set_key_exchange_groups(groups: &[String]) -> Result<(), ErrorCode>;
        /// `add-ca-certificates-pem`: returns how many were added.
        fn add_ca_certificates_pem => call_add_ca_certificates_pem(pem: &str) -> Result<u32, ErrorCode>;
        /// `ignore-ssl-errors`.
        fn ignore_ssl_errors => call_ignore_ssl_errors() -> ();
        /// `peer-verify-name`.
        fn peer_verify_name => call_peer_verify_name() -> String;
        /// `set-peer-verify-name`.
        fn set_peer_verify_name => call_set_peer_verify_name(name: &str) -> ();
        /// `set-handshake-must-interrupt-on-error`: pause the handshake on certificate errors.
        fn set_handshake_must_interrupt_on_error => call_set_handshake_must_interrupt_on_error(interrupt: bool) -> ();
        /// `continue-interrupted-handshake`.
        fn continue_interrupted_handshake => call_continue_interrupted_handshake() -> Result<(), ErrorCode>;
        /// `peer-verify-mode`.
        fn peer_verify_mode => call_peer_verify_mode() -> PeerVerifyMode;
        /// `set-peer-verify-mode`.
        fn set_peer_verify_mode => call_set_peer_verify_mode(mode: PeerVerifyMode) -> ();
        /// `add-crls(data, format)`: returns how many CRLs were added.
        fn add_crls => call_add_crls(data: &[u8], format: EncodingFormat) -> Result<u32, ErrorCode>;
        /// `set-ocsp-stapling-enabled`: ask for and check the server's stapled OCSP response.
        fn set_ocsp_stapling_enabled => call_set_ocsp_stapling_enabled(enabled: bool) -> ();
        /// `ocsp-stapling-enabled`.
        fn ocsp_stapling_enabled => call_ocsp_stapling_enabled() -> bool;
        /// `set-ocsp-response`: the DER OCSP response a server-mode socket staples.
        fn set_ocsp_response => call_set_ocsp_response(der: &[u8]) -> Result<(), ErrorCode>;
        /// `start-server-handshake`: upgrades a plain connected socket as the TLS server.
        fn start_server_handshake => call_start_server_handshake() -> Result<(), ErrorCode>;
        /// `local-address`.
        fn local_address => call_local_address() -> Option<String>;
        /// `local-port`.
        fn local_port => call_local_port() -> u16;
        /// `allowed-next-protocols`: the ALPN protocols set.
        fn allowed_next_protocols => call_allowed_next_protocols() -> Vec<String>;
        /// `next-negotiated-protocol`: the ALPN protocol agreed, once encrypted.
        fn next_negotiated_protocol => call_next_negotiated_protocol() -> Option<String>;
        /// `next-protocol-negotiation-status`.
        fn next_protocol_negotiation_status => call_next_protocol_negotiation_status() -> NextProtocolNegotiationStatus;
        /// `session-resumed`: whether the handshake resumed an earlier session.
        fn session_resumed => call_session_resumed() -> bool;
        /// `key-exchange-group`, e.g. `X25519`.
        fn key_exchange_group => call_key_exchange_group() -> Option<String>;
    }

    /// `set-allowed-next-protocols`: the ALPN protocols to offer (client) or accept (server), most
    /// preferred first.
    pub fn set_allowed_next_protocols(
        &self,
        session: &mut Session,
        protocols: &[&str],
    ) -> CallResult<()> {
        let list: Vec<String> = protocols.iter().map(|p| (*p).to_owned()).collect();
        let (api, store) = session.ssl_socket_api();
        api.call_set_allowed_next_protocols(store, self.0, &list)
    }

    /// `set-local-certificate-chain`: the local certificate followed by its intermediates.
    pub fn set_local_certificate_chain(
        &self,
        session: &mut Session,
        chain: &[&Certificate],
    ) -> wasmtime::Result<()> {
        let list: Vec<ResourceAny> = chain.iter().map(|c| c.0).collect();
        let (api, store) = session.ssl_socket_api();
        api.call_set_local_certificate_chain(store, self.0, &list)
    }

    /// `subscribe`: a pollable that is ready when `process` may make progress. Drop it (with
    /// [`Pollable::drop`]) before the socket.
    pub fn subscribe(&self, session: &mut Session) -> wasmtime::Result<Pollable> {
        let (api, store) = session.ssl_socket_api();
        api.call_subscribe(store, self.0).map(Pollable)
    }

    /// `ignore-ssl-errors-list`: ignores exactly these errors, each for the given certificate
    /// (`None`: for any certificate). Replaces any earlier list.
    pub fn ignore_ssl_errors_list(
        &self,
        session: &mut Session,
        errors: &[(SslError, Option<&Certificate>)],
    ) -> wasmtime::Result<()> {
        let list: Vec<(SslError, Option<ResourceAny>)> = errors
            .iter()
            .map(|(error, cert)| (*error, cert.map(|c| c.0)))
            .collect();
        let (api, store) = session.ssl_socket_api();
        api.call_ignore_ssl_errors_list(store, self.0, &list)
    }

    /// `add-ca-certificate`.
    pub fn add_ca_certificate(
        &self,
        session: &mut Session,
        cert: &Certificate,
    ) -> wasmtime::Result<()> {
        let (api, store) = session.ssl_socket_api();
        api.call_add_ca_certificate(store, self.0, cert.0)
    }

    /// `set-local-certificate`.
    pub fn set_local_certificate(
        &self,
        session: &mut Session,
        cert: &Certificate,
    ) -> wasmtime::Result<()> {
        let (api, store) = session.ssl_socket_api();
        api.call_set_local_certificate(store, self.0, cert.0)
    }

    /// `set-private-key`.
    pub fn set_private_key(&self, session: &mut Session, key: &Key) -> CallResult<()> {
        let (api, store) = session.ssl_socket_api();
        api.call_set_private_key(store, self.0, key.0)
    }

    /// `peer-certificate`.
    pub fn peer_certificate(&self, session: &mut Session) -> wasmtime::Result<Option<Certificate>> {
        let (api, store) = session.ssl_socket_api();
        Ok(api.call_peer_certificate(store, self.0)?.map(Certificate))
    }

    /// `peer-certificate-chain`, leaf first.
    pub fn peer_certificate_chain(
        &self,
        session: &mut Session,
    ) -> wasmtime::Result<Vec<Certificate>> {
        let (api, store) = session.ssl_socket_api();
        Ok(api
            .call_peer_certificate_chain(store, self.0)?
            .into_iter()
            .map(Certificate)
            .collect())
    }

    /// `ssl-errors` of the last handshake. The certificates in the entries are owned by the caller;
    /// [`SslSocket::ssl_error_report`] is the convenient form.
    pub fn ssl_errors(&self, session: &mut Session) -> wasmtime::Result<Vec<SslErrorEntry>> {
        let (api, store) = session.ssl_socket_api();
        api.call_ssl_errors(store, self.0)
    }

    /// `ssl-errors` as plain data: each error with the subject of its certificate (the certificate
    /// handles are dropped).
    pub fn ssl_error_report(&self, session: &mut Session) -> wasmtime::Result<Vec<SslErrorReport>> {
        let entries = self.ssl_errors(session)?;
        let mut report = Vec::with_capacity(entries.len());
        for entry in entries {
            let certificate = match entry.certificate {
                Some(handle) => Some(Certificate(handle).into_subject(session)?),
                None => None,
            };
            report.push(SslErrorReport {
                error: entry.error,
                message: entry.message,
                certificate,
            });
        }
        Ok(report)
    }

    /// `ocsp-responses` as plain data: each stapled response checked in the last handshake, with
    /// the subjects of its certificates (the certificate handles are dropped).
    pub fn ocsp_report(&self, session: &mut Session) -> wasmtime::Result<Vec<OcspReport>> {
        let (api, store) = session.ssl_socket_api();
        let responses = api.call_ocsp_responses(store, self.0)?;
        let mut report = Vec::with_capacity(responses.len());
        for response in responses {
            let responder = match response.responder {
                Some(handle) => Some(Certificate(handle).into_subject(session)?),
                None => None,
            };
            report.push(OcspReport {
                certificate_status: response.certificate_status,
                revocation_reason: response.revocation_reason,
                responder,
                subject: Certificate(response.subject).into_subject(session)?,
            });
        }
        Ok(report)
    }

    /// The subjects of the peer's chain, leaf first (the certificate handles are dropped).
    pub fn peer_chain_subjects(&self, session: &mut Session) -> wasmtime::Result<Vec<String>> {
        let chain = self.peer_certificate_chain(session)?;
        let mut subjects = Vec::with_capacity(chain.len());
        for cert in chain {
            subjects.push(cert.into_subject(session)?);
        }
        Ok(subjects)
    }

    /// Writes all of `data` and waits until it has been written to the network.
    pub fn write_all(&self, session: &mut Session, data: &[u8], msecs: i32) -> CallResult<()> {
        let mut rest = data;
        while !rest.is_empty() {
            let written = match self.write(session, rest)? {
                Ok(n) => usize::try_from(n).unwrap_or(usize::MAX).min(rest.len()),
                Err(e) => return Ok(Err(e)),
            };
            if written == 0 {
                return Ok(Err(ErrorCode::Unknown(
                    "write accepted no bytes".to_owned(),
                )));
            }
            rest = rest.get(written..).unwrap_or_default();
        }
        if self.bytes_to_write(session)? == 0 {
            return Ok(Ok(()));
        }
        self.wait_for_bytes_written(session, msecs)
    }

    /// Reads exactly `len` bytes, waiting up to `msecs` for each new piece of data.
    pub fn read_exact(&self, session: &mut Session, len: usize, msecs: i32) -> CallResult<Vec<u8>> {
        let mut data = Vec::with_capacity(len);
        while data.len() < len {
            if self.bytes_available(session)? == 0
                && let Err(e) = self.wait_for_ready_read(session, msecs)?
            {
                return Ok(Err(e));
            }
            let want = u64::try_from(len - data.len()).unwrap_or(u64::MAX);
            match self.read(session, want)? {
                Ok(chunk) => data.extend_from_slice(&chunk),
                Err(e) => return Ok(Err(e)),
            }
        }
        Ok(Ok(data))
    }

    /// Drops the socket resource.
    pub fn drop(self, session: &mut Session) -> wasmtime::Result<()> {
        session.drop_resource(self.0)
    }
}

/// A `wasi:io` pollable returned by a `subscribe` method, owned by the host. Wait on several at
/// once with [`Session::poll`]; drop it with [`Pollable::drop`] (before the socket or server it
/// came from).
#[derive(Debug)]
pub struct Pollable(pub Resource<DynPollable>);

impl Pollable {
    /// Drops the pollable.
    pub fn drop(self, session: &mut Session) -> wasmtime::Result<()> {
        session.store.data_mut().table.drop(self.0)
    }
}

/// A handle to an `ssl-server` resource in a [`Session`] (`QSslServer`). Drop it with
/// [`SslServer::drop`].
///
/// ```no_run
/// # fn main() -> anyhow::Result<()> {
/// use sslsocket_host::{Session, SessionConfig};
///
/// let mut session = Session::new(SessionConfig::new())?;
/// let chain = session.certificates_from_pem(&std::fs::read_to_string("server.pem")?)??;
/// let key = session.private_key_from_data(&std::fs::read("server.key")?, sslsocket_host::EncodingFormat::Pem)??;
/// let server = session.new_server()?;
/// server.set_local_certificate_chain(&mut session, &chain.iter().collect::<Vec<_>>())?;
/// server.set_private_key(&mut session, &key)??;
/// server.listen(&mut session, "127.0.0.1", 0)??;
/// let port = server.server_port(&mut session)?;
/// server.wait_for_new_connection(&mut session, -1)??;
/// if let Some(socket) = server.next_pending_connection(&mut session)? {
///     socket.write_all(&mut session, b"hello\n", 5000)??;
/// }
/// # let _ = port;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct SslServer(pub ResourceAny);

impl SslServer {
    forward! {
        via ssl_server_api;
        /// `listen(address, port)`: port 0 picks a free port (see [`SslServer::server_port`]).
        fn listen => call_listen(address: &str, port: u16) -> Result<(), ErrorCode>;
        /// `is-listening`.
        fn is_listening => call_is_listening() -> bool;
        /// `close`: stops listening and drops connections still handshaking.
        fn close => call_close() -> ();
        /// `server-address`.
        fn server_address => call_server_address() -> Option<String>;
        /// `server-port`: 0 when not listening.
        fn server_port => call_server_port() -> u16;
        /// `max-pending-connections`.
        fn max_pending_connections => call_max_pending_connections() -> u32;
        /// `set-max-pending-connections`.
        fn set_max_pending_connections => call_set_max_pending_connections(n: u32) -> ();
        /// `set-read-buffer-size`: the read buffer limit of accepted connections.
        fn set_read_buffer_size => call_set_read_buffer_size(size: u64) -> ();
        /// `set-write-buffer-size`: the write buffer limit of accepted connections.
        fn set_write_buffer_size => call_set_write_buffer_size(size: u64) -> ();
        /// `handshake-timeout` in milliseconds.
        fn handshake_timeout => call_handshake_timeout() -> u32;
        /// `set-handshake-timeout(msecs)`.
        fn set_handshake_timeout => call_set_handshake_timeout(msecs: u32) -> ();
        /// `listen-backlog-size`.
        fn listen_backlog_size => call_listen_backlog_size() -> u32;
        /// `set-listen-backlog-size`: for the next `listen`.
        fn set_listen_backlog_size => call_set_listen_backlog_size(size: u32) -> ();
        /// `set-deferred-handshake`: queue connections plain (STARTTLS servers).
        fn set_deferred_handshake => call_set_deferred_handshake(deferred: bool) -> ();
        /// `wait-for-new-connection(msecs)`.
        fn wait_for_new_connection => call_wait_for_new_connection(msecs: i32) -> Result<(), ErrorCode>;
        /// `has-pending-connections`.
        fn has_pending_connections => call_has_pending_connections() -> bool;
        /// `process`: accepts and advances handshakes without blocking.
        fn process => call_process() -> ();
        /// `take-events`: the queued server events, oldest first.
        fn take_events => call_take_events() -> Vec<ServerEvent>;
        /// `add-ca-certificates-pem`: returns how many were added.
        fn add_ca_certificates_pem => call_add_ca_certificates_pem(pem: &str) -> Result<u32, ErrorCode>;
        /// `set-protocol`.
        fn set_protocol => call_set_protocol(protocol: Protocol) -> Result<(), ErrorCode>;
        /// `set-ciphers-by-name("A:B")`.
        fn set_ciphers_by_name => call_set_ciphers_by_name(names: &str) -> Result<(), ErrorCode>;
        /// `set-key-exchange-groups`: the groups accepted, most preferred first.
        fn set_key_exchange_groups => call_set_key_exchange_groups(groups: &[String]) -> Result<(), ErrorCode>;
        /// `set-peer-verify-mode`: how client certificates are requested and checked.
        fn set_peer_verify_mode => call_set_peer_verify_mode(mode: PeerVerifyMode) -> ();
        /// `set-ocsp-response`: the DER OCSP response stapled for clients that ask.
        fn set_ocsp_response => call_set_ocsp_response(der: &[u8]) -> Result<(), ErrorCode>;
    }

    /// `next-pending-connection`: the next encrypted (or, deferred, plain) connection.
    pub fn next_pending_connection(
        &self,
        session: &mut Session,
    ) -> wasmtime::Result<Option<SslSocket>> {
        let (api, store) = session.ssl_server_api();
        Ok(api
            .call_next_pending_connection(store, self.0)?
            .map(SslSocket))
    }

    /// `subscribe`: a pollable that is ready when `process` may make progress. Drop it (with
    /// [`Pollable::drop`]) before the server.
    pub fn subscribe(&self, session: &mut Session) -> wasmtime::Result<Pollable> {
        let (api, store) = session.ssl_server_api();
        api.call_subscribe(store, self.0).map(Pollable)
    }

    /// `subscribe-all`: the listener's and every handshaking connection's pollables (and a
    /// deadline timer); any one ready means call `process`. Drop them all before calling the
    /// server again.
    pub fn subscribe_all(&self, session: &mut Session) -> wasmtime::Result<Vec<Pollable>> {
        let (api, store) = session.ssl_server_api();
        Ok(api
            .call_subscribe_all(store, self.0)?
            .into_iter()
            .map(Pollable)
            .collect())
    }

    /// `set-local-certificate`.
    pub fn set_local_certificate(
        &self,
        session: &mut Session,
        cert: &Certificate,
    ) -> wasmtime::Result<()> {
        let (api, store) = session.ssl_server_api();
        api.call_set_local_certificate(store, self.0, cert.0)
    }

    /// `set-local-certificate-chain`: the server certificate followed by its intermediates.
    pub fn set_local_certificate_chain(
        &self,
        session: &mut Session,
        chain: &[&Certificate],
    ) -> wasmtime::Result<()> {
        let list: Vec<ResourceAny> = chain.iter().map(|c| c.0).collect();
        let (api, store) = session.ssl_server_api();
        api.call_set_local_certificate_chain(store, self.0, &list)
    }

    /// `set-private-key`.
    pub fn set_private_key(&self, session: &mut Session, key: &Key) -> CallResult<()> {
        let (api, store) = session.ssl_server_api();
        api.call_set_private_key(store, self.0, key.0)
    }

    /// `add-sni-identity(host-name, chain, key)`: served to clients asking for `host_name`.
    pub fn add_sni_identity(
        &self,
        session: &mut Session,
        host_name: &str,
        chain: &[&Certificate],
        key: &Key,
    ) -> CallResult<()> {
        let list: Vec<ResourceAny> = chain.iter().map(|c| c.0).collect();
        let (api, store) = session.ssl_server_api();
        api.call_add_sni_identity(store, self.0, host_name, &list, key.0)
    }

    /// `set-ca-certificates`: the CA database client certificates are checked against.
    pub fn set_ca_certificates(
        &self,
        session: &mut Session,
        certificates: &[&Certificate],
    ) -> wasmtime::Result<()> {
        let list: Vec<ResourceAny> = certificates.iter().map(|c| c.0).collect();
        let (api, store) = session.ssl_server_api();
        api.call_set_ca_certificates(store, self.0, &list)
    }

    /// `set-allowed-next-protocols`: the ALPN protocols accepted, most preferred first.
    pub fn set_allowed_next_protocols(
        &self,
        session: &mut Session,
        protocols: &[&str],
    ) -> CallResult<()> {
        let list: Vec<String> = protocols.iter().map(|p| (*p).to_owned()).collect();
        let (api, store) = session.ssl_server_api();
        api.call_set_allowed_next_protocols(store, self.0, &list)
    }

    /// Drops the server resource (pending connections not taken are dropped with it).
    pub fn drop(self, session: &mut Session) -> wasmtime::Result<()> {
        session.drop_resource(self.0)
    }
}

/// One `ssl-errors` entry as plain data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SslErrorReport {
    /// The error.
    pub error: SslError,
    /// Its description.
    pub message: String,
    /// The subject of the certificate it concerns, if any.
    pub certificate: Option<String>,
}

/// One `ocsp-responses` entry as plain data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcspReport {
    /// What the response says of the peer's certificate.
    pub certificate_status: OcspCertificateStatus,
    /// Why it was revoked, when it was.
    pub revocation_reason: OcspRevocationReason,
    /// The subject of the issuer the response names, when found.
    pub responder: Option<String>,
    /// The subject of the certificate the response is about.
    pub subject: String,
}

/// A handle to a `certificate` resource in a [`Session`].
#[derive(Clone, Copy, Debug)]
pub struct Certificate(pub ResourceAny);

impl Certificate {
    /// `subject`, then drops the handle (for certificates the caller got only to read).
    pub fn into_subject(self, session: &mut Session) -> wasmtime::Result<String> {
        let subject = self.subject(session)?;
        self.drop(session)?;
        Ok(subject)
    }

    forward! {
        via certificate_api;
        /// `subject`: the RFC 4514 subject name.
        fn subject => call_subject() -> String;
        /// `issuer`: the RFC 4514 issuer name.
        fn issuer => call_issuer() -> String;
        /// `subject-info(attribute)`.
        fn subject_info => call_subject_info(attribute: SubjectInfoAttribute) -> Vec<String>;
        /// `issuer-info(attribute)`.
        fn issuer_info => call_issuer_info(attribute: SubjectInfoAttribute) -> Vec<String>;
        /// `subject-display-name`.
        fn subject_display_name => call_subject_display_name() -> String;
        /// `to-der`.
        fn to_der => call_to_der() -> Vec<u8>;
        /// `to-pem`.
        fn to_pem => call_to_pem() -> String;
        /// `to-text`: a description like `openssl x509 -noout -text`.
        fn to_text => call_to_text() -> String;
        /// `serial-number`: colon-separated lower-case hex bytes.
        fn serial_number => call_serial_number() -> String;
        /// `version`: "1" to "3".
        fn version => call_version() -> String;
        /// `effective-date`: seconds since the Unix epoch.
        fn effective_date => call_effective_date() -> i64;
        /// `expiry-date`: seconds since the Unix epoch.
        fn expiry_date => call_expiry_date() -> i64;
        /// `is-expired`.
        fn is_expired => call_is_expired() -> bool;
        /// `digest(algorithm)` of the DER encoding.
        fn digest => call_digest(algorithm: DigestAlgorithm) -> Vec<u8>;
        /// `subject-alternative-names`.
        fn subject_alternative_names => call_subject_alternative_names() -> Vec<AlternativeName>;
        /// `is-self-signed`.
        fn is_self_signed => call_is_self_signed() -> bool;
        /// `is-ca`: basicConstraints CA:TRUE.
        fn is_ca => call_is_ca() -> bool;
    }

    /// `public-key`.
    pub fn public_key(&self, session: &mut Session) -> CallResult<Key> {
        let (api, store) = session.certificate_api();
        Ok(api.call_public_key(store, self.0)?.map(Key))
    }

    /// `equals`: same DER encoding.
    pub fn equals(&self, session: &mut Session, other: &Certificate) -> wasmtime::Result<bool> {
        let (api, store) = session.certificate_api();
        api.call_equals(store, self.0, other.0)
    }

    /// Drops the certificate resource.
    pub fn drop(self, session: &mut Session) -> wasmtime::Result<()> {
        session.drop_resource(self.0)
    }
}

/// A handle to a `key` resource in a [`Session`].
#[derive(Clone, Copy, Debug)]
pub struct Key(pub ResourceAny);

impl Key {
    forward! {
        via key_api;
        /// `algorithm`.
        fn algorithm => call_algorithm() -> KeyAlgorithm;
        /// `length` in bits.
        fn length => call_length() -> u32;
        /// `key-type`: private or public.
        fn key_type => call_key_type() -> KeyType;
        /// `to-pem`: PKCS#8 for private keys, SubjectPublicKeyInfo for public keys.
        fn to_pem => call_to_pem() -> String;
        /// `to-der`.
        fn to_der => call_to_der() -> Vec<u8>;
    }

    /// Drops the key resource.
    pub fn drop(self, session: &mut Session) -> wasmtime::Result<()> {
        session.drop_resource(self.0)
    }
}
