//! X.509 certificates. Mirrors `QSslCertificate`.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{AlgorithmIdentifier, CertificateDer};
use sha1::Digest as _;
use sslsocket_crypto as crypto;
use x509_parser::oid_registry;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate, X509Name};

use super::{CertificateExtension, EncodingFormat, Key, PkiError, pem_encode};

/// A digest algorithm for fingerprints. Mirrors `QCryptographicHash::Algorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    /// MD5
    Md5,
    /// SHA-1
    Sha1,
    /// SHA-256
    Sha256,
}

/// A distinguished-name attribute. Mirrors `QSslCertificate::SubjectInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectInfo {
    /// `O`
    Organization,
    /// `CN`
    CommonName,
    /// `L`
    LocalityName,
    /// `OU`
    OrganizationalUnitName,
    /// `C`
    CountryName,
    /// `ST`
    StateOrProvinceName,
    /// `emailAddress`
    EmailAddress,
}

/// A subject alternative name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlternativeName {
    /// DNS name
    Dns(String),
    /// e-mail address
    Email(String),
    /// IP address in text form
    IpAddress(String),
    /// URI
    Uri(String),
}

/// An X.509 certificate: its DER encoding, checked to parse. Mirrors `QSslCertificate`.
///
/// Cheap to clone (the DER is shared), like Qt's implicitly shared certificates: every socket's
/// CA database holds the same system roots.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Certificate {
    der: Arc<CertificateDer<'static>>,
}

impl Certificate {
    /// Parses one DER certificate.
    ///
    /// # Errors
    /// [`PkiError::Malformed`] when it does not parse as X.509 or has trailing bytes.
    pub fn from_der(der: &[u8]) -> Result<Self, PkiError> {
        match X509Certificate::from_der(der) {
            Ok(([], _)) => Ok(Self {
                der: Arc::new(CertificateDer::from(der.to_vec())),
            }),
            Ok(_) => Err(PkiError::Malformed(
                "trailing bytes after the certificate".into(),
            )),
            Err(e) => Err(PkiError::Malformed(format!(
                "not an X.509 certificate: {e}"
            ))),
        }
    }

    /// Parses exactly one PEM certificate.
    ///
    /// # Errors
    /// [`PkiError::Malformed`] when the text holds no certificate, or more than one.
    pub fn from_pem(pem: &str) -> Result<Self, PkiError> {
        let mut all = Self::from_data(pem.as_bytes(), EncodingFormat::Pem)?;
        match (all.pop(), all.is_empty()) {
            (Some(cert), true) => Ok(cert),
            _ => Err(PkiError::Malformed(
                "expected exactly one PEM certificate".into(),
            )),
        }
    }

    /// Parses every certificate in `data` (`QSslCertificate::fromData`).
    ///
    /// # Errors
    /// [`PkiError::Malformed`] when there is no certificate or one of them does not parse.
    pub fn from_data(data: &[u8], format: EncodingFormat) -> Result<Vec<Self>, PkiError> {
        match format {
            EncodingFormat::Der => Ok(vec![Self::from_der(data)?]),
            EncodingFormat::Pem => {
                let mut out = Vec::new();
                for item in CertificateDer::pem_slice_iter(data) {
                    let der = item.map_err(|e| PkiError::Malformed(format!("bad PEM: {e}")))?;
                    out.push(Self::from_der(&der)?);
                }
                if out.is_empty() {
                    return Err(PkiError::Malformed("no PEM certificate found".into()));
                }
                Ok(out)
            }
        }
    }

    /// Loads every certificate from `path`: a file (PEM or DER), a directory, or a pattern whose
    /// last component holds `*` / `?` wildcards (`QSslCertificate::fromPath`).
    ///
    /// # Errors
    /// [`PkiError::Io`] when nothing can be read, [`PkiError::Malformed`] when no certificate is
    /// found.
    pub fn from_path(path: &str) -> Result<Vec<Self>, PkiError> {
        let path = Path::new(path);
        let files = files_matching(path)?;
        let mut out = Vec::new();
        for file in &files {
            let data = std::fs::read(file)
                .map_err(|e| PkiError::Io(format!("{}: {e}", file.display())))?;
            let format = if data.windows(11).any(|w| w == b"-----BEGIN ") {
                EncodingFormat::Pem
            } else {
                EncodingFormat::Der
            };
            // In a directory, files that are not certificates are skipped, as Qt does.
            match Self::from_data(&data, format) {
                Ok(certs) => out.extend(certs),
                Err(e) if files.len() == 1 => return Err(e),
                Err(_) => {}
            }
        }
        if out.is_empty() {
            return Err(PkiError::Malformed(format!(
                "no certificate found in {}",
                path.display()
            )));
        }
        Ok(out)
    }

    /// The DER encoding.
    pub fn der(&self) -> &CertificateDer<'static> {
        &self.der
    }

    /// The certificate as PEM (`toPem()`).
    pub fn to_pem(&self) -> String {
        pem_encode("CERTIFICATE", self.der.as_ref())
    }

    /// The certificate as DER (`toDer()`).
    pub fn to_der(&self) -> Vec<u8> {
        self.der.to_vec()
    }

    /// The values of a subject attribute (`subjectInfo()`).
    pub fn subject_info(&self, attribute: SubjectInfo) -> Vec<String> {
        self.parsed()
            .map(|c| name_values(c.subject(), attribute))
            .unwrap_or_default()
    }

    /// The values of an issuer attribute (`issuerInfo()`).
    pub fn issuer_info(&self, attribute: SubjectInfo) -> Vec<String> {
        self.parsed()
            .map(|c| name_values(c.issuer(), attribute))
            .unwrap_or_default()
    }

    /// The subject distinguished name as text, e.g. `CN=example.com, O=Example`.
    pub fn subject(&self) -> String {
        self.parsed()
            .map(|c| c.subject().to_string())
            .unwrap_or_default()
    }

    /// The issuer distinguished name as text.
    pub fn issuer(&self) -> String {
        self.parsed()
            .map(|c| c.issuer().to_string())
            .unwrap_or_default()
    }

    /// The first CN, else the first O, else the subject (`subjectDisplayName()`).
    pub fn subject_display_name(&self) -> String {
        [SubjectInfo::CommonName, SubjectInfo::Organization]
            .into_iter()
            .find_map(|a| self.subject_info(a).into_iter().next())
            .unwrap_or_else(|| self.subject())
    }

    /// The serial number as colon-separated lower-case hex (`serialNumber()`).
    pub fn serial_number(&self) -> String {
        self.parsed()
            .map(|c| hex(c.raw_serial(), ":"))
            .unwrap_or_default()
    }

    /// The X.509 version, "1" to "3" (`version()`).
    pub fn version(&self) -> String {
        self.parsed()
            .map(|c| (c.version().0 + 1).to_string())
            .unwrap_or_default()
    }

    /// Start of validity, seconds since the Unix epoch (`effectiveDate()`).
    pub fn effective_date(&self) -> i64 {
        self.parsed()
            .map(|c| c.validity().not_before.timestamp())
            .unwrap_or_default()
    }

    /// End of validity, seconds since the Unix epoch (`expiryDate()`).
    pub fn expiry_date(&self) -> i64 {
        self.parsed()
            .map(|c| c.validity().not_after.timestamp())
            .unwrap_or_default()
    }

    /// Whether the certificate has expired at `now` (seconds since the Unix epoch).
    pub fn is_expired_at(&self, now: i64) -> bool {
        now > self.expiry_date()
    }

    /// Whether the certificate is not yet valid at `now`.
    pub fn is_not_yet_valid_at(&self, now: i64) -> bool {
        now < self.effective_date()
    }

    /// The digest of the DER encoding (`digest()`).
    pub fn digest(&self, algorithm: DigestAlgorithm) -> Vec<u8> {
        match algorithm {
            DigestAlgorithm::Md5 => md5::Md5::digest(self.der.as_ref()).to_vec(),
            DigestAlgorithm::Sha1 => sha1::Sha1::digest(self.der.as_ref()).to_vec(),
            DigestAlgorithm::Sha256 => sha2::Sha256::digest(self.der.as_ref()).to_vec(),
        }
    }

    /// The subject alternative names (`subjectAlternativeNames()`).
    pub fn subject_alternative_names(&self) -> Vec<AlternativeName> {
        let Some(cert) = self.parsed() else {
            return Vec::new();
        };
        let Ok(Some(san)) = cert.subject_alternative_name() else {
            return Vec::new();
        };
        san.value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DNSName(n) => Some(AlternativeName::Dns((*n).to_string())),
                GeneralName::RFC822Name(n) => Some(AlternativeName::Email((*n).to_string())),
                GeneralName::URI(n) => Some(AlternativeName::Uri((*n).to_string())),
                GeneralName::IPAddress(bytes) => {
                    ip_to_string(bytes).map(AlternativeName::IpAddress)
                }
                _ => None,
            })
            .collect()
    }

    /// The X.509v3 extensions, in the certificate's order (`extensions()`).
    pub fn extensions(&self) -> Vec<CertificateExtension> {
        self.parsed()
            .map(|c| {
                c.extensions()
                    .iter()
                    .map(CertificateExtension::of)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether the certificate is a CA (basicConstraints `CA:TRUE`).
    pub fn is_ca(&self) -> bool {
        self.parsed()
            .and_then(|c| c.basic_constraints().ok().flatten().map(|bc| bc.value.ca))
            .unwrap_or(false)
    }

    /// Whether subject equals issuer and the certificate's own key verifies its signature
    /// (`isSelfSigned()`).
    pub fn is_self_signed(&self) -> bool {
        self.subject_raw() == self.issuer_raw() && self.is_signed_by(self)
    }

    /// Whether `issuer`'s public key verifies this certificate's signature, with any signature
    /// algorithm of the crypto provider (ECDSA, Ed25519, RSA PKCS#1 and PSS).
    pub fn is_signed_by(&self, issuer: &Certificate) -> bool {
        let Some(cert) = self.parsed() else {
            return false;
        };
        let Some(signature_alg) = algorithm_der(&cert.signature_algorithm) else {
            return false;
        };
        issuer.verifies_der(
            &signature_alg,
            cert.tbs_certificate.as_ref(),
            &cert.signature_value.data,
        )
    }

    /// Whether this certificate's public key verifies `signature` over `message` with the
    /// signature algorithm `signature_alg`.
    pub fn verifies(
        &self,
        signature_alg: AlgorithmIdentifier,
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        self.verifies_der(signature_alg.as_ref(), message, signature)
    }

    /// [`Self::verifies`] with the algorithm as the DER contents of its AlgorithmIdentifier.
    pub(crate) fn verifies_der(
        &self,
        signature_alg: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> bool {
        let Some(cert) = self.parsed() else {
            return false;
        };
        let Some(key_alg) = algorithm_der(&cert.public_key().algorithm) else {
            return false;
        };
        crypto::provider()
            .signature_verification_algorithms
            .all
            .iter()
            .filter(|alg| {
                alg.signature_alg_id().as_ref() == signature_alg
                    && alg.public_key_alg_id().as_ref() == key_alg.as_slice()
            })
            .any(|alg| {
                alg.verify_signature(
                    &cert.public_key().subject_public_key.data,
                    message,
                    signature,
                )
                .is_ok()
            })
    }

    /// The raw DER of the subject name.
    pub fn subject_raw(&self) -> Vec<u8> {
        self.parsed()
            .map(|c| c.subject().as_raw().to_vec())
            .unwrap_or_default()
    }

    /// The raw DER of the issuer name.
    pub fn issuer_raw(&self) -> Vec<u8> {
        self.parsed()
            .map(|c| c.issuer().as_raw().to_vec())
            .unwrap_or_default()
    }

    /// The serial number's raw big-endian bytes.
    pub fn serial_raw(&self) -> Vec<u8> {
        self.parsed()
            .map(|c| c.raw_serial().to_vec())
            .unwrap_or_default()
    }

    /// The basicConstraints path length limit, when the certificate is a CA with one.
    pub fn path_length_constraint(&self) -> Option<u32> {
        let cert = self.parsed()?;
        let constraints = cert.basic_constraints().ok().flatten()?;
        constraints.value.path_len_constraint
    }

    /// The raw DER of the SubjectPublicKeyInfo.
    pub fn subject_public_key_info_raw(&self) -> Vec<u8> {
        self.parsed()
            .map(|c| c.public_key().raw.to_vec())
            .unwrap_or_default()
    }

    /// The RSA modulus size in bits, when the key is RSA.
    pub fn rsa_key_bits(&self) -> Option<usize> {
        let cert = self.parsed()?;
        match cert.public_key().parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => Some(rsa.key_size()),
            _ => None,
        }
    }

    /// The public key (`publicKey()`).
    ///
    /// # Errors
    /// [`PkiError::Unsupported`] for key types other than RSA, EC P-256/P-384/P-521 and Ed25519.
    pub fn public_key(&self) -> Result<Key, PkiError> {
        let cert = self
            .parsed()
            .ok_or_else(|| PkiError::Malformed("certificate does not parse".into()))?;
        Key::public_from_der(cert.public_key().raw)
    }

    /// A readable description, like `openssl x509 -noout -text` (`toText()`).
    pub fn to_text(&self) -> String {
        let sans = self
            .subject_alternative_names()
            .iter()
            .map(|n| match n {
                AlternativeName::Dns(v) => format!("DNS:{v}"),
                AlternativeName::Email(v) => format!("email:{v}"),
                AlternativeName::IpAddress(v) => format!("IP Address:{v}"),
                AlternativeName::Uri(v) => format!("URI:{v}"),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let key = self
            .public_key()
            .map(|k| format!("{:?} ({} bit)", k.algorithm(), k.length()))
            .unwrap_or_else(|e| e.to_string());
        let extensions: String = self
            .extensions()
            .iter()
            .map(|e| {
                let name = if e.name.is_empty() { &e.oid } else { &e.name };
                let critical = if e.critical { ": critical" } else { "" };
                format!("        {name}{critical}\n")
            })
            .collect();
        format!(
            "Certificate:\n    Version: {}\n    Serial Number: {}\n    Issuer: {}\n    Validity\n        Not Before: {}\n        Not After : {}\n    Subject: {}\n    Public Key: {}\n    CA: {}\n    Subject Alternative Names: {}\n    X509v3 extensions:\n{}    SHA256 Fingerprint: {}\n    SHA1 Fingerprint: {}\n",
            self.version(),
            self.serial_number(),
            self.issuer(),
            self.parsed()
                .map(|c| c.validity().not_before.to_string())
                .unwrap_or_default(),
            self.parsed()
                .map(|c| c.validity().not_after.to_string())
                .unwrap_or_default(),
            self.subject(),
            key,
            if self.is_ca() { "TRUE" } else { "FALSE" },
            sans,
            extensions,
            hex(&self.digest(DigestAlgorithm::Sha256), ":").to_uppercase(),
            hex(&self.digest(DigestAlgorithm::Sha1), ":").to_uppercase(),
        )
    }

    /// The parsed certificate; `None` when the DER does not parse, which only a certificate
    /// wrapped with `From<CertificateDer>` (a peer's, a root's) can do: the parsing
    /// constructors check it.
    fn parsed(&self) -> Option<X509Certificate<'_>> {
        X509Certificate::from_der(self.der.as_ref())
            .ok()
            .map(|(_, c)| c)
    }
}

impl From<CertificateDer<'static>> for Certificate {
    /// Wraps DER that came through rustls (which parsed it already); accessors of a certificate
    /// that does not parse return empty values.
    fn from(der: CertificateDer<'static>) -> Self {
        Self { der: Arc::new(der) }
    }
}

/// Lower-case hex of `bytes`, joined by `separator`.
pub(crate) fn hex(bytes: &[u8], separator: &str) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(separator)
}

fn name_values(name: &X509Name<'_>, attribute: SubjectInfo) -> Vec<String> {
    let oid = match attribute {
        SubjectInfo::Organization => oid_registry::OID_X509_ORGANIZATION_NAME,
        SubjectInfo::CommonName => oid_registry::OID_X509_COMMON_NAME,
        SubjectInfo::LocalityName => oid_registry::OID_X509_LOCALITY_NAME,
        SubjectInfo::OrganizationalUnitName => oid_registry::OID_X509_ORGANIZATIONAL_UNIT,
        SubjectInfo::CountryName => oid_registry::OID_X509_COUNTRY_NAME,
        SubjectInfo::StateOrProvinceName => oid_registry::OID_X509_STATE_OR_PROVINCE_NAME,
        SubjectInfo::EmailAddress => oid_registry::OID_PKCS9_EMAIL_ADDRESS,
    };
    name.iter_by_oid(&oid)
        .filter_map(|atv| atv.as_str().ok().map(str::to_string))
        .collect()
}

fn ip_to_string(bytes: &[u8]) -> Option<String> {
    let ip = match bytes.len() {
        4 => IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?),
        16 => IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?),
        _ => return None,
    };
    Some(ip.to_string())
}

/// The DER contents of an AlgorithmIdentifier (OID and parameters), the form webpki's
/// algorithm identifiers take.
pub(crate) fn algorithm_der(alg: &x509_parser::x509::AlgorithmIdentifier<'_>) -> Option<Vec<u8>> {
    use x509_parser::asn1_rs::ToDer;
    let mut der = alg.algorithm.to_der_vec().ok()?;
    if let Some(parameters) = &alg.parameters {
        der.extend(parameters.to_der_vec().ok()?);
    }
    Some(der)
}

fn files_matching(path: &Path) -> Result<Vec<std::path::PathBuf>, PkiError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let (dir, pattern) = if name.contains(['*', '?']) {
        (path.parent().unwrap_or(Path::new(".")), Some(name))
    } else if path.is_dir() {
        (path, None)
    } else {
        return Ok(vec![path.to_path_buf()]);
    };
    let entries =
        std::fs::read_dir(dir).map_err(|e| PkiError::Io(format!("{}: {e}", dir.display())))?;
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(
            |p| match (pattern, p.file_name().and_then(|n| n.to_str())) {
                (Some(pattern), Some(file)) => wildcard_match(pattern.as_bytes(), file.as_bytes()),
                (None, _) => true,
                (Some(_), None) => false,
            },
        )
        .collect();
    files.sort();
    Ok(files)
}

/// Glob matching of `*` and `?` within one path component.
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => {
            (0..=text.len()).any(|i| text.get(i..).is_some_and(|t| wildcard_match(rest, t)))
        }
        Some((b'?', rest)) => text
            .split_first()
            .is_some_and(|(_, t)| wildcard_match(rest, t)),
        Some((c, rest)) => text
            .split_first()
            .is_some_and(|(t, tail)| t == c && wildcard_match(rest, tail)),
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(Certificate::from_der(b"").is_err());
        assert!(Certificate::from_der(&[0x30, 0x82, 0xff, 0xff, 1, 2, 3]).is_err());
        assert!(Certificate::from_pem("hello").is_err());
        assert!(
            Certificate::from_pem("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n")
                .is_err()
        );
        assert!(
            Certificate::from_data(
                b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                EncodingFormat::Pem
            )
            .is_err()
        );
        assert!(Certificate::from_path("/definitely/not/here.pem").is_err());
    }

    #[test]
    fn system_roots_parse_and_are_self_signed() {
        let roots: Vec<Certificate> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| Certificate::from(der.clone().into_owned()))
            .collect();
        assert!(roots.len() > 100);
        let self_signed = roots.iter().filter(|c| c.is_self_signed()).count();
        // Every Mozilla root is self-signed; a few may use algorithms (RSA-PSS) the check
        // cannot verify, so allow a small margin.
        assert!(
            self_signed * 10 > roots.len() * 9,
            "{self_signed} of {}",
            roots.len()
        );
        let first = &roots[0];
        assert_eq!(Certificate::from_pem(&first.to_pem()).as_ref(), Ok(first));
        assert_eq!(first.digest(DigestAlgorithm::Sha256).len(), 32);
        assert!(first.is_ca());
        assert!(!first.subject().is_empty());
    }

    #[test]
    #[allow(clippy::panic)]
    fn extensions_in_the_certificates_order_with_their_der() {
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap_or_default();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(1));
        params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
        let key = rcgen::KeyPair::generate();
        let cert = key
            .and_then(|key| params.self_signed(&key))
            .map(|c| Certificate::from_der(c.der()));
        let Ok(Ok(cert)) = cert else {
            panic!("rcgen could not make the certificate");
        };
        let extensions = cert.extensions();
        let names: Vec<&str> = extensions.iter().map(|e| e.name.as_str()).collect();
        assert!(names.contains(&"subjectAltName"), "{names:?}");
        assert!(names.contains(&"keyUsage"), "{names:?}");
        let basic = extensions
            .iter()
            .find(|e| e.oid == "2.5.29.19")
            .unwrap_or_else(|| panic!("no basicConstraints in {extensions:?}"));
        assert_eq!(basic.name, "basicConstraints");
        assert!(basic.critical);
        // SEQUENCE { BOOLEAN TRUE, INTEGER 1 }
        assert_eq!(
            basic.value,
            [0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x01]
        );
        assert!(
            cert.to_text()
                .contains("        basicConstraints: critical\n")
        );
    }

    #[test]
    fn wildcards_match_one_component() {
        assert!(wildcard_match(b"*.pem", b"ca.pem"));
        assert!(wildcard_match(b"c?.pem", b"ca.pem"));
        assert!(!wildcard_match(b"*.pem", b"ca.crt"));
        assert!(wildcard_match(b"*", b""));
    }
}
