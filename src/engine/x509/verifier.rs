//! The rustls certificate verifier of a socket, and the log it fills: every `QSslError` found in
//! the peer's chain, the chain itself, the OCSP responses, and the caller's decisions
//! (`ignoreSslErrors`, interrupt on error).

use std::cell::RefCell;
use std::sync::{Arc, Mutex, MutexGuard};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::ocsp::{self, OcspCheck, OcspStatus};
use super::policy::{PeerVerifyMode, Purpose, VerifyPolicy};
use super::verify::{Context, verify_chain};
use crate::crypto;
use crate::engine::errors::{SslError, SslErrorEntry};
use crate::pki::Certificate;

/// What the verifier found in the last handshake, and what the caller decided to accept; shared
/// between a socket and its verifier.
#[derive(Debug, Default)]
pub struct VerifyLog {
    /// Every error found, with its certificate.
    pub errors: Vec<SslErrorEntry>,
    /// The peer's chain as sent, leaf first.
    pub chain: Vec<Certificate>,
    /// `ignoreSslErrors()` was called: accept whatever the errors.
    pub ignore_all: bool,
    /// `ignoreSslErrors(list)`: accept exactly these errors (no certificate: any certificate).
    pub ignore_list: Vec<(SslError, Option<Certificate>)>,
    /// The handshake was let through only to be interrupted on its errors.
    pub interrupted: bool,
    /// The stapled OCSP responses checked (`ocspResponses()`).
    pub ocsp_responses: Vec<OcspStatus>,
}

impl VerifyLog {
    /// Whether every error found has been ignored (Qt's `verifyErrorsHaveBeenIgnored`).
    pub fn errors_ignored(&self) -> bool {
        self.ignore_all
            || self.errors.iter().all(|found| {
                self.ignore_list.iter().any(|(error, cert)| {
                    *error == found.error
                        && cert
                            .as_ref()
                            .is_none_or(|c| Some(c) == found.certificate.as_ref())
                })
            })
    }
}

/// The log of one socket's verifications.
pub type SharedVerifyLog = Arc<Mutex<VerifyLog>>;

thread_local! {
    static CURRENT_LOG: RefCell<Option<SharedVerifyLog>> = const { RefCell::new(None) };
}

/// Runs `f` (which drives rustls) with `log` receiving the verifications that happen inside.
///
/// Verifiers are shared between sockets with the same settings (rustls resumes a session only
/// with the configuration that made it), so the socket whose packets are processed says where
/// its results go.
pub fn with_log<R>(log: &SharedVerifyLog, f: impl FnOnce() -> R) -> R {
    let previous = CURRENT_LOG.with(|current| current.replace(Some(log.clone())));
    let result = f();
    CURRENT_LOG.with(|current| current.replace(previous));
    result
}

/// Whether the handshake being processed (inside [`with_log`]) found certificate errors, even
/// ignored ones.
pub fn current_handshake_had_errors() -> bool {
    CURRENT_LOG.with(|current| {
        current
            .borrow()
            .as_ref()
            .is_some_and(|log| !lock(log).errors.is_empty())
    })
}

fn current_log() -> SharedVerifyLog {
    CURRENT_LOG
        .with(|current| current.borrow().clone())
        .unwrap_or_default()
}

/// Locks a shared log, surviving a poisoned lock.
pub fn lock(log: &SharedVerifyLog) -> MutexGuard<'_, VerifyLog> {
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The rustls server-certificate verifier of a client socket.
#[derive(Debug)]
pub struct PeerVerifier {
    policy: VerifyPolicy,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PeerVerifier {
    /// A verifier applying `policy`; it records what it finds in the log given to [`with_log`].
    pub fn new(policy: VerifyPolicy) -> Self {
        Self {
            policy,
            algorithms: crypto::provider().signature_verification_algorithms,
        }
    }

    /// Verifies the peer's chain for `purpose` (and the stapled OCSP response of a server when
    /// asked for), records the outcome and decides.
    fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: Option<&ServerName<'_>>,
        now: UnixTime,
        purpose: Purpose,
        stapled: Option<&[u8]>,
    ) -> Result<(), rustls::Error> {
        let mode = match purpose {
            Purpose::ClientAuth => self.policy.mode.for_server(),
            Purpose::ServerAuth | Purpose::OcspResponder => self.policy.mode.for_client(),
        };
        let chain: Vec<Certificate> = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| Certificate::from(c.clone().into_owned()))
            .collect();
        let mut ocsp = OcspCheck::default();
        if let Some(stapled) = stapled
            && self.policy.ocsp_stapling
            && mode == PeerVerifyMode::VerifyPeer
        {
            ocsp = ocsp::check_stapled(stapled, &chain, &self.policy.store, now);
        }
        let mut errors = if mode == PeerVerifyMode::VerifyNone {
            Vec::new()
        } else {
            let context = Context {
                store: &self.policy.store,
                crls: &self.policy.crls,
                algorithms: &self.algorithms,
                purpose,
            };
            verify_chain(&chain, &context, name, now)
        };
        // Qt reports the OCSP errors before the host name and the chain's.
        errors.splice(0..0, ocsp.errors);
        let shared = current_log();
        let mut log = lock(&shared);
        log.chain = chain;
        log.errors = errors;
        log.ocsp_responses = ocsp.responses;
        log.interrupted = false;
        match log.errors.first().map(|e| e.error) {
            None => Ok(()),
            Some(_) if mode == PeerVerifyMode::QueryPeer || log.errors_ignored() => Ok(()),
            Some(_) if self.policy.interrupt_on_error => {
                log.interrupted = true;
                Ok(())
            }
            Some(error) => Err(rustls::Error::InvalidCertificate(certificate_error(error))),
        }
    }
}

/// The handshake-signature checks, the same for both verifier traits: the provider's algorithms.
macro_rules! handshake_signatures {
    () => {
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
    };
}

impl ServerCertVerifier for PeerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.check(
            end_entity,
            intermediates,
            Some(server_name),
            now,
            Purpose::ServerAuth,
            Some(ocsp_response),
        )
        .map(|()| ServerCertVerified::assertion())
    }

    handshake_signatures!();
}

impl ClientCertVerifier for PeerVerifier {
    fn offer_client_auth(&self) -> bool {
        self.policy.mode.for_server() != PeerVerifyMode::VerifyNone
    }

    fn client_auth_mandatory(&self) -> bool {
        self.policy.mode.for_server() == PeerVerifyMode::VerifyPeer
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check(
            end_entity,
            intermediates,
            None,
            now,
            Purpose::ClientAuth,
            None,
        )
        .map(|()| ClientCertVerified::assertion())
    }

    handshake_signatures!();
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
