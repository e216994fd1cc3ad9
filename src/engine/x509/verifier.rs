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
use crate::engine::errors::{SslError, SslErrorEntry};
use crate::pki::Certificate;
use sslsocket_crypto as crypto;

/// What the verifier found in the last handshake, and what the caller decided to accept.
#[derive(Debug, Default)]
struct VerifyLog {
    /// Every error found, with its certificate.
    errors: Vec<SslErrorEntry>,
    /// The peer's chain as sent, leaf first.
    chain: Vec<Certificate>,
    /// `ignoreSslErrors()` was called: accept whatever the errors.
    ignore_all: bool,
    /// `ignoreSslErrors(list)`: accept exactly these errors (no certificate: any certificate).
    ignore_list: Vec<(SslError, Option<Certificate>)>,
    /// The handshake was let through only to be interrupted on its errors.
    interrupted: bool,
    /// The verifier refused the chain (its errors were neither ignored nor queried only).
    refused: bool,
    /// The stapled OCSP responses checked (`ocspResponses()`).
    ocsp_responses: Vec<OcspStatus>,
    /// The stapled OCSP response checked, as the peer sent it (DER); empty when none was.
    stapled_ocsp: Vec<u8>,
}

impl VerifyLog {
    /// Whether every error found has been ignored (Qt's `verifyErrorsHaveBeenIgnored`).
    fn errors_ignored(&self) -> bool {
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

/// One socket's verification log: what its verifier found in the last handshake, and what the
/// caller chose to ignore. The socket owns it; the verifier writes to it while the socket runs
/// rustls inside [`SharedVerifyLog::run`].
#[derive(Debug, Clone, Default)]
pub struct SharedVerifyLog(Arc<Mutex<VerifyLog>>);

impl SharedVerifyLog {
    /// Runs `f` (which drives rustls) with this log receiving the verifications that happen
    /// inside.
    ///
    /// Verifiers are shared between sockets with the same settings (rustls resumes a session
    /// only with the configuration that made it), so the socket whose records are processed
    /// says where its results go.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> R {
        let previous = CURRENT_LOG.with(|current| current.replace(Some(self.clone())));
        let result = f();
        CURRENT_LOG.with(|current| current.replace(previous));
        result
    }

    /// Forgets the last handshake's findings: a new handshake starts. What the caller chose to
    /// ignore stays.
    pub fn start_handshake(&self) {
        let mut log = self.lock();
        log.errors.clear();
        log.chain.clear();
        log.ocsp_responses.clear();
        log.stapled_ocsp.clear();
        log.interrupted = false;
        log.refused = false;
    }

    /// Whether the verifier refused the peer's chain in the last handshake: a handshake that
    /// failed on the peer's certificate otherwise failed for another reason (its handshake
    /// signature, say).
    pub fn refused(&self) -> bool {
        self.lock().refused
    }

    /// The peer's chain as the verifier saw it, leaf first.
    pub fn chain(&self) -> Vec<Certificate> {
        self.lock().chain.clone()
    }

    /// The stapled OCSP responses checked.
    pub fn ocsp_responses(&self) -> Vec<OcspStatus> {
        self.lock().ocsp_responses.clone()
    }

    /// The stapled OCSP response checked, as the peer sent it (DER), when there was one.
    pub fn stapled_ocsp(&self) -> Option<Vec<u8>> {
        let log = self.lock();
        (!log.stapled_ocsp.is_empty()).then(|| log.stapled_ocsp.clone())
    }

    /// The errors found.
    pub fn errors(&self) -> Vec<SslErrorEntry> {
        self.lock().errors.clone()
    }

    /// The errors found, and whether the handshake is to stop on them for the caller.
    pub fn verdict(&self) -> (Vec<SslErrorEntry>, bool) {
        let log = self.lock();
        (log.errors.clone(), log.interrupted)
    }

    /// Ignores every error from now on (`ignoreSslErrors()`).
    pub fn ignore_all(&self) {
        self.lock().ignore_all = true;
    }

    /// Ignores exactly these errors, each for its certificate or any when `None`
    /// (`ignoreSslErrors(list)`); replaces an earlier list.
    pub fn ignore(&self, errors: Vec<(SslError, Option<Certificate>)>) {
        self.lock().ignore_list = errors;
    }

    /// The caller continues an interrupted handshake: whether every error is ignored by now,
    /// and the errors.
    pub fn resume(&self) -> (bool, Vec<SslErrorEntry>) {
        let mut log = self.lock();
        log.interrupted = false;
        (log.errors_ignored(), log.errors.clone())
    }

    /// Locks the log, surviving a poisoned lock.
    fn lock(&self) -> MutexGuard<'_, VerifyLog> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

thread_local! {
    static CURRENT_LOG: RefCell<Option<SharedVerifyLog>> = const { RefCell::new(None) };
}

/// Whether the handshake being processed (inside [`SharedVerifyLog::run`]) found certificate
/// errors, even ignored ones.
pub fn current_handshake_had_errors() -> bool {
    CURRENT_LOG.with(|current| {
        current
            .borrow()
            .as_ref()
            .is_some_and(|log| !log.lock().errors.is_empty())
    })
}

fn current_log() -> SharedVerifyLog {
    CURRENT_LOG
        .with(|current| current.borrow().clone())
        .unwrap_or_default()
}

/// The rustls server-certificate verifier of a client socket.
#[derive(Debug)]
pub struct PeerVerifier {
    policy: VerifyPolicy,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PeerVerifier {
    /// A verifier applying `policy`; it records what it finds in the log of the socket running rustls
    /// ([`SharedVerifyLog::run`]).
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
        let mut checked = &[][..];
        if let Some(stapled) = stapled
            && self.policy.ocsp_stapling
            && mode == PeerVerifyMode::VerifyPeer
        {
            ocsp = ocsp::check_stapled(stapled, &chain, &self.policy.store, now);
            checked = stapled;
        }
        let mut errors = if mode == PeerVerifyMode::VerifyNone {
            Vec::new()
        } else {
            let context = Context {
                store: &self.policy.store,
                crls: &self.policy.crls,
                algorithms: &self.algorithms,
                purpose,
                depth: self.policy.depth,
            };
            verify_chain(&chain, &context, name, now)
        };
        // Qt reports the OCSP errors before the host name and the chain's.
        errors.splice(0..0, ocsp.errors);
        let shared = current_log();
        let mut log = shared.lock();
        log.chain = chain;
        log.errors = errors;
        log.ocsp_responses = ocsp.responses;
        log.stapled_ocsp = checked.to_vec();
        log.interrupted = false;
        log.refused = false;
        match log.errors.first().map(|e| e.error) {
            None => Ok(()),
            Some(_) if mode == PeerVerifyMode::QueryPeer || log.errors_ignored() => Ok(()),
            Some(_) if self.policy.interrupt_on_error => {
                log.interrupted = true;
                Ok(())
            }
            Some(error) => {
                log.refused = true;
                Err(rustls::Error::InvalidCertificate(certificate_error(error)))
            }
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
