//! RSA signatures as rustls asks for them: RSASSA-PSS with a salt as long as the hash (the only
//! kind TLS 1.3 allows; RFC 8017 §8.1, EMSA-PSS §9.1.1, MGF1 §B.2.1) and RSASSA-PKCS1-v1_5
//! (§8.2, EMSA-PKCS1-v1_5 §9.2), over SHA-256, SHA-384 and SHA-512.
//!
//! The private-key operation is [`CrtKey::exponentiate`] (`rsa_simd.rs`: both CRT halves at
//! once in SIMD lanes), guarded as OpenSSL guards its own:
//! - **Base blinding**: the encoded message is multiplied by `r^e` before the exponentiation and
//!   the result by `r^-1` after it, so the exponentiation never sees a value an attacker chose
//!   or knows. A blinding pair is drawn from fresh randomness, then squared after each use
//!   (`r^2e`, `r^-2`: no modular inverse per signature, as OpenSSL's `BN_BLINDING_update`) and
//!   drawn afresh after [`BLINDING_USES`] signatures.
//! - **Fault check**: the signature is raised to the public exponent and compared with the
//!   encoded message before it leaves (RSA-CRT faults reveal a prime otherwise).
//!
//! `rsa`'s own signing blinds three ways (base with a fresh inverse each time, exponents, and
//! moduli) and computes the two halves in turn; with constant-time exponentiation, base blinding
//! and the check are what OpenSSL and ring do. Keys with more than two primes keep `rsa`'s
//! signing, and so does every key natively, where `rsa`'s 64-bit words are faster (`sign.rs`).

// Off wasm32 `simd128` only the tests use this module (`rsa` signs there: `sign.rs`).
#![cfg_attr(
    not(all(target_arch = "wasm32", target_feature = "simd128")),
    allow(dead_code)
)]

use std::sync::Mutex;

use crypto_bigint::modular::BoxedMontyForm;
use rsa::BoxedUint;
use rsa::traits::PublicKeyParts;
use rustls::{Error, SignatureScheme};
use sha2::{Digest, Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

use super::rsa_simd::CrtKey;

/// Signatures per blinding pair before a fresh one is drawn (OpenSSL's `BN_BLINDING_COUNTER`).
const BLINDING_USES: u32 = 32;

/// An RSA key with two primes, prepared for signing.
pub(crate) struct RsaSigner {
    /// The key: its modulus, public exponent and size.
    key: rsa::PrivateKey,
    /// Its CRT values in the form the exponentiation uses.
    crt: CrtKey,
    /// The current blinding pair; `None` before the first signature.
    blinding: Mutex<Option<Blinding>>,
}

impl RsaSigner {
    /// Prepares `key`; `None` when it has more than two primes or lacks its CRT values.
    pub(crate) fn new(key: &rsa::PrivateKey) -> Option<Self> {
        Some(Self {
            crt: CrtKey::new(key)?,
            key: key.clone(),
            blinding: Mutex::new(None),
        })
    }

    /// Signs `message` with `scheme`, one of [`crate::sign::RSA_SCHEMES`].
    pub(crate) fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, Error> {
        let em_bits = (self.key.n().as_ref().bit_width() as usize).saturating_sub(1);
        let em = match scheme {
            SignatureScheme::RSA_PSS_SHA256 => emsa_pss::<Sha256>(message, em_bits)?,
            SignatureScheme::RSA_PSS_SHA384 => emsa_pss::<Sha384>(message, em_bits)?,
            SignatureScheme::RSA_PSS_SHA512 => emsa_pss::<Sha512>(message, em_bits)?,
            SignatureScheme::RSA_PKCS1_SHA256 => {
                emsa_pkcs1::<Sha256>(message, SHA256_PREFIX, self.key.size())?
            }
            SignatureScheme::RSA_PKCS1_SHA384 => {
                emsa_pkcs1::<Sha384>(message, SHA384_PREFIX, self.key.size())?
            }
            SignatureScheme::RSA_PKCS1_SHA512 => {
                emsa_pkcs1::<Sha512>(message, SHA512_PREFIX, self.key.size())?
            }
            _ => {
                return Err(Error::General(format!(
                    "this key cannot sign with {scheme:?}"
                )));
            }
        };
        self.private_operation(&em)
    }

    /// RSASP1 of the encoded message `em` (RFC 8017 §5.2.1), blinded and checked, as the
    /// `k`-byte signature (I2OSP).
    pub(crate) fn private_operation(&self, em: &[u8]) -> Result<Vec<u8>, Error> {
        let failed = || Error::General("RSA signing failed".into());
        let n = self.key.n();
        let bits = self.key.n_bits_precision();
        let c = BoxedUint::from_be_slice(em, bits).map_err(|_| failed())?;
        if c >= *n.as_ref() {
            return Err(failed());
        }
        let params = self.key.n_params();
        let (factor, inverse) = self.blinding_pair()?;
        let blinded = (BoxedMontyForm::new(c.clone(), params) * &factor).retrieve();
        let signature = self.crt.exponentiate(&blinded).ok_or_else(failed)?;
        let signature =
            Zeroizing::new((BoxedMontyForm::new(signature, params) * &inverse).retrieve());
        // A fault in either half would give a signature that does not verify and reveals a prime.
        let check = rsa::hazmat::rsa_encrypt(&self.key, &signature).map_err(|_| failed())?;
        if check != c {
            return Err(failed());
        }
        let bytes = signature.to_be_bytes();
        let k = self.key.size();
        bytes
            .get(bytes.len().saturating_sub(k)..)
            .map(<[u8]>::to_vec)
            .ok_or_else(failed)
    }

    /// The blinding pair for this signature (`r^e`, `r^-1` mod n), advancing the stored one.
    fn blinding_pair(&self) -> Result<(BoxedMontyForm, BoxedMontyForm), Error> {
        // A poisoned lock only means another signature panicked; the pair is still sound.
        let mut slot = self
            .blinding
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let pair = match slot.take() {
            Some(b) if b.uses < BLINDING_USES => b,
            _ => Blinding::fresh(&self.key)?,
        };
        *slot = Some(Blinding {
            factor: pair.factor.square(),
            inverse: pair.inverse.square(),
            uses: pair.uses + 1,
        });
        Ok((pair.factor, pair.inverse))
    }
}

#[cfg(test)]
impl RsaSigner {
    /// A copy whose CRT exponent modulo `p` has one bit flipped, as a fault would flip it.
    pub(crate) fn with_broken_exponent_for_test(&self) -> Self {
        let mut crt = CrtKey::new(&self.key).unwrap_or_else(|| unreachable!());
        crt.flip_exponent_bit_for_test();
        Self {
            key: self.key.clone(),
            crt,
            blinding: Mutex::new(None),
        }
    }
}

/// A blinding pair: `r^e mod n` and `r^-1 mod n` for a secret random `r`, in Montgomery form.
struct Blinding {
    factor: BoxedMontyForm,
    inverse: BoxedMontyForm,
    /// Signatures made with this pair or its squares.
    uses: u32,
}

impl Blinding {
    /// A pair from a fresh random `r` below `n` (its top byte is zero, `n`'s is not).
    fn fresh(key: &rsa::PrivateKey) -> Result<Self, Error> {
        let n = key.n();
        let bits = key.n_bits_precision();
        for _ in 0..8 {
            let mut bytes = Zeroizing::new(vec![0u8; key.size()]);
            if let Some(below_top) = bytes.get_mut(1..) {
                getrandom::fill(below_top).map_err(|_| Error::FailedToGetRandomBytes)?;
            }
            let r = Zeroizing::new(
                BoxedUint::from_be_slice(&bytes, bits)
                    .map_err(|_| Error::FailedToGetRandomBytes)?,
            );
            let inverse: Option<BoxedUint> = r.invert_mod(n).into();
            if let Some(inverse) = inverse {
                let factor = rsa::hazmat::rsa_encrypt(key, &r)
                    .map_err(|_| Error::General("RSA blinding failed".into()))?;
                let params = key.n_params();
                return Ok(Self {
                    factor: BoxedMontyForm::new(factor, params),
                    inverse: BoxedMontyForm::new(inverse, params),
                    uses: 0,
                });
            }
        }
        Err(Error::General("RSA blinding failed".into()))
    }
}

/// DigestInfo prefixes (RFC 8017 §9.2, note 1).
const SHA256_PREFIX: &[u8] = &[
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
const SHA384_PREFIX: &[u8] = &[
    0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05,
    0x00, 0x04, 0x30,
];
const SHA512_PREFIX: &[u8] = &[
    0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05,
    0x00, 0x04, 0x40,
];

/// EMSA-PKCS1-v1_5 (RFC 8017 §9.2): `00 01 FF..FF 00 DigestInfo`, `k` bytes.
#[allow(
    clippy::indexing_slicing,
    reason = "every index is below k, checked against the DigestInfo's length first"
)]
fn emsa_pkcs1<D: Digest>(message: &[u8], prefix: &[u8], k: usize) -> Result<Vec<u8>, Error> {
    let hash = D::digest(message);
    let t_len = prefix.len() + hash.len();
    if k < t_len + 11 {
        return Err(Error::General("RSA key too short for this hash".into()));
    }
    let mut em = vec![0xff; k];
    em[0] = 0;
    em[1] = 1;
    em[k - t_len - 1] = 0;
    em[k - t_len..k - hash.len()].copy_from_slice(prefix);
    em[k - hash.len()..].copy_from_slice(&hash);
    Ok(em)
}

/// EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with a fresh salt as long as the hash, MGF1 with the same
/// hash, for a modulus of `em_bits + 1` bits.
#[allow(
    clippy::indexing_slicing,
    reason = "every index is below em_len, checked against the hash's length first"
)]
fn emsa_pss<D: Digest>(message: &[u8], em_bits: usize) -> Result<Vec<u8>, Error> {
    let h_len = <D as Digest>::output_size();
    let em_len = em_bits.div_ceil(8);
    if em_len < 2 * h_len + 2 {
        return Err(Error::General("RSA key too short for this hash".into()));
    }
    let mut salt = vec![0u8; h_len];
    getrandom::fill(&mut salt).map_err(|_| Error::FailedToGetRandomBytes)?;
    let m_hash = D::digest(message);
    let h = D::new()
        .chain_update([0u8; 8])
        .chain_update(&m_hash)
        .chain_update(&salt)
        .finalize();
    // DB = PS || 0x01 || salt, masked with MGF1(H).
    let db_len = em_len - h_len - 1;
    let mut em = vec![0u8; em_len];
    em[db_len - h_len - 1] = 0x01;
    em[db_len - h_len..db_len].copy_from_slice(&salt);
    mgf1_xor::<D>(&h, &mut em[..db_len]);
    em[0] &= 0xff >> (8 * em_len - em_bits);
    em[db_len..em_len - 1].copy_from_slice(&h);
    em[em_len - 1] = 0xbc;
    Ok(em)
}

/// XORs `out` with MGF1(`seed`) (RFC 8017 §B.2.1).
fn mgf1_xor<D: Digest>(seed: &[u8], out: &mut [u8]) {
    for (counter, chunk) in out.chunks_mut(<D as Digest>::output_size()).enumerate() {
        let block = D::new()
            .chain_update(seed)
            .chain_update((counter as u32).to_be_bytes())
            .finalize();
        for (o, m) in chunk.iter_mut().zip(block.iter()) {
            *o ^= m;
        }
    }
}
