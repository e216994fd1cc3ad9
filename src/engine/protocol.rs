//! The TLS versions a socket may negotiate (`QSsl::SslProtocol`).

use rustls::SupportedProtocolVersion;
use rustls::version::{TLS12, TLS13};

use super::errors::SocketError;

/// The TLS versions a socket may negotiate. Mirrors `QSsl::SslProtocol`; see the WIT `protocol`
/// enum for what each obsolete Qt value maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    /// SSL 3: refused.
    SslV3,
    /// SSL 2: refused.
    SslV2,
    /// Qt's TLS 1.0: exactly TLS 1.2, the lowest version offered.
    TlsV1,
    /// Anything offered: TLS 1.2 or 1.3.
    Compat,
    /// Exactly TLS 1.2.
    TlsV12,
    /// Exactly TLS 1.3.
    TlsV13,
    /// TLS 1.2 or 1.3.
    TlsV12OrLater,
    /// TLS 1.3.
    TlsV13OrLater,
    /// The default: TLS 1.2 or 1.3.
    #[default]
    SecureProtocols,
}

static ONLY_TLS12: [&SupportedProtocolVersion; 1] = [&TLS12];
static ONLY_TLS13: [&SupportedProtocolVersion; 1] = [&TLS13];
static TLS12_AND_13: [&SupportedProtocolVersion; 2] = [&TLS13, &TLS12];

impl Protocol {
    /// The rustls versions this setting allows.
    ///
    /// # Errors
    /// [`SocketError::UnsupportedProtocol`] for SSL 2 and SSL 3.
    pub fn versions(self) -> Result<&'static [&'static SupportedProtocolVersion], SocketError> {
        match self {
            Self::SslV2 | Self::SslV3 => Err(SocketError::UnsupportedProtocol(format!(
                "{} is insecure and not supported; use TLS 1.2 or later",
                if self == Self::SslV2 {
                    "SSLv2"
                } else {
                    "SSLv3"
                }
            ))),
            Self::TlsV1 | Self::TlsV12 => Ok(&ONLY_TLS12),
            Self::TlsV13 | Self::TlsV13OrLater => Ok(&ONLY_TLS13),
            Self::Compat | Self::TlsV12OrLater | Self::SecureProtocols => Ok(&TLS12_AND_13),
        }
    }

    /// The text OpenSSL and Qt use for a negotiated version: `TLSv1.2`, `TLSv1.3`.
    pub fn version_string(self) -> &'static str {
        match self {
            Self::TlsV12 => "TLSv1.2",
            Self::TlsV13 => "TLSv1.3",
            Self::SslV2 => "SSLv2",
            Self::SslV3 => "SSLv3",
            Self::TlsV1 => "TLSv1",
            _ => "",
        }
    }

    /// The protocol value of a negotiated rustls version.
    pub fn from_negotiated(version: rustls::ProtocolVersion) -> Option<Self> {
        match version {
            rustls::ProtocolVersion::TLSv1_2 => Some(Self::TlsV12),
            rustls::ProtocolVersion::TLSv1_3 => Some(Self::TlsV13),
            _ => None,
        }
    }
}
