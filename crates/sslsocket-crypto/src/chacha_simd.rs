//! ChaCha20-Poly1305 (RFC 8439) computing four ChaCha20 blocks at a time, for WebAssembly
//! `simd128`: the guest's record cipher for the TLS ChaCha20-Poly1305 suites, where
//! RustCrypto's `chacha20` has no SIMD backend and runs one 32-bit word at a time.
//!
//! - ChaCha20 follows RFC 8439 §2.3 and the state layout of RustCrypto's SSE2/AVX2 backends
//!   (`chacha20/src/backends/sse2.rs`): a block is four rows of four words (constants, key,
//!   key, counter and nonce), a quarter round works on the four columns at once, and the
//!   diagonal rounds rotate rows `a`, `c` and `d` so that they become columns (leaving `b` in
//!   place, the cheaper of the equivalent shuffles). Four blocks (counters `n`..`n + 3`) are
//!   computed side by side for 256 bytes of keystream.
//! - The algorithm is written once, over the [`Lane`] trait (four 32-bit words): [`Simd`]
//!   (a `v128`, only on `wasm32` with `simd128`) and [`Portable`] (a `[u32; 4]`, everywhere),
//!   so native tests exercise the same code that runs in the guest over `v128`.
//! - Poly1305 (RFC 8439 §2.5) is computed in radix 2^32 as OpenSSL's 32-bit C code does
//!   ([`Poly`]): 20 multiplications with 64-bit products per 16-byte block, against 25 for the
//!   `poly1305` crate's 26-bit limbs (wasm32 multiplies 64 bits natively; 128-bit products are
//!   emulated). Encrypting 256 bytes and authenticating them while hot measured no faster in
//!   wasmtime than one pass for each (a 16 KiB record fits in the L1 cache), so sealing
//!   encrypts then authenticates, and opening authenticates, compares the tag, and only then
//!   decrypts: a wrong tag leaves the ciphertext untouched.
//! - The AEAD construction is RFC 8439 §2.8: the one-time Poly1305 key is the first 32 bytes
//!   of block 0, the data is encrypted from block 1, and the tag covers the padded AAD, the
//!   padded ciphertext and both lengths.
//!
//! Measured in wasmtime 48 (x86-64) with the guest's flags on 16 KiB records (2026-12): the
//! keystream about 2.8 times RustCrypto's `chacha20`, Poly1305 about 1.25 times the `poly1305`
//! crate, sealing and opening about 2.0 times `chacha20poly1305`.
//!
//! Constant time by construction: no branch and no memory index depends on the key, the
//! nonce, the data or the tag (only on lengths and on whether the tag matched), the Poly1305
//! carries and final reduction are arithmetic and masks, and the tag is compared with
//! `subtle`. No `unsafe`: the `v128` loads and stores are word-wise constructors and lane
//! extractions, which LLVM merges into `v128.load` / `v128.store`.
//! WebAssembly itself gives no constant-time guarantee: the host's JIT compiler decides which
//! instructions run.

// Off wasm32 `simd128` only the tests use this module (the AEAD is `chacha20poly1305` there).
#![cfg_attr(
    not(all(target_arch = "wasm32", target_feature = "simd128")),
    allow(dead_code)
)]

use aes_gcm::aead::array::Array;
use aes_gcm::aead::consts::{U12, U16, U32};
use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::{self, AeadCore, AeadInOut, Error, KeyInit, KeySizeUser, TagPosition};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// "expand 32-byte k", the first row of every ChaCha20 block.
const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];
/// Bytes in one ChaCha20 block.
const BLOCK: usize = 64;
/// Bytes of keystream in one four-block step.
const CHUNK: usize = 4 * BLOCK;

/// Four 32-bit words, the unit the ChaCha20 rounds operate on: one row of a block.
pub(crate) trait Lane: Copy {
    /// The lane holding `words` (lane 0 first).
    fn from_words(words: [u32; 4]) -> Self;
    /// Lane-wise wrapping addition.
    fn add(self, other: Self) -> Self;
    /// Bitwise exclusive or.
    fn xor(self, other: Self) -> Self;
    /// Each word rotated left by 16 bits.
    fn rotl16(self) -> Self;
    /// Each word rotated left by 12 bits.
    fn rotl12(self) -> Self;
    /// Each word rotated left by 8 bits.
    fn rotl8(self) -> Self;
    /// Each word rotated left by 7 bits.
    fn rotl7(self) -> Self;
    /// The words moved down one place: `[w1, w2, w3, w0]`.
    fn shift1(self) -> Self;
    /// The words moved down two places: `[w2, w3, w0, w1]`.
    fn shift2(self) -> Self;
    /// The words moved down three places: `[w3, w0, w1, w2]`.
    fn shift3(self) -> Self;
    /// The four words, little-endian, XORed into `bytes`.
    fn xor_into(self, bytes: &mut [u8; 16]);
    /// The four words as 16 little-endian bytes.
    fn to_bytes(self) -> [u8; 16];
}

/// The portable lane: four `u32`, for targets without `simd128` and for the tests (which run
/// it beside [`Simd`] inside the component).
#[cfg_attr(
    all(target_arch = "wasm32", target_feature = "simd128", not(test)),
    allow(dead_code)
)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Portable([u32; 4]);

#[cfg_attr(
    all(target_arch = "wasm32", target_feature = "simd128", not(test)),
    allow(dead_code)
)]
impl Portable {
    /// Each word through `f`.
    #[inline(always)]
    fn map(self, f: impl Fn(u32) -> u32) -> Self {
        Self(self.0.map(f))
    }

    /// Word by word, `f` of `self` and `other`.
    #[inline(always)]
    fn zip(self, other: Self, f: impl Fn(u32, u32) -> u32) -> Self {
        let [a0, a1, a2, a3] = self.0;
        let [b0, b1, b2, b3] = other.0;
        Self([f(a0, b0), f(a1, b1), f(a2, b2), f(a3, b3)])
    }
}

impl Lane for Portable {
    #[inline(always)]
    fn from_words(words: [u32; 4]) -> Self {
        Self(words)
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        self.zip(other, u32::wrapping_add)
    }
    #[inline(always)]
    fn xor(self, other: Self) -> Self {
        self.zip(other, |a, b| a ^ b)
    }
    #[inline(always)]
    fn rotl16(self) -> Self {
        self.map(|w| w.rotate_left(16))
    }
    #[inline(always)]
    fn rotl12(self) -> Self {
        self.map(|w| w.rotate_left(12))
    }
    #[inline(always)]
    fn rotl8(self) -> Self {
        self.map(|w| w.rotate_left(8))
    }
    #[inline(always)]
    fn rotl7(self) -> Self {
        self.map(|w| w.rotate_left(7))
    }
    #[inline(always)]
    fn shift1(self) -> Self {
        let [w0, w1, w2, w3] = self.0;
        Self([w1, w2, w3, w0])
    }
    #[inline(always)]
    fn shift2(self) -> Self {
        let [w0, w1, w2, w3] = self.0;
        Self([w2, w3, w0, w1])
    }
    #[inline(always)]
    fn shift3(self) -> Self {
        let [w0, w1, w2, w3] = self.0;
        Self([w3, w0, w1, w2])
    }
    #[inline(always)]
    fn xor_into(self, bytes: &mut [u8; 16]) {
        let (words, _) = bytes.as_chunks_mut::<4>();
        for (dst, w) in words.iter_mut().zip(self.0) {
            *dst = (u32::from_le_bytes(*dst) ^ w).to_le_bytes();
        }
    }
    #[inline(always)]
    fn to_bytes(self) -> [u8; 16] {
        let mut bytes = [0u8; 16];
        self.xor_into(&mut bytes);
        bytes
    }
}

/// The `simd128` lane: one `v128` as four `u32`.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Simd(core::arch::wasm32::v128);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl Simd {
    /// Each word rotated left by `N` bits (`M` = 32 - `N`), with two shifts.
    #[inline(always)]
    fn rotl_shifts<const N: u32, const M: u32>(self) -> Self {
        use core::arch::wasm32::{i32x4_shl, u32x4_shr, v128_or};
        Self(v128_or(i32x4_shl(self.0, N), u32x4_shr(self.0, M)))
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl Lane for Simd {
    #[inline(always)]
    fn from_words([w0, w1, w2, w3]: [u32; 4]) -> Self {
        Self(core::arch::wasm32::u32x4(w0, w1, w2, w3))
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Self(core::arch::wasm32::i32x4_add(self.0, other.0))
    }
    #[inline(always)]
    fn xor(self, other: Self) -> Self {
        Self(core::arch::wasm32::v128_xor(self.0, other.0))
    }
    #[inline(always)]
    fn rotl16(self) -> Self {
        // Two shifts and an or: under wasmtime (Cranelift, x86-64) this measured about 1.3
        // times faster than the one-instruction `i8x16_shuffle` byte rotation.
        self.rotl_shifts::<16, 16>()
    }
    #[inline(always)]
    fn rotl12(self) -> Self {
        self.rotl_shifts::<12, 20>()
    }
    #[inline(always)]
    fn rotl8(self) -> Self {
        self.rotl_shifts::<8, 24>()
    }
    #[inline(always)]
    fn rotl7(self) -> Self {
        self.rotl_shifts::<7, 25>()
    }
    #[inline(always)]
    fn shift1(self) -> Self {
        Self(core::arch::wasm32::i32x4_shuffle::<1, 2, 3, 0>(
            self.0, self.0,
        ))
    }
    #[inline(always)]
    fn shift2(self) -> Self {
        Self(core::arch::wasm32::i32x4_shuffle::<2, 3, 0, 1>(
            self.0, self.0,
        ))
    }
    #[inline(always)]
    fn shift3(self) -> Self {
        Self(core::arch::wasm32::i32x4_shuffle::<3, 0, 1, 2>(
            self.0, self.0,
        ))
    }
    #[inline(always)]
    fn xor_into(self, bytes: &mut [u8; 16]) {
        use core::arch::wasm32::{u32x4, u32x4_extract_lane, v128_xor};
        // LLVM turns the four word loads and lane stores into one `v128.load` and one
        // `v128.store` (checked in the `--emit asm` output), without `unsafe` pointers.
        let (words, _) = bytes.as_chunks_mut::<4>();
        let [w0, w1, w2, w3] = words else {
            return;
        };
        let x = v128_xor(
            u32x4(
                u32::from_le_bytes(*w0),
                u32::from_le_bytes(*w1),
                u32::from_le_bytes(*w2),
                u32::from_le_bytes(*w3),
            ),
            self.0,
        );
        *w0 = u32x4_extract_lane::<0>(x).to_le_bytes();
        *w1 = u32x4_extract_lane::<1>(x).to_le_bytes();
        *w2 = u32x4_extract_lane::<2>(x).to_le_bytes();
        *w3 = u32x4_extract_lane::<3>(x).to_le_bytes();
    }
    #[inline(always)]
    fn to_bytes(self) -> [u8; 16] {
        let mut bytes = [0u8; 16];
        self.xor_into(&mut bytes);
        bytes
    }
}

/// The lane the AEAD uses: `v128` on wasm32 with `simd128`, else the portable one.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) type Fast = Simd;
/// The lane the AEAD uses: `v128` on wasm32 with `simd128`, else the portable one.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub(crate) type Fast = Portable;

/// One ChaCha20 block as four rows: constants, key words 0..4, key words 4..8, then the block
/// counter and the three nonce words.
type Rows<L> = [L; 4];

/// The ChaCha20 input block for `key` and `nonce` at block `counter` (RFC 8439 §2.3).
pub(crate) fn input_block<L: Lane>(key: &[u32; 8], nonce: &[u32; 3], counter: u32) -> Rows<L> {
    let [k0, k1, k2, k3, k4, k5, k6, k7] = *key;
    let [n0, n1, n2] = *nonce;
    [
        L::from_words(CONSTANTS),
        L::from_words([k0, k1, k2, k3]),
        L::from_words([k4, k5, k6, k7]),
        L::from_words([counter, n0, n1, n2]),
    ]
}

/// Four quarter rounds, one on each column of every block (RFC 8439 §2.1).
#[inline(always)]
fn quarter_rounds<L: Lane, const N: usize>(blocks: &mut [Rows<L>; N]) {
    for [a, b, c, d] in blocks.iter_mut() {
        *a = a.add(*b);
        *d = d.xor(*a).rotl16();
        *c = c.add(*d);
        *b = b.xor(*c).rotl12();
        *a = a.add(*b);
        *d = d.xor(*a).rotl8();
        *c = c.add(*d);
        *b = b.xor(*c).rotl7();
    }
}

/// `N` consecutive ChaCha20 blocks from `input` (its counter, then the next `N - 1`): 20 rounds
/// and the feed-forward addition (RFC 8439 §2.3).
#[inline(always)]
pub(crate) fn blocks<L: Lane, const N: usize>(input: &Rows<L>) -> [Rows<L>; N] {
    let [i0, i1, i2, i3] = *input;
    let start: [Rows<L>; N] =
        core::array::from_fn(|n| [i0, i1, i2, i3.add(L::from_words([n as u32, 0, 0, 0]))]);
    let mut x = start;
    for _ in 0..10 {
        // Column rounds.
        quarter_rounds(&mut x);
        // Diagonals into columns: a, c and d rotated so each diagonal of the block lines up
        // with b's column (the SSE2 backend's layout, b stays in place).
        for [a, _, c, d] in x.iter_mut() {
            *a = a.shift3();
            *c = c.shift1();
            *d = d.shift2();
        }
        quarter_rounds(&mut x);
        for [a, _, c, d] in x.iter_mut() {
            *a = a.shift1();
            *c = c.shift3();
            *d = d.shift2();
        }
    }
    for (block, start) in x.iter_mut().zip(start) {
        for (row, s) in block.iter_mut().zip(start) {
            *row = row.add(s);
        }
    }
    x
}

/// XORs the ChaCha20 keystream for `key` and `nonce` from block `counter` into `data`, four
/// blocks at a time. The caller keeps `data` under 2^32 blocks from `counter`.
pub(crate) fn apply_keystream<L: Lane>(
    key: &[u32; 8],
    nonce: &[u32; 3],
    counter: u32,
    data: &mut [u8],
) {
    let mut input = input_block::<L>(key, nonce, counter);
    let (chunks, tail) = data.as_chunks_mut::<CHUNK>();
    for chunk in chunks {
        xor_chunk(&mut input, chunk);
    }
    xor_tail(&mut input, tail);
}

/// XORs the next four blocks of keystream into `chunk` and moves `input` past them.
#[inline(always)]
fn xor_chunk<L: Lane>(input: &mut Rows<L>, chunk: &mut [u8; CHUNK]) {
    let keystream = blocks::<L, 4>(input);
    let (rows, _) = chunk.as_chunks_mut::<16>();
    for (dst, row) in rows.iter_mut().zip(keystream.iter().flatten()) {
        row.xor_into(dst);
    }
    advance(input, 4);
}

/// XORs keystream into the last `tail` (under 256 bytes) and moves `input` past it.
fn xor_tail<L: Lane>(input: &mut Rows<L>, tail: &mut [u8]) {
    if tail.is_empty() {
        return;
    }
    let mut keystream = [0u8; CHUNK];
    let (rows, _) = keystream.as_chunks_mut::<16>();
    for (dst, row) in rows.iter_mut().zip(blocks::<L, 4>(input).iter().flatten()) {
        *dst = row.to_bytes();
    }
    for (byte, k) in tail.iter_mut().zip(keystream) {
        *byte ^= k;
    }
    keystream.zeroize();
    advance(input, 4);
}

/// Moves the block counter of `input` on by `n`.
#[inline(always)]
fn advance<L: Lane>(input: &mut Rows<L>, n: u32) {
    let [_, _, _, d] = input;
    *d = d.add(L::from_words([n, 0, 0, 0]));
}

/// Poly1305 (RFC 8439 §2.5) in radix 2^32, as OpenSSL's 32-bit C code computes it: `r` in four
/// 32-bit limbs, the accumulator `h` in five, 16 + 4 multiplications per block with 64-bit
/// products (wasm32 has a native 64-bit multiply but no 64x64->128 one). Only whole 16-byte
/// blocks with the 2^128 bit set, which is all the AEAD feeds it (every part zero-padded).
pub(crate) struct Poly {
    /// The clamped `r`.
    r: [u32; 4],
    /// `r1..r3` times 5/4 (their low two bits are clamped to zero), for the reduction.
    s: [u32; 3],
    /// The accumulator, `h4` holding the bits from 128 up.
    h: [u32; 5],
    /// `s`, the second half of the key, added at the end.
    pad: [u32; 4],
}

impl Poly {
    /// Poly1305 keyed by `key` (`r` then `s`).
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        let (words, _) = key.as_chunks::<4>();
        let mut k = [0u32; 8];
        for (w, bytes) in k.iter_mut().zip(words) {
            *w = u32::from_le_bytes(*bytes);
        }
        let [k0, k1, k2, k3, k4, k5, k6, k7] = k;
        k.zeroize();
        let r = [
            k0 & 0x0fff_ffff,
            k1 & 0x0fff_fffc,
            k2 & 0x0fff_fffc,
            k3 & 0x0fff_fffc,
        ];
        let [_, r1, r2, r3] = r;
        Self {
            r,
            s: [r1 + (r1 >> 2), r2 + (r2 >> 2), r3 + (r3 >> 2)],
            h: [0; 5],
            pad: [k4, k5, k6, k7],
        }
    }

    /// Absorbs `data` zero-padded to a multiple of 16 bytes (RFC 8439 §2.8's padding).
    pub(crate) fn update_padded(&mut self, data: &[u8]) {
        let (blocks, tail) = data.as_chunks::<16>();
        for block in blocks {
            self.block(block);
        }
        if !tail.is_empty() {
            let mut last = [0u8; 16];
            for (dst, src) in last.iter_mut().zip(tail) {
                *dst = *src;
            }
            self.block(&last);
        }
    }

    /// Absorbs `message` as RFC 8439 §2.5 does, a last partial block ending with a 1 byte
    /// (not the AEAD's padding: for the §2.5.2 vector and the tests).
    #[cfg(test)]
    pub(crate) fn update_unpadded(&mut self, message: &[u8]) {
        let (blocks, tail) = message.as_chunks::<16>();
        for block in blocks {
            self.block(block);
        }
        if !tail.is_empty() {
            let mut last = [0u8; 16];
            for (dst, src) in last.iter_mut().zip(tail.iter().chain([&1])) {
                *dst = *src;
            }
            self.block_with(&last, 0);
        }
    }

    /// h = (h + block + 2^128) * r, partially reduced mod 2^130 - 5.
    #[inline(always)]
    fn block(&mut self, block: &[u8; 16]) {
        self.block_with(block, 1);
    }

    /// h = (h + block + `high` * 2^128) * r, partially reduced mod 2^130 - 5.
    #[inline(always)]
    fn block_with(&mut self, block: &[u8; 16], high: u32) {
        let [r0, r1, r2, r3] = self.r;
        let [s1, s2, s3] = self.s;
        let [h0, h1, h2, h3, h4] = self.h;
        let (m, _) = block.as_chunks::<4>();
        let mut words = [0u64; 4];
        for (w, bytes) in words.iter_mut().zip(m) {
            *w = u64::from(u32::from_le_bytes(*bytes));
        }
        let [m0, m1, m2, m3] = words;
        // h += m, with the 2^128 bit of a whole block.
        let d0 = u64::from(h0) + m0;
        let d1 = u64::from(h1) + (d0 >> 32) + m1;
        let d2 = u64::from(h2) + (d1 >> 32) + m2;
        let d3 = u64::from(h3) + (d2 >> 32) + m3;
        let h4 = h4 + (d3 >> 32) as u32 + high;
        let (h0, h1, h2, h3) = (d0 as u32, d1 as u32, d2 as u32, d3 as u32);
        let mul = |a: u32, b: u32| u64::from(a) * u64::from(b);
        // h *= r: every product under 2^60, each sum under 2^63.
        let d0 = mul(h0, r0) + mul(h1, s3) + mul(h2, s2) + mul(h3, s1);
        let d1 = mul(h0, r1) + mul(h1, r0) + mul(h2, s3) + mul(h3, s2) + u64::from(h4 * s1);
        let d2 = mul(h0, r2) + mul(h1, r1) + mul(h2, r0) + mul(h3, s3) + u64::from(h4 * s2);
        let d3 = mul(h0, r3) + mul(h1, r2) + mul(h2, r1) + mul(h3, r0) + u64::from(h4 * s3);
        let h4 = h4 * r0;
        // Carry the 32-bit limbs, then fold the bits from 130 up back in times 5.
        let d1 = d1 + (d0 >> 32);
        let d2 = d2 + (d1 >> 32);
        let d3 = d3 + (d2 >> 32);
        let h4 = h4 + (d3 >> 32) as u32;
        let c = (h4 >> 2) + (h4 & !3);
        let h4 = h4 & 3;
        let (h0, c) = (d0 as u32).overflowing_add(c);
        let (h1, c) = (d1 as u32).overflowing_add(u32::from(c));
        let (h2, c) = (d2 as u32).overflowing_add(u32::from(c));
        let (h3, c) = (d3 as u32).overflowing_add(u32::from(c));
        self.h = [h0, h1, h2, h3, h4 + u32::from(c)];
    }

    /// The tag: h fully reduced mod 2^130 - 5, plus `s`, mod 2^128.
    pub(crate) fn finalize(mut self) -> [u8; 16] {
        let [h0, h1, h2, h3, h4] = self.h;
        // g = h + 5 - 2^130: if it does not go negative, h was at least p, and g is h mod p.
        let t = u64::from(h0) + 5;
        let g0 = t as u32;
        let t = u64::from(h1) + (t >> 32);
        let g1 = t as u32;
        let t = u64::from(h2) + (t >> 32);
        let g2 = t as u32;
        let t = u64::from(h3) + (t >> 32);
        let g3 = t as u32;
        let g4 = h4 + (t >> 32) as u32;
        let mask = 0u32.wrapping_sub(g4 >> 2);
        let pick = |g: u32, h: u32| (g & mask) | (h & !mask);
        let h = [pick(g0, h0), pick(g1, h1), pick(g2, h2), pick(g3, h3)];
        let mut tag = [0u8; 16];
        let (out, _) = tag.as_chunks_mut::<4>();
        let mut carry = 0u64;
        for ((dst, h), pad) in out.iter_mut().zip(h).zip(self.pad) {
            let t = u64::from(h) + u64::from(pad) + carry;
            *dst = (t as u32).to_le_bytes();
            carry = t >> 32;
        }
        self.h.zeroize();
        tag
    }
}

impl Drop for Poly {
    fn drop(&mut self) {
        self.r.zeroize();
        self.s.zeroize();
        self.h.zeroize();
        self.pad.zeroize();
    }
}

/// ChaCha20-Poly1305 (RFC 8439 §2.8) with four-way ChaCha20 over [`Fast`] lanes: `v128`
/// in a wasm32 `simd128` build, portable words elsewhere. Its key is wiped when dropped.
pub(crate) struct ChaCha20Poly1305Simd {
    /// The 256-bit key as eight little-endian words.
    key: [u32; 8],
}

impl ChaCha20Poly1305Simd {
    /// The one-time Poly1305 key for `nonce`: the first 32 bytes of block 0 (RFC 8439 §2.6).
    pub(crate) fn poly1305_key(&self, nonce: &[u32; 3]) -> [u8; 32] {
        let [block0] = blocks::<Fast, 1>(&input_block(&self.key, nonce, 0));
        let [r, s, _, _] = block0;
        let mut key = [0u8; 32];
        let (halves, _) = key.as_chunks_mut::<16>();
        for (dst, row) in halves.iter_mut().zip([r, s]) {
            *dst = row.to_bytes();
        }
        key
    }

    /// The Poly1305 instance for `nonce`.
    fn mac(&self, nonce: &[u32; 3]) -> Poly {
        let mut key = self.poly1305_key(nonce);
        let mac = Poly::new(&key);
        key.zeroize();
        mac
    }

    /// Encrypts `data` in place from block 1, then authenticates the AAD, the ciphertext and
    /// the lengths; returns the tag.
    fn seal(&self, nonce: &[u32; 3], aad: &[u8], data: &mut [u8]) -> Result<[u8; 16], Error> {
        let lengths = lengths(aad, data)?;
        apply_keystream::<Fast>(&self.key, nonce, 1, data);
        let mut mac = self.mac(nonce);
        mac.update_padded(aad);
        mac.update_padded(data);
        mac.update_padded(&lengths);
        Ok(mac.finalize())
    }

    /// Checks `tag` over the AAD, the ciphertext `data` and the lengths, then decrypts `data`
    /// in place; if the tag is wrong, `data` is left untouched and the result is an error.
    fn open(
        &self,
        nonce: &[u32; 3],
        aad: &[u8],
        data: &mut [u8],
        tag: &[u8; 16],
    ) -> Result<(), Error> {
        use subtle::ConstantTimeEq as _;
        let lengths = lengths(aad, data)?;
        let mut mac = self.mac(nonce);
        mac.update_padded(aad);
        mac.update_padded(data);
        mac.update_padded(&lengths);
        if !bool::from(mac.finalize().ct_eq(tag)) {
            return Err(Error);
        }
        apply_keystream::<Fast>(&self.key, nonce, 1, data);
        Ok(())
    }
}

/// The last Poly1305 block of RFC 8439 §2.8: the AAD and data lengths, little-endian; an
/// error if the data is too long for the 32-bit block counter.
fn lengths(aad: &[u8], data: &[u8]) -> Result<[u8; 16], Error> {
    let aad_len = u64::try_from(aad.len()).map_err(|_| Error)?;
    let data_len = u64::try_from(data.len()).map_err(|_| Error)?;
    if data_len / BLOCK as u64 >= u64::from(u32::MAX) {
        return Err(Error);
    }
    let mut block = [0u8; 16];
    let (halves, _) = block.as_chunks_mut::<8>();
    for (dst, len) in halves.iter_mut().zip([aad_len, data_len]) {
        *dst = len.to_le_bytes();
    }
    Ok(block)
}

/// 12 nonce bytes as three little-endian words.
fn nonce_words(nonce: &Array<u8, U12>) -> [u32; 3] {
    let mut words = [0u32; 3];
    let (chunks, _) = nonce.as_slice().as_chunks::<4>();
    for (w, c) in words.iter_mut().zip(chunks) {
        *w = u32::from_le_bytes(*c);
    }
    words
}

impl KeySizeUser for ChaCha20Poly1305Simd {
    type KeySize = U32;
}

impl KeyInit for ChaCha20Poly1305Simd {
    fn new(key: &Array<u8, U32>) -> Self {
        let mut words = [0u32; 8];
        let (chunks, _) = key.as_slice().as_chunks::<4>();
        for (w, c) in words.iter_mut().zip(chunks) {
            *w = u32::from_le_bytes(*c);
        }
        Self { key: words }
    }
}

impl AeadCore for ChaCha20Poly1305Simd {
    type NonceSize = U12;
    type TagSize = U16;
    const TAG_POSITION: TagPosition = TagPosition::Postfix;
}

impl AeadInOut for ChaCha20Poly1305Simd {
    fn encrypt_inout_detached(
        &self,
        nonce: &aead::Nonce<Self>,
        associated_data: &[u8],
        buffer: InOutBuf<'_, '_, u8>,
    ) -> Result<aead::Tag<Self>, Error> {
        let data = buffer.into_out_with_copied_in();
        self.seal(&nonce_words(nonce), associated_data, data)
            .map(Array::from)
    }

    fn decrypt_inout_detached(
        &self,
        nonce: &aead::Nonce<Self>,
        associated_data: &[u8],
        buffer: InOutBuf<'_, '_, u8>,
        tag: &aead::Tag<Self>,
    ) -> Result<(), Error> {
        let data = buffer.into_out_with_copied_in();
        self.open(&nonce_words(nonce), associated_data, data, &tag.0)
    }
}

impl Drop for ChaCha20Poly1305Simd {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl ZeroizeOnDrop for ChaCha20Poly1305Simd {}

impl core::fmt::Debug for ChaCha20Poly1305Simd {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChaCha20Poly1305Simd")
            .finish_non_exhaustive()
    }
}
