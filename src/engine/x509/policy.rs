//! What a verification checks and how it decides: the part of a socket's settings that
//! certificate verification needs, and nothing else.

use std::sync::Arc;

use super::revocation::Crl;
use super::trust_store::TrustStore;

/// What a verifier checks and how it decides: the part of a socket's settings verification
/// needs, and nothing else.
#[derive(Debug, Clone)]
pub struct VerifyPolicy {
    /// The CA database.
    pub store: Arc<TrustStore>,
    /// Revocation lists; empty for no revocation checking.
    pub crls: Vec<Crl>,
    /// Whether the peer's certificate is requested and checked.
    pub mode: PeerVerifyMode,
    /// Let a handshake with errors go on only to stop it for the caller's decision
    /// (`handshakeInterruptedOnError`) instead of failing it.
    pub interrupt_on_error: bool,
    /// Check the OCSP response a server staples (`ocspStaplingEnabled`).
    pub ocsp_stapling: bool,
    /// The verify depth (`peerVerifyDepth`); 0: no limit set (OpenSSL's default, 100).
    pub depth: u32,
}

/// What a certificate is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A TLS server's certificate (extended key usage serverAuth).
    ServerAuth,
    /// A TLS client's certificate (extended key usage clientAuth).
    ClientAuth,
    /// An OCSP responder's certificate (OpenSSL's OCSP helper purpose: CA checks only).
    OcspResponder,
}

/// Whether the peer's certificate is requested and checked. Mirrors `QSslSocket::PeerVerifyMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PeerVerifyMode {
    /// Neither requested nor checked; no errors are reported.
    VerifyNone,
    /// Checked and reported, never fatal.
    QueryPeer,
    /// Checked; errors fail the handshake unless ignored.
    VerifyPeer,
    /// `VerifyPeer` for clients, `QueryPeer` for servers.
    #[default]
    AutoVerifyPeer,
}

impl PeerVerifyMode {
    /// The mode in effect for a client (`AutoVerifyPeer` resolved).
    pub fn for_client(self) -> Self {
        match self {
            Self::AutoVerifyPeer => Self::VerifyPeer,
            other => other,
        }
    }

    /// The mode in effect for a server (`AutoVerifyPeer` resolved).
    pub fn for_server(self) -> Self {
        match self {
            Self::AutoVerifyPeer => Self::QueryPeer,
            other => other,
        }
    }
}
