//! The certificate errors Qt reports with OpenSSL, found the way OpenSSL 3's `X509_verify_cert`
//! finds them when Qt's callback goes on after each error.
//!
//! The steps, in OpenSSL's order (`x509_vfy.c`): the leaf's key strength; building the chain,
//! trusted store first (`build_chain`, `X509_V_FLAG_TRUSTED_FIRST`); CA, purpose and path-length
//! checks of every certificate including the trust anchor (`check_extensions`); key and
//! signature strength of the issuers (`check_auth_level`); revocation from the CRLs given
//! (`check_revocation`); then, from the top of the chain down, key usage of each issuer, each
//! signature and each validity period, the trust anchor's too (`internal_verify`). Each error is
//! mapped to Qt's `QSslError` as Qt's `openSSLErrorToQSslError` does.
//!
//! Known differences: a signature we cannot check (SHA-1, MD5, DSA) is a
//! `certificate-signature-failed` as well as OpenSSL's weak-signature error; CRLs report only
//! what they say (no `unable-to-get-crl` when none applies); no policy or name-constraint checks
//! here (webpki does the latter). This decides nothing alone: [`super::verify`] also runs rustls-webpki and refuses any chain
//! webpki refuses, so a gap here can only add errors, never accept a chain.

use rustls_pki_types::UnixTime;

use super::facts::{
    Facts, KU_DIGITAL_SIGNATURE, KU_KEY_AGREEMENT, KU_KEY_CERT_SIGN, KU_KEY_ENCIPHERMENT,
};
use super::policy::Purpose;
use super::revocation::Crl;
use super::trust_store::TrustStore;
use crate::engine::errors::{SslError, SslErrorEntry};
use crate::pki::Certificate;

/// A signature already verified (by webpki, on the path it built): the signed certificate's DER
/// and the signer's SubjectPublicKeyInfo contents. Its check is not repeated.
pub type VerifiedSignature = (Vec<u8>, Vec<u8>);

/// Every error OpenSSL finds in `chain` (leaf first, as the peer sent it), in OpenSSL's order.
pub fn openssl_errors(
    chain: &[Certificate],
    store: &TrustStore,
    crls: &[Crl],
    purpose: Purpose,
    now: UnixTime,
    verified: &[VerifiedSignature],
    depth: u32,
) -> Vec<SslErrorEntry> {
    let now = unix_seconds(now);
    let Some(leaf) = chain.first() else {
        return vec![SslErrorEntry::new(SslError::NoPeerCertificate, None)];
    };
    let mut errors = Vec::new();
    let leaf_facts = Facts::of(leaf);
    // X509_verify_cert: "If the peer's public key is too weak, we can stop early".
    if leaf_facts.weak_key() {
        errors.push(SslErrorEntry::new(SslError::UnspecifiedError, Some(leaf)));
    }
    let max_links = usize::try_from(if depth == 0 { DEFAULT_DEPTH } else { depth })
        .map_or(usize::MAX, |d| d.saturating_add(1));
    let path = build(leaf, chain, leaf_facts, store, now, max_links, &mut errors);
    check_extensions(&path, purpose, &mut errors);
    check_auth_level(&path, &mut errors);
    check_revocation(&path, crls, &mut errors);
    internal_verify(&path, now, verified, &mut errors);
    errors
}

/// One certificate of the chain being built.
struct Link<'a> {
    cert: &'a Certificate,
    facts: Facts,
}

/// The chain OpenSSL built, leaf first.
struct Path<'a> {
    links: Vec<Link<'a>>,
    /// It ends at a trusted certificate that is not self-issued (a partial chain): the top's
    /// own signature is not checked, only its dates.
    partial: bool,
}

/// OpenSSL's verify depth when none is set (`X509_VERIFY_PARAM`'s default, 100): at most this
/// many intermediates between the leaf and the trust anchor. Qt's `peerVerifyDepth` 0 means
/// "no limit set", which is this default (Qt then leaves OpenSSL's depth alone).
pub const DEFAULT_DEPTH: u32 = 100;

/// `build_chain`, trusted first: at each step the issuer is looked for in the store, then among
/// the certificates the peer sent; the first store certificate ends the chain. Errors about an
/// untrusted chain are OpenSSL's without `X509_V_FLAG_PARTIAL_CHAIN`, as Qt reports them. With
/// verify depth `d`, `max_links` is `d + 1`: OpenSSL builds at most `d + 2` certificates, and an
/// untrusted chain longer than `d + 1` is `X509_V_ERR_CERT_CHAIN_TOO_LONG` at its top
/// (Qt's `UnspecifiedError`).
#[allow(clippy::too_many_arguments)]
fn build<'a>(
    leaf: &'a Certificate,
    chain: &'a [Certificate],
    leaf_facts: Facts,
    store: &'a TrustStore,
    now: i64,
    max_links: usize,
    errors: &mut Vec<SslErrorEntry>,
) -> Path<'a> {
    let mut links = vec![Link {
        cert: leaf,
        facts: leaf_facts,
    }];
    let mut offered: Vec<(&Certificate, Facts)> =
        chain.iter().skip(1).map(|c| (c, Facts::of(c))).collect();
    let mut untrusted = 1;
    let mut trusted = false;
    let mut partial = false;
    let mut in_store = false;
    while links.len() <= max_links {
        let Some(current) = links.last() else { break };
        if let Some((issuer, facts)) = find_issuer(store.candidates(), current, &links, now) {
            if current.facts.self_signed() {
                // A self-signed certificate matching a trust anchor must be that anchor.
                if issuer == current.cert {
                    untrusted -= 1;
                    trusted = true;
                }
                break;
            }
            // A certificate of the CA database is a trust anchor when it is self-signed, and
            // also when it is not self-issued at all (an intermediate added on purpose: OpenSSL's
            // X509_V_FLAG_PARTIAL_CHAIN, webpki's trust anchors). A self-issued one whose key
            // identifiers do not match itself is not: its issuer is looked for in the store.
            let anchor = facts.self_signed() || !facts.self_issued();
            partial = !facts.self_issued();
            links.push(Link {
                cert: issuer,
                facts: facts.clone(),
            });
            in_store = true;
            if anchor {
                trusted = true;
                break;
            }
            continue;
        }
        if in_store || current.facts.self_signed() {
            break;
        }
        let found =
            find_issuer(offered.iter().map(|(c, f)| (*c, f)), current, &links, now).map(|(c, _)| c);
        let Some(issuer) = found else { break };
        let Some(at) = offered.iter().position(|(c, _)| *c == issuer) else {
            break;
        };
        let (cert, facts) = offered.swap_remove(at);
        links.push(Link { cert, facts });
        untrusted += 1;
    }
    if !trusted && store.contains(leaf) {
        // X509_V_FLAG_PARTIAL_CHAIN's last resort: a leaf added to the CA database on purpose
        // is trusted as it is.
        links.truncate(1);
        trusted = true;
        partial = true;
    }
    if !trusted {
        let top = links.last().map(|l| l.cert);
        let error = if links.len() > max_links {
            SslError::UnspecifiedError
        } else if links.last().is_some_and(|l| l.facts.self_signed()) {
            if links.len() == 1 {
                SslError::SelfSignedCertificate
            } else {
                SslError::SelfSignedCertificateInChain
            }
        } else if untrusted < links.len() {
            SslError::UnableToGetIssuerCertificate
        } else {
            SslError::UnableToGetLocalIssuerCertificate
        };
        errors.push(SslErrorEntry::new(error, top));
    }
    Path { links, partial }
}

/// `find_issuer` / `X509_STORE_CTX_get1_issuer`: the first likely issuer valid now, else the
/// one expiring last; a certificate already in the chain is not used twice.
fn find_issuer<'s>(
    candidates: impl Iterator<Item = (&'s Certificate, &'s Facts)>,
    subject: &Link<'_>,
    links: &[Link<'_>],
    now: i64,
) -> Option<(&'s Certificate, &'s Facts)> {
    let mut best: Option<(&Certificate, &Facts)> = None;
    for (cert, facts) in candidates {
        let reused = links.iter().any(|l| l.cert == cert)
            && !(links.len() == 1 && subject.facts.self_issued());
        if reused || !facts.likely_issued(&subject.facts) {
            continue;
        }
        if !cert.is_expired_at(now) && !cert.is_not_yet_valid_at(now) {
            return Some((cert, facts));
        }
        if best.is_none_or(|(b, _)| cert.expiry_date() > b.expiry_date()) {
            best = Some((cert, facts));
        }
    }
    best
}

/// `check_extensions` with `check_purpose`: unhandled critical extensions, CA flags, the
/// purpose (TLS server or client) and path lengths, for every certificate of the path.
fn check_extensions(path: &Path<'_>, purpose: Purpose, errors: &mut Vec<SslErrorEntry>) {
    let count = path.links.len();
    let mut plen: u32 = 0;
    for (i, link) in path.links.iter().enumerate() {
        let facts = &link.facts;
        let cert = Some(link.cert);
        if facts.unhandled_critical {
            errors.push(SslErrorEntry::new(SslError::UnspecifiedError, cert));
        }
        let ca = facts.ca_kind();
        // The leaf may be anything (no X509_V_FLAG_X509_STRICT); intermediates need
        // basicConstraints cA, the top of the chain at least some CA marking.
        if i > 0 && (ca == 0 || (i + 1 < count && ca != 1)) {
            errors.push(SslErrorEntry::new(SslError::InvalidCaCertificate, cert));
        }
        if !purpose_ok(facts, purpose, i > 0) {
            errors.push(SslErrorEntry::new(SslError::InvalidPurpose, cert));
        }
        if i > 1 && facts.path_length().is_some_and(|limit| plen > limit) {
            errors.push(SslErrorEntry::new(SslError::PathLengthExceeded, cert));
        }
        if i > 0 && !facts.self_issued() {
            plen += 1;
        }
    }
}

/// `check_purpose_ssl_server` / `check_purpose_ssl_client` (with `check_ssl_ca` for CAs), and
/// `check_purpose_ocsp_helper` (only CA checks) for an OCSP responder's chain.
fn purpose_ok(facts: &Facts, purpose: Purpose, require_ca: bool) -> bool {
    let eku_ok = facts.extended_key_usage.is_none_or(|eku| match purpose {
        Purpose::ServerAuth => eku.server_auth || eku.server_gated_crypto,
        Purpose::ClientAuth => eku.client_auth,
        Purpose::OcspResponder => true,
    });
    if !eku_ok {
        return false;
    }
    if require_ca {
        let ca = facts.ca_kind();
        return ca != 0 && (ca != 5 || facts.ns_cert_type.is_some_and(|ns| ns.ssl_ca));
    }
    let (ns_ok, usages) = match purpose {
        Purpose::ServerAuth => (
            facts.ns_cert_type.is_none_or(|ns| ns.ssl_server),
            KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT,
        ),
        Purpose::ClientAuth => (
            facts.ns_cert_type.is_none_or(|ns| ns.ssl_client),
            KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT,
        ),
        Purpose::OcspResponder => return true,
    };
    ns_ok && !facts.key_usage_rejects(usages)
}

/// `check_auth_level`: issuers' keys and the signatures below the trust anchor must meet the
/// security level (OpenSSL's `CA_KEY_TOO_SMALL`, `CA_MD_TOO_WEAK`; Qt: unspecified-error).
fn check_auth_level(path: &Path<'_>, errors: &mut Vec<SslErrorEntry>) {
    let count = path.links.len();
    for (i, link) in path.links.iter().enumerate() {
        if i > 0 && link.facts.weak_key() {
            errors.push(SslErrorEntry::new(
                SslError::UnspecifiedError,
                Some(link.cert),
            ));
        }
        if i + 1 < count && link.facts.weak_signature {
            errors.push(SslErrorEntry::new(
                SslError::UnspecifiedError,
                Some(link.cert),
            ));
        }
    }
}

/// `check_revocation` with every certificate checked against the CRLs its issuer signed. A
/// certificate no CRL speaks for is not an error (Qt has no CRL checking; ours reports only what
/// the CRLs given say).
fn check_revocation(path: &Path<'_>, crls: &[Crl], errors: &mut Vec<SslErrorEntry>) {
    for (i, link) in path.links.iter().enumerate() {
        let issuer = path.links.get(i + 1).unwrap_or(link);
        for crl in crls {
            if let Some(error) = crl.verdict(&link.facts, issuer.cert, &issuer.facts) {
                errors.push(SslErrorEntry::new(error, Some(link.cert)));
            }
        }
    }
}

/// `internal_verify`: from the top down, each issuer's key usage, each signature (a self-signed
/// top is not checked, as OpenSSL does without `X509_V_FLAG_CHECK_SS_SIGNATURE`) and each
/// validity period, the trust anchor's included.
fn internal_verify(
    path: &Path<'_>,
    now: i64,
    verified: &[VerifiedSignature],
    errors: &mut Vec<SslErrorEntry>,
) {
    let Some(top) = path.links.last() else { return };
    let mut n = path.links.len() - 1;
    let mut issuer = top;
    let mut subject = top;
    if !top.facts.likely_issued(&top.facts) && !path.partial {
        if n == 0 {
            errors.push(SslErrorEntry::new(
                SslError::UnableToVerifyFirstCertificate,
                Some(top.cert),
            ));
        } else {
            n -= 1;
            subject = path.links.get(n).unwrap_or(top);
        }
    }
    loop {
        if !std::ptr::eq(subject, issuer) {
            if issuer.facts.key_usage_rejects(KU_KEY_CERT_SIGN) {
                errors.push(SslErrorEntry::new(
                    SslError::UnspecifiedError,
                    Some(issuer.cert),
                ));
            }
            let known = verified.iter().any(|(signed, key)| {
                signed.as_slice() == subject.cert.der().as_ref()
                    && *key == issuer.facts.public_key_info
            });
            if !known && !subject.cert.is_signed_by(issuer.cert) {
                errors.push(SslErrorEntry::new(
                    SslError::CertificateSignatureFailed,
                    Some(subject.cert),
                ));
            }
        }
        if subject.cert.is_not_yet_valid_at(now) {
            errors.push(SslErrorEntry::new(
                SslError::CertificateNotYetValid,
                Some(subject.cert),
            ));
        }
        if subject.cert.is_expired_at(now) {
            errors.push(SslErrorEntry::new(
                SslError::CertificateExpired,
                Some(subject.cert),
            ));
        }
        if n == 0 {
            break;
        }
        n -= 1;
        issuer = subject;
        subject = path.links.get(n).unwrap_or(top);
    }
}

/// `now` as the signed seconds certificate dates are compared with.
fn unix_seconds(now: UnixTime) -> i64 {
    i64::try_from(now.as_secs()).unwrap_or(i64::MAX)
}
