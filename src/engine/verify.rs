//! Certificate verification that collects every `QSslError`, not just the first.
//!
//! rustls-webpki decides whether a chain is valid; it stops at the first problem, so the extra
//! checks here (validity of each certificate, self-signed roots, host name, key sizes) find the
//! rest and say which certificate each error concerns, as Qt does with OpenSSL. A chain webpki
//! rejects is never accepted unless the caller ignored the errors.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::{CertificateError, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};

use super::config::SslConfiguration;
use super::errors::{SslError, SslErrorEntry};
use crate::crypto;
use crate::pki::Certificate;

/// What the verifier found in the last handshake, shared with the socket.
#[derive(Debug, Default)]
pub struct VerifyLog {
    /// Every error found, with its certificate.
    pub errors: Vec<SslErrorEntry>,
    /// The peer's chain as sent, leaf first.
    pub chain: Vec<Certificate>,
    /// `ignoreSslErrors()` was called: accept whatever the errors.
    pub ignore_all: bool,
}

/// The log shared between a socket and its verifier.
pub type SharedVerifyLog = Arc<Mutex<VerifyLog>>;

/// Locks a shared log, surviving a poisoned lock.
pub fn lock(log: &SharedVerifyLog) -> MutexGuard<'_, VerifyLog> {
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The rustls server-certificate verifier of a client socket.
#[derive(Debug)]
pub struct PeerVerifier {
    anchors: Vec<TrustAnchor<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
    log: SharedVerifyLog,
}

impl PeerVerifier {
    /// A verifier trusting `config`'s CA database that records what it finds in `log`.
    pub fn new(config: &SslConfiguration, log: SharedVerifyLog) -> Self {
        Self {
            anchors: config.trust_anchors(),
            algorithms: crypto::provider().signature_verification_algorithms,
            log,
        }
    }
}

impl ServerCertVerifier for PeerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain: Vec<Certificate> = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| Certificate::from(c.clone().into_owned()))
            .collect();
        let errors = verify_chain(
            &chain,
            &self.anchors,
            Some(server_name),
            now,
            &self.algorithms,
        );
        let mut log = lock(&self.log);
        log.chain = chain;
        let first = errors.first().map(|e| e.error);
        log.errors = errors;
        match first {
            None => Ok(ServerCertVerified::assertion()),
            Some(_) if log.ignore_all => Ok(ServerCertVerified::assertion()),
            Some(error) => Err(rustls::Error::InvalidCertificate(certificate_error(error))),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Verifies `chain` (leaf first) for TLS server authentication and returns every error found.
pub fn verify_chain(
    chain: &[Certificate],
    anchors: &[TrustAnchor<'_>],
    name: Option<&ServerName<'_>>,
    now: UnixTime,
    algorithms: &WebPkiSupportedAlgorithms,
) -> Vec<SslErrorEntry> {
    let Some(leaf) = chain.first() else {
        return vec![entry(SslError::NoPeerCertificate, None)];
    };
    let Ok(end_entity) = webpki::EndEntityCert::try_from(leaf.der()) else {
        return vec![entry(SslError::UnspecifiedError, Some(leaf))];
    };
    let mut errors = Vec::new();
    let now_secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    for cert in chain {
        if cert.is_not_yet_valid_at(now_secs) {
            errors.push(entry(SslError::CertificateNotYetValid, Some(cert)));
        }
        if cert.is_expired_at(now_secs) {
            errors.push(entry(SslError::CertificateExpired, Some(cert)));
        }
    }

    // A leaf that is itself in the CA database is trusted as it is (Qt and OpenSSL do so, e.g.
    // for a self-signed certificate added on purpose); only its dates and name are checked.
    let directly_trusted = anchors.iter().any(|anchor| is_anchor(leaf, anchor));
    let intermediates: Vec<CertificateDer<'_>> =
        chain.iter().skip(1).map(|c| c.der().clone()).collect();
    let path = |time: UnixTime| {
        end_entity
            .verify_for_usage(
                algorithms.all,
                anchors,
                &intermediates,
                time,
                webpki::KeyUsage::server_auth(),
                None,
                None,
            )
            .map(|_| ())
    };
    let mut result = if directly_trusted { Ok(()) } else { path(now) };
    if matches!(result, Err(ref e) if is_time_error(e)) {
        // The time errors are already listed; look for the others at a moment when the leaf is
        // valid.
        let middle = leaf.effective_date() / 2 + leaf.expiry_date() / 2;
        let moment =
            UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(middle).unwrap_or(0)));
        result = path(moment).or_else(|e| if is_time_error(&e) { Ok(()) } else { Err(e) });
    }
    if let Err(e) = result {
        path_errors(&e, chain, &mut errors);
    }

    if let Some(name) = name
        && end_entity.verify_is_valid_for_subject_name(name).is_err()
    {
        errors.push(entry(SslError::HostNameMismatch, Some(leaf)));
    }
    for cert in chain {
        if cert
            .rsa_key_bits()
            .is_some_and(|bits| bits < crypto::MIN_RSA_BITS)
        {
            errors.push(entry(SslError::UnspecifiedError, Some(cert)));
        }
    }
    errors.dedup();
    errors
}

fn entry(error: SslError, certificate: Option<&Certificate>) -> SslErrorEntry {
    SslErrorEntry {
        error,
        certificate: certificate.cloned(),
    }
}

/// Whether `anchor` was made from `certificate`: same subject and same public key.
fn is_anchor(certificate: &Certificate, anchor: &TrustAnchor<'_>) -> bool {
    let subject = certificate.subject_raw();
    let spki = certificate.subject_public_key_info_raw();
    der_contents(&subject) == Some(anchor.subject.as_ref())
        && der_contents(&spki) == Some(anchor.subject_public_key_info.as_ref())
}

/// The contents of a DER element, without its tag and length.
fn der_contents(element: &[u8]) -> Option<&[u8]> {
    let first_length = *element.get(1)?;
    let header = if first_length < 0x80 {
        2
    } else {
        2 + usize::from(first_length & 0x7f)
    };
    element.get(header..)
}

fn is_time_error(e: &webpki::Error) -> bool {
    matches!(
        e,
        webpki::Error::CertExpired { .. }
            | webpki::Error::CertNotValidYet { .. }
            | webpki::Error::InvalidCertValidity
    )
}

/// Maps webpki's path-building error to Qt's errors.
fn path_errors(e: &webpki::Error, chain: &[Certificate], errors: &mut Vec<SslErrorEntry>) {
    use webpki::Error as E;
    let leaf = chain.first();
    let top = chain.last();
    match e {
        E::UnknownIssuer => {
            if chain.len() == 1 && leaf.is_some_and(Certificate::is_self_signed) {
                errors.push(entry(SslError::SelfSignedCertificate, leaf));
            } else if chain.len() > 1 && top.is_some_and(Certificate::is_self_signed) {
                errors.push(entry(SslError::SelfSignedCertificateInChain, top));
            } else {
                errors.push(entry(SslError::UnableToGetLocalIssuerCertificate, top));
                if chain.len() == 1 {
                    errors.push(entry(SslError::UnableToVerifyFirstCertificate, leaf));
                }
            }
        }
        E::CertRevoked => errors.push(entry(SslError::CertificateRevoked, leaf)),
        E::PathLenConstraintViolated | E::MaximumPathDepthExceeded => {
            errors.push(entry(SslError::PathLengthExceeded, top));
        }
        E::RequiredEkuNotFoundContext(_) | E::CaUsedAsEndEntity => {
            errors.push(entry(SslError::InvalidPurpose, leaf));
        }
        E::EndEntityUsedAsCa => {
            errors.push(entry(SslError::InvalidCaCertificate, chain.get(1).or(top)))
        }
        E::InvalidSignatureForPublicKey => {
            errors.push(entry(SslError::CertificateSignatureFailed, leaf));
        }
        E::CertNotValidForName(_) => errors.push(entry(SslError::HostNameMismatch, leaf)),
        _ => errors.push(entry(SslError::UnspecifiedError, leaf)),
    }
}

/// The rustls error (and so the TLS alert) for the first verification error.
fn certificate_error(error: SslError) -> CertificateError {
    match error {
        SslError::CertificateExpired => CertificateError::Expired,
        SslError::CertificateNotYetValid => CertificateError::NotValidYet,
        SslError::CertificateRevoked => CertificateError::Revoked,
        SslError::HostNameMismatch => CertificateError::NotValidForName,
        SslError::CertificateSignatureFailed => CertificateError::BadSignature,
        SslError::SelfSignedCertificate
        | SslError::SelfSignedCertificateInChain
        | SslError::UnableToGetLocalIssuerCertificate
        | SslError::UnableToVerifyFirstCertificate => CertificateError::UnknownIssuer,
        _ => CertificateError::ApplicationVerificationFailure,
    }
}
