//! ECDSA P-256 signing with SHA-256 (FIPS 186-5 §6.4.1) with our own fixed-base
//! multiplication k·G: `p256` 0.14 computes it with complete projective formulas over its
//! Montgomery field, which is most of a server's ECDSA handshake in the guest.
//!
//! - k is RFC 6979's, with 32 fresh random bytes as its additional data (hedged, as `p256`'s
//!   `sign_prehash_with_rng` does): `rfc6979::KGenerator`, the generator `ecdsa` itself uses.
//! - k·G: k's 64 radix-16 digits recoded to signed digits in -8..=7 plus a carry digit (65 in
//!   all), and a table of (1..=8)·16^i·G for each position i (65 rows of 8 affine points,
//!   33 KB, computed once per instance). One mixed addition (`madd-2007-bl`) per digit and no
//!   doubling. Each table entry is read by scanning the whole row through masks and negated by
//!   a mask; a zero digit keeps the sum by a mask, and the first digit that is not zero starts
//!   it by a mask.
//! - The mixed addition's exceptional cases cannot occur. Before row i the sum is S·G with
//!   |S| ≤ 8·(16^i - 1)/15 < 16^i, and the entry is d·16^i·G with 1 ≤ |d| ≤ 8, so S ∓ d·16^i is
//!   not 0 and below 2^255.1 < n in magnitude: the sum is never ±(the entry). In row 64 (entry
//!   2^256·G, carry digit 1), the sum equals the entry only when k ≡ 2^257 (mod n), a k near
//!   2^225 whose top digits are 0, so with no carry digit.
//! - r = x(R) mod n; s = k^-1·(z + r·d) mod n with `p256`'s scalars (its inversion is
//!   constant time).
//!
//! Constant time by construction: no branch and no memory index depends on the key, k or the
//! message; the field (`p256_field.rs`) is constant time. k and its digits are wiped after use.
//! WebAssembly itself gives no constant-time guarantee.
//!
//! Tested (`src/tests_p256.rs`, natively and in the component): RFC 6979 A.2.5's signatures,
//! byte-equal to `ecdsa`'s `sign_prehashed_rfc6979` for random keys, digests and additional
//! data, k·G against `p256` for random and edge scalars, and the table against `p256`.

// Off wasm32 only the tests use this module (natively `p256`'s 64-bit words sign slightly
// faster: `sign.rs` picks).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use std::sync::OnceLock;

use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::Curve as _;
use p256::elliptic_curve::PrimeField as _;
use p256::elliptic_curve::bigint::U256;
use p256::elliptic_curve::ops::Reduce as _;
use p256::{FieldBytes, NistP256, NonZeroScalar, Scalar};
use rustls::Error;
use rustls::crypto::SecureRandom as _;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::p256_field::Fe;
use crate::p256_point::{Affine, G, Jacobian, batch_to_affine, progression};
use crate::rng;

/// Signed radix-16 digits of a scalar below 2^256, the last one a carry.
const DIGITS: usize = 65;
/// Entries per table row: 1·16^i·G ..= 8·16^i·G.
const ROW: usize = 8;
/// Candidates k before giving up (each is refused with probability about 2^-128 or less).
const ATTEMPTS: usize = 8;

/// The DER signature of SHA-256(`message`) under `key`, hedged with fresh randomness.
pub(crate) fn sign(key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, Error> {
    let mut additional = Zeroizing::new([0u8; 32]);
    rng::OsRandom
        .fill(&mut additional[..])
        .map_err(|_| Error::FailedToGetRandomBytes)?;
    let digest = Sha256::digest(message);
    sign_prehash(key.as_nonzero_scalar(), &digest, &additional[..])
        .map(|signature| signature.to_der().as_bytes().to_vec())
        .ok_or_else(|| Error::General("signing failed".into()))
}

/// The signature of a SHA-256 digest with RFC 6979's k for `additional` (`None` when no k of
/// [`ATTEMPTS`] gave one: practically never).
pub(crate) fn sign_prehash(
    d: &NonZeroScalar,
    digest: &FieldBytes,
    additional: &[u8],
) -> Option<Signature> {
    let d_bytes = Zeroizing::new(<[u8; 32]>::from(d.to_repr()));
    let order: &U256 = NistP256::ORDER.as_ref();
    let mut generator =
        rfc6979::KGenerator::<Sha256, U256>::new(&d_bytes[..], digest, additional, order);
    let z = Scalar::reduce(digest);
    for _ in 0..ATTEMPTS {
        let mut k_bytes = Zeroizing::new([0u8; 32]);
        generator.fill_next_k(&mut k_bytes[..]);
        let Some(k) = Option::<NonZeroScalar>::from(NonZeroScalar::from_repr((*k_bytes).into()))
        else {
            continue;
        };
        let Some(point) = mul_base(&k_bytes).to_affine() else {
            continue;
        };
        let r = Scalar::reduce(&FieldBytes::from(point.x.to_bytes()));
        let Some(k_inverse) = Option::<Scalar>::from(k.invert()) else {
            continue;
        };
        let s = k_inverse * (z + r * d.as_ref());
        if let Ok(signature) = Signature::from_scalars(r, s) {
            return Some(signature);
        }
    }
    None
}

/// k·G for a big-endian scalar k (see the module docs).
pub(crate) fn mul_base(k: &[u8; 32]) -> Jacobian {
    let digits = signed_digits(k);
    let mut sum = Jacobian::INFINITY;
    let mut sum_is_infinity = u32::MAX;
    for (row, &digit) in base_table().iter().zip(digits.iter()) {
        let (entry, digit_is_zero) = lookup(row, digit);
        let added = sum.add_affine_unchecked(&entry);
        let started = Jacobian::select(&added, &Jacobian::from(&entry), sum_is_infinity);
        sum = Jacobian::select(&started, &sum, digit_is_zero);
        sum_is_infinity &= digit_is_zero;
    }
    sum
}

/// k's radix-16 digits, least significant first, recoded into -8..=7 with a last carry digit
/// (0 or 1), without a branch.
fn signed_digits(k: &[u8; 32]) -> Zeroizing<[i8; DIGITS]> {
    let mut digits = Zeroizing::new([0i8; DIGITS]);
    let mut carry = 0i32;
    for (pair, &byte) in digits.chunks_exact_mut(2).zip(k.iter().rev()) {
        for (digit, nibble) in pair.iter_mut().zip([byte & 15, byte >> 4]) {
            let value = i32::from(nibble) + carry;
            carry = (value + 8) >> 4;
            *digit = (value - (carry << 4)) as i8;
        }
    }
    if let Some(last) = digits.last_mut() {
        *last = carry as i8;
    }
    digits
}

/// The row's entry for a digit (negated for a negative digit; meaningless for 0), and all ones
/// when the digit is 0. Reads every entry of the row.
fn lookup(row: &[Affine; ROW], digit: i8) -> (Affine, u32) {
    let digit = i32::from(digit);
    let negative = (digit >> 31) as u32;
    let magnitude = ((digit ^ (digit >> 31)) - (digit >> 31)) as u32;
    let mut entry = Affine {
        x: Fe::ZERO,
        y: Fe::ZERO,
    };
    for (candidate, index) in row.iter().zip(1u32..) {
        let mask = equal_mask(magnitude, index);
        entry.x = Fe::select(&entry.x, &candidate.x, mask);
        entry.y = Fe::select(&entry.y, &candidate.y, mask);
    }
    entry.y = Fe::select(&entry.y, &entry.y.negate(), negative);
    (entry, equal_mask(magnitude, 0))
}

/// All ones when a = b, else 0, without a branch.
fn equal_mask(a: u32, b: u32) -> u32 {
    let difference = a ^ b;
    ((difference | difference.wrapping_neg()) >> 31).wrapping_sub(1)
}

/// Row i: 1·16^i·G ..= 8·16^i·G, for i in 0..65, computed on first use.
pub(crate) fn base_table() -> &'static [[Affine; ROW]] {
    static TABLE: OnceLock<Vec<[Affine; ROW]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut points = Vec::with_capacity(DIGITS * ROW);
        let mut base = Jacobian::from(&G);
        for _ in 0..DIGITS {
            points.extend(progression(base, &base, ROW));
            for _ in 0..4 {
                base = base.double();
            }
        }
        batch_to_affine(&points)
            .chunks_exact(ROW)
            .map(|chunk| {
                let mut row = [G; ROW];
                row.copy_from_slice(chunk);
                row
            })
            .collect()
    })
}
