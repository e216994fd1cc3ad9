//! Signature verification for certificates and handshakes (the webpki algorithm table):
//! ECDSA P-256 / P-384 with SHA-256 / SHA-384, Ed25519, RSA PKCS#1 v1.5 and RSASSA-PSS with
//! SHA-256/384/512. No SHA-1, no MD5.
//!
//! RSA moduli outside 1024..=[`MAX_RSA_BITS`] bits never verify. Between 1024 and
//! [`MIN_RSA_BITS`] the certificate policy (`engine::verify`) reports a Qt error instead, which
//! the application may ignore as with Qt; a handshake signature from such a key then verifies.

use p256::ecdsa::signature::Verifier as _;
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
        ED25519,
        RSA_PKCS1_SHA256,
        RSA_PKCS1_SHA384,
        RSA_PKCS1_SHA512,
        RSA_PSS_SHA256,
        RSA_PSS_SHA384,
        RSA_PSS_SHA512,
    ],
    mapping: &[
        (
            SignatureScheme::ECDSA_NISTP384_SHA384,
            &[ECDSA_P384_SHA384, ECDSA_P256_SHA384],
        ),
        (
            SignatureScheme::ECDSA_NISTP256_SHA256,
            &[ECDSA_P256_SHA256, ECDSA_P384_SHA256],
        ),
        (SignatureScheme::ED25519, &[ED25519]),
        (SignatureScheme::RSA_PSS_SHA512, &[RSA_PSS_SHA512]),
        (SignatureScheme::RSA_PSS_SHA384, &[RSA_PSS_SHA384]),
        (SignatureScheme::RSA_PSS_SHA256, &[RSA_PSS_SHA256]),
        (SignatureScheme::RSA_PKCS1_SHA512, &[RSA_PKCS1_SHA512]),
        (SignatureScheme::RSA_PKCS1_SHA384, &[RSA_PKCS1_SHA384]),
        (SignatureScheme::RSA_PKCS1_SHA256, &[RSA_PKCS1_SHA256]),
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
const ED25519: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::ED25519,
    signature: alg_id::ED25519,
    kind: Kind::Ed25519,
};
const RSA_PKCS1_SHA256: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PKCS1_SHA256,
    kind: Kind::RsaPkcs1(Hash::Sha256),
};
const RSA_PKCS1_SHA384: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PKCS1_SHA384,
    kind: Kind::RsaPkcs1(Hash::Sha384),
};
const RSA_PKCS1_SHA512: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PKCS1_SHA512,
    kind: Kind::RsaPkcs1(Hash::Sha512),
};
const RSA_PSS_SHA256: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PSS_SHA256,
    kind: Kind::RsaPss(Hash::Sha256),
};
const RSA_PSS_SHA384: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PSS_SHA384,
    kind: Kind::RsaPss(Hash::Sha384),
};
const RSA_PSS_SHA512: &dyn SignatureVerificationAlgorithm = &Algorithm {
    public_key: alg_id::RSA_ENCRYPTION,
    signature: alg_id::RSA_PSS_SHA512,
    kind: Kind::RsaPss(Hash::Sha512),
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
    Ed25519,
    RsaPkcs1(Hash),
    RsaPss(Hash),
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
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(public_key);
                let sig = p256::ecdsa::Signature::from_der(signature);
                match (key, sig) {
                    (Ok(key), Ok(sig)) => key.verify_prehash(&hash.digest(message), &sig).is_ok(),
                    _ => false,
                }
            }
            Kind::EcdsaP384(hash) => {
                let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(public_key);
                let sig = p384::ecdsa::Signature::from_der(signature);
                match (key, sig) {
                    (Ok(key), Ok(sig)) => key.verify_prehash(&hash.digest(message), &sig).is_ok(),
                    _ => false,
                }
            }
            Kind::Ed25519 => {
                let key = <&[u8; 32]>::try_from(public_key)
                    .ok()
                    .and_then(|k| ed25519_dalek::VerifyingKey::from_bytes(k).ok());
                let sig = ed25519_dalek::Signature::from_slice(signature);
                match (key, sig) {
                    (Some(key), Ok(sig)) => key.verify(message, &sig).is_ok(),
                    _ => false,
                }
            }
            Kind::RsaPkcs1(hash) => rsa_key(public_key).is_some_and(|key| {
                let Ok(sig) = rsa::pkcs1v15::Signature::try_from(signature) else {
                    return false;
                };
                match hash {
                    Hash::Sha256 => {
                        rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key).verify(message, &sig)
                    }
                    Hash::Sha384 => {
                        rsa::pkcs1v15::VerifyingKey::<Sha384>::new(key).verify(message, &sig)
                    }
                    Hash::Sha512 => {
                        rsa::pkcs1v15::VerifyingKey::<Sha512>::new(key).verify(message, &sig)
                    }
                }
                .is_ok()
            }),
            Kind::RsaPss(hash) => rsa_key(public_key).is_some_and(|key| {
                let Ok(sig) = rsa::pss::Signature::try_from(signature) else {
                    return false;
                };
                // The salt is as long as the hash (RFC 8446 §4.2.3), which `new` requires.
                match hash {
                    Hash::Sha256 => {
                        rsa::pss::VerifyingKey::<Sha256>::new(key).verify(message, &sig)
                    }
                    Hash::Sha384 => {
                        rsa::pss::VerifyingKey::<Sha384>::new(key).verify(message, &sig)
                    }
                    Hash::Sha512 => {
                        rsa::pss::VerifyingKey::<Sha512>::new(key).verify(message, &sig)
                    }
                }
                .is_ok()
            }),
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

/// An RSA public key (PKCS#1 `RSAPublicKey`) of a size that may verify.
fn rsa_key(der: &[u8]) -> Option<rsa::PublicKey> {
    let key = rsa::PublicKey::from_pkcs1_der(der).ok()?;
    let bits = key.n().bit_width() as usize;
    (MIN_RSA_VERIFY_BITS..=MAX_RSA_BITS)
        .contains(&bits)
        .then_some(key)
}
