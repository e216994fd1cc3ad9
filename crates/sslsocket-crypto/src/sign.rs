//! Our private keys as rustls signing keys: ECDSA P-256 / P-384 / P-521 (hedged: RFC 6979
//! nonces with fresh randomness added; P-256 in the guest with our own arithmetic,
//! `p256_sign.rs`, otherwise `p256` / `p384` / `p521`), Ed25519 (RFC 8032,
//! `ed25519-dalek`) and RSA (RSASSA-PSS and PKCS#1 v1.5: in the guest, two-prime keys through our
//! own blinded CRT exponentiation in SIMD lanes, `rsa_sign.rs`; other keys, and every key
//! natively, through `rsa`'s blinded signing), loaded from PKCS#8, SEC1 or PKCS#1 DER.

use std::sync::Arc;

use p256::ecdsa::signature::{RandomizedSigner, SignatureEncoding, Signer as _};
use p256::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rustls::crypto::KeyProvider;
use rustls::sign::{Signer, SigningKey};
use rustls::{Error, SignatureAlgorithm, SignatureScheme};
use rustls_pki_types::{PrivateKeyDer, SubjectPublicKeyInfoDer};
use sha2::{Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

use super::rsa_sign::RsaSigner;
use super::{MAX_RSA_BITS, MIN_RSA_BITS, rng};

/// Loads private keys for rustls.
#[derive(Debug)]
pub(crate) struct Keys;

impl KeyProvider for Keys {
    fn load_private_key(
        &self,
        key_der: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, Error> {
        // The DER is wiped when this returns (an owned one; a borrowed one is the caller's).
        let key_der = Zeroizing::new(key_der);
        Ok(Arc::new(Key(Arc::new(PrivateKey::from_der(&key_der)?))))
    }
}

/// The RSA schemes in the order we offer them: PSS (the only kind TLS 1.3 allows) first, and
/// the longer hash first within each kind, as rustls's own providers do.
pub(crate) const RSA_SCHEMES: [SignatureScheme; 6] = [
    SignatureScheme::RSA_PSS_SHA512,
    SignatureScheme::RSA_PSS_SHA384,
    SignatureScheme::RSA_PSS_SHA256,
    SignatureScheme::RSA_PKCS1_SHA512,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA256,
];

/// A private key of one of the supported kinds.
enum PrivateKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
    /// An RSA key, and our signer for it when it has two primes.
    Rsa(rsa::PrivateKey, Option<Box<RsaSigner>>),
}

impl PrivateKey {
    fn from_der(der: &PrivateKeyDer<'_>) -> Result<Self, Error> {
        let key = match der {
            PrivateKeyDer::Pkcs8(der) => {
                let der = der.secret_pkcs8_der();
                p256::ecdsa::SigningKey::from_pkcs8_der(der)
                    .map(Self::P256)
                    .or_else(|_| p384::ecdsa::SigningKey::from_pkcs8_der(der).map(Self::P384))
                    .or_else(|_| p521::ecdsa::SigningKey::from_pkcs8_der(der).map(Self::P521))
                    .or_else(|_| ed25519_dalek::SigningKey::from_pkcs8_der(der).map(Self::Ed25519))
                    .or_else(|_| rsa::PrivateKey::from_pkcs8_der(der).map(Self::rsa))
                    .map_err(|_| unsupported("a PKCS#8 key of no supported kind"))?
            }
            PrivateKeyDer::Sec1(der) => {
                let der = der.secret_sec1_der();
                p256::SecretKey::from_sec1_der(der)
                    .map(|k| Self::P256(k.into()))
                    .or_else(|_| p384::SecretKey::from_sec1_der(der).map(|k| Self::P384(k.into())))
                    .or_else(|_| p521::SecretKey::from_sec1_der(der).map(|k| Self::P521(k.into())))
                    .map_err(|_| unsupported("a SEC1 key on no supported curve"))?
            }
            PrivateKeyDer::Pkcs1(der) => rsa::PrivateKey::from_pkcs1_der(der.secret_pkcs1_der())
                .map(Self::rsa)
                .map_err(|_| unsupported("a malformed PKCS#1 RSA key"))?,
            _ => {
                return Err(unsupported(
                    "a key format other than PKCS#8, SEC1 or PKCS#1",
                ));
            }
        };
        if let Self::Rsa(rsa, _) = &key {
            let bits = rsa.n().bit_width() as usize;
            if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
                return Err(unsupported(&format!(
                    "an RSA key of {bits} bits (between {MIN_RSA_BITS} and {MAX_RSA_BITS} are accepted)"
                )));
            }
        }
        Ok(key)
    }

    /// An RSA key, with our signer in the guest (about 2.7 times `rsa`'s signing there,
    /// BENCHMARKS.md); natively `rsa`'s 64-bit words are faster, so it signs.
    fn rsa(key: rsa::PrivateKey) -> Self {
        let signer = if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
            RsaSigner::new(&key).map(Box::new)
        } else {
            None
        };
        Self::Rsa(key, signer)
    }

    fn schemes(&self) -> &'static [SignatureScheme] {
        match self {
            Self::P256(_) => &[SignatureScheme::ECDSA_NISTP256_SHA256],
            Self::P384(_) => &[SignatureScheme::ECDSA_NISTP384_SHA384],
            Self::P521(_) => &[SignatureScheme::ECDSA_NISTP521_SHA512],
            Self::Ed25519(_) => &[SignatureScheme::ED25519],
            Self::Rsa(..) => &RSA_SCHEMES,
        }
    }

    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        use SignatureScheme as S;
        let failed = |_| Error::General("signing failed".into());
        match (self, scheme) {
            (Self::P256(key), S::ECDSA_NISTP256_SHA256) if OWN_P256_SIGNING => {
                super::p256_sign::sign(key, message)
            }
            (Self::P256(key), S::ECDSA_NISTP256_SHA256) => {
                randomized::<_, p256::ecdsa::DerSignature>(key, message)
            }
            (Self::P384(key), S::ECDSA_NISTP384_SHA384) => {
                randomized::<_, p384::ecdsa::DerSignature>(key, message)
            }
            (Self::P521(key), S::ECDSA_NISTP521_SHA512) => {
                randomized::<_, p521::ecdsa::DerSignature>(key, message)
            }
            (Self::Ed25519(key), S::ED25519) => key
                .try_sign(message)
                .map(|sig| sig.to_bytes().to_vec())
                .map_err(failed),
            (Self::Rsa(_, Some(signer)), _) if RSA_SCHEMES.contains(&scheme) => {
                signer.sign(scheme, message)
            }
            (Self::Rsa(key, None), S::RSA_PSS_SHA256) => {
                randomized(&rsa::pss::SigningKey::<Sha256>::new(key.clone()), message)
            }
            (Self::Rsa(key, None), S::RSA_PSS_SHA384) => {
                randomized(&rsa::pss::SigningKey::<Sha384>::new(key.clone()), message)
            }
            (Self::Rsa(key, None), S::RSA_PSS_SHA512) => {
                randomized(&rsa::pss::SigningKey::<Sha512>::new(key.clone()), message)
            }
            (Self::Rsa(key, None), S::RSA_PKCS1_SHA256) => randomized(
                &rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone()),
                message,
            ),
            (Self::Rsa(key, None), S::RSA_PKCS1_SHA384) => randomized(
                &rsa::pkcs1v15::SigningKey::<Sha384>::new(key.clone()),
                message,
            ),
            (Self::Rsa(key, None), S::RSA_PKCS1_SHA512) => randomized(
                &rsa::pkcs1v15::SigningKey::<Sha512>::new(key.clone()),
                message,
            ),
            _ => Err(Error::General(format!(
                "this key cannot sign with {scheme:?}"
            ))),
        }
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        match self {
            Self::P256(_) | Self::P384(_) | Self::P521(_) => SignatureAlgorithm::ECDSA,
            Self::Ed25519(_) => SignatureAlgorithm::ED25519,
            Self::Rsa(..) => SignatureAlgorithm::RSA,
        }
    }

    fn public_key_der(&self) -> Option<Vec<u8>> {
        let document = match self {
            Self::P256(key) => key.verifying_key().to_public_key_der(),
            Self::P384(key) => key.verifying_key().to_public_key_der(),
            Self::P521(key) => key.verifying_key().to_public_key_der(),
            Self::Ed25519(key) => key.verifying_key().to_public_key_der(),
            Self::Rsa(key, _) => key.to_public_key().to_public_key_der(),
        };
        document.ok().map(|d| d.as_bytes().to_vec())
    }
}

/// Whether P-256 signatures come from our own arithmetic (`p256_sign.rs`: in the guest, about
/// twice `p256`'s speed) or from `p256` (natively, where its 64-bit words are slightly faster).
/// Both are RFC 6979 with fresh randomness: the same signature for the same randomness.
const OWN_P256_SIGNING: bool = cfg!(target_arch = "wasm32");

/// Signs with a key that draws randomness from a seeded generator: PSS salts and RSA blinding,
/// and for ECDSA hedged signing (RFC 6979's nonce derivation with a field element's worth of
/// fresh bytes as its additional data), so neither a fault nor a weak generator alone reveals
/// the key.
fn randomized<K, S>(key: &K, message: &[u8]) -> Result<Vec<u8>, Error>
where
    K: RandomizedSigner<S>,
    S: SignatureEncoding,
{
    key.try_sign_with_rng(&mut rng::seeded()?, message)
        .map(|sig| sig.to_vec())
        .map_err(|_| Error::General("signing failed".into()))
}

fn unsupported(what: &str) -> Error {
    Error::General(format!("the crypto provider cannot use {what}"))
}

/// A loaded key, as rustls sees it.
struct Key(Arc<PrivateKey>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "SigningKey({:?})", self.0.algorithm())
    }
}

impl SigningKey for Key {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        let scheme = *self.0.schemes().iter().find(|s| offered.contains(s))?;
        Some(Box::new(KeySigner {
            key: self.0.clone(),
            scheme,
        }))
    }

    fn public_key(&self) -> Option<SubjectPublicKeyInfoDer<'_>> {
        self.0.public_key_der().map(SubjectPublicKeyInfoDer::from)
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        self.0.algorithm()
    }
}

/// A key bound to the scheme rustls chose for one handshake.
struct KeySigner {
    key: Arc<PrivateKey>,
    scheme: SignatureScheme,
}

impl std::fmt::Debug for KeySigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({:?})", self.scheme)
    }
}

impl Signer for KeySigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        self.key.sign(self.scheme, message)
    }

    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}
