//! [`SslServer`]: the `ssl-server` resource (`QSslServer`), every method of the WIT.

use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncWrite};
use wasmtime::component::{Resource, ResourceAny};
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream};

use super::streams::{streams, tcp_streams};
use crate::*;

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
        /// `set-dangerous-key-logging`: accepted sockets report NSS key-log lines. Dangerous.
        fn set_dangerous_key_logging => call_set_dangerous_key_logging(enabled: bool) -> ();
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
        /// `set-ticket-keys(keys)`: the 48-byte session ticket key shared by the servers that
        /// resume each other's sessions.
        fn set_ticket_keys => call_set_ticket_keys(keys: &[u8]) -> Result<(), ErrorCode>;
        /// `ticket-keys`: the key sealing this server's tickets now.
        fn ticket_keys => call_ticket_keys() -> Vec<u8>;
        /// `incoming-connection`: a connection the host accepted, as `wasi:io` streams in the
        /// session's table, and the client's `address:port` (see [`SslServer::incoming_tcp`]
        /// and [`SslServer::incoming_io`] for the usual ways).
        fn incoming_connection => call_incoming_connection(input: Resource<DynInputStream>, output: Resource<DynOutputStream>, peer: Option<&str>) -> Result<(), ErrorCode>;
    }

    /// Hands the server a TCP connection the host accepted, as `incoming-connection`
    /// (`QSslServer::incomingConnection`): the server runs its handshake under the deadline and
    /// queues it, exactly as if it had accepted it. The server need not listen, so one host
    /// listener can feed the servers of many sessions, one per thread
    /// (`sslsocket_loops::pool` does). The client's address comes from the stream.
    ///
    /// # Errors
    /// The outer error: switching the stream to non-blocking mode failed, or a trap.
    pub fn incoming_tcp(
        &self,
        session: &mut Session,
        stream: std::net::TcpStream,
    ) -> CallResult<()> {
        let peer = stream.peer_addr().ok();
        let (input, output) = tcp_streams(session, stream)?;
        let peer = peer.map(|a| a.to_string());
        self.incoming_connection(session, input, output, peer.as_deref())
    }

    /// Hands the server any byte stream as a reader and a writer (a Unix socket, an in-process
    /// duplex), as `incoming-connection`, with the client's address if there is one. The writer is
    /// dropped when the connection closes: use one whose drop ends the stream.
    ///
    /// # Errors
    /// A trap.
    pub fn incoming_io(
        &self,
        session: &mut Session,
        reader: impl AsyncRead + Send + 'static,
        writer: impl AsyncWrite + Send + 'static,
        peer: Option<SocketAddr>,
    ) -> CallResult<()> {
        let (input, output) = streams(session, reader, writer)?;
        let peer = peer.map(|a| a.to_string());
        self.incoming_connection(session, input, output, peer.as_deref())
    }

    /// `connection-socket`: a new unconnected socket configured as this server configures the
    /// connections it accepts (settings, SNI identities, OCSP response, buffer limits, session
    /// cache and ticket key), for a connection the host carries itself.
    ///
    /// # Errors
    /// A trap.
    pub fn connection_socket(&self, session: &mut Session) -> wasmtime::Result<SslSocket> {
        let (api, store) = session.ssl_server_api();
        Ok(SslSocket(api.call_connection_socket(store, self.0)?))
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
        let list = Certificate::handles(chain);
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
        let list = Certificate::handles(chain);
        let (api, store) = session.ssl_server_api();
        api.call_add_sni_identity(store, self.0, host_name, &list, key.0)
    }

    /// `set-ca-certificates`: the CA database client certificates are checked against.
    pub fn set_ca_certificates(
        &self,
        session: &mut Session,
        certificates: &[&Certificate],
    ) -> wasmtime::Result<()> {
        let list = Certificate::handles(certificates);
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

    /// `ssl-configuration`: the TLS settings as a configuration, shared. The handle is the
    /// caller's to drop.
    pub fn ssl_configuration(&self, session: &mut Session) -> wasmtime::Result<SslConfiguration> {
        let (api, store) = session.ssl_server_api();
        api.call_ssl_configuration(store, self.0)
            .map(SslConfiguration)
    }

    /// `set-ssl-configuration`: uses `configuration`, shared, not copied.
    pub fn set_ssl_configuration(
        &self,
        session: &mut Session,
        configuration: &SslConfiguration,
    ) -> wasmtime::Result<()> {
        let (api, store) = session.ssl_server_api();
        api.call_set_ssl_configuration(store, self.0, configuration.0)
    }
}
