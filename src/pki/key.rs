//! Private and public keys. Mirrors `QSslKey`.

use std::hash::{Hash, Hasher};

use pkcs5::der::Decode as _;
use pkcs12::pbe_params::EncryptedPrivateKeyInfo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};
use sslsocket_crypto as crypto;
use x509_parser::prelude::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;
use zeroize::Zeroizing;

use super::{EncodingFormat, PkiError, password_based, pem_encode};

/// The algorithm of a key. Mirrors `QSsl::KeyAlgorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// RSA
    Rsa,
    /// EC (P-256, P-384 or P-521)
    Ec,
    /// Ed25519
    Ed25519,
}

/// Private or public. Mirrors `QSsl::KeyType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// A private key.
    PrivateKey,
    /// A public key.
    PublicKey,
}

/// A key. Mirrors `QSslKey`. Private keys are checked to be usable for signing by the crypto
/// provider when they are loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    algorithm: KeyAlgorithm,
    key_type: KeyType,
    bits: u32,
    /// PKCS#8 for private keys, SubjectPublicKeyInfo for public keys; wiped when dropped (and
    /// never printed: `Zeroizing`'s `Debug` shows no bytes).
    der: Zeroizing<Vec<u8>>,
}

// `Zeroizing` has no `Hash`: hash what `Eq` compares, field by field.
impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let Self {
            algorithm,
            key_type,
            bits,
            der,
        } = self;
        algorithm.hash(state);
        key_type.hash(state);
        bits.hash(state);
        der.as_slice().hash(state);
    }
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";

impl Key {
    /// Parses a private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), as PEM or DER.
    ///
    /// # Errors
    /// [`PkiError::Malformed`] for data that is not a key, [`PkiError::Unsupported`] for
    /// encrypted keys and other algorithms or curves, [`PkiError::WeakKey`] for RSA under
    /// 2048 bits.
    pub fn private_from_data(data: &[u8], format: EncodingFormat) -> Result<Self, PkiError> {
        let key = match format {
            EncodingFormat::Pem => {
                if contains(data, b"ENCRYPTED PRIVATE KEY") {
                    return Err(PkiError::Unsupported(
                        "the key is encrypted: load it with its passphrase".into(),
                    ));
                }
                PrivateKeyDer::from_pem_slice(data)
                    .map_err(|e| PkiError::Malformed(format!("no PEM private key found: {e}")))?
            }
            EncodingFormat::Der => private_key_from_der(data)?,
        };
        let key = Zeroizing::new(key);
        Self::from_private_key_der(&key)
    }

    /// Parses a private key that may be encrypted with `passphrase` (PKCS#8
    /// `ENCRYPTED PRIVATE KEY`: PBES2 with PBKDF2 or scrypt and AES-CBC, or PKCS#12's SHA-1
    /// 3DES / RC2 PBE); unencrypted keys are parsed as by [`Key::private_from_data`].
    ///
    /// # Errors
    /// [`PkiError::Malformed`] for a wrong passphrase or malformed data,
    /// [`PkiError::Unsupported`] for other schemes and key derivations beyond the limits
    /// (ten million iterations, scrypt within 32 MiB), and the errors of
    /// [`Key::private_from_data`].
    pub fn private_from_data_with_passphrase(
        data: &[u8],
        format: EncodingFormat,
        passphrase: &[u8],
    ) -> Result<Self, PkiError> {
        let encrypted = match format {
            EncodingFormat::Pem if contains(data, b"ENCRYPTED PRIVATE KEY") => {
                let (_, der) = pem_rfc7468::decode_vec(data)
                    .map_err(|e| PkiError::Malformed(format!("bad PEM: {e}")))?;
                der
            }
            EncodingFormat::Der if EncryptedPrivateKeyInfo::from_der(data).is_ok() => data.to_vec(),
            _ => return Self::private_from_data(data, format),
        };
        let info = EncryptedPrivateKeyInfo::from_der(&encrypted)
            .map_err(|e| PkiError::Malformed(format!("bad encrypted PKCS#8 key: {e}")))?;
        let decrypted = password_based::decrypt(
            &info.encryption_algorithm,
            info.encrypted_data.as_bytes(),
            passphrase,
            &mut password_based::WorkBudget::new(),
        )
        .map_err(|e| match e {
            PkiError::WrongPassphrase(_) => {
                PkiError::Malformed("wrong passphrase, or an unsupported encryption scheme".into())
            }
            other => other,
        })?;
        let key: Zeroizing<PrivateKeyDer<'static>> =
            Zeroizing::new(PrivatePkcs8KeyDer::from(decrypted.to_vec()).into());
        Self::from_private_key_der(&key)
    }

    /// Parses a public key (SubjectPublicKeyInfo) as PEM or DER.
    ///
    /// # Errors
    /// [`PkiError::Malformed`] or [`PkiError::Unsupported`].
    pub fn public_from_data(data: &[u8], format: EncodingFormat) -> Result<Self, PkiError> {
        match format {
            EncodingFormat::Der => Self::public_from_der(data),
            EncodingFormat::Pem => {
                let (label, der) = pem_rfc7468::decode_vec(data)
                    .map_err(|e| PkiError::Malformed(format!("bad PEM: {e}")))?;
                if label != "PUBLIC KEY" {
                    return Err(PkiError::Malformed(format!(
                        "expected a PUBLIC KEY, found {label}"
                    )));
                }
                Self::public_from_der(&der)
            }
        }
    }

    /// Parses a DER SubjectPublicKeyInfo.
    ///
    /// # Errors
    /// [`PkiError::Malformed`] or [`PkiError::Unsupported`].
    pub fn public_from_der(der: &[u8]) -> Result<Self, PkiError> {
        let (_, spki) = SubjectPublicKeyInfo::from_der(der)
            .map_err(|e| PkiError::Malformed(format!("not a public key: {e}")))?;
        let (algorithm, bits) = match spki.algorithm.algorithm.to_id_string().as_str() {
            OID_RSA => {
                let bits = spki.parsed().map(|k| k.key_size()).unwrap_or(0);
                (KeyAlgorithm::Rsa, bits as u32)
            }
            OID_EC => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string())
                    .unwrap_or_default();
                (KeyAlgorithm::Ec, curve_bits(&curve)?)
            }
            OID_ED25519 => (KeyAlgorithm::Ed25519, 256),
            other => {
                return Err(PkiError::Unsupported(format!(
                    "public key algorithm {other}"
                )));
            }
        };
        Ok(Self {
            algorithm,
            key_type: KeyType::PublicKey,
            bits,
            der: Zeroizing::new(der.to_vec()),
        })
    }

    /// The algorithm (`algorithm()`).
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// Private or public (`type()`).
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The length in bits (`length()`).
    pub fn length(&self) -> u32 {
        self.bits
    }

    /// The key as PEM in its own format (`toPem()`).
    pub fn to_pem(&self) -> String {
        let label = match self.key_type {
            KeyType::PrivateKey => "PRIVATE KEY",
            KeyType::PublicKey => "PUBLIC KEY",
        };
        pem_encode(label, &self.der)
    }

    /// The key as DER (`toDer()`).
    pub fn to_der(&self) -> Vec<u8> {
        self.der.to_vec()
    }

    /// The private key for rustls; `None` for a public key.
    pub fn private_key_der(&self) -> Option<PrivateKeyDer<'static>> {
        match self.key_type {
            KeyType::PublicKey => None,
            KeyType::PrivateKey => Some(PrivatePkcs8KeyDer::from(self.der.to_vec()).into()),
        }
    }

    /// The DER SubjectPublicKeyInfo of the key: its own encoding for a public key, derived by
    /// the crypto provider for a private key (`None` if it cannot).
    pub(crate) fn public_key_info(&self) -> Option<Vec<u8>> {
        match self.key_type {
            KeyType::PublicKey => Some(self.der.to_vec()),
            KeyType::PrivateKey => crypto::provider()
                .key_provider
                .load_private_key(self.private_key_der()?)
                .ok()?
                .public_key()
                .map(|spki| spki.as_ref().to_vec()),
        }
    }

    fn from_private_key_der(key: &PrivateKeyDer<'_>) -> Result<Self, PkiError> {
        let pkcs8 = to_pkcs8(key)?;
        let (algorithm, bits) = pkcs8_info(&pkcs8)?;
        if algorithm == KeyAlgorithm::Rsa && (bits as usize) < crypto::MIN_RSA_BITS {
            return Err(PkiError::WeakKey(format!(
                "RSA key of {bits} bits; at least {} are required",
                crypto::MIN_RSA_BITS
            )));
        }
        crypto::provider()
            .key_provider
            // The provider wipes its copy of the DER.
            .load_private_key(PrivatePkcs8KeyDer::from(pkcs8.to_vec()).into())
            .map_err(|e| {
                PkiError::Unsupported(format!("the crypto provider cannot use this key: {e}"))
            })?;
        Ok(Self {
            algorithm,
            key_type: KeyType::PrivateKey,
            bits,
            der: pkcs8,
        })
    }
}

/// The key as PKCS#8: PKCS#1 (RSA) and SEC1 (EC) keys are wrapped.
fn to_pkcs8(key: &PrivateKeyDer<'_>) -> Result<Zeroizing<Vec<u8>>, PkiError> {
    use pkcs8::der::Encode as _;
    use pkcs8::der::asn1::AnyRef;
    let wrap = |oid: &str, parameters: Option<AnyRef<'_>>, private_key: &[u8]| {
        let oid = pkcs8::ObjectIdentifier::new(oid)
            .map_err(|e| PkiError::Malformed(format!("bad algorithm: {e}")))?;
        pkcs8::PrivateKeyInfo {
            algorithm: pkcs8::AlgorithmIdentifierRef { oid, parameters },
            private_key,
            public_key: None,
        }
        .to_der()
        .map(Zeroizing::new)
        .map_err(|e| PkiError::Malformed(format!("cannot encode the key: {e}")))
    };
    match key {
        PrivateKeyDer::Pkcs8(k) => Ok(Zeroizing::new(k.secret_pkcs8_der().to_vec())),
        PrivateKeyDer::Pkcs1(k) => wrap(OID_RSA, Some(AnyRef::NULL), k.secret_pkcs1_der()),
        PrivateKeyDer::Sec1(k) => {
            let ec = sec1::EcPrivateKey::try_from(k.secret_sec1_der())
                .map_err(|e| PkiError::Malformed(format!("bad EC key: {e}")))?;
            let curve = ec
                .parameters
                .and_then(|p| p.named_curve())
                .ok_or_else(|| PkiError::Malformed("EC key without a named curve".into()))?;
            // As OpenSSL does: the curve moves to the algorithm identifier.
            let inner = sec1::EcPrivateKey {
                parameters: None,
                ..ec
            }
            .to_der()
            .map(Zeroizing::new)
            .map_err(|e| PkiError::Malformed(format!("cannot encode the key: {e}")))?;
            wrap(OID_EC, Some(AnyRef::from(&curve)), inner.as_slice())
        }
        _ => Err(PkiError::Unsupported("unknown private key format".into())),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn private_key_from_der(der: &[u8]) -> Result<PrivateKeyDer<'static>, PkiError> {
    if pkcs8::PrivateKeyInfo::try_from(der).is_ok() {
        return Ok(PrivatePkcs8KeyDer::from(der.to_vec()).into());
    }
    if pkcs1::RsaPrivateKey::try_from(der).is_ok() {
        return Ok(PrivatePkcs1KeyDer::from(der.to_vec()).into());
    }
    if sec1::EcPrivateKey::try_from(der).is_ok() {
        return Ok(PrivateSec1KeyDer::from(der.to_vec()).into());
    }
    Err(PkiError::Malformed(
        "not a PKCS#8, PKCS#1 or SEC1 private key".into(),
    ))
}

fn pkcs8_info(der: &[u8]) -> Result<(KeyAlgorithm, u32), PkiError> {
    let info = pkcs8::PrivateKeyInfo::try_from(der)
        .map_err(|e| PkiError::Malformed(format!("bad PKCS#8 key: {e}")))?;
    match info.algorithm.oid.to_string().as_str() {
        OID_RSA => Ok((KeyAlgorithm::Rsa, rsa_bits(info.private_key)?)),
        OID_EC => {
            let curve = info
                .algorithm
                .parameters_oid()
                .map(|o| o.to_string())
                .unwrap_or_default();
            Ok((KeyAlgorithm::Ec, curve_bits(&curve)?))
        }
        OID_ED25519 => Ok((KeyAlgorithm::Ed25519, 256)),
        other => Err(PkiError::Unsupported(format!(
            "private key algorithm {other}"
        ))),
    }
}

fn rsa_bits(pkcs1_der: &[u8]) -> Result<u32, PkiError> {
    let key = pkcs1::RsaPrivateKey::try_from(pkcs1_der)
        .map_err(|e| PkiError::Malformed(format!("bad RSA key: {e}")))?;
    let modulus = key.modulus.as_bytes();
    let leading = modulus.iter().take_while(|b| **b == 0).count();
    let significant = modulus.get(leading..).unwrap_or_default();
    let top_bits = significant.first().map_or(0, |b| 8 - b.leading_zeros());
    Ok((significant.len().saturating_sub(1) * 8) as u32 + top_bits)
}

fn curve_bits(curve_oid: &str) -> Result<u32, PkiError> {
    match curve_oid {
        "1.2.840.10045.3.1.7" => Ok(256),
        "1.3.132.0.34" => Ok(384),
        "1.3.132.0.35" => Ok(521),
        "" => Err(PkiError::Malformed("EC key without a named curve".into())),
        other => Err(PkiError::Unsupported(format!(
            "EC curve {other} (only P-256, P-384 and P-521 are supported)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_keys_are_errors() {
        assert!(Key::private_from_data(b"", EncodingFormat::Der).is_err());
        assert!(Key::private_from_data(b"\x30\x03\x02\x01", EncodingFormat::Der).is_err());
        assert!(Key::private_from_data(b"not pem", EncodingFormat::Pem).is_err());
        assert!(
            Key::public_from_data(
                b"-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n",
                EncodingFormat::Pem
            )
            .is_err()
        );
        let encrypted =
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(matches!(
            Key::private_from_data(encrypted, EncodingFormat::Pem),
            Err(PkiError::Unsupported(_))
        ));
    }
}
