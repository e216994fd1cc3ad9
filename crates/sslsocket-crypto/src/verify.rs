//! Signature verification for certificates and handshakes (the webpki algorithm table):
//! ECDSA P-256 / P-384 / P-521 with SHA-256 / SHA-384 / SHA-512, Ed25519, RSA PKCS#1 v1.5 and RSASSA-PSS with
//! SHA-256/384/512 (PKCS#1 v1.5 in certificates with or without the NULL parameter of its
//! AlgorithmIdentifier). No SHA-1, no MD5.
//!
//! RSA moduli outside 1024..=[`MAX_RSA_BITS`] bits never verify. Between 1024 and
//! [`MIN_RSA_BITS`] a signature in a certificate chain (the `all` list, which webpki and
//! `sslsocket`'s chain checks use) verifies, and the certificate policy of `sslsocket`
//! (`engine::x509`) reports a Qt error instead, which the application may ignore as with Qt.
//! A handshake signature (the `mapping` list, which rustls uses for ServerKeyExchange and
//! CertificateVerify) from such a key never verifies, whatever errors are ignored: rustls then
//! fails the handshake with `InvalidCertificate(BadSignature)`.

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::traits::PublicKeyParts;
use rustls::SignatureScheme;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls_pki_types::{
    AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm, alg_id,
};
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::{MAX_RSA_BITS, MIN_RSA_BITS};

/// The smallest RSA modulus any signature is verified with (see the module docs).
const MIN_RSA_VERIFY_BITS: usize = 1024;
const _: () = assert!(MIN_RSA_VERIFY_BITS <= MIN_RSA_BITS);

/// Every algorithm, and which of them each TLS signature scheme may use.
pub(crate) static ALGORITHMS: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[
        ECDSA_P256_SHA256,
        ECDSA_P256_SHA384,
        ECDSA_P384_SHA256,
        ECDSA_P384_SHA384,
        ECDSA_P256_SHA512,
        ECDSA_P384_SHA512,
        ECDSA_P521_SHA256,
        ECDSA_P521_SHA384,
        ECDSA_P521_SHA512,
        ED25519,
        RSA_PKCS1_SHA256,
        RSA_PKCS1_SHA384,
        RSA_PKCS1_SHA512,
        RSA_PKCS1_SHA256_ABSENT_PARAMS,
        RSA_PKCS1_SHA384_ABSENT_PARAMS,
        RSA_PKCS1_SHA512_ABSENT_PARAMS,
        RSA_PSS_SHA256,
        RSA_PSS_SHA384,
        RSA_PSS_SHA512,
    ],
    mapping: &[
        (
            SignatureScheme::ECDSA_NISTP384_SHA384,
            &[ECDSA_P384_SHA384, ECDSA_P256_SHA384, ECDSA_P521_SHA384],
        ),
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[ECDSA_P256_SHA256, ECDSA_P384_SHA256, ECDSA_P521_SHA256],
        ),
        (
            SignatureScheme::ECDSA_NISTP521_SHA512,
            &[ECDSA_P521_SHA512, ECDSA_P384_SHA512, ECDSA_P256_SHA512],
        ),
        (SignatureScheme::ED25519, &[ED25519]),
        // Handshake signatures: RSA keys under MIN_RSA_BITS never sign one (see the module docs).
        (SignatureScheme::RSA_PSS_SHA512, &[HANDSHAKE_RSA_PSS_SHA512]),
        (SignatureScheme::RSA_PSS_SHA384, &[HANDSHAKE_RSA_PSS_SHA384]),
        (SignatureScheme::RSA_PSS_SHA256, &[HANDSHAKE_RSA_PSS_SHA256]),
        (
            SignatureScheme::RSA_PKCS1_SHA512,
            &[HANDSHAKE_RSA_PKCS1_SHA512],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA384,
            &[HANDSHAKE_RSA_PKCS1_SHA384],
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA256,
            &[HANDSHAKE_RSA_PKCS1_SHA256],
        ),
    ],
};

const ECDSA_P256_SHA256: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::ECDSA_P256,
    signature: alg_id::ECDSA_SHA256,
    kind: Kind::EcdsaP256(Hash::Sha256),
};
const ECDSA_P256_SHA384: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::ECDSA_P256,
    signature: alg_id::ECDSA_SHA384,
    kind: Kind::EcdsaP256(Hash::Sha384),
};
const ECDSA_P384_SHA256: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::ECDSA_P384,
    signature: alg_id::ECDSA_SHA256,
    kind: Kind::EcdsaP384(Hash::Sha256),
};
const ECDSA_P384_SHA384: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::ECDSA_P384,
    signature: alg_id::ECDSA_SHA384,
    kind: Kind::EcdsaP384(Hash::Sha384),
};
const ECDSA_P256_SHA512: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::ECDSA_P256,
    signature: alg_id::ECDSA_SHA512,
    kind: Kind::EcdsaP256(Hash::Sha512),
};
const ECDSA_P384_SHA512: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::ECDSA_P384,
    signature: alg_id::ECDSA_SHA512,
    kind: Kind::EcdsaP384(Hash::Sha512),
};
const ECDSA_P521_SHA256: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::ECDSA_P521,
    signature: alg_id::ECDSA_SHA256,
    kind: Kind::EcdsaP521(Hash::Sha256),
};
const ECDSA_P521_SHA384: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::ECDSA_P521,
    signature: alg_id::ECDSA_SHA384,
    kind: Kind::EcdsaP521(Hash::Sha384),
};
const ECDSA_P521_SHA512: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::ECDSA_P521,
    signature: alg_id::ECDSA_SHA512,
    kind: Kind::EcdsaP521(Hash::Sha512),
};
const ED25519: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::ED25519,
    signature: alg_id::ED25519,
    kind: Kind::Ed25519,
};
const RSA_PKCS1_SHA256: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PKCS1_SHA256,
    kind: Kind::RsaPkcs1(Hash::Sha256, Floor::Chain),
};
const RSA_PKCS1_SHA384: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PKCS1_SHA384,
    kind: Kind::RsaPkcs1(Hash::Sha384, Floor::Chain),
};
const RSA_PKCS1_SHA512: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PKCS1_SHA512,
    kind: Kind::RsaPkcs1(Hash::Sha512, Floor::Chain),
};
/// RFC 4055 requires NULL parameters in the `sha*WithRSAEncryption` AlgorithmIdentifiers and
/// asks verifiers to accept them absent too; certificates and OCSP responses signed that way
/// exist, and ring and aws-lc-rs verify them (webpki's `*_ABSENT_PARAMS` algorithms). These are
/// the identifiers without the outer SEQUENCE: the OID alone.
const RSA_PKCS1_SHA256_ABSENT_PARAMS: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: AlgorithmIdentifier::from_slice(&[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
    ]),
    kind: Kind::RsaPkcs1(Hash::Sha256, Floor::Chain),
};
const RSA_PKCS1_SHA384_ABSENT_PARAMS: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: AlgorithmIdentifier::from_slice(&[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c,
    ]),
    kind: Kind::RsaPkcs1(Hash::Sha384, Floor::Chain),
};
const RSA_PKCS1_SHA512_ABSENT_PARAMS: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: AlgorithmIdentifier::from_slice(&[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d,
    ]),
    kind: Kind::RsaPkcs1(Hash::Sha512, Floor::Chain),
};
const RSA_PSS_SHA256: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PSS_SHA256,
    kind: Kind::RsaPss(Hash::Sha256, Floor::Chain),
};
const RSA_PSS_SHA384: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PSS_SHA384,
    kind: Kind::RsaPss(Hash::Sha384, Floor::Chain),
};
const RSA_PSS_SHA512: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PSS_SHA512,
    kind: Kind::RsaPss(Hash::Sha512, Floor::Chain),
};

/// The RSA algorithms of handshake signatures (TLS 1.2 ServerKeyExchange, TLS 1.3
/// CertificateVerify, client CertificateVerify): as those of certificates, but from
/// [`MIN_RSA_BITS`] only, whatever certificate errors the application ignores.
const HANDSHAKE_RSA_PKCS1_SHA256: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PKCS1_SHA256,
    kind: Kind::RsaPkcs1(Hash::Sha256, Floor::Handshake),
};
const HANDSHAKE_RSA_PKCS1_SHA384: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PKCS1_SHA384,
    kind: Kind::RsaPkcs1(Hash::Sha384, Floor::Handshake),
};
const HANDSHAKE_RSA_PKCS1_SHA512: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PKCS1_SHA512,
    kind: Kind::RsaPkcs1(Hash::Sha512, Floor::Handshake),
};
const HANDSHAKE_RSA_PSS_SHA256: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PSS_SHA256,
    kind: Kind::RsaPss(Hash::Sha256, Floor::Handshake),
};
const HANDSHAKE_RSA_PSS_SHA384: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PSS_SHA384,
    kind: Kind::RsaPss(Hash::Sha384, Floor::Handshake),
};
const HANDSHAKE_RSA_PSS_SHA512: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PSS_SHA512,
    kind: Kind::RsaPss(Hash::Sha512, Floor::Handshake),
};

/// One (public key algorithm, signature algorithm) pair.
#[derive(Debug)]
struct Algorithm {
    public_key: AlgorithmIdentifier,
    signature: AlgorithmIdentifier,
    kind: Kind,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    EcdsaP256(Hash),
    EcdsaP384(Hash),
    EcdsaP521(Hash),
    Ed25519,
    RsaPkcs1(Hash, Floor),
    RsaPss(Hash, Floor),
}

/// The smallest RSA modulus an algorithm verifies with.
#[derive(Debug, Clone, Copy)]
enum Floor {
    /// Certificates, CRLs, OCSP responses: [`MIN_RSA_VERIFY_BITS`], smaller keys being reported
    /// by the certificate policy on top.
    Chain,
    /// Handshake signatures: [`MIN_RSA_BITS`].
    Handshake,
}

impl Floor {
    fn bits(self) -> usize {
        match self {
            Self::Chain => MIN_RSA_VERIFY_BITS,
            Self::Handshake => MIN_RSA_BITS,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(message).to_vec(),
            Self::Sha384 => Sha384::digest(message).to_vec(),
            Self::Sha512 => Sha512::digest(message).to_vec(),
        }
    }
}

impl SignatureVerificationAlgorithm for Algorithm {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let verified = match self.kind {
            Kind::EcdsaP256(hash) => {
                super::p256_verify::verifies(public_key, signature, &hash.digest(message))
            }
            Kind::EcdsaP384(hash) => verifies_prehash(
                p384::ecdsa::VerifyingKey::from_sec1_bytes(public_key).ok(),
                p384::ecdsa::Signature::from_der(signature).ok(),
                &hash.digest(message),
            ),
            Kind::EcdsaP521(hash) => verifies_prehash(
                p521::ecdsa::VerifyingKey::from_sec1_bytes(public_key).ok(),
                p521::ecdsa::Signature::from_der(signature).ok(),
                &hash.digest(message),
            ),
            Kind::Ed25519 => verifies(
                <&[u8; 32]>::try_from(public_key)
                    .ok()
                    .and_then(|k| ed25519_dalek::VerifyingKey::from_bytes(k).ok()),
                ed25519_dalek::Signature::from_slice(signature).ok(),
                message,
            ),
            Kind::RsaPkcs1(hash, floor) => {
                use rsa::pkcs1v15::VerifyingKey;
                let key = rsa_key(public_key, floor);
                let sig = rsa::pkcs1v15::Signature::try_from(signature).ok();
                match hash {
                    Hash::Sha256 => verifies(key.map(VerifyingKey::<Sha256>::new), sig, message),
                    Hash::Sha384 => verifies(key.map(VerifyingKey::<Sha384>::new), sig, message),
                    Hash::Sha512 => verifies(key.map(VerifyingKey::<Sha512>::new), sig, message),
                }
            }
            Kind::RsaPss(hash, floor) => {
                // `new` requires the salt to be as long as the hash (RFC 8446 §4.2.3).
                use rsa::pss::VerifyingKey;
                let key = rsa_key(public_key, floor);
                let sig = rsa::pss::Signature::try_from(signature).ok();
                match hash {
                    Hash::Sha256 => verifies(key.map(VerifyingKey::<Sha256>::new), sig, message),
                    Hash::Sha384 => verifies(key.map(VerifyingKey::<Sha384>::new), sig, message),
                    Hash::Sha512 => verifies(key.map(VerifyingKey::<Sha512>::new), sig, message),
                }
            }
        };
        if verified {
            Ok(())
        } else {
            Err(InvalidSignature)
        }
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.public_key
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.signature
    }
}

/// Whether `signature` over `message` verifies with `key` (both decoded, or it does not).
fn verifies<K: Verifier<S>, S>(key: Option<K>, signature: Option<S>, message: &[u8]) -> bool {
    matches!((key, signature), (Some(key), Some(sig)) if key.verify(message, &sig).is_ok())
}

/// Like [`verifies`], over a message digest (ECDSA with a hash other than the curve's own).
fn verifies_prehash<K: PrehashVerifier<S>, S>(
    key: Option<K>,
    signature: Option<S>,
    prehash: &[u8],
) -> bool {
    matches!((key, signature), (Some(key), Some(sig)) if key.verify_prehash(prehash, &sig).is_ok())
}

/// An RSA public key (PKCS#1 `RSAPublicKey`) of a size that may verify under `floor`.
fn rsa_key(der: &[u8], floor: Floor) -> Option<rsa::PublicKey> {
    let key = rsa::PublicKey::from_pkcs1_der(der).ok()?;
    let bits = key.n().bit_width() as usize;
    (floor.bits()..=MAX_RSA_BITS).contains(&bits).then_some(key)
}
