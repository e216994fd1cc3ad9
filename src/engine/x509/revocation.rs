//! Certificate revocation lists, read once per verifier and checked per certificate (OpenSSL's
//! `check_crl` / `cert_crl` for the CRLs given to `add-crls`).

use rustls_pki_types::CertificateRevocationListDer;
use x509_parser::prelude::{CertificateRevocationList, FromDer};

use super::facts::{Facts, KU_CRL_SIGN};
use crate::engine::errors::{SocketError, SslError};
use crate::pki::{Certificate, EncodingFormat, algorithm_der};

/// Parses certificate revocation lists: PEM (`X509 CRL` blocks) or one DER CRL
/// (`QSslConfiguration` has no CRL call; this backs the WIT `add-crls`).
///
/// # Errors
/// `InvalidInput` when there is no CRL or one does not parse.
pub fn parse_crls(
    data: &[u8],
    format: EncodingFormat,
) -> Result<Vec<CertificateRevocationListDer<'static>>, SocketError> {
    use rustls_pki_types::pem::PemObject;
    let crls: Vec<CertificateRevocationListDer<'static>> = match format {
        EncodingFormat::Der => vec![CertificateRevocationListDer::from(data.to_vec())],
        EncodingFormat::Pem => CertificateRevocationListDer::pem_slice_iter(data)
            .collect::<Result<_, _>>()
            .map_err(|e| SocketError::invalid_input(format!("bad PEM CRL: {e}")))?,
    };
    if crls.is_empty() {
        return Err(SocketError::invalid_input(
            "no certificate revocation list found",
        ));
    }
    for crl in &crls {
        webpki::OwnedCertRevocationList::from_der(crl)
            .map_err(|e| SocketError::invalid_input(format!("malformed CRL: {e}")))?;
    }
    Ok(crls)
}

/// One parsed CRL: who issued it, what it revokes, and its signature.
#[derive(Debug, Clone)]
pub struct Crl {
    issuer: Vec<u8>,
    revoked: Vec<Vec<u8>>,
    signed: Vec<u8>,
    algorithm: Vec<u8>,
    signature: Vec<u8>,
    /// A critical extension OpenSSL does not handle in a CRL (anything but the issuing
    /// distribution point, authority key identifier and delta CRL indicator).
    unhandled_critical: bool,
}

impl Crl {
    /// Parses a DER CRL; `None` when it does not parse.
    pub fn from_der(der: &[u8]) -> Option<Self> {
        let (_, crl) = CertificateRevocationList::from_der(der).ok()?;
        Some(Self {
            issuer: crl.issuer().as_raw().to_vec(),
            revoked: crl
                .iter_revoked_certificates()
                .map(|r| r.raw_serial().to_vec())
                .collect(),
            signed: crl.tbs_cert_list.as_ref().to_vec(),
            algorithm: algorithm_der(&crl.signature_algorithm)?,
            signature: crl.signature_value.data.to_vec(),
            unhandled_critical: crl.extensions().iter().any(|ext| {
                ext.critical
                    && !["2.5.29.28", "2.5.29.35", "2.5.29.27"]
                        .contains(&ext.oid.to_id_string().as_str())
            }),
        })
    }

    /// What this CRL says of the certificate described by `subject`, issued by `issuer`:
    /// nothing when it is another issuer's or its signature does not verify;
    /// `unspecified-error` when the issuer's keyUsage does not allow CRL signing or the CRL has
    /// an unhandled critical extension (OpenSSL's `KEYUSAGE_NO_CRL_SIGN`,
    /// `UNHANDLED_CRITICAL_CRL_EXTENSION`); `certificate-revoked` when it lists the serial.
    pub fn verdict(
        &self,
        subject: &Facts,
        issuer: &Certificate,
        issuer_facts: &Facts,
    ) -> Option<SslError> {
        let applies = self.issuer == subject.issuer
            && issuer_facts.subject == self.issuer
            && issuer.verifies_der(&self.algorithm, &self.signed, &self.signature);
        if !applies {
            None
        } else if issuer_facts.key_usage_rejects(KU_CRL_SIGN) || self.unhandled_critical {
            Some(SslError::UnspecifiedError)
        } else {
            self.revoked
                .contains(&subject.serial)
                .then_some(SslError::CertificateRevoked)
        }
    }
}
