//! The RSA private-key exponentiation with the Chinese remainder theorem (RFC 8017 §5.1.2 /
//! §5.2.1, second form of the private key: `m1 = c^dP mod p`, `m2 = c^dQ mod q`,
//! `h = qInv (m1 - m2) mod p`, `m = m2 + q h`), computing both half-size exponentiations at once:
//! the one modulo `p` in lane 0 and the one modulo `q` in lane 1 of a WebAssembly `v128` seen as
//! two 64-bit lanes. `rsa` 0.10 (crypto-bigint) computes them one after the other, one 32-bit
//! word at a time in the guest; wasm32 has `i64x2.extmul_low_i32x4_u`, two 32x32->64 products in
//! one instruction (x86 `pmuludq`), so two exponentiations cost about one.
//!
//! - Montgomery multiplication is CIOS (Koç, Acar, Kaliski, "Analyzing and comparing Montgomery
//!   multiplication algorithms", 1996) in radix 2^32: each 64-bit lane holds one 32-bit limb,
//!   so `t + a*b + carry` never exceeds 2^64 - 1, and ends with a subtraction of the modulus
//!   chosen by a mask, never by a branch.
//! - Squaring computes each cross product once, doubles, adds the squares, then reduces
//!   (separated operand scanning, SOS in the same paper): about three quarters of the products
//!   of a multiplication. Most of an exponentiation is squarings.
//! - Exponentiation is a fixed 4-bit window over every bit of the exponent's limbs (leading
//!   zeros included): 4 squarings and one multiplication per window, whatever the exponent. The
//!   table entry is chosen by reading all sixteen entries and keeping one through masks, for each
//!   lane with its own exponent's window.
//! - The algorithm is written once over [`Lanes`]: [`Simd`] (a `v128`, only on `wasm32` with
//!   `simd128`) and [`Portable`] (two `u64`, everywhere), so native tests run the code that runs
//!   in the guest, and the tests compare it with `rsa`'s own (crypto-bigint) exponentiation.
//!
//! Measured in wasmtime 48 (x86-64) with the guest's flags, RSA-2048 signing through rustls's
//! `Signer` (blinding and check included): about 290-320 signatures/s against 112 for `rsa`'s
//! (BENCHMARKS.md). Radix 2^28 with lazy carries, as OpenSSL's AVX2 code lays it out, measured
//! slower here (213/s): Cranelift turns each `extmul` into two shuffles and a `pmuludq`, so
//! the number of products (37^2 against 32^2 per half) costs more than the carry chain.
//!
//! Constant time by construction: branches and memory indexes depend only on the key's size,
//! never on its primes, exponents or the input; the carries are arithmetic. The caller blinds
//! the input and checks the result with the public exponent (`rsa_sign.rs`). No `unsafe`.
//! WebAssembly itself gives no constant-time guarantee: the host's JIT compiler decides which
//! instructions run.

// Off wasm32 `simd128` only the tests use this module, with the portable lanes.
#![cfg_attr(
    not(all(target_arch = "wasm32", target_feature = "simd128")),
    allow(dead_code)
)]

use crypto_bigint::{ConcatenatingMul as _, Resize as _};
use rsa::BoxedUint;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use zeroize::{Zeroize, Zeroizing};

/// Bits per exponent window.
const WINDOW: usize = 4;
/// Entries in the window table.
const TABLE: usize = 1 << WINDOW;
/// The low 32 bits of a 64-bit lane.
const LOW: u64 = 0xffff_ffff;

/// A two-prime RSA key prepared for [`CrtKey::exponentiate`]: everything that depends on the key
/// alone, computed once. Limbs are 32-bit, least significant first; a pair of limbs (modulo `p`,
/// modulo `q`) is stored as two `u64` side by side.
pub(crate) struct CrtKey {
    /// Limbs per prime (the longer prime's count; the other is padded with zeros).
    limbs: usize,
    /// `p` and `q`.
    moduli: Zeroizing<Vec<u64>>,
    /// `-p^-1 mod 2^32` and `-q^-1 mod 2^32`.
    n0: [u64; 2],
    /// `R^2 mod p` and `R^2 mod q`, with `R = 2^(32 limbs)`.
    r2: Zeroizing<Vec<u64>>,
    /// `R mod p` and `R mod q`: one in Montgomery form.
    one: Zeroizing<Vec<u64>>,
    /// `dP` and `dQ`.
    exponents: Zeroizing<Vec<u64>>,
    /// `qInv` (lane 0; lane 1 holds zeros).
    q_inv: Zeroizing<Vec<u64>>,
    /// `q`, for the recombination.
    q: BoxedUint,
    /// The precision of `n`, in bits, for the result.
    n_bits: u32,
}

impl CrtKey {
    /// Prepares `key`; `None` when it has more than two primes or lacks its CRT values (then the
    /// caller uses `rsa`'s own exponentiation).
    pub(crate) fn new(key: &rsa::PrivateKey) -> Option<Self> {
        let [p, q] = key.primes() else { return None };
        let (dp, dq, q_inv) = (key.dp()?, key.dq()?, key.qinv()?.retrieve());
        let limbs = limb_count(p.as_ref()).max(limb_count(q.as_ref()));
        let moduli = interleave(&limbs_of(p.as_ref(), limbs), &limbs_of(q.as_ref(), limbs));
        let n0 = [
            neg_inverse(moduli.first().copied().unwrap_or(1)),
            neg_inverse(moduli.get(1).copied().unwrap_or(1)),
        ];
        let (one, r2) = powers_of_r::<Portable>(&moduli, limbs);
        let exponents = interleave(&limbs_of(dp, limbs), &limbs_of(dq, limbs));
        let q_inv = interleave(&limbs_of(&q_inv, limbs), &Zeroizing::new(vec![0; limbs]));
        Some(Self {
            limbs,
            moduli,
            n0,
            r2,
            one,
            exponents,
            q_inv,
            q: q.as_ref().clone(),
            n_bits: key.n_bits_precision(),
        })
    }

    /// `c^d mod n` for `c < n` (the caller checks the bound), at the precision of `n`: RSADP /
    /// RSASP1 without blinding, with the SIMD lanes on wasm32 `simd128` and the portable ones
    /// elsewhere. `None` only if the result does not fit `n`'s precision, which a key whose CRT
    /// values do not match its modulus could cause.
    pub(crate) fn exponentiate(&self, c: &BoxedUint) -> Option<BoxedUint> {
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        return self.exponentiate_with::<Simd>(c);
        #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
        return self.exponentiate_with::<Portable>(c);
    }

    /// [`CrtKey::exponentiate`] over the lanes `L`.
    pub(crate) fn exponentiate_with<L: Lanes>(&self, c: &BoxedUint) -> Option<BoxedUint> {
        let s = self.limbs;
        let moduli = load::<L>(&self.moduli);
        let mut mont = Montgomery::new(moduli.clone(), self.n0);
        let moduli = &moduli;
        let r2 = load::<L>(&self.r2);
        // c = hi R + lo, both halves in both lanes; cR mod p = (hi R^2 mod p) R + lo R (mod p).
        let c_limbs = limbs_of(c, 2 * s);
        let half = |range: std::ops::Range<usize>| -> Vec<L> {
            c_limbs
                .get(range)
                .unwrap_or_default()
                .iter()
                .map(|&limb| L::pair(limb, limb))
                .collect()
        };
        let (lo, hi) = (half(0..s), half(s..2 * s));
        let hi_r = mont.mul(&hi, &r2);
        let hi_r = mont.mul(&hi_r, &r2);
        let lo_r = mont.mul(&lo, &r2);
        let mut base = add_mod(&hi_r, &lo_r, moduli);
        // The window table: base^0 .. base^15, in Montgomery form.
        let mut table = vec![load::<L>(&self.one)];
        while table.len() < TABLE {
            let next = mont.mul(table.last().map_or(&[][..], Vec::as_slice), &base);
            table.push(next);
        }
        let exponents = load::<L>(&self.exponents);
        let windows = s * 32 / WINDOW;
        let mut acc = select(&table, &exponents, windows - 1);
        for w in (0..windows - 1).rev() {
            for _ in 0..WINDOW {
                mont.square_assign(&mut acc);
            }
            mont.mul_assign(&mut acc, &select(&table, &exponents, w));
        }
        let unit: Vec<L> = (0..s)
            .map(|i| L::pair(u64::from(i == 0), u64::from(i == 0)))
            .collect();
        let mut m = mont.mul(&acc, &unit);
        // h = qInv (m1 - m2) mod p, in lane 0: (m1 R - m2 R) qInv R^-1.
        let m2_in_lane_0: Vec<L> = m.iter().map(|x| L::pair(x.lanes()[1], 0)).collect();
        let mut m1_r = mont.mul(&m, &r2);
        let mut m2_r = mont.mul(&m2_in_lane_0, &r2);
        let h = mont.mul(&sub_mod(&m1_r, &m2_r, moduli), &load::<L>(&self.q_inv));
        let h = Zeroizing::new(to_uint(h.iter().map(|x| x.lanes()[0])));
        let m2 = Zeroizing::new(to_uint(m.iter().map(|x| x.lanes()[1])));
        for secret in table
            .iter_mut()
            .chain([&mut acc, &mut base, &mut m, &mut m1_r, &mut m2_r])
        {
            wipe(secret);
        }
        // m = m2 + h q < q + (p - 1) q = n.
        let hq = Zeroizing::new(h.concatenating_mul(&self.q).try_resize(self.n_bits)?);
        Some(hq.wrapping_add(&BoxedUint::clone(&m2).try_resize(self.n_bits)?))
    }
}

#[cfg(test)]
impl CrtKey {
    /// Whether squaring `value mod p` (lane 0) and `value mod q` (lane 1) gives what the general
    /// product gives, with the portable lanes and with the SIMD ones where they exist.
    pub(crate) fn square_matches_product_for_test(&self, value: &[u8]) -> bool {
        fn check<L: Lanes>(key: &CrtKey, x: &BoxedUint) -> bool {
            let moduli = load::<L>(&key.moduli);
            let mut mont = Montgomery::new(moduli.clone(), key.n0);
            // Reduced below each modulus: x R^2 R^-1 = x R, then a product keeps it below.
            let x: Vec<L> = limbs_of(x, key.limbs)
                .iter()
                .map(|&limb| L::pair(limb, limb))
                .collect();
            let x = mont.mul(&x, &load::<L>(&key.r2));
            let product = mont.mul(&x, &x);
            let mut square = x;
            mont.square_assign(&mut square);
            square
                .iter()
                .map(|l| l.lanes())
                .eq(product.iter().map(|l| l.lanes()))
        }
        let bits = u32::try_from(value.len() * 8).unwrap_or(u32::MAX);
        let Ok(x) = BoxedUint::from_be_slice(value, bits) else {
            return false;
        };
        let portable = check::<Portable>(self, &x);
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        return portable && check::<Simd>(self, &x);
        #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
        return portable;
    }

    /// Flips a bit of `dP`, as a fault would.
    pub(crate) fn flip_exponent_bit_for_test(&mut self) {
        if let Some(limb) = self.exponents.first_mut() {
            *limb ^= 2;
        }
    }
}

impl Drop for CrtKey {
    fn drop(&mut self) {
        self.q.zeroize();
    }
}

/// Montgomery multiplication modulo both lanes' moduli, with its working buffers.
struct Montgomery<L: Lanes> {
    /// The moduli.
    moduli: Vec<L>,
    /// The moduli, packed for multiplying.
    packed: Vec<L::Packed>,
    /// `-modulus^-1 mod 2^32` per lane, packed.
    n0: L::Packed,
    /// The first factor, packed.
    a: Vec<L::Packed>,
    /// The running sum (`s + 2` limbs) and the next one.
    t: Vec<L>,
    u: Vec<L>,
    /// A square before its reduction (`2 s` limbs).
    wide: Vec<L>,
    /// The last product (`s` limbs).
    result: Vec<L>,
}

impl<L: Lanes> Montgomery<L> {
    fn new(moduli: Vec<L>, n0: [u64; 2]) -> Self {
        let s = moduli.len();
        let zero = L::pair(0, 0);
        Self {
            packed: moduli.iter().map(|m| m.pack()).collect(),
            moduli,
            n0: L::pair(n0[0], n0[1]).pack(),
            a: Vec::with_capacity(s),
            t: vec![zero; s + 2],
            u: vec![zero; s + 2],
            wide: vec![zero; 2 * s],
            result: vec![zero; s],
        }
    }

    /// `a b R^-1 mod modulus` per lane, for `a < R` and `b < modulus`.
    fn mul(&mut self, a: &[L], b: &[L]) -> Vec<L> {
        self.product(a, b);
        self.result.clone()
    }

    /// `acc = acc b R^-1 mod modulus`.
    fn mul_assign(&mut self, acc: &mut [L], b: &[L]) {
        self.product(acc, b);
        acc.copy_from_slice(&self.result);
    }

    /// `acc = acc^2 R^-1 mod modulus`: the square with each cross product computed once, then
    /// reduced (separated operand scanning, SOS in Koç et al.): about three quarters of the
    /// products of [`Montgomery::product`].
    fn square_assign(&mut self, acc: &mut [L]) {
        let zero = L::pair(0, 0);
        let s = self.moduli.len();
        self.a.clear();
        self.a.extend(acc.iter().map(|x| x.pack()));
        let mut w = std::mem::take(&mut self.wide);
        w.fill(zero);
        // The cross products a_i a_j, i < j, at i + j.
        for (i, a_i) in self.a.iter().enumerate() {
            let mut carry = zero;
            if let Some(row) = w.get_mut(2 * i + 1..i + s) {
                for (w_k, a_j) in row.iter_mut().zip(self.a.iter().skip(i + 1)) {
                    let sum = w_k.add(L::mul(*a_i, *a_j)).add(carry);
                    *w_k = sum.low();
                    carry = sum.high();
                }
            }
            if let Some(w_top) = w.get_mut(i + s) {
                *w_top = carry;
            }
        }
        // Doubled, plus the squares a_i^2 at 2i.
        let mut carry = zero;
        for (pair, a_i) in w.chunks_exact_mut(2).zip(&self.a) {
            let square = L::mul(*a_i, *a_i);
            if let [low, high] = pair {
                let sum = low.add(*low).add(square.low()).add(carry);
                *low = sum.low();
                let sum = high.add(*high).add(square.high()).add(sum.high());
                *high = sum.low();
                carry = sum.high();
            }
        }
        // Reduced: one limb made zero per step; the carry out of each step waits in `pending`
        // for the next step's top limb.
        let mut pending = zero;
        for i in 0..s {
            let Some(window) = w.get_mut(i..=i + s) else {
                break;
            };
            let (row, top) = window.split_at_mut(s);
            let m = L::mul(row.first().copied().unwrap_or(zero).pack(), self.n0)
                .low()
                .pack();
            let mut carry = zero;
            for (w_k, n_j) in row.iter_mut().zip(&self.packed) {
                let sum = w_k.add(L::mul(*n_j, m)).add(carry);
                *w_k = sum.low();
                carry = sum.high();
            }
            if let Some(top) = top.first_mut() {
                let sum = top.add(carry).add(pending);
                *top = sum.low();
                pending = sum.high();
            }
        }
        self.finish(w.get(s..).unwrap_or_default(), pending);
        self.wide = w;
        acc.copy_from_slice(&self.result);
    }

    /// CIOS: `a b R^-1 mod modulus` into `result`, fully reduced. The sum is shifted down one
    /// limb per step by writing it into the other buffer.
    fn product(&mut self, a: &[L], b: &[L]) {
        let zero = L::pair(0, 0);
        let s = self.moduli.len();
        self.a.clear();
        self.a.extend(a.iter().map(|x| x.pack()));
        self.t.fill(zero);
        for b_i in b.iter().take(s) {
            let b_i = b_i.pack();
            // t += a b_i
            let mut carry = zero;
            for (t_j, a_j) in self.t.iter_mut().zip(&self.a) {
                let sum = t_j.add(L::mul(*a_j, b_i)).add(carry);
                *t_j = sum.low();
                carry = sum.high();
            }
            if let [.., t_s, t_s1] = self.t.as_mut_slice() {
                let sum = t_s.add(carry);
                *t_s = sum.low();
                *t_s1 = sum.high();
            }
            // u = (t + m modulus) / 2^32, with m making the low limb zero.
            let t_0 = self.t.first().copied().unwrap_or(zero);
            let m = L::mul(t_0.pack(), self.n0).low().pack();
            let n_0 = self.packed.first().copied().unwrap_or(m);
            let mut carry = t_0.add(L::mul(n_0, m)).high();
            for ((u_j, t_j), n_j) in self
                .u
                .iter_mut()
                .zip(self.t.iter().skip(1))
                .zip(self.packed.iter().skip(1))
            {
                let sum = t_j.add(L::mul(*n_j, m)).add(carry);
                *u_j = sum.low();
                carry = sum.high();
            }
            if let ([.., u_last, u_s, u_s1], [.., t_s, t_s1]) =
                (self.u.as_mut_slice(), self.t.as_slice())
            {
                let sum = t_s.add(carry);
                *u_last = sum.low();
                *u_s = t_s1.add(sum.high());
                *u_s1 = zero;
            }
            std::mem::swap(&mut self.t, &mut self.u);
        }
        let overflow = self.t.get(s).copied().unwrap_or(zero);
        let t = std::mem::take(&mut self.t);
        self.finish(t.get(..s).unwrap_or_default(), overflow);
        self.t = t;
    }

    /// `result` = `t + overflow 2^(32 s)` reduced once: it is below 2 modulus, so the modulus is
    /// subtracted when `overflow` is set or the subtraction does not borrow.
    fn finish(&mut self, t: &[L], overflow: L) {
        let mut borrow = L::pair(0, 0);
        for (d, (t_j, n_j)) in self.u.iter_mut().zip(t.iter().zip(&self.moduli)) {
            let difference = t_j.sub(*n_j).sub(borrow);
            borrow = difference.high().and(L::pair(1, 1));
            *d = difference.low();
        }
        let keep_difference = overflow.or(borrow.xor(L::pair(1, 1))).mask();
        for (r, (d, t_j)) in self.result.iter_mut().zip(self.u.iter().zip(t)) {
            *r = d.and(keep_difference).or(t_j.and_not(keep_difference));
        }
    }
}

impl<L: Lanes> Drop for Montgomery<L> {
    fn drop(&mut self) {
        self.a.fill(L::pair(0, 0).pack());
        for buffer in [&mut self.t, &mut self.u, &mut self.wide, &mut self.result] {
            wipe(buffer);
        }
    }
}

/// `(a + b) mod m` per lane, for `a, b < m`.
fn add_mod<L: Lanes>(a: &[L], b: &[L], m: &[L]) -> Vec<L> {
    let mut carry = L::pair(0, 0);
    let sum: Vec<L> = a
        .iter()
        .zip(b)
        .map(|(a, b)| {
            let s = a.add(*b).add(carry);
            carry = s.high();
            s.low()
        })
        .collect();
    let (difference, borrow) = sub(&sum, m);
    choose(&difference, &sum, carry.or(borrow.xor(L::pair(1, 1))))
}

/// `(a - b) mod m` per lane, for `a, b < m`.
fn sub_mod<L: Lanes>(a: &[L], b: &[L], m: &[L]) -> Vec<L> {
    let (difference, borrow) = sub(a, b);
    // On a borrow, add m back (the carry out of that addition is the borrow's wrap).
    let masked: Vec<L> = m.iter().map(|m| m.and(borrow.mask())).collect();
    let mut carry = L::pair(0, 0);
    difference
        .iter()
        .zip(&masked)
        .map(|(d, m)| {
            let s = d.add(*m).add(carry);
            carry = s.high();
            s.low()
        })
        .collect()
}

/// `a - b` per lane, and the borrow out (0 or 1 per lane).
fn sub<L: Lanes>(a: &[L], b: &[L]) -> (Vec<L>, L) {
    let mut borrow = L::pair(0, 0);
    let difference = a
        .iter()
        .zip(b)
        .map(|(a, b)| {
            let d = a.sub(*b).sub(borrow);
            // A negative difference has all its high bits set.
            borrow = d.high().and(L::pair(1, 1));
            d.low()
        })
        .collect();
    (difference, borrow)
}

/// Per lane, `when_one` where `choice` is 1 and `when_zero` where it is 0.
fn choose<L: Lanes>(when_one: &[L], when_zero: &[L], choice: L) -> Vec<L> {
    let mask = choice.mask();
    when_one
        .iter()
        .zip(when_zero)
        .map(|(one, zero)| one.and(mask).or(zero.and_not(mask)))
        .collect()
}

/// The table entry each lane's exponent names in window `w`, reading every entry.
fn select<L: Lanes>(table: &[Vec<L>], exponents: &[L], w: usize) -> Vec<L> {
    let bit = w * WINDOW;
    let (limb, shift) = (bit / 32, bit % 32);
    let window = exponents
        .get(limb)
        .map_or(L::pair(0, 0), |e| e.shr(shift as u32))
        .and(L::pair(TABLE as u64 - 1, TABLE as u64 - 1));
    let mut chosen = vec![L::pair(0, 0); exponents.len()];
    for (k, entry) in table.iter().enumerate() {
        let k = L::pair(k as u64, k as u64);
        let mask = window.xor(k).is_zero().mask();
        for (c, e) in chosen.iter_mut().zip(entry) {
            *c = c.or(e.and(mask));
        }
    }
    chosen
}

/// `R mod m` and `R^2 mod m` per lane, by doubling 1 modulo `m` (constant time).
fn powers_of_r<L: Lanes>(
    moduli: &[u64],
    limbs: usize,
) -> (Zeroizing<Vec<u64>>, Zeroizing<Vec<u64>>) {
    let m = load::<L>(moduli);
    let mut x: Vec<L> = (0..limbs)
        .map(|i| L::pair(u64::from(i == 0), u64::from(i == 0)))
        .collect();
    let mut r = Vec::new();
    for doubling in 0..2 * 32 * limbs {
        if doubling == 32 * limbs {
            r = x.clone();
        }
        x = add_mod(&x, &x, &m);
    }
    (store(&r), store(&x))
}

/// `-m^-1 mod 2^32` for the odd low limb `m` (Newton's iteration: each step doubles the correct
/// bits, from 3).
fn neg_inverse(m: u64) -> u64 {
    let m = m as u32;
    let mut inverse = m;
    for _ in 0..4 {
        inverse = inverse.wrapping_mul(2u32.wrapping_sub(m.wrapping_mul(inverse)));
    }
    u64::from(inverse.wrapping_neg())
}

/// The 32-bit limbs of `x`, least significant first, `count` of them (zero-padded or cut).
fn limbs_of(x: &BoxedUint, count: usize) -> Zeroizing<Vec<u64>> {
    let bytes = Zeroizing::new(x.to_be_bytes());
    let mut limbs = Zeroizing::new(vec![0u64; count]);
    for (limb, chunk) in limbs.iter_mut().zip(bytes.rchunks(4)) {
        *limb = chunk.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b));
    }
    limbs
}

/// The number of 32-bit limbs holding `x`'s significant bits.
fn limb_count(x: &BoxedUint) -> usize {
    (x.bit_width() as usize).div_ceil(32).max(1)
}

/// The unsigned integer of `limbs` (32-bit, least significant first), at the precision of
/// their count.
fn to_uint(limbs: impl DoubleEndedIterator<Item = u64>) -> BoxedUint {
    let bytes: Zeroizing<Vec<u8>> = Zeroizing::new(
        limbs
            .rev()
            .flat_map(|limb| (limb as u32).to_be_bytes())
            .collect(),
    );
    let bits = u32::try_from(bytes.len() * 8).unwrap_or(u32::MAX);
    BoxedUint::from_be_slice(&bytes, bits).unwrap_or_else(|_| BoxedUint::zero_with_precision(bits))
}

/// Two limb arrays side by side: `[a0, b0, a1, b1, ...]`.
fn interleave(a: &[u64], b: &[u64]) -> Zeroizing<Vec<u64>> {
    Zeroizing::new(a.iter().zip(b).flat_map(|(a, b)| [*a, *b]).collect())
}

/// Interleaved pairs as lanes.
fn load<L: Lanes>(pairs: &[u64]) -> Vec<L> {
    pairs
        .chunks_exact(2)
        .map(|p| match p {
            [a, b] => L::pair(*a, *b),
            _ => L::pair(0, 0),
        })
        .collect()
}

/// Lanes as interleaved pairs.
fn store<L: Lanes>(lanes: &[L]) -> Zeroizing<Vec<u64>> {
    Zeroizing::new(lanes.iter().flat_map(|x| x.lanes()).collect())
}

/// Overwrites secret intermediate values.
fn wipe<L: Lanes>(values: &mut [L]) {
    values.fill(L::pair(0, 0));
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

/// Two 64-bit lanes, the unit the arithmetic above works on: lane 0 computes modulo `p`,
/// lane 1 modulo `q`. Limbs and carries are below 2^32 in each lane.
pub(crate) trait Lanes: Copy {
    /// The form [`Lanes::mul`] multiplies: each lane's low 32 bits, placed for the multiply.
    type Packed: Copy;
    /// The lanes `(lane0, lane1)`.
    fn pair(lane0: u64, lane1: u64) -> Self;
    /// Both lanes' values.
    fn lanes(self) -> [u64; 2];
    /// The low 32 bits of each lane, packed for [`Lanes::mul`].
    fn pack(self) -> Self::Packed;
    /// The full 64-bit product of each lane's 32-bit values.
    fn mul(a: Self::Packed, b: Self::Packed) -> Self;
    /// Lane-wise wrapping addition.
    fn add(self, other: Self) -> Self;
    /// Lane-wise wrapping subtraction.
    fn sub(self, other: Self) -> Self;
    /// Lane-wise shift right.
    fn shr(self, bits: u32) -> Self;
    /// Lane-wise and.
    fn and(self, other: Self) -> Self;
    /// Lane-wise `self & !other`.
    fn and_not(self, other: Self) -> Self;
    /// Lane-wise or.
    fn or(self, other: Self) -> Self;
    /// Lane-wise xor.
    fn xor(self, other: Self) -> Self;
    /// 1 in each lane that is zero, else 0.
    fn is_zero(self) -> Self;

    /// The low 32 bits of each lane.
    fn low(self) -> Self {
        self.and(Self::pair(LOW, LOW))
    }
    /// The high 32 bits of each lane.
    fn high(self) -> Self {
        self.shr(32)
    }
    /// All ones in each lane holding 1, zero in each holding 0.
    fn mask(self) -> Self {
        Self::pair(0, 0).sub(self)
    }
}

/// Two `u64`: the lanes on every target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Portable([u64; 2]);

impl Lanes for Portable {
    type Packed = [u32; 2];

    fn pair(lane0: u64, lane1: u64) -> Self {
        Self([lane0, lane1])
    }
    fn lanes(self) -> [u64; 2] {
        self.0
    }
    fn pack(self) -> [u32; 2] {
        [self.0[0] as u32, self.0[1] as u32]
    }
    fn mul(a: [u32; 2], b: [u32; 2]) -> Self {
        Self([
            u64::from(a[0]) * u64::from(b[0]),
            u64::from(a[1]) * u64::from(b[1]),
        ])
    }
    fn add(self, other: Self) -> Self {
        Self([
            self.0[0].wrapping_add(other.0[0]),
            self.0[1].wrapping_add(other.0[1]),
        ])
    }
    fn sub(self, other: Self) -> Self {
        Self([
            self.0[0].wrapping_sub(other.0[0]),
            self.0[1].wrapping_sub(other.0[1]),
        ])
    }
    fn shr(self, bits: u32) -> Self {
        Self([self.0[0] >> bits, self.0[1] >> bits])
    }
    fn and(self, other: Self) -> Self {
        Self([self.0[0] & other.0[0], self.0[1] & other.0[1]])
    }
    fn and_not(self, other: Self) -> Self {
        Self([self.0[0] & !other.0[0], self.0[1] & !other.0[1]])
    }
    fn or(self, other: Self) -> Self {
        Self([self.0[0] | other.0[0], self.0[1] | other.0[1]])
    }
    fn xor(self, other: Self) -> Self {
        Self([self.0[0] ^ other.0[0], self.0[1] ^ other.0[1]])
    }
    fn is_zero(self) -> Self {
        // (x | -x) has its top bit set exactly when x != 0.
        let nonzero = |x: u64| (x | x.wrapping_neg()) >> 63;
        Self([nonzero(self.0[0]) ^ 1, nonzero(self.0[1]) ^ 1])
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) use simd::Simd;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use core::arch::wasm32::{
        i64x2_eq, u32x4_shuffle, u64x2, u64x2_add, u64x2_extmul_low_u32x4, u64x2_extract_lane,
        u64x2_shr, u64x2_splat, u64x2_sub, v128, v128_and, v128_andnot, v128_or, v128_xor,
    };

    use super::Lanes;

    /// A `v128` as two `u64` lanes.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Simd(v128);

    impl Lanes for Simd {
        /// The lanes' low words in the `v128`'s first two 32-bit lanes, where
        /// `i64x2.extmul_low_i32x4_u` reads them.
        type Packed = v128;

        fn pair(lane0: u64, lane1: u64) -> Self {
            Self(u64x2(lane0, lane1))
        }
        fn lanes(self) -> [u64; 2] {
            [
                u64x2_extract_lane::<0>(self.0),
                u64x2_extract_lane::<1>(self.0),
            ]
        }
        fn pack(self) -> v128 {
            u32x4_shuffle::<0, 2, 0, 2>(self.0, self.0)
        }
        fn mul(a: v128, b: v128) -> Self {
            Self(u64x2_extmul_low_u32x4(a, b))
        }
        fn add(self, other: Self) -> Self {
            Self(u64x2_add(self.0, other.0))
        }
        fn sub(self, other: Self) -> Self {
            Self(u64x2_sub(self.0, other.0))
        }
        fn shr(self, bits: u32) -> Self {
            Self(u64x2_shr(self.0, bits))
        }
        fn and(self, other: Self) -> Self {
            Self(v128_and(self.0, other.0))
        }
        fn and_not(self, other: Self) -> Self {
            Self(v128_andnot(self.0, other.0))
        }
        fn or(self, other: Self) -> Self {
            Self(v128_or(self.0, other.0))
        }
        fn xor(self, other: Self) -> Self {
            Self(v128_xor(self.0, other.0))
        }
        fn is_zero(self) -> Self {
            // All ones where zero; keep one bit.
            Self(u64x2_shr(i64x2_eq(self.0, u64x2_splat(0)), 63))
        }
    }
}
