//! Stapled OCSP responses (RFC 6960), checked as Qt checks them with OpenSSL
//! (`TlsCryptographOpenSSL::checkOcspStatus`, Qt 5.13+): the response must be successful, signed by
//! the leaf's issuer or by a responder the issuer delegated to (extended key usage OCSPSigning)
//! whose own chain verifies, hold exactly one answer, for the leaf's certificate id, current
//! (`thisUpdate` ≤ now ≤ `nextUpdate`, 60 s leeway), and say "good".
//!
//! Parsing is x509-ocsp's (RustCrypto formats); signatures are checked with the crypto
//! provider's algorithms, as for certificates.

use der::{Decode, Encode};
use sha1::Sha1;
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use x509_cert::ext::pkix::crl::CrlReason;
use x509_ocsp::{
    BasicOcspResponse, CertStatus, OcspGeneralizedTime, OcspResponse, OcspResponseStatus,
    ResponderId, SingleResponse,
};

use rustls_pki_types::UnixTime;

use super::chain;
use super::facts::Facts;
use super::policy::Purpose;
use super::trust_store::TrustStore;
use crate::engine::errors::{SslError, SslErrorEntry};
use crate::pki::Certificate;

/// What an OCSP response says of a certificate. Mirrors `QOcspCertificateStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcspCertificateStatus {
    /// Not revoked.
    Good,
    /// Revoked (see the reason).
    Revoked,
    /// The responder does not know the certificate.
    Unknown,
}

/// Why a certificate was revoked. Mirrors `QOcspRevocationReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // RFC 5280 CRLReason names
pub enum OcspRevocationReason {
    None,
    Unspecified,
    KeyCompromise,
    CaCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
    CertificateHold,
    RemoveFromCrl,
}

/// One stapled response, as checked. Mirrors `QOcspResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspStatus {
    /// The status given for the subject.
    pub certificate_status: OcspCertificateStatus,
    /// The reason, when revoked.
    pub revocation_reason: OcspRevocationReason,
    /// The certificate of the issuer the response's certificate id names (`signerCert` in Qt),
    /// when it was found.
    pub responder: Option<Certificate>,
    /// The certificate the response is about: the peer's leaf.
    pub subject: Certificate,
}

/// The outcome of checking a stapled response: Qt's errors, and the response when one was read.
#[derive(Debug, Default)]
pub struct OcspCheck {
    /// Errors, in Qt's order.
    pub errors: Vec<SslErrorEntry>,
    /// The response read (Qt's `ocspResponses()`), when it held a single answer.
    pub responses: Vec<OcspStatus>,
}

/// How far `thisUpdate` may be ahead of our clock and `nextUpdate` behind it (Qt passes 60 s to
/// `OCSP_check_validity`).
const LEEWAY_SECS: u64 = 60;

/// Checks `stapled` (DER; empty when the server sent none) for `chain` (the peer's, leaf first)
/// against the CA database `store` at `now`.
pub fn check_stapled(
    stapled: &[u8],
    chain: &[Certificate],
    store: &TrustStore,
    now: UnixTime,
) -> OcspCheck {
    let mut check = OcspCheck::default();
    let Some(leaf) = chain.first() else {
        return check;
    };
    let fail = |error: SslError, certificate: Option<&Certificate>| OcspCheck {
        errors: vec![SslErrorEntry::new(error, certificate)],
        responses: Vec::new(),
    };
    if stapled.is_empty() {
        return fail(SslError::OcspNoResponseFound, None);
    }
    let Ok(response) = OcspResponse::from_der(stapled) else {
        return fail(SslError::OcspMalformedResponse, None);
    };
    let status_error = match response.response_status {
        OcspResponseStatus::Successful => None,
        OcspResponseStatus::MalformedRequest => Some(SslError::OcspMalformedRequest),
        OcspResponseStatus::InternalError => Some(SslError::OcspInternalError),
        OcspResponseStatus::TryLater => Some(SslError::OcspTryLater),
        OcspResponseStatus::SigRequired => Some(SslError::OcspSigRequired),
        OcspResponseStatus::Unauthorized => Some(SslError::OcspUnauthorized),
    };
    if let Some(error) = status_error {
        return fail(error, None);
    }
    let basic = response
        .response_bytes
        .filter(|bytes| bytes.response_type == ID_PKIX_OCSP_BASIC)
        .and_then(|bytes| BasicOcspResponse::from_der(bytes.response.as_bytes()).ok());
    let Some(basic) = basic else {
        return fail(SslError::OcspMalformedResponse, None);
    };
    let included: Vec<Certificate> = basic
        .certs
        .iter()
        .flatten()
        .filter_map(|c| c.to_der().ok())
        .filter_map(|der| Certificate::from_der(&der).ok())
        .collect();
    let issuer = find_issuer(leaf, chain, &included, store);
    if !trusted_signature(&basic, chain, &included, issuer.as_ref(), store, now) {
        check.errors.push(SslErrorEntry::new(
            SslError::OcspResponseCannotBeTrusted,
            None,
        ));
    }
    let [single] = basic.tbs_response_data.responses.as_slice() else {
        check
            .errors
            .push(SslErrorEntry::new(SslError::OcspMalformedResponse, None));
        return check;
    };
    let responder = issuer.filter(|issuer| matches_cert_id(single, leaf, issuer));
    if responder.is_none() {
        check.errors.push(SslErrorEntry::new(
            SslError::OcspResponseCertIdUnknown,
            Some(leaf),
        ));
    }
    if !current(single, now) {
        check.errors.push(SslErrorEntry::new(
            SslError::OcspResponseExpired,
            Some(leaf),
        ));
    }
    let (certificate_status, revocation_reason) = match &single.cert_status {
        CertStatus::Good(_) => (OcspCertificateStatus::Good, OcspRevocationReason::None),
        CertStatus::Revoked(info) => {
            check
                .errors
                .push(SslErrorEntry::new(SslError::CertificateRevoked, Some(leaf)));
            (
                OcspCertificateStatus::Revoked,
                info.revocation_reason
                    .map_or(OcspRevocationReason::None, reason),
            )
        }
        CertStatus::Unknown(_) => {
            check
                .errors
                .push(SslErrorEntry::new(SslError::OcspStatusUnknown, Some(leaf)));
            (OcspCertificateStatus::Unknown, OcspRevocationReason::None)
        }
    };
    check.responses.push(OcspStatus {
        certificate_status,
        revocation_reason,
        responder,
        subject: leaf.clone(),
    });
    check
}

/// id-pkix-ocsp-basic.
const ID_PKIX_OCSP_BASIC: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");

/// The leaf's issuer: the leaf itself when self-signed, else a certificate the peer sent, the
/// response included or the CA database holds that issued it.
fn find_issuer(
    leaf: &Certificate,
    chain: &[Certificate],
    included: &[Certificate],
    store: &TrustStore,
) -> Option<Certificate> {
    let leaf_facts = Facts::of(leaf);
    if leaf_facts.self_signed() {
        return Some(leaf.clone());
    }
    let issues =
        |c: &Certificate, facts: &Facts| facts.likely_issued(&leaf_facts) && leaf.is_signed_by(c);
    chain
        .iter()
        .skip(1)
        .chain(included)
        .find(|c| issues(c, &Facts::of(c)))
        // The store's certificates have their facts read already.
        .or_else(|| {
            store
                .candidates()
                .find(|(c, f)| issues(c, f))
                .map(|(c, _)| c)
        })
        .cloned()
}

/// OCSP_basic_verify: the response is signed by the certificate its responder id names, found
/// among those it includes and those the peer sent; that signer is the leaf's issuer, or a
/// certificate with OCSPSigning the issuer signed, whose own chain verifies.
fn trusted_signature(
    basic: &BasicOcspResponse,
    chain: &[Certificate],
    included: &[Certificate],
    issuer: Option<&Certificate>,
    store: &TrustStore,
    now: UnixTime,
) -> bool {
    let Some(issuer) = issuer else {
        return false;
    };
    let candidates: Vec<&Certificate> = included.iter().chain(chain).chain([issuer]).collect();
    let Some(signer) = candidates
        .iter()
        .find(|c| names_responder(&basic.tbs_response_data.responder_id, c))
    else {
        return false;
    };
    let (Ok(tbs), Some(algorithm)) = (
        basic.tbs_response_data.to_der(),
        algorithm_contents(&basic.signature_algorithm),
    ) else {
        return false;
    };
    let Some(signature) = basic.signature.as_bytes() else {
        return false;
    };
    if !signer.verifies_der(&algorithm, &tbs, signature) {
        return false;
    }
    if **signer == *issuer {
        return true;
    }
    let delegated = Facts::of(signer)
        .extended_key_usage
        .is_some_and(|eku| eku.ocsp_signing)
        && signer.is_signed_by(issuer);
    // The delegated responder's own chain: itself, then what the peer and the response sent.
    let mut responder_chain = vec![(*signer).clone()];
    responder_chain.extend(
        included
            .iter()
            .chain(chain)
            .filter(|c| c != signer)
            .cloned(),
    );
    delegated
        && chain::openssl_errors(
            &responder_chain,
            store,
            &[],
            Purpose::OcspResponder,
            now,
            &[],
            chain::DEFAULT_DEPTH,
        )
        .is_empty()
}

/// Whether `id` names `certificate`: its subject, or the SHA-1 of its public key.
fn names_responder(id: &ResponderId, certificate: &Certificate) -> bool {
    match id {
        ResponderId::ByName(name) => name
            .to_der()
            .is_ok_and(|der| der == certificate.subject_raw()),
        ResponderId::ByKey(hash) => {
            Sha1::digest(public_key_bits(certificate)).as_slice() == hash.as_bytes()
        }
    }
}

/// Whether the single response's certificate id is the leaf's: issuer name and key hashes
/// (with the id's hash algorithm) and the serial number.
fn matches_cert_id(single: &SingleResponse, leaf: &Certificate, issuer: &Certificate) -> bool {
    let id = &single.cert_id;
    let hash = |data: &[u8]| -> Option<Vec<u8>> {
        Some(match id.hash_algorithm.oid.to_string().as_str() {
            "1.3.14.3.2.26" => Sha1::digest(data).to_vec(),
            "2.16.840.1.101.3.4.2.1" => Sha256::digest(data).to_vec(),
            "2.16.840.1.101.3.4.2.2" => Sha384::digest(data).to_vec(),
            "2.16.840.1.101.3.4.2.3" => Sha512::digest(data).to_vec(),
            _ => return None,
        })
    };
    hash(&issuer.subject_raw()).is_some_and(|h| h == id.issuer_name_hash.as_bytes())
        && hash(&public_key_bits(issuer)).is_some_and(|h| h == id.issuer_key_hash.as_bytes())
        && id.serial_number.as_bytes() == leaf.serial_raw().as_slice()
}

/// OCSP_check_validity(thisUpdate, nextUpdate, 60, -1).
fn current(single: &SingleResponse, now: UnixTime) -> bool {
    let now = now.as_secs();
    let secs = |t: &OcspGeneralizedTime| t.0.to_unix_duration().as_secs();
    let this = secs(&single.this_update);
    let next = single.next_update.as_ref().map(secs);
    this <= now.saturating_add(LEEWAY_SECS)
        && next.is_none_or(|next| next >= this && now.saturating_sub(LEEWAY_SECS) <= next)
}

/// The subjectPublicKey bits (what OCSP key hashes cover).
fn public_key_bits(certificate: &Certificate) -> Vec<u8> {
    x509_cert::Certificate::from_der(certificate.der().as_ref())
        .ok()
        .and_then(|c| {
            c.tbs_certificate
                .subject_public_key_info
                .subject_public_key
                .as_bytes()
                .map(<[u8]>::to_vec)
        })
        .unwrap_or_default()
}

/// The DER contents of an AlgorithmIdentifier (OID and parameters).
fn algorithm_contents(alg: &x509_cert::spki::AlgorithmIdentifierOwned) -> Option<Vec<u8>> {
    let mut der = alg.oid.to_der().ok()?;
    if let Some(parameters) = &alg.parameters {
        der.extend(parameters.to_der().ok()?);
    }
    Some(der)
}

fn reason(reason: CrlReason) -> OcspRevocationReason {
    match reason {
        CrlReason::Unspecified => OcspRevocationReason::Unspecified,
        CrlReason::KeyCompromise => OcspRevocationReason::KeyCompromise,
        CrlReason::CaCompromise => OcspRevocationReason::CaCompromise,
        CrlReason::AffiliationChanged => OcspRevocationReason::AffiliationChanged,
        CrlReason::Superseded => OcspRevocationReason::Superseded,
        CrlReason::CessationOfOperation => OcspRevocationReason::CessationOfOperation,
        CrlReason::CertificateHold => OcspRevocationReason::CertificateHold,
        CrlReason::RemoveFromCRL => OcspRevocationReason::RemoveFromCrl,
        CrlReason::PrivilegeWithdrawn | CrlReason::AaCompromise => OcspRevocationReason::None,
    }
}
