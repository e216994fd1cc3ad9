//! Arbitrary sequences of socket and server calls, in any state, with arbitrary arguments and
//! peers that send arbitrary bytes: nothing panics, every refusal is an error value.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sslsocket::engine::cipher::parse_cipher_list;
use sslsocket::engine::x509::parse_crls;
use sslsocket::engine::{PeerVerifyMode, Protocol, SslError, SslServer, SslSocket};
use sslsocket::pki::{Certificate, EncodingFormat};
use sslsocket_fuzz::{MemTransport, identity, set_next_peer};

/// One call on the socket or the server.
#[derive(Arbitrary, Debug)]
enum Call {
    NewSocket,
    Connect { encrypted: bool, peer: Vec<u8> },
    StartClientHandshake,
    StartServerHandshake,
    UseIdentity,
    AddTrustedCa,
    AddCa(Vec<u8>),
    AddCrls(Vec<u8>),
    SetProtocol(u8),
    SetCiphers(String),
    SetGroups(Vec<String>),
    SetAlpn(Vec<Vec<u8>>),
    SetVerifyMode(u8),
    SetVerifyName(String),
    SetOcspStapling(bool),
    SetOcspResponse(Vec<u8>),
    SetInterruptOnError(bool),
    SetReadBufferSize(u16),
    IgnoreSslErrors,
    IgnoreList(Vec<u8>),
    ContinueInterrupted,
    Write(Vec<u8>),
    PutChar(u8),
    Read(u16),
    ReadLine(u16),
    GetChar,
    Process,
    WaitForEncrypted(u8),
    WaitForReadyRead(u8),
    WaitForBytesWritten(u8),
    Disconnect,
    ShutdownWrite,
    Close,
    Abort,
    Inspect,
    Listen { deferred: bool, max_pending: u8 },
    Accept(Vec<u8>),
    ServerProcess,
    TakePending,
    ServerClose,
}

fuzz_target!(|calls: Vec<Call>| {
    let mut socket = SslSocket::<MemTransport>::new();
    let mut server = SslServer::<MemTransport>::new();
    for call in calls.into_iter().take(64) {
        run(&mut socket, &mut server, call);
    }
});

fn run(socket: &mut SslSocket<MemTransport>, server: &mut SslServer<MemTransport>, call: Call) {
    let id = identity();
    match call {
        Call::NewSocket => *socket = SslSocket::new(),
        Call::Connect { encrypted, peer } => {
            set_next_peer(&peer);
            let _ = if encrypted {
                socket.connect_to_host_encrypted("localhost", 443)
            } else {
                socket.connect_to_host("localhost", 443)
            };
        }
        Call::StartClientHandshake => drop(socket.start_client_handshake()),
        Call::StartServerHandshake => drop(socket.start_server_handshake()),
        Call::UseIdentity => {
            socket
                .config_mut()
                .set_local_certificate_chain(vec![id.cert.clone()]);
            let _ = socket.set_private_key(id.key.clone());
        }
        Call::AddTrustedCa => socket.config_mut().add_ca_certificates([id.ca.clone()]),
        Call::AddCa(data) => {
            if let Ok(list) = Certificate::from_data(&data, EncodingFormat::Pem) {
                socket.config_mut().add_ca_certificates(list);
            }
        }
        Call::AddCrls(data) => {
            if let Ok(crls) = parse_crls(&data, EncodingFormat::Der) {
                socket.config_mut().add_crls(crls);
            }
        }
        Call::SetProtocol(n) => {
            let protocols = [
                Protocol::SslV3,
                Protocol::SslV2,
                Protocol::TlsV1,
                Protocol::Compat,
                Protocol::TlsV12,
                Protocol::TlsV13,
                Protocol::TlsV12OrLater,
                Protocol::TlsV13OrLater,
                Protocol::SecureProtocols,
            ];
            let _ = socket.set_protocol(protocols[usize::from(n) % protocols.len()]);
        }
        Call::SetCiphers(names) => {
            if let Ok(ciphers) = parse_cipher_list(&names) {
                let _ = socket.set_ciphers(ciphers);
            }
        }
        Call::SetGroups(names) => drop(socket.config_mut().set_key_exchange_groups(&names)),
        Call::SetAlpn(protocols) => drop(socket.config_mut().set_allowed_next_protocols(protocols)),
        Call::SetVerifyMode(n) => {
            let modes = [
                PeerVerifyMode::VerifyNone,
                PeerVerifyMode::QueryPeer,
                PeerVerifyMode::VerifyPeer,
                PeerVerifyMode::AutoVerifyPeer,
            ];
            socket.config_mut().set_peer_verify_mode(modes[usize::from(n) % modes.len()]);
        }
        Call::SetVerifyName(name) => socket.config_mut().set_peer_verify_name(name),
        Call::SetOcspStapling(on) => socket.config_mut().set_ocsp_stapling(on),
        Call::SetOcspResponse(der) => drop(socket.config_mut().set_ocsp_response(&der)),
        Call::SetInterruptOnError(on) => socket.config_mut().set_handshake_must_interrupt_on_error(on),
        Call::SetReadBufferSize(n) => socket.set_read_buffer_size(u64::from(n)),
        Call::IgnoreSslErrors => socket.ignore_ssl_errors(),
        Call::IgnoreList(codes) => {
            let list = codes
                .iter()
                .map(|c| {
                    let error = if c % 2 == 0 {
                        SslError::CertificateExpired
                    } else {
                        SslError::HostNameMismatch
                    };
                    (error, (c % 3 == 0).then(|| id.cert.clone()))
                })
                .collect();
            socket.ignore_ssl_errors_list(list);
        }
        Call::ContinueInterrupted => drop(socket.continue_interrupted_handshake()),
        Call::Write(data) => drop(socket.write(&data)),
        Call::PutChar(c) => drop(socket.put_char(c)),
        Call::Read(n) => drop(socket.read(usize::from(n))),
        Call::ReadLine(n) => drop(socket.read_line(usize::from(n))),
        Call::GetChar => drop(socket.get_char()),
        Call::Process => socket.process(),
        Call::WaitForEncrypted(ms) => drop(socket.wait_for_encrypted(i32::from(ms % 4))),
        Call::WaitForReadyRead(ms) => drop(socket.wait_for_ready_read(i32::from(ms % 4))),
        Call::WaitForBytesWritten(ms) => drop(socket.wait_for_bytes_written(i32::from(ms % 4))),
        Call::Disconnect => socket.disconnect_from_host(),
        Call::ShutdownWrite => drop(socket.shutdown_write()),
        Call::Close => socket.close(),
        Call::Abort => socket.abort(),
        Call::Inspect => {
            let _ = (
                socket.take_events(),
                socket.ssl_errors(),
                socket.peer_certificate_chain(),
            );
            let _ = (
                socket.current_cipher(),
                socket.session_protocol(),
                socket.ocsp_responses(),
            );
            let _ = (
                socket.bytes_available(),
                socket.bytes_to_write(),
                socket.state(),
            );
        }
        Call::Listen {
            deferred,
            max_pending,
        } => {
            server
                .config_mut()
                .set_local_certificate_chain(vec![id.cert.clone()]);
            let _ = server.config_mut().set_private_key(id.key.clone());
            server.set_deferred_handshake(deferred);
            server.set_max_pending_connections(usize::from(max_pending));
            let _ = server.listen("127.0.0.1", 0);
        }
        Call::Accept(peer) => set_next_peer(&peer),
        Call::ServerProcess => {
            server.process();
            let _ = server.take_events();
        }
        Call::TakePending => {
            if let Some(mut accepted) = server.next_pending_connection() {
                accepted.process();
                let _ = accepted.read_all();
                accepted.abort();
            }
        }
        Call::ServerClose => server.close(),
    }
}
