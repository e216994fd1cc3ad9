//! What the fuzz targets share: an in-memory transport whose peer is the fuzzer's bytes, and a
//! test identity made once with rcgen.
//!
//! The targets run the native engine, which is the code the guest runs (only the transport
//! differs); "never panics, every error is a value" is what they check, since a panic in the
//! guest is a trap that loses every socket of the instance.

use std::cell::RefCell;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::OnceLock;
use std::time::Duration;

use sslsocket::pki::{Certificate, EncodingFormat, Key};
use sslsocket::transport::{ConnectProgress, Interest, Listener, Transport, TransportError};

thread_local! {
    /// What the next connected or accepted [`MemTransport`] reads.
    static NEXT_PEER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Sets the bytes the next connection's peer sends.
pub fn set_next_peer(bytes: &[u8]) {
    NEXT_PEER.with(|next| *next.borrow_mut() = bytes.to_vec());
}

/// A connection whose peer sends fixed bytes, in chunks of at most `chunk` bytes, then ends;
/// what the engine writes is counted and dropped.
#[derive(Debug, Default)]
pub struct MemTransport {
    input: Vec<u8>,
    position: usize,
    chunk: usize,
    /// Bytes the engine wrote.
    pub written: usize,
}

impl MemTransport {
    /// A connection reading `input`, `chunk` bytes at a time at most (0 means 1).
    pub fn new(input: Vec<u8>, chunk: usize) -> Self {
        Self {
            input,
            position: 0,
            chunk: chunk.max(1),
            written: 0,
        }
    }

    fn take_next() -> Self {
        let input = NEXT_PEER.with(|next| std::mem::take(&mut *next.borrow_mut()));
        let chunk = input.first().map_or(1, |&b| usize::from(b) * 64 + 1);
        Self::new(input, chunk)
    }
}

impl Transport for MemTransport {
    type Listener = MemListener;
    type Pollable = ();

    fn connect(_host: &str, _port: u16) -> Result<Self, TransportError> {
        Ok(Self::take_next())
    }

    fn poll_connect(&mut self) -> Result<ConnectProgress, TransportError> {
        Ok(ConnectProgress::Connected)
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = self.input.get(self.position..).unwrap_or_default();
        let n = rest.len().min(buf.len()).min(self.chunk);
        if let (Some(to), Some(from)) = (buf.get_mut(..n), rest.get(..n)) {
            to.copy_from_slice(from);
        }
        self.position += n;
        Ok(n)
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written += buf.len();
        Ok(buf.len())
    }

    fn wait(&mut self, _interest: Interest, _timeout: Option<Duration>) {}

    fn pollable(&self, _interest: Interest) -> Option<Self::Pollable> {
        None
    }

    fn wait_any(_pollables: &[Self::Pollable], _timeout: Option<Duration>) {}

    fn shutdown(&mut self, _timeout: Duration) {}

    fn shutdown_write(&mut self) -> io::Result<bool> {
        Ok(true)
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 1)))
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 2)))
    }
}

/// A listener that accepts one [`MemTransport`] each time the fuzzer set a peer.
#[derive(Debug, Default)]
pub struct MemListener;

impl Listener for MemListener {
    type Transport = MemTransport;

    fn listen(_address: &str, _port: u16, _backlog: u32) -> Result<Self, TransportError> {
        Ok(Self)
    }

    fn accept(&mut self) -> Result<Option<MemTransport>, TransportError> {
        let pending = NEXT_PEER.with(|next| !next.borrow().is_empty());
        Ok(pending.then(MemTransport::take_next))
    }

    fn pollable(&self) -> Option<()> {
        None
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        Some(SocketAddr::from((Ipv4Addr::LOCALHOST, 2)))
    }
}

/// A server identity for `localhost` and the CA that issued it, made once per process.
pub struct Identity {
    /// The CA certificate.
    pub ca: Certificate,
    /// The server certificate.
    pub cert: Certificate,
    /// Its key.
    pub key: Key,
}

/// The fuzz targets' identity.
pub fn identity() -> &'static Identity {
    static IDENTITY: OnceLock<Identity> = OnceLock::new();
    IDENTITY.get_or_init(|| {
        let ca_key = rcgen::KeyPair::generate().expect("key");
        let mut ca_params = rcgen::CertificateParams::default();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).expect("CA");
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let key = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec!["localhost".into()]).expect("params");
        let cert = params.signed_by(&key, &issuer).expect("leaf");
        Identity {
            ca: Certificate::from_der(ca_cert.der()).expect("CA parses"),
            cert: Certificate::from_der(cert.der()).expect("leaf parses"),
            key: Key::private_from_data(key.serialize_pem().as_bytes(), EncodingFormat::Pem)
                .expect("key parses"),
        }
    })
}
