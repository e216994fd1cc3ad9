//! PKCS#12 bundles (`.p12`, `.pfx`): a certificate, its private key and CA certificates under
//! one passphrase. Mirrors `QSslCertificate::importPkcs12` (and Node's `pfx` option).
//!
//! Decoded with RustCrypto's `pkcs12` types and key derivation: the integrity MAC (HMAC with
//! SHA-1 or SHA-2, RFC 7292), then the bags, encrypted with PBES2 (PBKDF2 or scrypt with
//! AES-CBC, what `openssl pkcs12 -export` writes) or PKCS#12's own PBE (SHA-1 with 3DES or RC2,
//! what `-export -legacy` writes) by [`super::password_based`], whose work budget bounds what a
//! hostile bundle can cost. Every decrypted buffer is wiped when dropped; the certificate and
//! key found are parsed and checked like any other.

use hmac::{KeyInit as _, Mac as _};
use pkcs5::ObjectIdentifier;
use pkcs5::der::asn1::{ContextSpecific, OctetString};
use pkcs5::der::{Any, Decode, Encode as _};
use pkcs12::cms::content_info::ContentInfo;
use pkcs12::cms::encrypted_data::EncryptedData;
use pkcs12::kdf::{self, Pkcs12KeyType};
use pkcs12::pbe_params::EncryptedPrivateKeyInfo;
use pkcs12::pfx::{Pfx, Version};
use pkcs12::safe_bag::SafeContents;
use pkcs12::{AuthenticatedSafe, CertBag, MacData};
use zeroize::Zeroizing;

use super::password_based::{self, WorkBudget};
use super::{Certificate, EncodingFormat, Key, PkiError};

/// What a PKCS#12 bundle holds: the certificate, its private key and the other certificates
/// (`QSslCertificate::importPkcs12`'s `certificate`, `key` and `caCertificates`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkcs12Bundle {
    /// The certificate of the private key.
    pub certificate: Certificate,
    /// The private key.
    pub private_key: Key,
    /// Every other certificate of the bundle, in the bundle's order (usually the CA chain).
    pub ca_certificates: Vec<Certificate>,
}

impl Pkcs12Bundle {
    /// Decodes a DER PKCS#12 bundle protected by `passphrase` (`QSslCertificate::importPkcs12`).
    ///
    /// The key is the bundle's first; the certificate is the one whose public key is the
    /// key's (as OpenSSL's `PKCS12_parse` chooses it); every other certificate is a CA
    /// certificate, in the bundle's order. Bags of other kinds (CRLs, secrets, nested
    /// contents) are skipped.
    ///
    /// # Errors
    /// [`PkiError::WrongPassphrase`] when the integrity MAC does not verify or a bag does not
    /// decrypt with `passphrase`; [`PkiError::Malformed`] for data that is not a PKCS#12
    /// bundle, or one without a private key or a certificate of that key;
    /// [`PkiError::Unsupported`] for other encryption or MAC schemes, and key derivations
    /// beyond the work budget (ten million iterations in all, scrypt within 32 MiB); the errors
    /// of [`Key::private_from_data`] for the key (an RSA key under 2048 bits is
    /// [`PkiError::WeakKey`]).
    pub fn import(data: &[u8], passphrase: &str) -> Result<Self, PkiError> {
        let pfx = Pfx::from_der(data).map_err(malformed("not a PKCS#12 bundle"))?;
        if pfx.version != Version::V3 {
            return Err(PkiError::Unsupported("PKCS#12 version other than 3".into()));
        }
        if pfx.auth_safe.content_type != DATA {
            return Err(PkiError::Unsupported(
                "a PKCS#12 bundle signed with a public key (only password integrity is supported)"
                    .into(),
            ));
        }
        let content = octets(&pfx.auth_safe.content)?;
        let mut budget = WorkBudget::new();
        if let Some(mac) = &pfx.mac_data {
            verify_mac(mac, passphrase, &content, &mut budget)?;
        }
        let safes = AuthenticatedSafe::from_der(&content)
            .map_err(malformed("bad PKCS#12 authenticated safe"))?;
        let mut contents = Contents::default();
        for safe in &safes {
            let bags = safe_contents(safe, passphrase, &mut budget)?;
            contents.add(&bags, passphrase, &mut budget)?;
        }
        contents.bundle()
    }
}

/// The keys (PKCS#8 DER) and certificates of a bundle, in its order.
#[derive(Default)]
struct Contents {
    keys: Vec<Zeroizing<Vec<u8>>>,
    certificates: Vec<Certificate>,
}

impl Contents {
    /// Adds the keys and X.509 certificates among `bags`.
    fn add(
        &mut self,
        bags: &SafeContents,
        passphrase: &str,
        budget: &mut WorkBudget,
    ) -> Result<(), PkiError> {
        for bag in bags {
            match bag.bag_id {
                KEY_BAG => {
                    let key = ContextSpecific::<Any>::from_der(&bag.bag_value)
                        .and_then(|cs| cs.value.to_der())
                        .map_err(malformed("bad PKCS#12 key bag"))?;
                    self.keys.push(Zeroizing::new(key));
                }
                SHROUDED_KEY_BAG => {
                    let info = ContextSpecific::<EncryptedPrivateKeyInfo>::from_der(&bag.bag_value)
                        .map_err(malformed("bad PKCS#12 shrouded key bag"))?
                        .value;
                    self.keys.push(password_based::decrypt(
                        &info.encryption_algorithm,
                        info.encrypted_data.as_bytes(),
                        passphrase.as_bytes(),
                        budget,
                    )?);
                }
                CERT_BAG => {
                    let cert = ContextSpecific::<CertBag>::from_der(&bag.bag_value)
                        .map_err(malformed("bad PKCS#12 certificate bag"))?
                        .value;
                    if cert.cert_id == X509_CERTIFICATE {
                        self.certificates
                            .push(Certificate::from_der(cert.cert_value.as_bytes())?);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The first key, the certificate of its public key, and the other certificates.
    fn bundle(mut self) -> Result<Pkcs12Bundle, PkiError> {
        let key = self
            .keys
            .first()
            .ok_or_else(|| PkiError::Malformed("the PKCS#12 bundle holds no private key".into()))?;
        let private_key = Key::private_from_data(key, EncodingFormat::Der)?;
        let public_key = private_key.public_key_info();
        let index = self
            .certificates
            .iter()
            .position(|cert| public_key.as_ref() == Some(&cert.subject_public_key_info_raw()))
            .ok_or_else(|| {
                PkiError::Malformed(
                    "the PKCS#12 bundle holds no certificate of its private key".into(),
                )
            })?;
        let certificate = self.certificates.remove(index);
        Ok(Pkcs12Bundle {
            certificate,
            private_key,
            ca_certificates: self.certificates,
        })
    }
}

/// Checks the bundle's integrity MAC (HMAC under a PKCS#12-derived key) over `content`.
fn verify_mac(
    mac: &MacData,
    passphrase: &str,
    content: &[u8],
    budget: &mut WorkBudget,
) -> Result<(), PkiError> {
    macro_rules! verify {
        ($digest:ty) => {{
            let length = <$digest as sha2::digest::OutputSizeUser>::output_size();
            budget.charge(i64::from(mac.iterations))?;
            let key = kdf::derive_key_utf8::<$digest>(
                passphrase,
                mac.mac_salt.as_bytes(),
                Pkcs12KeyType::Mac,
                mac.iterations,
                length,
            )
            .map(Zeroizing::new)
            .map_err(malformed("the passphrase cannot be used"))?;
            let mut hmac = hmac::Hmac::<$digest>::new_from_slice(&key)
                .map_err(|_| PkiError::Malformed("bad MAC key".into()))?;
            hmac.update(content);
            hmac.verify_slice(mac.mac.digest.as_bytes()).map_err(|_| {
                PkiError::WrongPassphrase(
                    "the PKCS#12 bundle's integrity check (MAC) fails with this passphrase".into(),
                )
            })
        }};
    }
    match mac.mac.algorithm.oid {
        SHA1 => verify!(sha1::Sha1),
        SHA224 => verify!(sha2::Sha224),
        SHA256 => verify!(sha2::Sha256),
        SHA384 => verify!(sha2::Sha384),
        SHA512 => verify!(sha2::Sha512),
        other => Err(PkiError::Unsupported(format!(
            "PKCS#12 MAC digest {other} (SHA-1 and SHA-2 are supported)"
        ))),
    }
}

/// The bags of one element of the authenticated safe: plain (`data`) or password-encrypted
/// (`encryptedData`).
fn safe_contents(
    safe: &ContentInfo,
    passphrase: &str,
    budget: &mut WorkBudget,
) -> Result<SafeContents, PkiError> {
    let plain = match safe.content_type {
        DATA => Zeroizing::new(octets(&safe.content)?),
        ENCRYPTED_DATA => {
            let encrypted = safe
                .content
                .to_der()
                .and_then(|der| EncryptedData::from_der(&der))
                .map_err(malformed("bad PKCS#12 encrypted data"))?;
            let info = &encrypted.enc_content_info;
            let Some(ciphertext) = &info.encrypted_content else {
                return Ok(SafeContents::new());
            };
            password_based::decrypt(
                &info.content_enc_alg,
                ciphertext.as_bytes(),
                passphrase.as_bytes(),
                budget,
            )?
        }
        other => {
            return Err(PkiError::Unsupported(format!(
                "PKCS#12 content type {other} (public-key encrypted contents are not supported)"
            )));
        }
    };
    SafeContents::from_der(&plain).map_err(|e| {
        PkiError::WrongPassphrase(format!(
            "the decrypted PKCS#12 contents do not parse (wrong passphrase?): {e}"
        ))
    })
}

/// The contents of an OCTET STRING held in an `Any`.
fn octets(any: &Any) -> Result<Vec<u8>, PkiError> {
    any.to_der()
        .and_then(|der| OctetString::from_der(&der))
        .map(|octets| octets.into_bytes().into_vec())
        .map_err(malformed("PKCS#12 content is not an OCTET STRING"))
}

/// Maps a DER error to [`PkiError::Malformed`] saying `what`.
fn malformed(what: &'static str) -> impl Fn(pkcs5::der::Error) -> PkiError {
    move |e| PkiError::Malformed(format!("{what}: {e}"))
}

const DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
const KEY_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.1");
const SHROUDED_KEY_BAG: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.2");
const CERT_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.3");
const X509_CERTIFICATE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.22.1");
const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const SHA224: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.4");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::panic)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use super::*;

    #[test]
    fn garbage_and_truncated_input_are_errors_not_panics() {
        for data in [
            &b""[..],
            b"not a bundle",
            &[0x30, 0x82, 0xff, 0xff, 0x02, 0x01, 0x03],
            &[0x30, 0x03, 0x02, 0x01, 0x03],
        ] {
            assert!(
                matches!(
                    Pkcs12Bundle::import(data, "secret"),
                    Err(PkiError::Malformed(_))
                ),
                "{data:?}"
            );
        }
    }

    /// Bundles written by `openssl pkcs12 -export`, modern (PBES2, AES-256-CBC, SHA-256 MAC)
    /// and `-legacy` (3DES key bag, RC2-40 certificate bag, SHA-1 MAC): the leaf, its key and
    /// the CA come back; a wrong passphrase and every truncation are errors.
    #[test]
    fn openssl_bundles_modern_and_legacy() {
        let dir = Scratch::new();
        let ca = dir.openssl_pki();
        for flags in [&[][..], &["-legacy"][..]] {
            let bundle = dir.export(flags, "pass:s3cret");
            let imported = Pkcs12Bundle::import(&bundle, "s3cret")
                .unwrap_or_else(|e| panic!("{flags:?}: {e}"));
            assert_eq!(imported.certificate.subject(), "CN=localhost", "{flags:?}");
            assert_eq!(
                imported.ca_certificates,
                std::slice::from_ref(&ca),
                "{flags:?}"
            );
            assert_eq!(
                imported.private_key.public_key_info(),
                Some(imported.certificate.subject_public_key_info_raw()),
                "{flags:?}"
            );
            assert!(
                matches!(
                    Pkcs12Bundle::import(&bundle, "wrong"),
                    Err(PkiError::WrongPassphrase(_))
                ),
                "{flags:?}"
            );
            for len in (0..bundle.len()).step_by(97) {
                let truncated = bundle.get(..len).unwrap_or_default();
                assert!(
                    Pkcs12Bundle::import(truncated, "s3cret").is_err(),
                    "{flags:?}: {len}"
                );
            }
        }
    }

    /// A scratch directory under the system's temporary directory, removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new() -> Self {
            let path = std::env::temp_dir().join(format!(
                "sslsocket-pkcs12-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&path);
            if let Err(e) = std::fs::create_dir_all(&path) {
                panic!("{}: {e}", path.display());
            }
            Self(path)
        }

        fn path(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }

        /// A P-256 CA and a `localhost` leaf under it (`ca.pem`, `leaf.pem`, `leaf.key`); the
        /// CA certificate.
        fn openssl_pki(&self) -> Certificate {
            let ec = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];
            self.openssl(&[&["genpkey"][..], &ec, &["-out", "ca.key"]].concat());
            self.openssl(&[
                "req",
                "-x509",
                "-new",
                "-key",
                "ca.key",
                "-subj",
                "/CN=p12 test CA",
                "-days",
                "30",
                "-out",
                "ca.pem",
            ]);
            self.openssl(&[&["genpkey"][..], &ec, &["-out", "leaf.key"]].concat());
            self.openssl(&[
                "req",
                "-new",
                "-key",
                "leaf.key",
                "-subj",
                "/CN=localhost",
                "-out",
                "leaf.csr",
            ]);
            self.openssl(&[
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "30",
                "-out",
                "leaf.pem",
            ]);
            let pem = std::fs::read_to_string(self.path("ca.pem")).unwrap_or_default();
            Certificate::from_pem(&pem).unwrap_or_else(|e| panic!("ca.pem: {e}"))
        }

        /// `openssl pkcs12 -export` of the leaf, its key and the CA, with `flags`.
        fn export(&self, flags: &[&str], passout: &str) -> Vec<u8> {
            let args = [
                &["pkcs12", "-export"][..],
                flags,
                &[
                    "-inkey",
                    "leaf.key",
                    "-in",
                    "leaf.pem",
                    "-certfile",
                    "ca.pem",
                    "-passout",
                    passout,
                    "-out",
                    "bundle.p12",
                ],
            ]
            .concat();
            self.openssl(&args);
            std::fs::read(self.path("bundle.p12")).unwrap_or_default()
        }

        fn openssl(&self, args: &[&str]) {
            let output = Command::new("openssl")
                .args(args)
                .current_dir(&self.0)
                .output()
                .unwrap_or_else(|e| panic!("openssl: {e}"));
            assert!(
                output.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(Path::new(&self.0));
        }
    }
}
