//! ECDSA P-256 signature verification (FIPS 186-5 §6.4.2) with field and point arithmetic of
//! our own: `p256` 0.14 verifies through a general Montgomery multiplication (crypto-bigint's
//! Karatsuba product, then a word-by-word reduction) and complete projective formulas. This
//! module verifies about 3 times as fast in the guest (wasm32, 32-bit words: ~5,500 against
//! ~1,850 verifications/s in wasmtime, through the provider) and 1.3 times as fast natively
//! (x86-64: ~6,900 against ~5,400/s), so the provider uses it everywhere (`verify.rs`).
//!
//! - The field (`p256_field.rs`) is eight 32-bit limbs with the NIST fast reduction; points
//!   (`p256_point.rs`) are Jacobian with the Explicit-Formulas Database's formulas for a = -3,
//!   here with the branches that handle P + P and P + -P (public points).
//! - u1·G + u2·Q is one interleaved width-w NAF pass (Hankerson, Menezes, Vanstone, "Guide to
//!   Elliptic Curve Cryptography", Algorithm 3.51: Shamir's trick): the 32 odd multiples
//!   G..63G in affine form, computed once per instance, and 1Q..15Q per verification.
//! - The result is compared without an inversion: x(R) ≡ r (mod n) holds when X = r·Z^2 or,
//!   if r + n < p, X = (r + n)·Z^2.
//!
//! Parsing (SEC1 keys, DER signatures) and the arithmetic modulo the group order n (u1 = z/s,
//! u2 = r/s) stay with `p256`, exactly as its own verifier does them.
//!
//! **Variable time, on purpose**: verification handles only public values (the public key, the
//! message digest, the signature), so branches and table indexes follow the scalars' digits as
//! OpenSSL's and p256's own `lincomb_vartime` do. Never use this module with a secret scalar.
//!
//! Tests (`src/tests_p256.rs`, natively and inside the component): Wycheproof's P-256 vectors
//! with SHA-256 and SHA-512, the NAF digits, the base-point table and random linear
//! combinations against `p256`, and random signatures (valid, with a bit flipped, with r and s
//! swapped) against `p256`'s verifier.

use std::sync::OnceLock;

use p256::elliptic_curve::Curve as _;
use p256::elliptic_curve::bigint::{CheckedAdd as _, U256};
use p256::elliptic_curve::ops::Reduce as _;
use p256::{FieldBytes, NistP256, Scalar};

use crate::p256_field::{Fe, words_from_be};
use crate::p256_point::{Affine, G, Jacobian, batch_to_affine, progression};

/// The width of the base point's NAF digits (odd multiples 1G..63G in the table).
const G_WIDTH: u32 = 7;
/// The width of the public key's NAF digits (odd multiples 1Q..15Q).
const Q_WIDTH: u32 = 5;
/// Digits of a width-w NAF of a scalar below 2^256.
const DIGITS: usize = 257;

/// Whether `signature` (DER) is a valid ECDSA signature of the message digest `prehash` under
/// `public_key` (a SEC1 point, compressed or not), as `p256`'s `verify_prehash` decides it.
pub(crate) fn verifies(public_key: &[u8], signature: &[u8], prehash: &[u8]) -> bool {
    let Ok(key) = p256::ecdsa::VerifyingKey::from_sec1_bytes(public_key) else {
        return false;
    };
    let Ok(signature) = p256::ecdsa::Signature::from_der(signature) else {
        return false;
    };
    let point = key.to_sec1_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return false;
    };
    let (Some(x), Some(y)) = (Fe::from_bytes(x.as_ref()), Fe::from_bytes(y.as_ref())) else {
        return false;
    };
    let (r, s) = signature.split_scalars();
    let Some(s_inv) = Option::<Scalar>::from(s.invert_vartime()) else {
        return false;
    };
    let z = digest_scalar(prehash);
    let u1: [u8; 32] = (z * s_inv).to_bytes().into();
    let u2: [u8; 32] = (*r * s_inv).to_bytes().into();
    let sum = linear_combination(&u1, &Affine { x, y }, &u2);
    x_matches(&sum, &r.to_bytes())
}

/// The digest as a scalar: its leftmost 256 bits as a big-endian integer, reduced modulo n
/// (`bits2int` then a reduction, as `p256`'s verifier does it).
fn digest_scalar(prehash: &[u8]) -> Scalar {
    let used = prehash.get(..32).unwrap_or(prehash);
    let mut bytes = FieldBytes::default();
    let start = bytes.len() - used.len();
    if let Some(tail) = bytes.get_mut(start..) {
        tail.copy_from_slice(used);
    }
    Scalar::reduce(&bytes)
}

/// u1·G + u2·Q, the scalars big-endian.
pub(crate) fn linear_combination(u1: &[u8; 32], q: &Affine, u2: &[u8; 32]) -> Jacobian {
    let g_digits = naf(u1, G_WIDTH);
    let q_digits = naf(u2, Q_WIDTH);
    let g_table = base_table();
    let q_table = odd_multiples(q, 8);
    let mut sum = Jacobian::INFINITY;
    for (g, q) in g_digits.iter().zip(&q_digits).rev() {
        sum = sum.double();
        if let Some((point, negative)) = table_entry(g_table, *g) {
            sum = sum.add_affine(&if negative { point.negate() } else { *point });
        }
        if let Some((point, negative)) = table_entry(&q_table, *q) {
            sum = sum.add(&if negative { point.negate() } else { *point });
        }
    }
    sum
}

/// Whether the affine x of `sum` is r modulo n (`r` big-endian, 0 < r < n).
fn x_matches(sum: &Jacobian, r: &FieldBytes) -> bool {
    if sum.is_infinity() {
        return false;
    }
    let z2 = sum.z.square();
    let matches = |candidate: &[u8]| Fe::from_bytes(candidate).is_some_and(|c| c.mul(&z2) == sum.x);
    // x(R) is below p < 2n, so x(R) mod n = r also when x(R) = r + n (if that is below p).
    let r_plus_n = U256::from_be_slice(r).checked_add(NistP256::ORDER.as_ref());
    matches(r) || Option::<U256>::from(r_plus_n).is_some_and(|sum| matches(&sum.to_be_bytes()))
}

/// The entry of a table of odd multiples 1P, 3P, 5P, .. for a NAF digit, and whether the digit
/// is negative: `None` for 0.
fn table_entry<T>(table: &[T], digit: i8) -> Option<(&T, bool)> {
    if digit == 0 {
        return None;
    }
    let entry = table.get(usize::from(digit.unsigned_abs() / 2))?;
    Some((entry, digit < 0))
}

/// The width-`width` non-adjacent form of a big-endian 256-bit scalar, least significant digit
/// first: every digit is 0 or odd with |d| < 2^(width-1), and of any `width` consecutive digits
/// at most one is not 0.
pub(crate) fn naf(scalar: &[u8; 32], width: u32) -> [i8; DIGITS] {
    // Little-endian words and one more, for the carry a negative digit adds.
    let mut k = [0u32; 9];
    for (word, scalar_word) in k.iter_mut().zip(words_from_be(scalar)) {
        *word = scalar_word;
    }
    let modulus = 1i32 << width;
    let mut digits = [0i8; DIGITS];
    for digit in digits.iter_mut() {
        if k.iter().all(|&w| w == 0) {
            break;
        }
        if k[0] & 1 == 1 {
            let mut d = (k[0] & (modulus as u32 - 1)) as i32;
            if d >= modulus / 2 {
                d -= modulus;
            }
            // d < 2^(width-1) <= 64 in magnitude: it fits an i8.
            *digit = d as i8;
            subtract_small(&mut k, d);
        }
        shift_right_one(&mut k);
    }
    digits
}

/// `k -= d`, with the borrow or carry through every word.
fn subtract_small(k: &mut [u32; 9], d: i32) {
    let mut carry = -i64::from(d);
    for word in k.iter_mut() {
        let sum = i64::from(*word) + carry;
        *word = sum as u32;
        carry = sum >> 32;
    }
}

fn shift_right_one(k: &mut [u32; 9]) {
    let mut high = 0;
    for word in k.iter_mut().rev() {
        let low = *word & 1;
        *word = (*word >> 1) | (high << 31);
        high = low;
    }
}

/// The table of odd multiples of the base point G, 3G, .., 63G, computed on first use.
pub(crate) fn base_table() -> &'static [Affine] {
    static TABLE: OnceLock<Vec<Affine>> = OnceLock::new();
    TABLE.get_or_init(|| batch_to_affine(&odd_multiples(&G, 1 << (G_WIDTH - 2))))
}

/// 1P, 3P, .., (2·count - 1)P in Jacobian form.
fn odd_multiples(point: &Affine, count: usize) -> Vec<Jacobian> {
    let first = Jacobian::from(point);
    progression(first, &first.double(), count)
}
