//! Plain-data forms of what the guest reports with certificate handles inside (`ssl-errors`,
//! `ocsp-responses`): each certificate replaced by its subject, so there is nothing to drop.

use crate::{OcspCertificateStatus, OcspRevocationReason, SslError};

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
