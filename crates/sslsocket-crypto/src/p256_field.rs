//! The field of the NIST P-256 curve: integers modulo p = 2^256 - 2^224 + 2^192 + 2^96 - 1, for
//! our ECDSA P-256 verification (`p256_verify.rs`) and signing (`p256_sign.rs`).
//!
//! - Eight 32-bit limbs, least significant first, always fully reduced (below p). wasm32 has
//!   `i64.mul` but no 64x64->128 product, so 32-bit limbs with 64-bit partial sums are its
//!   natural width; the same code runs natively.
//! - A product is the 512-bit schoolbook product; squaring computes each cross product once.
//!   Both reduce with the NIST fast reduction for p256 (FIPS 186-4 Appendix D.2.3, Solinas):
//!   t + 2s1 + 2s2 + s3 + s4 - d1 - d2 - d3 - d4, additions and subtractions of the product's
//!   words, then the carry (a small multiple of 2^256 ≡ 2^224 - 2^192 - 2^96 + 1) folded back
//!   in two passes, always both.
//! - Inversion is Fermat's a^(p-2) through a fixed addition chain.
//!
//! Constant time by construction: no branch and no memory index depends on a value; carries,
//! borrows and the final subtractions of p are arithmetic and masks. No `unsafe`. WebAssembly
//! itself gives no constant-time guarantee (the host's compiler picks the instructions).
//!
//! Tested (`src/tests_p256.rs`) against crypto-bigint's modular arithmetic, natively and inside
//! the component.

/// Eight 32-bit words, least significant first.
type Words = [u32; 8];

/// p, the field's modulus.
const P: Words = [
    0xffff_ffff,
    0xffff_ffff,
    0xffff_ffff,
    0,
    0,
    0,
    1,
    0xffff_ffff,
];

/// An element of the field, fully reduced (below p).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fe(Words);

impl Fe {
    pub(crate) const ZERO: Self = Self([0; 8]);
    pub(crate) const ONE: Self = Self([1, 0, 0, 0, 0, 0, 0, 0]);

    /// An element from its limbs, for constants known to be below p.
    pub(crate) const fn from_words(words: Words) -> Self {
        Self(words)
    }

    /// A big-endian 32-byte integer, if it is below p.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let words = words_from_be(bytes.try_into().ok()?);
        // Below p when subtracting p borrows.
        (sub_words(&words, &P).1 == 1).then_some(Self(words))
    }

    /// The big-endian 32-byte encoding.
    pub(crate) fn to_bytes(self) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        for (chunk, word) in bytes.chunks_exact_mut(4).zip(self.0.iter().rev()) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        bytes
    }

    /// Whether this is 0 (for public values: it may branch).
    pub(crate) fn is_zero(&self) -> bool {
        // The words' OR, tested without a branch per word: an array comparison (`bcmp` in the
        // guest) made verification measurably slower.
        let any = self.0.iter().fold(0, |acc, &w| acc | w);
        ((any | any.wrapping_neg()) >> 31) == 0
    }

    /// `if mask == u32::MAX { b } else { a }`, without a branch (`mask` is 0 or all ones).
    pub(crate) fn select(a: &Self, b: &Self, mask: u32) -> Self {
        let mut out = a.0;
        for (o, &w) in out.iter_mut().zip(&b.0) {
            *o ^= (*o ^ w) & mask;
        }
        Self(out)
    }

    pub(crate) fn add(&self, other: &Self) -> Self {
        let (sum, carry) = add_words(&self.0, &other.0);
        Self(subtract_p_if(&sum, carry))
    }

    pub(crate) fn double(&self) -> Self {
        self.add(self)
    }

    pub(crate) fn sub(&self, other: &Self) -> Self {
        let (difference, borrow) = sub_words(&self.0, &other.0);
        let mask = borrow.wrapping_neg();
        let mut p = P;
        for w in p.iter_mut() {
            *w &= mask;
        }
        Self(add_words(&difference, &p).0)
    }

    pub(crate) fn negate(&self) -> Self {
        Self::ZERO.sub(self)
    }

    pub(crate) fn mul(&self, other: &Self) -> Self {
        let mut product = [0u32; 16];
        for (i, &a) in self.0.iter().enumerate() {
            let a = u64::from(a);
            let mut carry = 0u64;
            for (slot, &b) in product.iter_mut().skip(i).zip(&other.0) {
                let sum = a * u64::from(b) + u64::from(*slot) + carry;
                *slot = sum as u32;
                carry = sum >> 32;
            }
            if let Some(slot) = product.get_mut(i + 8) {
                *slot = carry as u32;
            }
        }
        Self(reduce(&product))
    }

    pub(crate) fn square(&self) -> Self {
        let a = &self.0;
        let mut product = [0u32; 16];
        // The cross products a_i·a_j, i < j, once each.
        for (i, &ai) in a.iter().enumerate() {
            let ai = u64::from(ai);
            let mut carry = 0u64;
            for (slot, &aj) in product.iter_mut().skip(2 * i + 1).zip(a.iter().skip(i + 1)) {
                let sum = ai * u64::from(aj) + u64::from(*slot) + carry;
                *slot = sum as u32;
                carry = sum >> 32;
            }
            if let Some(slot) = product.get_mut(i + 8) {
                *slot = carry as u32;
            }
        }
        // Doubled, plus the squares a_i^2.
        let mut high = 0;
        for word in product.iter_mut() {
            let doubled = (*word << 1) | high;
            high = *word >> 31;
            *word = doubled;
        }
        let mut carry = 0u64;
        for (pair, &ai) in product.chunks_exact_mut(2).zip(a) {
            if let [low_word, high_word] = pair {
                let square = u64::from(ai) * u64::from(ai);
                let low = u64::from(*low_word) + (square & 0xffff_ffff) + carry;
                *low_word = low as u32;
                let high = u64::from(*high_word) + (square >> 32) + (low >> 32);
                *high_word = high as u32;
                carry = high >> 32;
            }
        }
        Self(reduce(&product))
    }

    /// 1/a = a^(p-2) (Fermat); 0 for 0. An addition chain for p - 2 (255 squarings and 12
    /// multiplications), the same for every a. In binary p - 2 is 32 ones, 31 zeros and a one,
    /// 96 zeros, 94 ones, a zero and a one.
    pub(crate) fn invert(&self) -> Self {
        // x_k = a^(2^k - 1): k ones.
        let x2 = self.square().mul(self);
        let x3 = x2.square().mul(self);
        let x6 = x3.square_times(3).mul(&x3);
        let x12 = x6.square_times(6).mul(&x6);
        let x15 = x12.square_times(3).mul(&x3);
        let x30 = x15.square_times(15).mul(&x15);
        let x32 = x30.square_times(2).mul(&x2);
        x32.square_times(32)
            .mul(self)
            .square_times(128)
            .mul(&x32)
            .square_times(32)
            .mul(&x32)
            .square_times(30)
            .mul(&x30)
            .square_times(2)
            .mul(self)
    }

    /// a^(2^n): n squarings.
    fn square_times(&self, n: u32) -> Self {
        (0..n).fold(*self, |acc, _| acc.square())
    }
}

/// A 512-bit product modulo p: the NIST fast reduction (FIPS 186-4 D.2.3).
fn reduce(c: &[u32; 16]) -> Words {
    let [
        c0,
        c1,
        c2,
        c3,
        c4,
        c5,
        c6,
        c7,
        c8,
        c9,
        c10,
        c11,
        c12,
        c13,
        c14,
        c15,
    ] = c.map(i64::from);
    let columns = [
        c0 + c8 + c9 - c11 - c12 - c13 - c14,
        c1 + c9 + c10 - c12 - c13 - c14 - c15,
        c2 + c10 + c11 - c13 - c14 - c15,
        c3 + 2 * (c11 + c12) + c13 - c15 - c8 - c9,
        c4 + 2 * (c12 + c13) + c14 - c9 - c10,
        c5 + 2 * (c13 + c14) + c15 - c10 - c11,
        c6 + 2 * (c14 + c15) + c14 + c13 - c8 - c9,
        c7 + 3 * c15 + c8 - c10 - c11 - c12 - c13,
    ];
    let mut words = [0u32; 8];
    let mut carry = 0i64;
    for (word, column) in words.iter_mut().zip(columns) {
        let sum = column + carry;
        *word = sum as u32;
        carry = sum >> 32;
    }
    // The sum is in (-4·2^256, 7·2^256), so `carry` is in -4..=6. Folding it back in changes
    // the value by less than 2^227: the carry out of the first pass is -1, 0 or 1, and the
    // second pass cannot carry (a value near 0 or near 2^256 moves by about 2^224 away from
    // the edge it crossed). Both passes always run.
    for _ in 0..2 {
        let fold = [carry, 0, 0, -carry, 0, 0, -carry, carry];
        let mut next = 0i64;
        for (word, add) in words.iter_mut().zip(fold) {
            let sum = i64::from(*word) + add + next;
            *word = sum as u32;
            next = sum >> 32;
        }
        carry = next;
    }
    // Below 2^256 < 2p now: at most one subtraction of p.
    subtract_p_if(&words, 0)
}

/// `value + carry·2^256`, minus p when that is at least p (`carry` 0 or 1; the sum below 2p).
fn subtract_p_if(value: &Words, carry: u32) -> Words {
    let (reduced, borrow) = sub_words(value, &P);
    // Keep `value` only when it is below p: no carry and a borrow.
    let keep = (borrow & !carry & 1).wrapping_neg();
    // The select of `Fe::select`, written out: through a shared helper returning the words,
    // the guest's verification measured about 10 % slower.
    let mut out = reduced;
    for (o, &v) in out.iter_mut().zip(value) {
        *o ^= (*o ^ v) & keep;
    }
    out
}

/// A big-endian 32-byte integer as little-endian 32-bit words.
pub(crate) fn words_from_be(bytes: &[u8; 32]) -> Words {
    let mut words = [0u32; 8];
    for (word, chunk) in words.iter_mut().zip(bytes.rchunks_exact(4)) {
        *word = u32::from_be_bytes(chunk.try_into().unwrap_or_default());
    }
    words
}

/// a + b and the carry out (0 or 1).
fn add_words(a: &Words, b: &Words) -> (Words, u32) {
    let mut sum = [0u32; 8];
    let mut carry = 0u64;
    for ((out, &x), &y) in sum.iter_mut().zip(a).zip(b) {
        let s = u64::from(x) + u64::from(y) + carry;
        *out = s as u32;
        carry = s >> 32;
    }
    (sum, carry as u32)
}

/// a - b modulo 2^256 and the borrow out (0 or 1).
fn sub_words(a: &Words, b: &Words) -> (Words, u32) {
    let mut difference = [0u32; 8];
    let mut borrow = 0i64;
    for ((out, &x), &y) in difference.iter_mut().zip(a).zip(b) {
        let d = i64::from(x) - i64::from(y) + borrow;
        *out = d as u32;
        borrow = d >> 32;
    }
    (difference, (borrow & 1) as u32)
}
