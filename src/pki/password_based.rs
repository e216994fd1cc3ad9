//! Password-based decryption, for encrypted PKCS#8 keys and PKCS#12 bundles: PBES2 (PKCS#5:
//! PBKDF2 or scrypt with AES-CBC) and PKCS#12's own PBE (RFC 7292 appendix B: SHA-1 with
//! two- or three-key 3DES or RC2), under a work budget, so a hostile encoding cannot keep the
//! instance busy for long or make it allocate more memory than it has (a failed allocation
//! traps the guest).

use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockCipherDecrypt, BlockModeDecrypt as _, KeyInit, KeyIvInit as _};
use pkcs5::ObjectIdentifier;
use pkcs5::der::{Decode as _, Encode as _};
use pkcs5::pbes2;
use pkcs12::cms::cert::x509::spki::AlgorithmIdentifierOwned;
use pkcs12::kdf::{self, Pkcs12KeyType};
use pkcs12::pbe_params::Pkcs12PbeParams;
use zeroize::Zeroizing;

use super::PkiError;

/// How much key-derivation work one import may do, in hash-function iterations, across all its
/// derivations (OpenSSL writes 2048 per derivation; an import does about five).
pub(crate) const WORK_BUDGET: u64 = 10_000_000;

/// The most memory scrypt may use (`128 * r * N * p` bytes, OpenSSL's default limit).
const MAX_SCRYPT_MEMORY: u64 = 32 * 1024 * 1024;

/// The key-derivation work left to an import.
#[derive(Debug)]
pub(crate) struct WorkBudget(u64);

impl WorkBudget {
    /// A fresh budget of [`WORK_BUDGET`] iterations.
    pub(crate) fn new() -> Self {
        Self(WORK_BUDGET)
    }

    /// Takes `iterations` (at least one) from the budget.
    ///
    /// # Errors
    /// [`PkiError::Unsupported`] when the count is out of range or the budget would be
    /// exceeded.
    pub(crate) fn charge(&mut self, iterations: i64) -> Result<(), PkiError> {
        let cost = u64::try_from(iterations)
            .ok()
            .filter(|n| *n >= 1 && *n <= self.0)
            .ok_or_else(|| {
                PkiError::Unsupported(format!(
                    "{iterations} key-derivation iterations (1 to {WORK_BUDGET} in all are accepted)"
                ))
            })?;
        self.0 -= cost;
        Ok(())
    }
}

/// Decrypts `ciphertext` encrypted under `algorithm` with `passphrase`.
///
/// # Errors
/// [`PkiError::WrongPassphrase`] when the result is not correctly padded (the usual sign of a
/// wrong passphrase), [`PkiError::Unsupported`] for other schemes or parameters beyond the
/// limits, [`PkiError::Malformed`] for parameters that do not parse.
pub(crate) fn decrypt(
    algorithm: &AlgorithmIdentifierOwned,
    ciphertext: &[u8],
    passphrase: &[u8],
    budget: &mut WorkBudget,
) -> Result<Zeroizing<Vec<u8>>, PkiError> {
    let parameters = algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.to_der().ok())
        .ok_or_else(|| PkiError::Malformed("encryption parameters missing".into()))?;
    let bad = |e: pkcs5::der::Error| PkiError::Malformed(format!("bad encryption parameters: {e}"));
    match algorithm.oid {
        PBES2 => {
            let parameters = pbes2::Parameters::from_der(&parameters).map_err(bad)?;
            charge_pbes2(&parameters.kdf, budget)?;
            parameters
                .decrypt(passphrase, ciphertext)
                .map(Zeroizing::new)
                .map_err(|e| match e {
                    pkcs5::Error::DecryptFailed => does_not_decrypt(),
                    other => PkiError::Unsupported(format!("PBES2: {other}")),
                })
        }
        SHA_3DES | SHA_2DES | SHA_RC2_128 | SHA_RC2_40 => {
            let parameters = Pkcs12PbeParams::from_der(&parameters).map_err(bad)?;
            let passphrase = std::str::from_utf8(passphrase).map_err(|_| {
                PkiError::Unsupported("a PKCS#12 PBE passphrase must be UTF-8 text".into())
            })?;
            let salt = parameters.salt.as_bytes();
            let rounds = parameters.iterations;
            let (key_length, cbc): (usize, CbcDecrypt) = match algorithm.oid {
                SHA_3DES => (24, cbc_decrypt::<des::TdesEde3>),
                SHA_2DES => (16, cbc_decrypt::<des::TdesEde2>),
                SHA_RC2_128 => (16, cbc_decrypt::<rc2::Rc2>),
                _ => (5, cbc_decrypt::<rc2::Rc2>),
            };
            let key = pkcs12_key(
                passphrase,
                salt,
                Pkcs12KeyType::EncryptionKey,
                rounds,
                key_length,
                budget,
            )?;
            let iv = pkcs12_key(passphrase, salt, Pkcs12KeyType::Iv, rounds, 8, budget)?;
            cbc(&key, &iv, ciphertext)
                .map(Zeroizing::new)
                .ok_or_else(does_not_decrypt)
        }
        other => Err(PkiError::Unsupported(format!(
            "encryption scheme {other} (PBES2 with AES-CBC, and PKCS#12's SHA-1 3DES and RC2 are supported)"
        ))),
    }
}

/// A key of `length` bytes derived from `passphrase` by the PKCS#12 KDF with SHA-1 (RFC 7292
/// appendix B.2), charged to `budget`.
///
/// # Errors
/// [`PkiError::Unsupported`] when the budget does not allow `rounds`; [`PkiError::Malformed`]
/// for a passphrase that BMPString cannot hold.
pub(crate) fn pkcs12_key(
    passphrase: &str,
    salt: &[u8],
    purpose: Pkcs12KeyType,
    rounds: i32,
    length: usize,
    budget: &mut WorkBudget,
) -> Result<Zeroizing<Vec<u8>>, PkiError> {
    // One iteration per output block of SHA-1.
    let blocks = length.div_ceil(20).max(1) as i64;
    budget.charge(i64::from(rounds).saturating_mul(blocks))?;
    kdf::derive_key_utf8::<sha1::Sha1>(passphrase, salt, purpose, rounds, length)
        .map(Zeroizing::new)
        .map_err(|e| PkiError::Malformed(format!("the passphrase cannot be used: {e}")))
}

/// Charges the work of a PBES2 key derivation, refusing scrypt parameters that need more than
/// [`MAX_SCRYPT_MEMORY`].
fn charge_pbes2(kdf: &pbes2::Kdf, budget: &mut WorkBudget) -> Result<(), PkiError> {
    match kdf {
        pbes2::Kdf::Pbkdf2(p) => {
            // At most two output blocks: AES-256 keys with SHA-1, one with SHA-2.
            budget.charge(i64::from(p.iteration_count).saturating_mul(2))
        }
        pbes2::Kdf::Scrypt(p) => {
            let memory = 128u64
                .checked_mul(u64::from(p.block_size))
                .and_then(|m| m.checked_mul(p.cost_parameter))
                .and_then(|m| m.checked_mul(u64::from(p.parallelization)))
                .filter(|m| *m <= MAX_SCRYPT_MEMORY)
                .ok_or_else(|| {
                    PkiError::Unsupported(format!(
                        "scrypt parameters N={} r={} p={} need more than {} MiB",
                        p.cost_parameter,
                        p.block_size,
                        p.parallelization,
                        MAX_SCRYPT_MEMORY >> 20
                    ))
                })?;
            budget.charge(i64::try_from(memory / 128).unwrap_or(i64::MAX))
        }
        _ => Err(PkiError::Unsupported("PBES2 key derivation".into())),
    }
}

/// CBC decryption with one cipher: key, IV, ciphertext to plaintext.
type CbcDecrypt = fn(&[u8], &[u8], &[u8]) -> Option<Vec<u8>>;

/// CBC decryption with PKCS#7 padding; `None` for a wrong key length or bad padding.
fn cbc_decrypt<C>(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>>
where
    C: BlockCipherDecrypt + KeyInit,
{
    cbc::Decryptor::<C>::new_from_slices(key, iv)
        .ok()?
        .decrypt_padded_vec::<Pkcs7>(ciphertext)
        .ok()
}

fn does_not_decrypt() -> PkiError {
    PkiError::WrongPassphrase("the data does not decrypt with this passphrase".into())
}

const PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
const SHA_3DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.3");
const SHA_2DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.4");
const SHA_RC2_128: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.5");
const SHA_RC2_40: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.6");

#[cfg(test)]
mod tests {
    use pkcs5::der::asn1::OctetString;
    use pkcs5::der::{Any, Decode as _};

    use super::*;

    /// `algorithm` with `parameters` (DER) as an AlgorithmIdentifier.
    fn identifier(algorithm: ObjectIdentifier, parameters: &[u8]) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: algorithm,
            parameters: Any::from_der(parameters).ok(),
        }
    }

    fn pbes2(parameters: &pbes2::Parameters) -> AlgorithmIdentifierOwned {
        identifier(PBES2, &parameters.to_der().unwrap_or_default())
    }

    fn refused(algorithm: &AlgorithmIdentifierOwned, what: &str) {
        let result = decrypt(algorithm, &[0; 32], b"secret", &mut WorkBudget::new());
        assert!(
            matches!(&result, Err(PkiError::Unsupported(m)) if m.contains(what)),
            "{what}: {result:?}"
        );
    }

    #[test]
    fn key_derivations_beyond_the_limits_are_refused_before_any_work() {
        // scrypt needing 1 GiB (N = 2^20, r = 8), and 64 MiB through parallelism.
        for (log_n, r, p) in [(20, 8, 1), (15, 8, 2)] {
            let params = pkcs5::scrypt::Params::new(log_n, r, p)
                .map_err(|_| ())
                .and_then(|params| {
                    pbes2::Parameters::generate_scrypt_aes256cbc(params, b"saltsalt", [0; 16])
                        .map_err(|_| ())
                });
            let Ok(params) = params else {
                return assert!(params.is_ok(), "scrypt parameters");
            };
            refused(&pbes2(&params), "scrypt");
        }
        // PBKDF2 beyond the budget.
        let params =
            pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(20_000_000, b"saltsalt", [0; 16]);
        let Ok(params) = params else {
            return assert!(params.is_ok(), "PBKDF2 parameters");
        };
        refused(&pbes2(&params), "iterations");
        // PKCS#12 PBE with a negative, a zero and a huge iteration count.
        for iterations in [-1, 0, i32::MAX] {
            let der = OctetString::new(b"saltsalt".to_vec())
                .and_then(|salt| Pkcs12PbeParams { salt, iterations }.to_der())
                .unwrap_or_default();
            refused(&identifier(SHA_3DES, &der), "iterations");
        }
        refused(
            &identifier(
                ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.1"),
                &[0x05, 0x00],
            ),
            "encryption scheme",
        );
    }

    #[test]
    fn the_budget_is_shared_by_the_derivations_of_one_import() {
        let mut budget = WorkBudget::new();
        assert!(budget.charge(6_000_000).is_ok());
        assert!(budget.charge(6_000_000).is_err());
        assert!(budget.charge(4_000_000).is_ok());
        assert!(budget.charge(1).is_err());
    }
}
