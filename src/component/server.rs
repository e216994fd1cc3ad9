//! The `ssl-server` resource.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use super::configuration::ConfigurationResource;
use super::convert::{self, error_code};
use super::pki::{add_pem_certificates, borrowed};
use super::socket::ComponentTransport;
use super::socket::SocketResource;
use crate::bindings::exports::sslsocket::tls::pki::{CertificateBorrow, KeyBorrow};
use crate::bindings::exports::sslsocket::tls::socket as wit;
use crate::bindings::exports::sslsocket::tls::types::{ErrorCode, Protocol};
use crate::engine::{self, ServerEvent};
use crate::engine::{SniIdentity, tls_config};
use crate::pki::Key;
use crate::transport::Carrier;
use crate::transport::wasi::{WasiTransport, idle, ready_now, timer};
use wasip2::io::poll::Pollable;
use wasip2::io::streams::{InputStream, OutputStream};

/// While handshakes run, `subscribe` wakes at least this often.
const HANDSHAKE_TICK: Duration = Duration::from_millis(10);

/// The engine server behind an `ssl-server` handle.
pub struct ServerResource(RefCell<engine::SslServer<ComponentTransport>>);

type Result<T> = std::result::Result<T, ErrorCode>;

impl ServerResource {
    fn with<R>(&self, f: impl FnOnce(&mut engine::SslServer<ComponentTransport>) -> R) -> R {
        f(&mut self.0.borrow_mut())
    }
}

impl wit::GuestSslServer for ServerResource {
    fn new() -> Self {
        Self(RefCell::new(engine::SslServer::new()))
    }

    fn listen(&self, address: String, port: u16) -> Result<()> {
        self.with(|s| s.listen(&address, port)).map_err(error_code)
    }

    fn is_listening(&self) -> bool {
        self.with(|s| s.is_listening())
    }

    fn close(&self) {
        self.with(|s| s.close());
    }

    fn server_address(&self) -> Option<String> {
        self.with(|s| s.server_address())
            .map(|a| a.ip().to_string())
    }

    fn server_port(&self) -> u16 {
        self.with(|s| s.server_address()).map_or(0, |a| a.port())
    }

    fn max_pending_connections(&self) -> u32 {
        u32::try_from(self.with(|s| s.max_pending_connections())).unwrap_or(u32::MAX)
    }

    fn set_max_pending_connections(&self, n: u32) {
        self.with(|s| s.set_max_pending_connections(usize::try_from(n).unwrap_or(usize::MAX)));
    }

    fn listen_backlog_size(&self) -> u32 {
        self.with(|s| s.listen_backlog_size())
    }

    fn set_listen_backlog_size(&self, size: u32) {
        self.with(|s| s.set_listen_backlog_size(size));
    }

    fn handshake_timeout(&self) -> u32 {
        u32::try_from(self.with(|s| s.handshake_timeout()).as_millis()).unwrap_or(u32::MAX)
    }

    fn set_handshake_timeout(&self, msecs: u32) {
        self.with(|s| s.set_handshake_timeout(Duration::from_millis(u64::from(msecs))));
    }

    fn set_deferred_handshake(&self, deferred: bool) {
        self.with(|s| s.set_deferred_handshake(deferred));
    }

    fn set_ticket_keys(&self, keys: Vec<u8>) -> Result<()> {
        self.with(|s| s.set_ticket_key(&keys)).map_err(error_code)
    }

    fn ticket_keys(&self) -> Vec<u8> {
        self.with(|s| s.ticket_key()).unwrap_or_default()
    }

    fn set_dangerous_key_logging(&self, enabled: bool) {
        self.with(|s| s.config_mut().set_dangerous_key_logging(enabled));
    }

    fn ssl_configuration(&self) -> wit::SslConfiguration {
        ConfigurationResource::handle(self.with(|s| s.ssl_configuration()))
    }

    fn set_ssl_configuration(&self, configuration: wit::SslConfigurationBorrow<'_>) {
        let config = ConfigurationResource::shared(&configuration);
        self.with(|s| s.set_ssl_configuration(config));
    }

    fn incoming_connection(
        &self,
        input: InputStream,
        output: OutputStream,
        peer: Option<String>,
    ) -> Result<()> {
        let peer = peer
            .map(|text| {
                text.parse().map_err(|_| {
                    ErrorCode::InvalidInput(format!(
                        "`{text}` is not a peer address (address:port, [v6]:port)"
                    ))
                })
            })
            .transpose()?;
        let transport = WasiTransport::adopt(input, output, peer);
        self.with(|s| s.incoming_connection(Carrier::Network(transport)));
        Ok(())
    }

    fn connection_socket(&self) -> wit::SslSocket {
        wit::SslSocket::new(SocketResource::wrap(self.with(|s| s.connection_socket())))
    }

    fn wait_for_new_connection(&self, msecs: i32) -> Result<()> {
        self.with(|s| s.wait_for_new_connection(msecs))
            .map_err(error_code)
    }

    fn has_pending_connections(&self) -> bool {
        self.with(|s| s.has_pending_connections())
    }

    fn next_pending_connection(&self) -> Option<wit::SslSocket> {
        self.with(|s| s.next_pending_connection())
            .map(|socket| wit::SslSocket::new(SocketResource::wrap(socket)))
    }

    fn process(&self) {
        self.with(|s| s.process());
    }

    fn subscribe(&self) -> Pollable {
        self.with(|s| {
            if s.has_events() {
                return ready_now();
            }
            let mut pollables = s.pollables();
            match (pollables.len(), s.next_deadline()) {
                (1, None) => pollables.pop().unwrap_or_else(ready_now),
                // Not listening, nothing handshaking: nothing to wait for.
                (0, None) => idle(),
                (_, deadline) => {
                    let left = deadline
                        .map_or(HANDSHAKE_TICK, |d| {
                            d.saturating_duration_since(Instant::now())
                        })
                        .min(HANDSHAKE_TICK);
                    timer(left)
                }
            }
        })
    }

    fn subscribe_all(&self) -> Vec<Pollable> {
        self.with(|s| {
            if s.has_events() {
                return vec![ready_now()];
            }
            let mut pollables = s.pollables();
            if let Some(deadline) = s.next_deadline() {
                let left = deadline.saturating_duration_since(Instant::now());
                pollables.push(timer(left));
            }
            pollables
        })
    }

    fn take_events(&self) -> Vec<wit::ServerEvent> {
        self.with(|s| s.take_events())
            .into_iter()
            .map(|event| match event {
                ServerEvent::PendingConnectionAvailable => {
                    wit::ServerEvent::PendingConnectionAvailable
                }
                ServerEvent::HandshakeFailed {
                    peer,
                    error,
                    ssl_errors,
                    alert_sent,
                    alert_received,
                } => wit::ServerEvent::HandshakeFailed(wit::HandshakeFailure {
                    peer_address: peer.map(|a| a.to_string()),
                    error: error_code(error),
                    ssl_errors: ssl_errors.into_iter().map(convert::ssl_error).collect(),
                    alert_sent: alert_sent.map(convert::alert),
                    alert_received: alert_received.map(convert::alert),
                }),
                ServerEvent::HandshakeTimedOut { peer } => {
                    wit::ServerEvent::HandshakeTimedOut(peer.map(|a| a.to_string()))
                }
                ServerEvent::AcceptError(error) => wit::ServerEvent::AcceptError(error_code(error)),
            })
            .collect()
    }

    fn set_local_certificate(&self, certificate: CertificateBorrow<'_>) {
        let certificate = borrowed(&certificate);
        self.with(|s| s.config_mut().set_local_certificate(certificate));
    }

    fn set_local_certificate_chain(&self, chain: Vec<CertificateBorrow<'_>>) {
        let chain = chain.iter().map(borrowed).collect();
        self.with(|s| s.config_mut().set_local_certificate_chain(chain));
    }

    fn set_private_key(&self, key: KeyBorrow<'_>) -> Result<()> {
        let key = key.get::<Key>().clone();
        self.with(|s| s.config_mut().set_private_key(key))
            .map_err(error_code)
    }

    fn add_sni_identity(
        &self,
        host_name: String,
        chain: Vec<CertificateBorrow<'_>>,
        key: KeyBorrow<'_>,
    ) -> Result<()> {
        let identity = SniIdentity {
            host_name,
            chain: chain.iter().map(borrowed).collect(),
            key: key.get::<Key>().clone(),
        };
        tls_config::certified_key(&identity.chain, &identity.key).map_err(error_code)?;
        self.with(|s| s.config_mut().add_sni_identity(identity));
        Ok(())
    }

    fn set_ca_certificates(&self, certificates: Vec<CertificateBorrow<'_>>) {
        let list = certificates.iter().map(borrowed).collect();
        self.with(|s| s.config_mut().set_ca_certificates(list));
    }

    fn add_ca_certificates_pem(&self, pem: String) -> Result<u32> {
        add_pem_certificates(&pem, |certs| {
            self.with(|s| s.config_mut().add_ca_certificates(certs));
        })
    }

    fn set_protocol(&self, protocol: Protocol) -> Result<()> {
        let protocol = convert::protocol_from_wit(protocol);
        self.with(|s| s.config_mut().set_protocol(protocol))
            .map_err(error_code)
    }

    fn set_ciphers_by_name(&self, names: String) -> Result<()> {
        let ciphers = engine::cipher::parse_cipher_list(&names).map_err(ErrorCode::InvalidInput)?;
        self.with(|s| s.config_mut().set_ciphers(ciphers))
            .map_err(error_code)
    }

    fn set_key_exchange_groups(&self, groups: Vec<String>) -> Result<()> {
        self.with(|s| s.config_mut().set_key_exchange_groups(&groups))
            .map_err(error_code)
    }

    fn set_peer_verify_mode(&self, mode: wit::PeerVerifyMode) {
        let mode = convert::peer_verify_mode_from_wit(mode);
        self.with(|s| s.config_mut().set_peer_verify_mode(mode));
    }

    fn set_allowed_next_protocols(&self, protocols: Vec<String>) -> Result<()> {
        let protocols = protocols.into_iter().map(String::into_bytes).collect();
        self.with(|s| s.config_mut().set_allowed_next_protocols(protocols))
            .map_err(error_code)
    }

    fn set_read_buffer_size(&self, size: u64) {
        self.with(|s| s.set_read_buffer_size(size));
    }

    fn set_write_buffer_size(&self, size: u64) {
        self.with(|s| s.set_write_buffer_size(size));
    }

    fn set_ocsp_response(&self, der: Vec<u8>) -> Result<()> {
        self.with(|s| s.config_mut().set_ocsp_response(&der))
            .map_err(error_code)
    }
}
