//! Certificates and keys: [`Certificate`] (`QSslCertificate`) with its [`CertificateExtension`]s,
//! [`Key`] (`QSslKey`), and PKCS#12 bundles of both ([`Pkcs12Bundle`],
//! `QSslCertificate::importPkcs12`).

mod certificate;
mod extension;
mod key;
mod password_based;
mod pkcs12;

use std::fmt;

pub(crate) use certificate::algorithm_der;
pub use certificate::{AlternativeName, Certificate, DigestAlgorithm, SubjectInfo};
pub use extension::CertificateExtension;
pub use key::{Key, KeyAlgorithm, KeyType};
pub use pkcs12::Pkcs12Bundle;

/// How certificates and keys are encoded. Mirrors `QSsl::EncodingFormat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingFormat {
    /// PEM text.
    Pem,
    /// Binary DER.
    Der,
}

/// Why a certificate or key could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PkiError {
    /// The data is not a well-formed certificate or key.
    Malformed(String),
    /// The data is well formed but uses something this library does not support.
    Unsupported(String),
    /// The key is too weak to be used (RSA under 2048 bits).
    WeakKey(String),
    /// A file could not be read.
    Io(String),
    /// The passphrase does not open the data (a PKCS#12 bundle's MAC or encryption).
    WrongPassphrase(String),
}

impl fmt::Display for PkiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(m) => write!(f, "malformed data: {m}"),
            Self::Unsupported(m) => write!(f, "unsupported: {m}"),
            Self::WeakKey(m) => write!(f, "key too weak: {m}"),
            Self::Io(m) => write!(f, "cannot read: {m}"),
            Self::WrongPassphrase(m) => write!(f, "wrong passphrase: {m}"),
        }
    }
}

impl std::error::Error for PkiError {}

/// Encodes DER as PEM with the given label.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der).unwrap_or_default()
}
