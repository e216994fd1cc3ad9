//! Socket errors (`QAbstractSocket::SocketError`) and certificate errors (`QSslError`).

use std::fmt;

use crate::pki::Certificate;
use crate::transport::TransportError;

/// Why a socket operation failed. Mirrors `QAbstractSocket::SocketError` plus the TLS and
/// API-misuse cases; the WIT `error-code` variant has the same cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketError {
    /// The peer refused the connection.
    ConnectionRefused,
    /// The peer closed the connection.
    RemoteHostClosed,
    /// The host name could not be resolved.
    HostNotFound,
    /// The host did not grant the network access needed.
    SocketAccess,
    /// Out of sockets or memory.
    SocketResource,
    /// The operation timed out.
    SocketTimeout,
    /// A network error, for example a reset connection.
    Network,
    /// The address is already in use.
    AddressInUse,
    /// The address is not available.
    SocketAddressNotAvailable,
    /// The operation is not supported.
    UnsupportedSocketOperation,
    /// The TLS handshake failed, with the reason.
    SslHandshakeFailed(String),
    /// A TLS error after the handshake, or an internal TLS error.
    SslInternal(String),
    /// The protocol asked for is not offered.
    UnsupportedProtocol(String),
    /// The call is not allowed in the current state.
    InvalidState(String),
    /// An argument was rejected.
    InvalidInput(String),
    /// Anything else.
    Unknown(String),
}

impl SocketError {
    /// Shorthand for [`SocketError::InvalidState`].
    pub fn invalid_state(message: impl Into<String>) -> Self {
        Self::InvalidState(message.into())
    }

    /// Shorthand for [`SocketError::InvalidInput`].
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::InvalidInput(message.into())
    }
}

impl From<TransportError> for SocketError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::HostNotFound => Self::HostNotFound,
            TransportError::ConnectionRefused => Self::ConnectionRefused,
            TransportError::ConnectionReset => Self::RemoteHostClosed,
            TransportError::AccessDenied => Self::SocketAccess,
            TransportError::OutOfResources => Self::SocketResource,
            TransportError::TimedOut => Self::SocketTimeout,
            TransportError::AddressInUse => Self::AddressInUse,
            TransportError::AddressNotAvailable => Self::SocketAddressNotAvailable,
            TransportError::Unsupported => Self::UnsupportedSocketOperation,
            TransportError::Network => Self::Network,
            TransportError::InvalidInput(why) => Self::InvalidInput(why),
            TransportError::InvalidState(why) => Self::InvalidState(why),
            TransportError::Other(what) => Self::Unknown(what),
        }
    }
}

impl fmt::Display for SocketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ConnectionRefused => f.write_str("connection refused"),
            Self::RemoteHostClosed => f.write_str("the remote host closed the connection"),
            Self::HostNotFound => f.write_str("host not found"),
            Self::SocketAccess => f.write_str("network access denied by the host"),
            Self::SocketResource => f.write_str("out of sockets or memory"),
            Self::SocketTimeout => f.write_str("operation timed out"),
            Self::Network => f.write_str("network error"),
            Self::AddressInUse => f.write_str("address in use"),
            Self::SocketAddressNotAvailable => f.write_str("address not available"),
            Self::UnsupportedSocketOperation => f.write_str("unsupported socket operation"),
            Self::SslHandshakeFailed(m) => write!(f, "TLS handshake failed: {m}"),
            Self::SslInternal(m) => write!(f, "TLS error: {m}"),
            Self::UnsupportedProtocol(m) => write!(f, "unsupported protocol: {m}"),
            Self::InvalidState(m) => write!(f, "invalid state: {m}"),
            Self::InvalidInput(m) => write!(f, "invalid input: {m}"),
            Self::Unknown(m) => write!(f, "unknown error: {m}"),
        }
    }
}

impl std::error::Error for SocketError {}

/// One reason why the peer's identity could not be established. Mirrors `QSslError::SslError`
/// (Qt 6's list, in Qt's order, plus `UnspecifiedError`); the WIT `ssl-error` enum has the same
/// cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // each case is documented by `SslError::message`
pub enum SslError {
    NoError,
    UnableToGetIssuerCertificate,
    UnableToDecryptCertificateSignature,
    UnableToDecodeIssuerPublicKey,
    CertificateSignatureFailed,
    CertificateNotYetValid,
    CertificateExpired,
    InvalidNotBeforeField,
    InvalidNotAfterField,
    SelfSignedCertificate,
    SelfSignedCertificateInChain,
    UnableToGetLocalIssuerCertificate,
    UnableToVerifyFirstCertificate,
    CertificateRevoked,
    InvalidCaCertificate,
    PathLengthExceeded,
    InvalidPurpose,
    CertificateUntrusted,
    CertificateRejected,
    SubjectIssuerMismatch,
    AuthorityIssuerSerialNumberMismatch,
    NoPeerCertificate,
    HostNameMismatch,
    NoSslSupport,
    CertificateBlacklisted,
    CertificateStatusUnknown,
    OcspNoResponseFound,
    OcspMalformedRequest,
    OcspMalformedResponse,
    OcspInternalError,
    OcspTryLater,
    OcspSigRequired,
    OcspUnauthorized,
    OcspResponseCannotBeTrusted,
    OcspResponseCertIdUnknown,
    OcspResponseExpired,
    OcspStatusUnknown,
    UnspecifiedError,
}

impl SslError {
    /// The description Qt gives for this error (`QSslError::errorString()`).
    pub fn message(self) -> &'static str {
        match self {
            Self::NoError => "No error",
            Self::UnableToGetIssuerCertificate => "The issuer certificate could not be found",
            Self::UnableToDecryptCertificateSignature => {
                "The certificate signature could not be decrypted"
            }
            Self::UnableToDecodeIssuerPublicKey => {
                "The public key in the certificate could not be read"
            }
            Self::CertificateSignatureFailed => "The signature of the certificate is invalid",
            Self::CertificateNotYetValid => "The certificate is not yet valid",
            Self::CertificateExpired => "The certificate has expired",
            Self::InvalidNotBeforeField => {
                "The certificate's notBefore field contains an invalid time"
            }
            Self::InvalidNotAfterField => {
                "The certificate's notAfter field contains an invalid time"
            }
            Self::SelfSignedCertificate => "The certificate is self-signed, and untrusted",
            Self::SelfSignedCertificateInChain => {
                "The root certificate of the certificate chain is self-signed, and untrusted"
            }
            Self::UnableToGetLocalIssuerCertificate => {
                "The issuer certificate of a locally looked up certificate could not be found"
            }
            Self::UnableToVerifyFirstCertificate => "No certificates could be verified",
            Self::CertificateRevoked => "The certificate has been revoked",
            Self::InvalidCaCertificate => "One of the CA certificates is invalid",
            Self::PathLengthExceeded => {
                "The basicConstraints path length parameter has been exceeded"
            }
            Self::InvalidPurpose => "The supplied certificate is unsuitable for this purpose",
            Self::CertificateUntrusted => "The root CA certificate is not trusted for this purpose",
            Self::CertificateRejected => {
                "The root CA certificate is marked to reject the specified purpose"
            }
            Self::SubjectIssuerMismatch => {
                "The current candidate issuer certificate was rejected because its subject name \
                 did not match the issuer name of the current certificate"
            }
            Self::AuthorityIssuerSerialNumberMismatch => {
                "The current candidate issuer certificate was rejected because its issuer name \
                 and serial number was present and did not match the authority key identifier of \
                 the current certificate"
            }
            Self::NoPeerCertificate => "The peer did not present any certificate",
            Self::HostNameMismatch => {
                "The host name did not match any of the valid hosts for this certificate"
            }
            Self::NoSslSupport => "TLS is not supported on this platform",
            Self::CertificateBlacklisted => "The peer certificate is blacklisted",
            Self::CertificateStatusUnknown => "The peer certificate's status is unknown",
            Self::OcspNoResponseFound => "No OCSP status response found",
            Self::OcspMalformedRequest => "The OCSP status request had invalid syntax",
            Self::OcspMalformedResponse => {
                "OCSP response contains an unexpected number of SingleResponse structures"
            }
            Self::OcspInternalError => "OCSP responder reached an inconsistent internal state",
            Self::OcspTryLater => {
                "OCSP responder was unable to return a status for the requested certificate"
            }
            Self::OcspSigRequired => {
                "The server requires the client to sign the OCSP request in order to construct a response"
            }
            Self::OcspUnauthorized => {
                "The client is not authorized to request OCSP status from this server"
            }
            Self::OcspResponseCannotBeTrusted => "OCSP responder's identity cannot be verified",
            Self::OcspResponseCertIdUnknown => {
                "The identity of a certificate in an OCSP response cannot be established"
            }
            Self::OcspResponseExpired => "The certificate status response has expired",
            Self::OcspStatusUnknown => "The certificate's status is unknown",
            Self::UnspecifiedError => "An unknown error occurred",
        }
    }
}

impl fmt::Display for SslError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// One certificate verification error and the certificate it concerns. Mirrors `QSslError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SslErrorEntry {
    /// What is wrong.
    pub error: SslError,
    /// The certificate concerned, when there is one.
    pub certificate: Option<Certificate>,
}

impl SslErrorEntry {
    /// `error` about `certificate` (a copy of it).
    pub fn new(error: SslError, certificate: Option<&Certificate>) -> Self {
        Self {
            error,
            certificate: certificate.cloned(),
        }
    }
}
