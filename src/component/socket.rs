//! The `ssl-socket` resource and the global (per-instance) functions.

use std::cell::RefCell;

use super::Component;
use super::configuration::ConfigurationResource;
use super::convert::{self, error_code};
use super::pki::{add_pem_certificates, borrowed, certificates};
use crate::bindings::exports::sslsocket::tls::pki::{
    Certificate as WitCertificate, CertificateBorrow, EncodingFormat, Key as WitKey, KeyBorrow,
};
use crate::bindings::exports::sslsocket::tls::socket as wit;
use crate::bindings::exports::sslsocket::tls::types::{
    Cipher, ErrorCode, Mode, Protocol, SocketState, SslError,
};
use crate::engine::{self, globals, x509};
use crate::pki::{Certificate, Key};
use crate::transport::Carrier;
use crate::transport::memory::{MemoryEnd, memory_pair};
use crate::transport::wasi::{WasiTransport, idle, ready_now};
use wasip2::io::poll::Pollable;
use wasip2::io::streams::{InputStream, OutputStream};

/// What carries the component's connections: `wasi:sockets` (or adopted streams), or memory.
pub type ComponentTransport = Carrier<WasiTransport>;

/// The engine socket behind an `ssl-socket` handle, and the caller's end of its memory
/// connection when it has one (kept past the connection's close: the last bytes are taken
/// after it).
pub struct SocketResource {
    socket: RefCell<engine::SslSocket<ComponentTransport>>,
    memory: RefCell<Option<MemoryEnd>>,
}

type Result<T> = std::result::Result<T, ErrorCode>;

impl SocketResource {
    /// Wraps an engine socket, e.g. one a server accepted.
    pub fn wrap(socket: engine::SslSocket<ComponentTransport>) -> Self {
        Self {
            socket: RefCell::new(socket),
            memory: RefCell::new(None),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut engine::SslSocket<ComponentTransport>) -> R) -> R {
        f(&mut self.socket.borrow_mut())
    }

    /// Gives the socket a connection the caller brings; the memory end goes with the old one.
    fn adopt(&self, transport: ComponentTransport, memory: Option<MemoryEnd>) -> Result<()> {
        self.with(|s| s.adopt(transport)).map_err(error_code)?;
        *self.memory.borrow_mut() = memory;
        Ok(())
    }

    /// The caller's end of the memory connection.
    fn memory(&self) -> Result<MemoryEnd> {
        self.memory.borrow().clone().ok_or_else(|| {
            ErrorCode::InvalidState("the socket is not in memory mode (open-memory)".into())
        })
    }

    /// The caller's end of the memory connection, while the socket is open in memory mode.
    fn open_memory_end(&self) -> Result<MemoryEnd> {
        let end = self.memory()?;
        if self.with(|s| s.transport().is_none()) {
            return Err(ErrorCode::InvalidState("the socket is closed".into()));
        }
        Ok(end)
    }

    fn add_ca(&self, certs: Vec<Certificate>) {
        self.with(|s| s.config_mut().add_ca_certificates(certs));
    }
}

impl wit::Guest for Component {
    type SslSocket = SocketResource;
    type SslServer = super::server::ServerResource;
    type SslConfiguration = ConfigurationResource;

    fn implemented_features() -> Vec<wit::SupportedFeature> {
        convert::implemented_features()
    }

    fn default_configuration() -> wit::SslConfiguration {
        ConfigurationResource::handle(engine::SslConfiguration::default_configuration())
    }

    fn set_default_configuration(configuration: wit::SslConfigurationBorrow<'_>) {
        engine::SslConfiguration::set_default_configuration(ConfigurationResource::shared(
            &configuration,
        ));
    }

    fn supports_ssl() -> bool {
        true
    }

    fn ssl_library_version_string() -> String {
        sslsocket_crypto::LIBRARY_VERSION.to_string()
    }

    fn supported_key_exchange_groups() -> Vec<String> {
        globals::supported_group_names()
    }

    fn set_memory_budget(bytes: u64) {
        engine::budget::set_budget(usize::try_from(bytes).unwrap_or(usize::MAX));
    }

    fn memory_budget() -> u64 {
        engine::budget::budget() as u64
    }

    fn buffered_bytes() -> u64 {
        engine::budget::buffered() as u64
    }

    fn supported_ciphers() -> Vec<Cipher> {
        engine::cipher::supported_ciphers()
            .iter()
            .map(convert::cipher)
            .collect()
    }

    fn global_ciphers() -> Vec<Cipher> {
        globals::global_ciphers()
            .iter()
            .map(convert::cipher)
            .collect()
    }

    fn set_global_ciphers(ciphers: Vec<Cipher>) -> Result<()> {
        globals::set_global_ciphers(convert::ciphers_from_wit(&ciphers)?).map_err(error_code)
    }

    fn reset_global_ciphers() {
        globals::reset_global_ciphers();
    }

    fn add_global_ca_certificate(certificate: CertificateBorrow<'_>) {
        globals::add_global_ca_certificates([borrowed(&certificate)]);
    }

    fn add_global_ca_certificates(certificates: Vec<CertificateBorrow<'_>>) {
        globals::add_global_ca_certificates(certificates.iter().map(borrowed));
    }

    fn add_global_ca_certificates_from_path(path: String) -> Result<u32> {
        let certs = Certificate::from_path(&path).map_err(convert::pki_error)?;
        let count = certs.len() as u32;
        globals::add_global_ca_certificates(certs);
        Ok(count)
    }

    fn set_global_ca_certificates(certificates: Vec<CertificateBorrow<'_>>) {
        globals::set_global_ca_certificates(certificates.iter().map(borrowed).collect());
    }

    fn global_ca_certificates() -> Vec<WitCertificate> {
        certificates(globals::global_ca_certificates().certificates().to_vec())
    }

    fn system_ca_certificates() -> Vec<WitCertificate> {
        certificates(globals::system_ca_certificates().certificates().to_vec())
    }

    fn ssl_error_string(error: SslError) -> String {
        convert::ssl_error_from_wit(error).message().to_string()
    }

    fn verify_certificate_chain(
        chain: Vec<CertificateBorrow<'_>>,
        host_name: Option<String>,
    ) -> Vec<wit::SslErrorEntry> {
        let chain: Vec<Certificate> = chain.iter().map(borrowed).collect();
        engine::verify_certificate_chain(&chain, host_name.as_deref())
            .into_iter()
            .map(convert::ssl_error_entry)
            .collect()
    }
}

impl wit::GuestSslSocket for SocketResource {
    fn new() -> Self {
        Self::wrap(engine::SslSocket::new())
    }

    fn connect_to_host(&self, host_name: String, port: u16) -> Result<()> {
        self.with(|s| s.connect_to_host(&host_name, port))
            .map_err(error_code)?;
        *self.memory.borrow_mut() = None;
        Ok(())
    }

    fn connect_to_host_encrypted(&self, host_name: String, port: u16) -> Result<()> {
        self.with(|s| s.connect_to_host_encrypted(&host_name, port))
            .map_err(error_code)?;
        *self.memory.borrow_mut() = None;
        Ok(())
    }

    fn adopt_streams(&self, input: InputStream, output: OutputStream) -> Result<()> {
        self.adopt(
            Carrier::Network(WasiTransport::adopt(input, output, None)),
            None,
        )
    }

    fn open_memory(&self) -> Result<()> {
        let (transport, end) = memory_pair();
        self.adopt(Carrier::Memory(transport), Some(end))
    }

    fn feed_incoming(&self, data: Vec<u8>) -> Result<u64> {
        let taken = self
            .open_memory_end()?
            .feed(&data)
            .map_err(|e| error_code(e.into()))?;
        self.with(|s| s.process());
        Ok(taken as u64)
    }

    fn end_incoming(&self) -> Result<()> {
        self.memory()?.end_incoming();
        self.with(|s| s.process());
        Ok(())
    }

    fn take_outgoing(&self, max_size: u64) -> Result<Vec<u8>> {
        let max = usize::try_from(max_size).unwrap_or(usize::MAX);
        let taken = self.memory()?.take(max);
        // Room was made: what waits in the socket's buffers can follow.
        self.with(|s| s.process());
        Ok(taken)
    }

    fn exchange(
        &self,
        incoming: Vec<u8>,
        read_max: u64,
        outgoing_max: u64,
    ) -> Result<wit::MemoryTurn> {
        let end = self.memory()?;
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        let turn = self
            .with(|s| s.exchange(&end, &incoming, size(read_max), size(outgoing_max)))
            .map_err(error_code)?;
        Ok(convert::memory_turn(turn))
    }

    fn outgoing_pending(&self) -> u64 {
        self.memory
            .borrow()
            .as_ref()
            .map_or(0, |m| m.pending() as u64)
    }

    fn outgoing_at_end(&self) -> bool {
        self.memory.borrow().as_ref().is_some_and(MemoryEnd::at_end)
    }

    fn start_client_handshake(&self) -> Result<()> {
        self.with(|s| s.start_client_handshake())
            .map_err(error_code)
    }

    fn start_server_handshake(&self) -> Result<()> {
        self.with(|s| s.start_server_handshake())
            .map_err(error_code)
    }

    fn disconnect_from_host(&self) {
        self.with(|s| s.disconnect_from_host());
    }

    fn shutdown_write(&self) -> Result<()> {
        self.with(|s| s.shutdown_write()).map_err(error_code)
    }

    fn close(&self) {
        self.with(|s| s.close());
    }

    fn abort(&self) {
        self.with(|s| s.abort());
    }

    fn wait_for_connected(&self, msecs: i32) -> Result<()> {
        self.with(|s| s.wait_for_connected(msecs))
            .map_err(error_code)
    }

    fn wait_for_encrypted(&self, msecs: i32) -> Result<()> {
        self.with(|s| s.wait_for_encrypted(msecs))
            .map_err(error_code)
    }

    fn wait_for_ready_read(&self, msecs: i32) -> Result<()> {
        self.with(|s| s.wait_for_ready_read(msecs))
            .map_err(error_code)
    }

    fn wait_for_bytes_written(&self, msecs: i32) -> Result<()> {
        self.with(|s| s.wait_for_bytes_written(msecs))
            .map_err(error_code)
    }

    fn wait_for_disconnected(&self, msecs: i32) -> Result<()> {
        self.with(|s| s.wait_for_disconnected(msecs))
            .map_err(error_code)
    }

    fn process(&self) {
        self.with(|s| s.process());
    }

    fn subscribe(&self) -> Pollable {
        // The host dropped this socket's earlier pollables (WASI requires it before a stream
        // goes): closed connections can go now.
        let outgoing = self.outgoing_pending() > 0;
        self.with(|s| {
            s.release_closed_transports();
            match (s.has_events(), s.interest(), s.transport_mut()) {
                (false, Some(interest), Some(Carrier::Network(transport))) => {
                    transport.subscribe(interest)
                }
                // Only the caller moves a memory connection: nothing to wait for until it does.
                (false, _, Some(Carrier::Memory(_))) if !outgoing => idle(),
                _ => ready_now(),
            }
        })
    }

    fn take_events(&self) -> Vec<wit::SocketEvent> {
        self.with(|s| s.take_events())
            .into_iter()
            .map(convert::event)
            .collect()
    }

    fn read(&self, max_size: u64) -> Result<Vec<u8>> {
        let max = usize::try_from(max_size).unwrap_or(usize::MAX);
        self.with(|s| s.read(max)).map_err(error_code)
    }

    fn read_all(&self) -> Result<Vec<u8>> {
        self.with(|s| s.read_all()).map_err(error_code)
    }

    fn read_line(&self, max_size: u64) -> Result<Vec<u8>> {
        let max = usize::try_from(max_size).unwrap_or(usize::MAX);
        self.with(|s| s.read_line(max)).map_err(error_code)
    }

    fn can_read_line(&self) -> bool {
        self.with(|s| s.can_read_line())
    }

    fn get_char(&self) -> Result<Option<u8>> {
        self.with(|s| s.get_char()).map_err(error_code)
    }

    fn put_char(&self, c: u8) -> Result<()> {
        self.with(|s| s.put_char(c)).map_err(error_code)
    }

    fn write(&self, data: Vec<u8>) -> Result<u64> {
        self.with(|s| s.write(&data)).map_err(error_code)
    }

    fn bytes_available(&self) -> u64 {
        self.with(|s| s.bytes_available())
    }

    fn bytes_to_write(&self) -> u64 {
        self.with(|s| s.bytes_to_write())
    }

    fn at_end(&self) -> bool {
        self.with(|s| s.at_end())
    }

    fn read_buffer_size(&self) -> u64 {
        self.with(|s| s.read_buffer_size())
    }

    fn set_read_buffer_size(&self, size: u64) {
        self.with(|s| s.set_read_buffer_size(size));
    }

    fn write_buffer_size(&self) -> u64 {
        self.with(|s| s.write_buffer_size())
    }

    fn set_write_buffer_size(&self, size: u64) {
        self.with(|s| s.set_write_buffer_size(size));
    }

    fn state(&self) -> SocketState {
        convert::state(self.with(|s| s.state()))
    }

    fn mode(&self) -> Mode {
        convert::mode(self.with(|s| s.mode()))
    }

    fn is_encrypted(&self) -> bool {
        self.with(|s| s.is_encrypted())
    }

    fn error(&self) -> Option<ErrorCode> {
        self.with(|s| s.error().cloned()).map(error_code)
    }

    fn error_string(&self) -> String {
        self.with(|s| s.error().map(ToString::to_string).unwrap_or_default())
    }

    fn peer_address(&self) -> Option<String> {
        self.with(|s| s.peer_address()).map(|a| a.ip().to_string())
    }

    fn peer_port(&self) -> u16 {
        self.with(|s| s.peer_port())
    }

    fn peer_name(&self) -> String {
        self.with(|s| s.peer_name().to_string())
    }

    fn local_address(&self) -> Option<String> {
        self.with(|s| s.local_address()).map(|a| a.ip().to_string())
    }

    fn local_port(&self) -> u16 {
        self.with(|s| s.local_address()).map_or(0, |a| a.port())
    }

    fn protocol(&self) -> Protocol {
        convert::protocol(self.with(|s| s.config().protocol()))
    }

    fn set_protocol(&self, protocol: Protocol) -> Result<()> {
        self.with(|s| s.set_protocol(convert::protocol_from_wit(protocol)))
            .map_err(error_code)
    }

    fn session_protocol(&self) -> Option<Protocol> {
        self.with(|s| s.session_protocol()).map(convert::protocol)
    }

    fn ciphers(&self) -> Vec<Cipher> {
        self.with(|s| s.config().ciphers())
            .iter()
            .map(convert::cipher)
            .collect()
    }

    fn set_ciphers(&self, ciphers: Vec<Cipher>) -> Result<()> {
        let ciphers = convert::ciphers_from_wit(&ciphers)?;
        self.with(|s| s.set_ciphers(ciphers)).map_err(error_code)
    }

    fn set_ciphers_by_name(&self, names: String) -> Result<()> {
        let ciphers = engine::cipher::parse_cipher_list(&names).map_err(ErrorCode::InvalidInput)?;
        self.with(|s| s.set_ciphers(ciphers)).map_err(error_code)
    }

    fn key_exchange_groups(&self) -> Vec<String> {
        self.with(|s| s.config().key_exchange_groups())
    }

    fn set_key_exchange_groups(&self, groups: Vec<String>) -> Result<()> {
        self.with(|s| s.config_mut().set_key_exchange_groups(&groups))
            .map_err(error_code)
    }

    fn reset_ciphers(&self) {
        self.with(|s| s.config_mut().reset_ciphers());
    }

    fn current_cipher(&self) -> Option<Cipher> {
        self.with(|s| s.current_cipher())
            .as_ref()
            .map(convert::cipher)
    }

    fn add_ca_certificate(&self, certificate: CertificateBorrow<'_>) {
        self.add_ca(vec![borrowed(&certificate)]);
    }

    fn add_ca_certificates(&self, certificates: Vec<CertificateBorrow<'_>>) {
        self.add_ca(certificates.iter().map(borrowed).collect());
    }

    fn add_ca_certificates_pem(&self, pem: String) -> Result<u32> {
        add_pem_certificates(&pem, |certs| self.add_ca(certs))
    }

    fn add_ca_certificates_from_path(&self, path: String) -> Result<u32> {
        let certs = Certificate::from_path(&path).map_err(convert::pki_error)?;
        let count = certs.len() as u32;
        self.add_ca(certs);
        Ok(count)
    }

    fn set_ca_certificates(&self, certificates: Vec<CertificateBorrow<'_>>) {
        let list = certificates.iter().map(borrowed).collect();
        self.with(|s| s.config_mut().set_ca_certificates(list));
    }

    fn ca_certificates(&self) -> Vec<WitCertificate> {
        certificates(self.with(|s| s.config().ca_certificates().certificates().to_vec()))
    }

    fn reset_ca_certificates(&self) {
        self.with(|s| s.config_mut().reset_ca_certificates());
    }

    fn set_local_certificate(&self, certificate: CertificateBorrow<'_>) {
        let certificate = borrowed(&certificate);
        self.with(|s| s.config_mut().set_local_certificate(certificate));
    }

    fn local_certificate(&self) -> Option<WitCertificate> {
        self.with(|s| s.config().local_certificate().cloned())
            .map(WitCertificate::new)
    }

    fn set_private_key(&self, key: KeyBorrow<'_>) -> Result<()> {
        let key = key.get::<Key>().clone();
        self.with(|s| s.set_private_key(key)).map_err(error_code)
    }

    fn private_key(&self) -> Option<WitKey> {
        self.with(|s| s.config().private_key().cloned())
            .map(WitKey::new)
    }

    fn peer_certificate(&self) -> Option<WitCertificate> {
        self.with(|s| s.peer_certificate()).map(WitCertificate::new)
    }

    fn peer_certificate_chain(&self) -> Vec<WitCertificate> {
        certificates(self.with(|s| s.peer_certificate_chain()))
    }

    fn ssl_errors(&self) -> Vec<wit::SslErrorEntry> {
        self.with(|s| s.ssl_errors())
            .into_iter()
            .map(convert::ssl_error_entry)
            .collect()
    }

    fn export_keying_material(
        &self,
        label: String,
        context: Option<Vec<u8>>,
        length: u32,
    ) -> Result<Vec<u8>> {
        let length = usize::try_from(length).unwrap_or(usize::MAX);
        self.with(|s| s.export_keying_material(label.as_bytes(), context.as_deref(), length))
            .map_err(error_code)
    }

    fn set_socket_option(&self, option: wit::SocketOption, value: u64) -> Result<()> {
        self.with(|s| s.set_socket_option(convert::socket_option(option), value))
            .map_err(error_code)
    }

    fn socket_option(&self, option: wit::SocketOption) -> Result<u64> {
        self.with(|s| s.socket_option(convert::socket_option(option)))
            .map_err(error_code)
    }

    fn dangerous_key_logging(&self) -> bool {
        self.with(|s| s.config().dangerous_key_logging())
    }

    fn set_dangerous_key_logging(&self, enabled: bool) {
        self.with(|s| s.config_mut().set_dangerous_key_logging(enabled));
    }

    fn ignore_ssl_errors(&self) {
        self.with(|s| s.ignore_ssl_errors());
    }

    fn ignore_ssl_errors_list(&self, errors: Vec<(SslError, Option<CertificateBorrow<'_>>)>) {
        let list = errors
            .into_iter()
            .map(|(error, cert)| {
                (
                    convert::ssl_error_from_wit(error),
                    cert.as_ref().map(borrowed),
                )
            })
            .collect();
        self.with(|s| s.ignore_ssl_errors_list(list));
    }

    fn set_ocsp_stapling_enabled(&self, enabled: bool) {
        self.with(|s| s.config_mut().set_ocsp_stapling(enabled));
    }

    fn ocsp_stapling_enabled(&self) -> bool {
        self.with(|s| s.config().ocsp_stapling())
    }

    fn stapled_ocsp_response(&self) -> Option<Vec<u8>> {
        self.with(|s| s.stapled_ocsp_response())
    }

    fn ocsp_responses(&self) -> Vec<wit::OcspResponse> {
        self.with(|s| s.ocsp_responses())
            .into_iter()
            .map(convert::ocsp_response)
            .collect()
    }

    fn set_ocsp_response(&self, der: Vec<u8>) -> Result<()> {
        self.with(|s| s.config_mut().set_ocsp_response(&der))
            .map_err(error_code)
    }

    fn set_handshake_must_interrupt_on_error(&self, interrupt: bool) {
        self.with(|s| {
            s.config_mut()
                .set_handshake_must_interrupt_on_error(interrupt)
        });
    }

    fn continue_interrupted_handshake(&self) -> Result<()> {
        self.with(|s| s.continue_interrupted_handshake())
            .map_err(error_code)
    }

    fn peer_verify_mode(&self) -> wit::PeerVerifyMode {
        convert::peer_verify_mode(self.with(|s| s.config().peer_verify_mode()))
    }

    fn set_peer_verify_mode(&self, mode: wit::PeerVerifyMode) {
        let mode = convert::peer_verify_mode_from_wit(mode);
        self.with(|s| s.config_mut().set_peer_verify_mode(mode));
    }

    fn add_crls(&self, data: Vec<u8>, format: EncodingFormat) -> Result<u32> {
        let crls = x509::parse_crls(&data, convert::encoding(format)).map_err(error_code)?;
        let count = crls.len() as u32;
        self.with(|s| s.config_mut().add_crls(crls));
        Ok(count)
    }

    fn set_local_certificate_chain(&self, chain: Vec<CertificateBorrow<'_>>) {
        let chain = chain.iter().map(borrowed).collect();
        self.with(|s| s.config_mut().set_local_certificate_chain(chain));
    }

    fn set_allowed_next_protocols(&self, protocols: Vec<String>) -> Result<()> {
        let protocols = protocols.into_iter().map(String::into_bytes).collect();
        self.with(|s| s.config_mut().set_allowed_next_protocols(protocols))
            .map_err(error_code)
    }

    fn allowed_next_protocols(&self) -> Vec<String> {
        self.with(|s| convert::protocol_names(s.config().allowed_next_protocols()))
    }

    fn ssl_configuration(&self) -> wit::SslConfiguration {
        ConfigurationResource::handle(self.with(|s| s.ssl_configuration()))
    }

    fn set_ssl_configuration(&self, configuration: wit::SslConfigurationBorrow<'_>) {
        let config = ConfigurationResource::shared(&configuration);
        self.with(|s| s.set_ssl_configuration(config));
    }

    fn next_negotiated_protocol(&self) -> Option<String> {
        self.with(|s| s.next_negotiated_protocol())
            .map(|p| String::from_utf8_lossy(&p).into_owned())
    }

    fn next_protocol_negotiation_status(&self) -> wit::NextProtocolNegotiationStatus {
        match self.with(|s| s.next_protocol_negotiation_status()) {
            engine::NextProtocolNegotiationStatus::None => wit::NextProtocolNegotiationStatus::None,
            engine::NextProtocolNegotiationStatus::Negotiated => {
                wit::NextProtocolNegotiationStatus::Negotiated
            }
            engine::NextProtocolNegotiationStatus::Unsupported => {
                wit::NextProtocolNegotiationStatus::Unsupported
            }
        }
    }

    fn session_resumed(&self) -> bool {
        self.with(|s| s.session_resumed())
    }

    fn key_exchange_group(&self) -> Option<String> {
        self.with(|s| s.key_exchange_group())
    }

    fn peer_verify_name(&self) -> String {
        self.with(|s| s.config().peer_verify_name().to_owned())
    }

    fn set_peer_verify_name(&self, host_name: String) {
        self.with(|s| s.config_mut().set_peer_verify_name(host_name));
    }
}
