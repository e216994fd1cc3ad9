//! What a certificate says about its place in a chain, read the way OpenSSL 3 reads it
//! (`ossl_x509v3_cache_extensions`): names, key identifiers, basicConstraints, key usages,
//! Netscape certificate type, critical extensions, key size and signature algorithm.
//!
//! The chain checks ([`super::chain`]) decide with these facts; parsing happens once per
//! certificate and verification.

use sslsocket_crypto as crypto;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::pki::Certificate;

/// The facts of one certificate, as OpenSSL's verifier uses them.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Raw DER of the subject name.
    pub subject: Vec<u8>,
    /// Raw DER of the issuer name.
    pub issuer: Vec<u8>,
    /// The serial number's raw bytes.
    pub serial: Vec<u8>,
    /// X.509 version 1 (no extensions).
    pub v1: bool,
    /// subjectKeyIdentifier.
    pub subject_key_id: Option<Vec<u8>>,
    /// authorityKeyIdentifier: key id, issuer directory names, issuer serial.
    pub authority_key_id: Option<AuthorityKeyId>,
    /// basicConstraints: (cA, pathLenConstraint).
    pub basic_constraints: Option<(bool, Option<u32>)>,
    /// keyUsage bits (bit 0 digitalSignature … bit 5 keyCertSign).
    pub key_usage: Option<u16>,
    /// extendedKeyUsage.
    pub extended_key_usage: Option<Eku>,
    /// Netscape certificate type bits.
    pub ns_cert_type: Option<NsType>,
    /// A critical extension OpenSSL does not handle, or an extension that does not parse.
    pub unhandled_critical: bool,
    /// The RSA modulus size, when the key is RSA.
    pub rsa_bits: Option<usize>,
    /// The key type named by the signature algorithm (`None` when the algorithm is unknown).
    pub signature_key_type: Option<KeyType>,
    /// The signature algorithm hashes with SHA-1 or MD5 (below OpenSSL's security level 1).
    pub weak_signature: bool,
    /// The subject public key's type.
    pub key_type: Option<KeyType>,
    /// The SubjectPublicKeyInfo's contents (without its SEQUENCE header), as webpki's trust
    /// anchors hold it.
    pub public_key_info: Vec<u8>,
}

/// The parts of an authorityKeyIdentifier OpenSSL's `X509_check_akid` compares.
#[derive(Debug, Clone, Default)]
pub struct AuthorityKeyId {
    /// keyIdentifier.
    pub key_id: Option<Vec<u8>>,
    /// The directory names of authorityCertIssuer, raw DER.
    pub issuer_names: Vec<Vec<u8>>,
    /// authorityCertSerialNumber.
    pub serial: Option<Vec<u8>>,
}

/// The extended key usages the SSL purposes look at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Eku {
    /// id-kp-serverAuth.
    pub server_auth: bool,
    /// id-kp-clientAuth.
    pub client_auth: bool,
    /// Netscape or Microsoft Server Gated Crypto (counted as serverAuth by OpenSSL).
    pub server_gated_crypto: bool,
    /// id-kp-OCSPSigning (a delegated OCSP responder).
    pub ocsp_signing: bool,
}

/// The Netscape certificate type bits the SSL purposes look at.
#[derive(Debug, Clone, Copy, Default)]
pub struct NsType {
    /// SSL client.
    pub ssl_client: bool,
    /// SSL server.
    pub ssl_server: bool,
    /// SSL CA.
    pub ssl_ca: bool,
    /// Any CA type (SSL, S/MIME, object signing).
    pub any_ca: bool,
}

/// Public key families, for matching a signature algorithm with the issuer's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// rsaEncryption or RSASSA-PSS.
    Rsa,
    /// id-ecPublicKey.
    Ec,
    /// Ed25519.
    Ed25519,
    /// Ed448.
    Ed448,
    /// DSA.
    Dsa,
}

/// keyUsage digitalSignature.
pub const KU_DIGITAL_SIGNATURE: u16 = 1;
/// keyUsage keyEncipherment.
pub const KU_KEY_ENCIPHERMENT: u16 = 1 << 2;
/// keyUsage keyAgreement.
pub const KU_KEY_AGREEMENT: u16 = 1 << 4;
/// keyUsage keyCertSign.
pub const KU_KEY_CERT_SIGN: u16 = 1 << 5;
/// keyUsage cRLSign.
pub const KU_CRL_SIGN: u16 = 1 << 6;

impl Facts {
    /// Reads `certificate`; a certificate that does not parse gives empty facts (it never
    /// matches an issuer and fails its signature check).
    pub fn of(certificate: &Certificate) -> Self {
        X509Certificate::from_der(certificate.der().as_ref())
            .map(|(_, cert)| Self::read(&cert))
            .unwrap_or_default()
    }

    fn read(cert: &X509Certificate<'_>) -> Self {
        let mut facts = Self {
            subject: cert.subject().as_raw().to_vec(),
            issuer: cert.issuer().as_raw().to_vec(),
            serial: cert.raw_serial().to_vec(),
            v1: cert.version().0 == 0,
            rsa_bits: match cert.public_key().parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Some(rsa.key_size()),
                _ => None,
            },
            key_type: key_type(&cert.public_key().algorithm.algorithm.to_id_string()),
            public_key_info: der_contents(cert.public_key().raw),
            ..Self::default()
        };
        let signature = cert.signature_algorithm.algorithm.to_id_string();
        facts.signature_key_type = signature_key_type(&signature);
        facts.weak_signature = WEAK_SIGNATURES.contains(&signature.as_str());
        for ext in cert.extensions() {
            let handled = HANDLED_EXTENSIONS.contains(&ext.oid.to_id_string().as_str());
            match ext.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(id) => {
                    facts.subject_key_id = Some(id.0.to_vec());
                }
                ParsedExtension::AuthorityKeyIdentifier(akid) => {
                    facts.authority_key_id = Some(AuthorityKeyId {
                        key_id: akid.key_identifier.as_ref().map(|id| id.0.to_vec()),
                        issuer_names: akid
                            .authority_cert_issuer
                            .iter()
                            .flatten()
                            .filter_map(|name| match name {
                                GeneralName::DirectoryName(dn) => Some(dn.as_raw().to_vec()),
                                _ => None,
                            })
                            .collect(),
                        serial: akid.authority_cert_serial.map(<[u8]>::to_vec),
                    });
                }
                ParsedExtension::BasicConstraints(bc) => {
                    facts.basic_constraints = Some((bc.ca, bc.path_len_constraint));
                }
                ParsedExtension::KeyUsage(ku) => facts.key_usage = Some(ku.flags),
                ParsedExtension::ExtendedKeyUsage(eku) => {
                    let other: Vec<String> = eku.other.iter().map(|o| o.to_id_string()).collect();
                    facts.extended_key_usage = Some(Eku {
                        server_auth: eku.server_auth,
                        client_auth: eku.client_auth,
                        server_gated_crypto: other
                            .iter()
                            .any(|o| SERVER_GATED_CRYPTO.contains(&o.as_str())),
                        ocsp_signing: eku.ocsp_signing,
                    });
                }
                ParsedExtension::NSCertType(ns) => {
                    facts.ns_cert_type = Some(NsType {
                        ssl_client: ns.ssl_client(),
                        ssl_server: ns.ssl_server(),
                        ssl_ca: ns.ssl_ca(),
                        any_ca: ns.ssl_ca() || ns.smime_ca() || ns.object_signing_ca(),
                    });
                }
                ParsedExtension::ParseError { .. } => facts.unhandled_critical |= ext.critical,
                _ => {}
            }
            if ext.critical && !handled {
                facts.unhandled_critical = true;
            }
        }
        facts
    }

    /// Subject and issuer names are equal (OpenSSL's `EXFLAG_SI`).
    pub fn self_issued(&self) -> bool {
        !self.subject.is_empty() && self.subject == self.issuer
    }

    /// Whether `self` looks like the issuer of `subject` (OpenSSL's `ossl_x509_likely_issued`):
    /// names, authority key identifier and the signature algorithm's key type match. The
    /// signature itself is checked later, as OpenSSL does.
    pub fn likely_issued(&self, subject: &Facts) -> bool {
        !self.subject.is_empty()
            && self.subject == subject.issuer
            && self.matches_akid(subject.authority_key_id.as_ref())
            && subject.signature_key_type.is_some()
            && subject.signature_key_type == self.key_type
    }

    /// OpenSSL's `EXFLAG_SS`: self-issued with a consistent key identifier and algorithm.
    pub fn self_signed(&self) -> bool {
        self.likely_issued(self)
    }

    /// `X509_check_akid`: the issuer's subject key id, serial and issuer name agree with
    /// what the subject's authorityKeyIdentifier names.
    fn matches_akid(&self, akid: Option<&AuthorityKeyId>) -> bool {
        let Some(akid) = akid else {
            return true;
        };
        let key_id_ok = match (&akid.key_id, &self.subject_key_id) {
            (Some(wanted), Some(have)) => wanted == have,
            _ => true,
        };
        let serial_ok = akid.serial.as_ref().is_none_or(|s| *s == self.serial);
        let name_ok = akid.issuer_names.is_empty() || akid.issuer_names.contains(&self.issuer);
        key_id_ok && serial_ok && name_ok
    }

    /// `ku_reject`: a keyUsage is present and allows none of `bits`.
    pub fn key_usage_rejects(&self, bits: u16) -> bool {
        self.key_usage.is_some_and(|ku| ku & bits == 0)
    }

    /// OpenSSL's `check_ca`: 0 (not a CA), 1 (basicConstraints CA), 3 (v1 root), 4 (keyUsage
    /// keyCertSign without basicConstraints), 5 (Netscape CA type).
    pub fn ca_kind(&self) -> u8 {
        if self.key_usage_rejects(KU_KEY_CERT_SIGN) {
            return 0;
        }
        match self.basic_constraints {
            Some((ca, _)) => u8::from(ca),
            None if self.v1 && self.self_signed() => 3,
            None if self.key_usage.is_some() => 4,
            None if self.ns_cert_type.is_some_and(|ns| ns.any_ca) => 5,
            None => 0,
        }
    }

    /// The pathLenConstraint OpenSSL enforces (only on a CA).
    pub fn path_length(&self) -> Option<u32> {
        match self.basic_constraints {
            Some((true, limit)) => limit,
            _ => None,
        }
    }

    /// The key is below our security floor (OpenSSL's security level 2: RSA < 2048 bits).
    pub fn weak_key(&self) -> bool {
        self.rsa_bits
            .is_some_and(|bits| bits < crypto::MIN_RSA_BITS)
            || self.key_type == Some(KeyType::Dsa)
    }
}

/// The contents of a DER element (without its tag and length); empty when it does not parse.
pub(crate) fn der_contents(element: &[u8]) -> Vec<u8> {
    x509_parser::asn1_rs::Any::from_der(element)
        .map(|(_, any)| any.data.to_vec())
        .unwrap_or_default()
}

/// Extensions OpenSSL 3 handles (`X509_supported_extension`); any other critical one fails.
const HANDLED_EXTENSIONS: &[&str] = &[
    "2.16.840.1.113730.1.1", // nsCertType
    "2.5.29.15",             // keyUsage
    "2.5.29.17",             // subjectAltName
    "2.5.29.19",             // basicConstraints
    "2.5.29.32",             // certificatePolicies
    "2.5.29.31",             // cRLDistributionPoints
    "2.5.29.37",             // extKeyUsage
    "1.3.6.1.5.5.7.1.7",     // sbgp-ipAddrBlock
    "1.3.6.1.5.5.7.1.8",     // sbgp-autonomousSysNum
    "2.5.29.36",             // policyConstraints
    "1.3.6.1.5.5.7.1.14",    // proxyCertInfo
    "2.5.29.30",             // nameConstraints
    "2.5.29.33",             // policyMappings
    "2.5.29.54",             // inhibitAnyPolicy
];

/// Netscape and Microsoft Server Gated Crypto extended key usages.
const SERVER_GATED_CRYPTO: &[&str] = &["2.16.840.1.113730.4.1", "1.3.6.1.4.1.311.10.3.3"];

/// Signature algorithms hashing with MD5 or SHA-1.
const WEAK_SIGNATURES: &[&str] = &[
    "1.2.840.113549.1.1.4", // md5WithRSAEncryption
    "1.2.840.113549.1.1.5", // sha1WithRSAEncryption
    "1.2.840.10045.4.1",    // ecdsa-with-SHA1
    "1.2.840.10040.4.3",    // dsa-with-sha1
    "1.3.14.3.2.29",        // sha1WithRSASignature (OIW)
];

fn key_type(oid: &str) -> Option<KeyType> {
    Some(match oid {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => KeyType::Rsa,
        "1.2.840.10045.2.1" => KeyType::Ec,
        "1.3.101.112" => KeyType::Ed25519,
        "1.3.101.113" => KeyType::Ed448,
        "1.2.840.10040.4.1" => KeyType::Dsa,
        _ => return None,
    })
}

fn signature_key_type(oid: &str) -> Option<KeyType> {
    Some(match oid {
        "1.2.840.113549.1.1.4"
        | "1.2.840.113549.1.1.5"
        | "1.2.840.113549.1.1.10"
        | "1.2.840.113549.1.1.11"
        | "1.2.840.113549.1.1.12"
        | "1.2.840.113549.1.1.13"
        | "1.2.840.113549.1.1.14"
        | "1.3.14.3.2.29" => KeyType::Rsa,
        "1.2.840.10045.4.1"
        | "1.2.840.10045.4.3.1"
        | "1.2.840.10045.4.3.2"
        | "1.2.840.10045.4.3.3"
        | "1.2.840.10045.4.3.4" => KeyType::Ec,
        "1.3.101.112" => KeyType::Ed25519,
        "1.3.101.113" => KeyType::Ed448,
        "1.2.840.10040.4.3" | "2.16.840.1.101.3.4.3.2" => KeyType::Dsa,
        _ => return None,
    })
}
