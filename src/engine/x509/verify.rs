//! Certificate verification that collects every `QSslError`, not just the first.
//!
//! The errors are the ones Qt reports with OpenSSL, in Qt's order: the host name first (Qt
//! checks it itself before it translates OpenSSL's errors), then what OpenSSL's verifier finds,
//! step by step ([`super::chain`]). rustls-webpki verifies every chain as well: a chain webpki
//! refuses is never accepted, and when webpki's reason is not among the errors found it is added,
//! so ignoring the errors listed never lets through what webpki refused for another reason.

use std::time::Duration;

use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::chain::{self, VerifiedSignature};
use super::facts::der_contents;
use super::policy::Purpose;
use super::revocation::Crl;
use super::trust_store::TrustStore;
use crate::engine::errors::{SslError, SslErrorEntry};
use crate::pki::Certificate;

/// What a chain is verified against.
pub struct Context<'a> {
    /// The CA database, as certificates (their own fields are checked like any CA's) and as
    /// webpki trust anchors.
    pub store: &'a TrustStore,
    /// Revocation lists; empty for no revocation checking.
    pub crls: &'a [Crl],
    /// Signature algorithms webpki accepts.
    pub algorithms: &'a WebPkiSupportedAlgorithms,
    /// What the leaf must be good for.
    pub purpose: Purpose,
    /// The most intermediates allowed between the leaf and the trust anchor (OpenSSL's verify
    /// depth, Qt's `peerVerifyDepth`); 0: OpenSSL's default, 100.
    pub depth: u32,
}

/// Verifies `chain` (leaf first, as the peer sent it) for `context.purpose` and returns every
/// error found, in Qt's order; `name` is checked against the leaf when given.
pub fn verify_chain(
    chain: &[Certificate],
    context: &Context<'_>,
    name: Option<&ServerName<'_>>,
    now: UnixTime,
) -> Vec<SslErrorEntry> {
    let Some(leaf) = chain.first() else {
        return vec![SslErrorEntry::new(SslError::NoPeerCertificate, None)];
    };
    let Ok(end_entity) = webpki::EndEntityCert::try_from(leaf.der()) else {
        return vec![SslErrorEntry::new(SslError::UnspecifiedError, Some(leaf))];
    };
    let mut errors = Vec::new();
    if let Some(name) = name
        && end_entity.verify_is_valid_for_subject_name(name).is_err()
    {
        errors.push(SslErrorEntry::new(SslError::HostNameMismatch, Some(leaf)));
    }
    // A leaf in the CA database is trusted as it is, which webpki cannot express.
    let webpki = if context.store.contains(leaf) {
        Ok(Vec::new())
    } else {
        webpki_path(&end_entity, chain, context, now)
    };
    let verified = webpki.as_deref().unwrap_or_default();
    errors.extend(chain::openssl_errors(
        chain,
        context.store,
        context.crls,
        context.purpose,
        now,
        verified,
        context.depth,
    ));
    if let Err(refusal) = &webpki
        && let Some(reason) = unexplained(refusal, chain, &errors)
    {
        errors.push(reason);
    }
    errors
}

/// webpki's verdict on the path, with time errors set aside (the dates are checked per
/// certificate): when the leaf is out of its validity, the path is built at a moment inside it.
/// A path webpki verified gives the signatures it checked on the way.
fn webpki_path(
    end_entity: &webpki::EndEntityCert<'_>,
    chain: &[Certificate],
    context: &Context<'_>,
    now: UnixTime,
) -> Result<Vec<VerifiedSignature>, webpki::Error> {
    let intermediates: Vec<CertificateDer<'_>> =
        chain.iter().skip(1).map(|c| c.der().clone()).collect();
    let path = |time: UnixTime| {
        end_entity
            .verify_for_usage(
                context.algorithms.all,
                context.store.anchors(),
                &intermediates,
                time,
                match context.purpose {
                    Purpose::ClientAuth => webpki::KeyUsage::client_auth(),
                    Purpose::ServerAuth | Purpose::OcspResponder => webpki::KeyUsage::server_auth(),
                },
                None,
                None,
            )
            .map(|path| {
                let signed = std::iter::once(end_entity.der().as_ref().to_vec()).chain(
                    path.intermediate_certificates()
                        .map(|c| c.der().as_ref().to_vec()),
                );
                let signers = path
                    .intermediate_certificates()
                    .map(|c| der_contents(c.subject_public_key_info().as_ref()))
                    .chain([path.anchor().subject_public_key_info.as_ref().to_vec()]);
                signed.zip(signers).collect()
            })
    };
    match path(now) {
        Err(e) if is_time_error(&e) => {
            let leaf = chain
                .first()
                .map_or((0, 0), |l| (l.effective_date(), l.expiry_date()));
            let middle = leaf.0 / 2 + leaf.1 / 2;
            let moment =
                UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(middle).unwrap_or(0)));
            path(moment).or_else(|e| {
                if is_time_error(&e) {
                    Ok(Vec::new())
                } else {
                    Err(e)
                }
            })
        }
        other => other,
    }
}

fn is_time_error(e: &webpki::Error) -> bool {
    matches!(
        e,
        webpki::Error::CertExpired { .. }
            | webpki::Error::CertNotValidYet { .. }
            | webpki::Error::InvalidCertValidity
    )
}

/// webpki's reason for refusing, as a Qt error, unless an error already found accounts for it.
fn unexplained(
    refusal: &webpki::Error,
    chain: &[Certificate],
    found: &[SslErrorEntry],
) -> Option<SslErrorEntry> {
    use SslError as Q;
    use webpki::Error as E;
    let leaf = chain.first();
    let has = |errors: &[SslError]| found.iter().any(|f| errors.contains(&f.error));
    let (reason, explained) = match refusal {
        E::UnknownIssuer => (
            SslErrorEntry::new(Q::UnableToGetLocalIssuerCertificate, chain.last()),
            has(&[
                Q::SelfSignedCertificate,
                Q::SelfSignedCertificateInChain,
                Q::UnableToGetLocalIssuerCertificate,
                Q::UnableToGetIssuerCertificate,
                Q::CertificateSignatureFailed,
                Q::InvalidCaCertificate,
            ]),
        ),
        E::CaUsedAsEndEntity => (
            SslErrorEntry::new(Q::InvalidPurpose, leaf),
            has(&[Q::SelfSignedCertificate, Q::InvalidPurpose]),
        ),
        E::EndEntityUsedAsCa => (
            SslErrorEntry::new(Q::InvalidCaCertificate, chain.get(1)),
            has(&[Q::InvalidCaCertificate]),
        ),
        E::PathLenConstraintViolated | E::MaximumPathDepthExceeded => (
            SslErrorEntry::new(Q::PathLengthExceeded, chain.last()),
            has(&[Q::PathLengthExceeded]),
        ),
        E::RequiredEkuNotFoundContext(_) => (
            SslErrorEntry::new(Q::InvalidPurpose, leaf),
            has(&[Q::InvalidPurpose]),
        ),
        E::InvalidSignatureForPublicKey
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => (
            SslErrorEntry::new(Q::CertificateSignatureFailed, leaf),
            has(&[Q::CertificateSignatureFailed]),
        ),
        e if is_time_error(e) => return None,
        _ => {
            let reason = SslErrorEntry::new(Q::UnspecifiedError, leaf);
            let explained = found.contains(&reason);
            (reason, explained)
        }
    };
    (!explained).then_some(reason)
}
