//! AES-128-GCM and AES-256-GCM (FIPS 197, NIST SP 800-38D) for WebAssembly `simd128`: the
//! guest's record cipher for the TLS AES-GCM suites, where RustCrypto's `aes` (fixslice, 32-bit
//! words) and `polyval` (32-bit multiplications) have no SIMD path.
//!
//! Measured in wasmtime 48 (x86-64) with the guest's flags on 16 KiB records (2026-12),
//! `aes-gcm` spends about three quarters of its time in AES-CTR (about 75 MiB/s alone) and a
//! quarter in GHASH (about 240 MiB/s alone); so both are replaced here:
//!
//! - AES: each block is one 16-byte lane in FIPS 197's byte order, eight blocks side by side
//!   (four for the last bytes of a record). SubBytes is Mike Hamburg's vector-permute S-box
//!   ("Accelerating AES with Vector Permute Instructions", CHES 2009; the `vpaes` of OpenSSL
//!   and BoringSSL, whose tables `k_ipt`, `k_inv`, `k_sb1`, `k_sb2` and `k_sbo` are used here):
//!   the inversion in GF(2^8) as a tower over GF(2^4), computed with 16-entry lookups of
//!   nibbles. Each lookup is one `i8x16.swizzle`: the secret nibbles are lane indices, never
//!   memory addresses. As in vpaes the state stays in the tower basis between rounds (`k_ipt`
//!   maps the input and the round keys into it, a linear map), `k_sb1` and `k_sb2` give S(x)
//!   and 2 S(x) there, and MixColumns is vpaes' sum of rotated columns (2A + B + D + (2B + C));
//!   unlike vpaes, ShiftRows is applied in every round by the same byte shuffles, and the round
//!   keys are FIPS 197's (expanded with the same S-box), mapped into the tower basis. The tables
//!   leave out the S-box's constant 0x63, which is added to the round keys instead (it passes
//!   unchanged through ShiftRows and MixColumns); the last round leaves the tower basis
//!   through `k_sbo`.
//!   Swizzle indices: every lookup index is a nibble (0..15) or, after an inversion lookup of
//!   zero, has bit 7 set (vpaes' `1/0 = 0x80`); `pshufb` returns 0 for the latter because of bit
//!   7 and `i8x16.swizzle` because it is 16 or more, so the results agree.
//! - GHASH: BearSSL's `ghash_ctmul64` (Thomas Pornin): 64-bit carry-less products through
//!   integer multiplications of operands with holes (every fourth bit, so no carry reaches a
//!   bit that is kept), Karatsuba, the high halves through bit reversal, the reduction by
//!   shifts; wasm32 has a native 64-bit multiply (no 128-bit products are used). Four blocks
//!   are multiplied by H^4..H and summed before one reduction (the powers are computed once per
//!   key).
//! - GCM (SP 800-38D §7): the counter blocks are nonce || 32-bit big-endian counter from 2, the
//!   tag is GHASH over the padded AAD, the padded ciphertext and both bit lengths, plus
//!   E(K, nonce || 1). Sealing encrypts then authenticates; opening authenticates, compares the
//!   tag with `subtle`, and only then decrypts: a wrong tag leaves the ciphertext untouched.
//!
//! Measured the same way, alternating with the `aes-gcm` build: sealing about 3 times as fast
//! for AES-128-GCM (about 220 against 75 MiB/s) and about 4 times for AES-256-GCM (about 190
//! against 47); AES-CTR alone about 375 MiB/s, GHASH alone about 600 MiB/s.
//!
//! The AES code is written once, over the [`Lane`] trait (16 bytes): [`Simd`] (a `v128`, only
//! on `wasm32` with `simd128`) and [`Portable`] (a `[u8; 16]`, everywhere), so native tests
//! exercise the same algorithm that runs in the guest over `v128`. [`Portable`]'s lookup indexes
//! a 16-byte array by the secret nibble: it is there for the tests (natively the AEAD is
//! `aes-gcm`), not for production.
//!
//! Constant time by construction on `simd128`: no branch and no memory index depends on the
//! key, the nonce, the data or the tag (only on lengths and on whether the tag matched). No
//! `unsafe`: loads and stores are 64-bit word constructors and lane extractions.
//! WebAssembly itself gives no constant-time guarantee: the host's JIT compiler decides which
//! instructions run.

// Off wasm32 `simd128` only the tests use this module (the AEAD is `aes-gcm` there).
#![cfg_attr(
    not(all(target_arch = "wasm32", target_feature = "simd128")),
    allow(dead_code)
)]

use aes_gcm::aead::array::Array;
use aes_gcm::aead::consts::{U12, U16, U32};
use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::{self, AeadCore, AeadInOut, Error, KeyInit, KeySizeUser, TagPosition};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Bytes in one AES block.
const BLOCK: usize = 16;
/// Blocks encrypted side by side.
const WAYS: usize = 8;
/// Bytes of keystream in one step.
const CHUNK: usize = WAYS * BLOCK;
/// The most round keys (AES-256: 14 rounds).
const MAX_ROUND_KEYS: usize = 15;

/// Two 64-bit words, little-endian, as 16 bytes (vpaes writes its tables as `.quad` pairs).
const fn quads(lo: u64, hi: u64) -> [u8; 16] {
    let l = lo.to_le_bytes();
    let h = hi.to_le_bytes();
    [
        l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7], h[0], h[1], h[2], h[3], h[4], h[5], h[6],
        h[7],
    ]
}

/// vpaes `k_ipt` (low nibbles): into the tower basis.
const IPT_LO: [u8; 16] = quads(0xC2B2_E898_5A2A_7000, 0xCABA_E090_5222_7808);
/// vpaes `k_ipt` (high nibbles).
const IPT_HI: [u8; 16] = quads(0x4C01_307D_317C_4D00, 0xCD80_B1FC_B0FD_CC81);
/// vpaes `k_inv`: inverses in GF(2^4), `1/0` = 0x80.
const INV: [u8; 16] = quads(0x0E05_060F_0D08_0180, 0x0407_0309_0A0B_0C02);
/// vpaes `k_inv + 16`: `a/k` of the tower inversion.
const INV_A: [u8; 16] = quads(0x0104_0A06_0F0B_0780, 0x030D_0E0C_0205_0809);
/// vpaes `k_sbo` (`sbou`): out of the tower basis, first half.
const SBO_U: [u8; 16] = quads(0xD0D2_6D17_6FBD_C700, 0x15AA_BF7A_C502_A878);
/// vpaes `k_sbo + 16` (`sbot`): second half.
const SBO_T: [u8; 16] = quads(0xCFE4_74A5_5FBB_6A00, 0x8E1E_90D1_412B_35FA);
/// vpaes `k_sb1`: S(x) + 0x63 in the tower basis, first half.
const SB1_U: [u8; 16] = quads(0xB19B_E18F_CB50_3E00, 0xA5DF_7A6E_142A_F544);
/// vpaes `k_sb1 + 16`: second half.
const SB1_T: [u8; 16] = quads(0x3618_D415_FAE2_2300, 0x3BF7_CCC1_0D2E_D9EF);
/// vpaes `k_sb2`: 2 (S(x) + 0x63) in the tower basis, first half.
const SB2_U: [u8; 16] = quads(0xE27A_93C6_0B71_2400, 0x5EB7_E955_BC98_2FCD);
/// vpaes `k_sb2 + 16`: second half.
const SB2_T: [u8; 16] = quads(0x69EB_8840_0AE1_2900, 0xC2A1_63C8_AB82_234A);
/// The S-box's affine constant, which the S-box lookups leave out.
const S63: [u8; 16] = [0x63; 16];
/// Low-nibble mask.
const LOW_NIBBLES: [u8; 16] = [0x0f; 16];

/// 16 bytes, the unit the AES rounds operate on: one block, FIPS 197's column-major state.
pub(crate) trait Lane: Copy {
    /// The lane holding `bytes`.
    fn from_bytes(bytes: [u8; 16]) -> Self;
    /// The 16 bytes.
    fn to_bytes(self) -> [u8; 16];
    /// Bitwise exclusive or.
    fn xor(self, other: Self) -> Self;
    /// Bitwise and.
    fn and(self, other: Self) -> Self;
    /// Each byte shifted right by four bits (its high nibble).
    fn high_nibbles(self) -> Self;
    /// `self` as a table: byte `i` of the result is `self[index[i]]`, or 0 where `index[i]` is
    /// 16 or more (`i8x16.swizzle`).
    fn lookup(self, index: Self) -> Self;
    /// ShiftRows (FIPS 197 §5.1.2).
    fn shift_rows(self) -> Self;
    /// ShiftRows, then each column's bytes moved up one row.
    fn shift_rows_rot1(self) -> Self;
    /// ShiftRows, then each column's bytes moved up three rows.
    fn shift_rows_rot3(self) -> Self;
    /// Each column's bytes moved up one row.
    fn rot1(self) -> Self;
}

/// ShiftRows as byte indices.
const SHIFT_ROWS: [usize; 16] = [0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11];
/// ShiftRows, then a rotation of each column by one row.
const SHIFT_ROWS_ROT1: [usize; 16] = [5, 10, 15, 0, 9, 14, 3, 4, 13, 2, 7, 8, 1, 6, 11, 12];
/// ShiftRows, then a rotation of each column by three rows.
const SHIFT_ROWS_ROT3: [usize; 16] = [15, 0, 5, 10, 3, 4, 9, 14, 7, 8, 13, 2, 11, 12, 1, 6];
/// A rotation of each column by one row.
const ROT1: [usize; 16] = [1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12];

/// The portable lane: 16 bytes, for the tests (which run it beside [`Simd`] inside the
/// component); its lookup indexes memory by the index byte, so it is not for production.
#[cfg_attr(
    all(target_arch = "wasm32", target_feature = "simd128", not(test)),
    allow(dead_code)
)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Portable([u8; 16]);

#[cfg_attr(
    all(target_arch = "wasm32", target_feature = "simd128", not(test)),
    allow(dead_code)
)]
impl Portable {
    /// The bytes of `self` picked by `indices`.
    #[inline(always)]
    fn permute(self, indices: &[usize; 16]) -> Self {
        Self(indices.map(|i| self.0.get(i).copied().unwrap_or(0)))
    }
}

impl Lane for Portable {
    #[inline(always)]
    fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }
    #[inline(always)]
    fn to_bytes(self) -> [u8; 16] {
        self.0
    }
    #[inline(always)]
    fn xor(self, other: Self) -> Self {
        let mut out = self.0;
        for (o, b) in out.iter_mut().zip(other.0) {
            *o ^= b;
        }
        Self(out)
    }
    #[inline(always)]
    fn and(self, other: Self) -> Self {
        let mut out = self.0;
        for (o, b) in out.iter_mut().zip(other.0) {
            *o &= b;
        }
        Self(out)
    }
    #[inline(always)]
    fn high_nibbles(self) -> Self {
        Self(self.0.map(|b| b >> 4))
    }
    #[inline(always)]
    fn lookup(self, index: Self) -> Self {
        Self(
            index
                .0
                .map(|i| self.0.get(usize::from(i)).copied().unwrap_or(0)),
        )
    }
    #[inline(always)]
    fn shift_rows(self) -> Self {
        self.permute(&SHIFT_ROWS)
    }
    #[inline(always)]
    fn shift_rows_rot1(self) -> Self {
        self.permute(&SHIFT_ROWS_ROT1)
    }
    #[inline(always)]
    fn shift_rows_rot3(self) -> Self {
        self.permute(&SHIFT_ROWS_ROT3)
    }
    #[inline(always)]
    fn rot1(self) -> Self {
        self.permute(&ROT1)
    }
}

/// The `simd128` lane: one `v128` as 16 bytes.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Simd(core::arch::wasm32::v128);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl Lane for Simd {
    #[inline(always)]
    fn from_bytes(bytes: [u8; 16]) -> Self {
        // Two word constructors: LLVM makes them one `v128.load` (or a `v128.const`).
        let (halves, _) = bytes.as_chunks::<8>();
        let [lo, hi] = halves else {
            return Self(core::arch::wasm32::u64x2_splat(0));
        };
        Self(core::arch::wasm32::u64x2(
            u64::from_le_bytes(*lo),
            u64::from_le_bytes(*hi),
        ))
    }
    #[inline(always)]
    fn to_bytes(self) -> [u8; 16] {
        use core::arch::wasm32::u64x2_extract_lane;
        let mut bytes = [0u8; 16];
        let (halves, _) = bytes.as_chunks_mut::<8>();
        if let [lo, hi] = halves {
            *lo = u64x2_extract_lane::<0>(self.0).to_le_bytes();
            *hi = u64x2_extract_lane::<1>(self.0).to_le_bytes();
        }
        bytes
    }
    #[inline(always)]
    fn xor(self, other: Self) -> Self {
        Self(core::arch::wasm32::v128_xor(self.0, other.0))
    }
    #[inline(always)]
    fn and(self, other: Self) -> Self {
        Self(core::arch::wasm32::v128_and(self.0, other.0))
    }
    #[inline(always)]
    fn high_nibbles(self) -> Self {
        Self(core::arch::wasm32::u8x16_shr(self.0, 4))
    }
    #[inline(always)]
    fn lookup(self, index: Self) -> Self {
        Self(core::arch::wasm32::i8x16_swizzle(self.0, index.0))
    }
    #[inline(always)]
    fn shift_rows(self) -> Self {
        Self(core::arch::wasm32::i8x16_shuffle::<
            0,
            5,
            10,
            15,
            4,
            9,
            14,
            3,
            8,
            13,
            2,
            7,
            12,
            1,
            6,
            11,
        >(self.0, self.0))
    }
    #[inline(always)]
    fn shift_rows_rot1(self) -> Self {
        Self(core::arch::wasm32::i8x16_shuffle::<
            5,
            10,
            15,
            0,
            9,
            14,
            3,
            4,
            13,
            2,
            7,
            8,
            1,
            6,
            11,
            12,
        >(self.0, self.0))
    }
    #[inline(always)]
    fn shift_rows_rot3(self) -> Self {
        Self(core::arch::wasm32::i8x16_shuffle::<
            15,
            0,
            5,
            10,
            3,
            4,
            9,
            14,
            7,
            8,
            13,
            2,
            11,
            12,
            1,
            6,
        >(self.0, self.0))
    }
    #[inline(always)]
    fn rot1(self) -> Self {
        Self(core::arch::wasm32::i8x16_shuffle::<
            1,
            2,
            3,
            0,
            5,
            6,
            7,
            4,
            9,
            10,
            11,
            8,
            13,
            14,
            15,
            12,
        >(self.0, self.0))
    }
}

/// The lane the AEAD uses: `v128` on wasm32 with `simd128`, else the portable one.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) type Fast = Simd;
/// The lane the AEAD uses: `v128` on wasm32 with `simd128`, else the portable one.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub(crate) type Fast = Portable;

/// The lookup tables of the S-box as lanes (constants, no secret).
#[derive(Clone, Copy)]
struct Tables<L> {
    ipt_lo: L,
    ipt_hi: L,
    inv: L,
    inv_a: L,
    sb1_u: L,
    sb1_t: L,
    sb2_u: L,
    sb2_t: L,
    sbo_u: L,
    sbo_t: L,
    low: L,
}

impl<L: Lane> Tables<L> {
    #[inline(always)]
    fn new() -> Self {
        Self {
            ipt_lo: L::from_bytes(IPT_LO),
            ipt_hi: L::from_bytes(IPT_HI),
            inv: L::from_bytes(INV),
            inv_a: L::from_bytes(INV_A),
            sb1_u: L::from_bytes(SB1_U),
            sb1_t: L::from_bytes(SB1_T),
            sb2_u: L::from_bytes(SB2_U),
            sb2_t: L::from_bytes(SB2_T),
            sbo_u: L::from_bytes(SBO_U),
            sbo_t: L::from_bytes(SBO_T),
            low: L::from_bytes(LOW_NIBBLES),
        }
    }

    /// Each byte from the standard basis into the tower basis (`k_ipt`, a linear map).
    #[inline(always)]
    fn tower(&self, x: L) -> L {
        self.ipt_lo
            .lookup(x.and(self.low))
            .xor(self.ipt_hi.lookup(x.high_nibbles()))
    }

    /// The inversion of each byte `x` in the tower basis (vpaes `.Lenc_entry`): `i` = high
    /// nibble, `k` = low nibble, `j` = i + k; the two halves of the inverse, as indices for the
    /// output tables (a nibble, or bit 7 set for a zero).
    #[inline(always)]
    fn invert(&self, x: L) -> (L, L) {
        let i = x.high_nibbles();
        let k = x.and(self.low);
        let j = i.xor(k);
        let ak = self.inv_a.lookup(k);
        let iak = self.inv.lookup(i).xor(ak);
        let jak = self.inv.lookup(j).xor(ak);
        (self.inv.lookup(iak).xor(j), self.inv.lookup(jak).xor(i))
    }
}

/// SubBytes without its affine constant, S(x) + 0x63 for each byte, in the standard basis:
/// into the tower basis, inverted, and out through the S-box's linear part (`k_sbo`).
#[inline(always)]
fn sub_bytes<L: Lane>(t: &Tables<L>, x: L) -> L {
    let (io, jo) = t.invert(t.tower(x));
    t.sbo_u.lookup(io).xor(t.sbo_t.lookup(jo))
}

/// One full round without AddRoundKey, on a state in the tower basis: SubBytes (less 0x63,
/// and its double, both in the tower basis: `k_sb1`, `k_sb2`), ShiftRows and MixColumns.
#[inline(always)]
fn round<L: Lane>(t: &Tables<L>, x: L) -> L {
    let (io, jo) = t.invert(x);
    let s = t.sb1_u.lookup(io).xor(t.sb1_t.lookup(jo));
    let s2 = t.sb2_u.lookup(io).xor(t.sb2_t.lookup(jo));
    // MixColumns (FIPS 197 §5.1.3) of a = ShiftRows(s), row r of a column:
    // 2a[r] + 3a[r+1] + a[r+2] + a[r+3] = x[r] + a[r+3] + x[r+1] with x = 2a + a[r+1]
    // (vpaes' 2A + B, + D, + (2B + C)); every map is linear, so it holds in the tower basis.
    let x = s2.shift_rows().xor(s.shift_rows_rot1());
    x.xor(s.shift_rows_rot3()).xor(x.rot1())
}

/// The last round, on a state in the tower basis: SubBytes (less 0x63) back in the standard
/// basis, and ShiftRows.
#[inline(always)]
fn last_round<L: Lane>(t: &Tables<L>, x: L) -> L {
    let (io, jo) = t.invert(x);
    t.sbo_u.lookup(io).xor(t.sbo_t.lookup(jo)).shift_rows()
}

/// AES round keys as lanes, from FIPS 197's: the state between rounds is kept in the tower
/// basis, so the first key and the middle ones are mapped into it; every key after the first
/// has 0x63 added to each byte (the constant the S-box lookups leave out passes unchanged
/// through ShiftRows and MixColumns).
struct RoundKeys<L> {
    keys: [L; MAX_ROUND_KEYS],
    rounds: usize,
}

impl<L: Lane> RoundKeys<L> {
    fn new(bytes: &[[u8; 16]; MAX_ROUND_KEYS], rounds: usize) -> Self {
        let t = Tables::<L>::new();
        let s63 = L::from_bytes(S63);
        let mut keys = bytes.map(L::from_bytes);
        for (r, key) in keys.iter_mut().enumerate() {
            if r > 0 {
                *key = key.xor(s63);
            }
            if r < rounds {
                *key = t.tower(*key);
            }
        }
        Self { keys, rounds }
    }

    /// `N` blocks encrypted side by side.
    #[inline(always)]
    fn encrypt<const N: usize>(&self, mut blocks: [L; N]) -> [L; N] {
        let t = Tables::<L>::new();
        let keys = self.keys.get(..=self.rounds).unwrap_or(&[]);
        let Some((first, rest)) = keys.split_first() else {
            return blocks;
        };
        let Some((last, middle)) = rest.split_last() else {
            return blocks;
        };
        for b in blocks.iter_mut() {
            *b = t.tower(*b).xor(*first);
        }
        for key in middle {
            for b in blocks.iter_mut() {
                *b = round(&t, *b).xor(*key);
            }
        }
        for b in blocks.iter_mut() {
            *b = last_round(&t, *b).xor(*last);
        }
        blocks
    }
}

/// The AES key expansion (FIPS 197 §5.2) for a 16- or 32-byte key, SubWord through
/// [`sub_bytes`]; round key `r` is bytes `16 r..16 r + 16`. The number of rounds is 10 or 14.
fn expand_key<L: Lane>(key: &[u8]) -> ([[u8; 16]; MAX_ROUND_KEYS], usize) {
    let nk = key.len() / 4;
    let rounds = nk + 6;
    let mut words = [0u32; 4 * MAX_ROUND_KEYS];
    let (chunks, _) = key.as_chunks::<4>();
    for (w, c) in words.iter_mut().zip(chunks) {
        *w = u32::from_be_bytes(*c);
    }
    let t = Tables::<L>::new();
    let sub_word = |w: u32| -> u32 {
        let mut bytes = [0u8; 16];
        let (head, _) = bytes.as_chunks_mut::<4>();
        if let Some(h) = head.first_mut() {
            *h = w.to_be_bytes();
        }
        let out = sub_bytes(&t, L::from_bytes(bytes)).to_bytes();
        let (head, _) = out.as_chunks::<4>();
        head.first().map_or(0, |h| u32::from_be_bytes(*h)) ^ 0x6363_6363
    };
    let mut rcon = 1u32;
    for i in nk..4 * (rounds + 1) {
        let prev = words.get(i - 1).copied().unwrap_or(0);
        let temp = if i % nk == 0 {
            let t = sub_word(prev.rotate_left(8)) ^ (rcon << 24);
            rcon = (rcon << 1) ^ (0x11b & 0u32.wrapping_sub(rcon >> 7));
            t
        } else if nk > 6 && i % nk == 4 {
            sub_word(prev)
        } else {
            prev
        };
        let back = words.get(i - nk).copied().unwrap_or(0);
        if let Some(w) = words.get_mut(i) {
            *w = back ^ temp;
        }
    }
    let mut keys = [[0u8; 16]; MAX_ROUND_KEYS];
    let (quads, _) = words.as_chunks::<4>();
    for (key, q) in keys.iter_mut().zip(quads) {
        let (out, _) = key.as_chunks_mut::<4>();
        for (o, w) in out.iter_mut().zip(q) {
            *o = w.to_be_bytes();
        }
    }
    words.zeroize();
    (keys, rounds)
}

/// The counter block `nonce || counter` (big-endian counter).
#[inline(always)]
fn counter_block(nonce: &[u8; 12], counter: u32) -> [u8; 16] {
    let mut block = [0u8; 16];
    let (head, tail) = block.split_at_mut(12);
    head.copy_from_slice(nonce);
    tail.copy_from_slice(&counter.to_be_bytes());
    block
}

/// XORs the AES-CTR keystream of GCM (SP 800-38D §6.5: 32-bit counter, `nonce || counter`)
/// from `counter` into `data`, [`WAYS`] blocks at a time, then the last bytes four blocks at a
/// time (so that a short record does not pay for eight).
fn apply_keystream<L: Lane>(keys: &RoundKeys<L>, nonce: &[u8; 12], counter: u32, data: &mut [u8]) {
    let (chunks, tail) = data.as_chunks_mut::<CHUNK>();
    let mut counter = counter;
    for chunk in chunks {
        counter = xor_step::<L, WAYS>(keys, nonce, counter, chunk);
    }
    for piece in tail.chunks_mut(4 * BLOCK) {
        counter = xor_step::<L, 4>(keys, nonce, counter, piece);
    }
}

/// XORs `N` blocks of keystream from `counter` into `piece` (at most `N` blocks long); returns
/// the next counter.
#[inline(always)]
fn xor_step<L: Lane, const N: usize>(
    keys: &RoundKeys<L>,
    nonce: &[u8; 12],
    counter: u32,
    piece: &mut [u8],
) -> u32 {
    let blocks: [L; N] = core::array::from_fn(|n| {
        L::from_bytes(counter_block(nonce, counter.wrapping_add(n as u32)))
    });
    let stream = keys.encrypt(blocks);
    let (whole, tail) = piece.as_chunks_mut::<BLOCK>();
    let mut stream = stream.iter();
    for (dst, k) in whole.iter_mut().zip(stream.by_ref()) {
        *dst = L::from_bytes(*dst).xor(*k).to_bytes();
    }
    if let Some(k) = stream.next().filter(|_| !tail.is_empty()) {
        let mut k = k.to_bytes();
        for (byte, k) in tail.iter_mut().zip(k) {
            *byte ^= k;
        }
        k.zeroize();
    }
    counter.wrapping_add(N as u32)
}

/// GHASH (SP 800-38D §6.4) as BearSSL's `ghash_ctmul64` computes it: the 128-bit values as two
/// big-endian 64-bit words (`1` the first eight bytes, `0` the last eight). Four blocks at a
/// time are multiplied by H^4, H^3, H^2 and H and summed before one reduction.
pub(crate) struct Ghash {
    /// H, H^2, H^3, H^4, each as its words, their sum, and the three bit-reversed (the
    /// Karatsuba operands of [`mul_acc`]).
    powers: [[u64; 6]; 4],
    /// The accumulator (`y1` first).
    y: [u64; 2],
}

/// The Karatsuba operands of the field element `[x1, x0]`.
#[inline(always)]
fn operands([x1, x0]: [u64; 2]) -> [u64; 6] {
    let (x0r, x1r) = (x0.reverse_bits(), x1.reverse_bits());
    [x0, x1, x0 ^ x1, x0r, x1r, x0r ^ x1r]
}

/// Adds the six partial carry-less products of `y` and `h` (both as [`operands`]) to `acc`.
#[inline(always)]
fn mul_acc(acc: &mut [u64; 6], y: &[u64; 6], h: &[u64; 6]) {
    for ((a, y), h) in acc.iter_mut().zip(y).zip(h) {
        *a ^= bmul64(*y, *h);
    }
}

/// The field element of the summed partial products `acc` (Karatsuba, the high halves back
/// from bit reversal, the shift, and the reduction).
#[inline(always)]
fn reduce(acc: &[u64; 6]) -> [u64; 2] {
    let [z0, z1, z2, z0h, z1h, z2h] = *acc;
    let z2 = z2 ^ z0 ^ z1;
    let z2h = z2h ^ z0h ^ z1h;
    let z0h = z0h.reverse_bits() >> 1;
    let z1h = z1h.reverse_bits() >> 1;
    let z2h = z2h.reverse_bits() >> 1;
    let v0 = z0;
    let v1 = z0h ^ z2;
    let v2 = z1 ^ z2h;
    let v3 = z1h;
    // The product of the bit-reflected values is one bit short: shift it back.
    let v3 = (v3 << 1) | (v2 >> 63);
    let v2 = (v2 << 1) | (v1 >> 63);
    let v1 = (v1 << 1) | (v0 >> 63);
    let v0 = v0 << 1;
    // Reduction modulo x^128 + x^7 + x^2 + x + 1 (in the reflected order).
    let v2 = v2 ^ v0 ^ (v0 >> 1) ^ (v0 >> 2) ^ (v0 >> 7);
    let v1 = v1 ^ (v0 << 63) ^ (v0 << 62) ^ (v0 << 57);
    let v3 = v3 ^ v1 ^ (v1 >> 1) ^ (v1 >> 2) ^ (v1 >> 7);
    let v2 = v2 ^ (v1 << 63) ^ (v1 << 62) ^ (v1 << 57);
    [v3, v2]
}

/// The product of `x` and `h` (as [`operands`]) in GHASH's field.
#[inline(always)]
fn field_mul(x: [u64; 2], h: &[u64; 6]) -> [u64; 2] {
    let mut acc = [0u64; 6];
    mul_acc(&mut acc, &operands(x), h);
    reduce(&acc)
}

/// A 16-byte block as two big-endian words.
#[inline(always)]
fn words(block: &[u8; 16]) -> [u64; 2] {
    let (halves, _) = block.as_chunks::<8>();
    let mut out = [0u64; 2];
    for (w, b) in out.iter_mut().zip(halves) {
        *w = u64::from_be_bytes(*b);
    }
    out
}

/// The low 64 bits of the carry-less product of `x` and `y`: integer products of the operands
/// with holes (every fourth bit), so that no carry reaches a bit that is kept.
#[inline(always)]
fn bmul64(x: u64, y: u64) -> u64 {
    const M0: u64 = 0x1111_1111_1111_1111;
    const M1: u64 = 0x2222_2222_2222_2222;
    const M2: u64 = 0x4444_4444_4444_4444;
    const M3: u64 = 0x8888_8888_8888_8888;
    let (x0, x1, x2, x3) = (x & M0, x & M1, x & M2, x & M3);
    let (y0, y1, y2, y3) = (y & M0, y & M1, y & M2, y & M3);
    let m = u64::wrapping_mul;
    let z0 = m(x0, y0) ^ m(x1, y3) ^ m(x2, y2) ^ m(x3, y1);
    let z1 = m(x0, y1) ^ m(x1, y0) ^ m(x2, y3) ^ m(x3, y2);
    let z2 = m(x0, y2) ^ m(x1, y1) ^ m(x2, y0) ^ m(x3, y3);
    let z3 = m(x0, y3) ^ m(x1, y2) ^ m(x2, y1) ^ m(x3, y0);
    (z0 & M0) | (z1 & M1) | (z2 & M2) | (z3 & M3)
}

impl Ghash {
    /// A fresh GHASH with the same key (the powers of H are computed once per key).
    pub(crate) fn fresh(&self) -> Self {
        Self {
            powers: self.powers,
            y: [0; 2],
        }
    }

    /// GHASH keyed by `h` = E(K, 0^128).
    pub(crate) fn new(h: &[u8; 16]) -> Self {
        let h = words(h);
        let h1 = operands(h);
        let h2 = field_mul(h, &h1);
        let h3 = field_mul(h2, &h1);
        let h4 = field_mul(h3, &h1);
        Self {
            powers: [h1, operands(h2), operands(h3), operands(h4)],
            y: [0; 2],
        }
    }

    /// Absorbs `data` zero-padded to a multiple of 16 bytes.
    pub(crate) fn update_padded(&mut self, data: &[u8]) {
        let (quads, rest) = data.as_chunks::<64>();
        for quad in quads {
            self.four_blocks(quad);
        }
        let (blocks, tail) = rest.as_chunks::<16>();
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

    /// y = (y + block) * H.
    #[inline(always)]
    fn block(&mut self, block: &[u8; 16]) {
        let [b1, b0] = words(block);
        let [y1, y0] = self.y;
        let [h, ..] = &self.powers;
        self.y = field_mul([y1 ^ b1, y0 ^ b0], h);
    }

    /// y = (y + b0) * H^4 + b1 * H^3 + b2 * H^2 + b3 * H, one reduction for four blocks.
    #[inline(always)]
    fn four_blocks(&mut self, quad: &[u8; 64]) {
        let (blocks, _) = quad.as_chunks::<16>();
        let mut acc = [0u64; 6];
        let mut y = self.y;
        for (block, h) in blocks.iter().zip(self.powers.iter().rev()) {
            let [b1, b0] = words(block);
            let [y1, y0] = y;
            mul_acc(&mut acc, &operands([y1 ^ b1, y0 ^ b0]), h);
            y = [0; 2];
        }
        self.y = reduce(&acc);
    }

    /// The GHASH value.
    pub(crate) fn finalize(mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        let (halves, _) = out.as_chunks_mut::<8>();
        for (dst, w) in halves.iter_mut().zip(self.y) {
            *dst = w.to_be_bytes();
        }
        self.y.zeroize();
        out
    }
}

impl Drop for Ghash {
    fn drop(&mut self) {
        self.powers.zeroize();
        self.y.zeroize();
    }
}

/// The key material of one AES-GCM key: the round keys (FIPS 197, as bytes so that they can be
/// wiped) and the GHASH key H.
struct Keyed {
    round_keys: [[u8; 16]; MAX_ROUND_KEYS],
    rounds: usize,
    /// GHASH keyed by H = E(K, 0^128), with nothing absorbed.
    ghash: Ghash,
}

impl Keyed {
    fn new(key: &[u8]) -> Self {
        let (round_keys, rounds) = expand_key::<Fast>(key);
        let keys = RoundKeys::<Fast>::new(&round_keys, rounds);
        let [h] = keys.encrypt([Fast::from_bytes([0; 16])]);
        let mut h = h.to_bytes();
        let ghash = Ghash::new(&h);
        h.zeroize();
        Self {
            round_keys,
            rounds,
            ghash,
        }
    }

    /// The round keys as lanes.
    fn lanes<L: Lane>(&self) -> RoundKeys<L> {
        RoundKeys::new(&self.round_keys, self.rounds)
    }

    /// GHASH over the padded AAD, the padded ciphertext and the bit lengths, plus E(K, J0):
    /// the tag (SP 800-38D §7.1 steps 5 to 6).
    fn tag<L: Lane>(
        &self,
        keys: &RoundKeys<L>,
        nonce: &[u8; 12],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<[u8; 16], Error> {
        let aad_bits = u64::try_from(aad.len())
            .ok()
            .and_then(|l| l.checked_mul(8))
            .ok_or(Error)?;
        let data_bits = u64::try_from(ciphertext.len())
            .ok()
            .and_then(|l| l.checked_mul(8))
            .ok_or(Error)?;
        let mut lengths = [0u8; 16];
        let (halves, _) = lengths.as_chunks_mut::<8>();
        for (dst, len) in halves.iter_mut().zip([aad_bits, data_bits]) {
            *dst = len.to_be_bytes();
        }
        let mut ghash = self.ghash.fresh();
        ghash.update_padded(aad);
        ghash.update_padded(ciphertext);
        ghash.update_padded(&lengths);
        let s = ghash.finalize();
        let [j0] = keys.encrypt([L::from_bytes(counter_block(nonce, 1))]);
        Ok(L::from_bytes(s).xor(j0).to_bytes())
    }

    /// Encrypts `data` in place from counter 2, then authenticates it; returns the tag.
    fn seal<L: Lane>(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
    ) -> Result<[u8; 16], Error> {
        check_lengths(aad, data)?;
        let keys = self.lanes::<L>();
        apply_keystream(&keys, nonce, 2, data);
        self.tag(&keys, nonce, aad, data)
    }

    /// Checks `tag` over the AAD and the ciphertext `data`, then decrypts `data` in place; if
    /// the tag is wrong, `data` is left untouched and the result is an error.
    fn open<L: Lane>(
        &self,
        nonce: &[u8; 12],
        aad: &[u8],
        data: &mut [u8],
        tag: &[u8; 16],
    ) -> Result<(), Error> {
        use subtle::ConstantTimeEq as _;
        check_lengths(aad, data)?;
        let keys = self.lanes::<L>();
        let mut expected = self.tag(&keys, nonce, aad, data)?;
        let matches = bool::from(expected.ct_eq(tag));
        expected.zeroize();
        if !matches {
            return Err(Error);
        }
        apply_keystream(&keys, nonce, 2, data);
        Ok(())
    }
}

/// SP 800-38D §5.2.1.1's limits: at most 2^39 - 256 bits of plaintext (the 32-bit counter
/// must not wrap) and 2^64 - 1 bits of AAD.
fn check_lengths(aad: &[u8], data: &[u8]) -> Result<(), Error> {
    const MAX_DATA: u64 = (1 << 36) - 32;
    const MAX_AAD: u64 = (1 << 61) - 1;
    let aad_len = u64::try_from(aad.len()).map_err(|_| Error)?;
    let data_len = u64::try_from(data.len()).map_err(|_| Error)?;
    if data_len > MAX_DATA || aad_len > MAX_AAD {
        return Err(Error);
    }
    Ok(())
}

impl Drop for Keyed {
    fn drop(&mut self) {
        self.round_keys.zeroize();
    }
}

/// 12 nonce bytes as an array.
fn nonce_bytes(nonce: &Array<u8, U12>) -> [u8; 12] {
    let mut out = [0u8; 12];
    out.copy_from_slice(nonce.as_slice());
    out
}

/// Defines an AES-GCM AEAD type over [`Keyed`] with the given key size.
macro_rules! aes_gcm_type {
    ($(#[$doc:meta])* $name:ident, $key_size:ty) => {
        $(#[$doc])*
        pub(crate) struct $name(Keyed);

        impl KeySizeUser for $name {
            type KeySize = $key_size;
        }

        impl KeyInit for $name {
            fn new(key: &Array<u8, $key_size>) -> Self {
                Self(Keyed::new(key.as_slice()))
            }
        }

        impl AeadCore for $name {
            type NonceSize = U12;
            type TagSize = U16;
            const TAG_POSITION: TagPosition = TagPosition::Postfix;
        }

        impl AeadInOut for $name {
            fn encrypt_inout_detached(
                &self,
                nonce: &aead::Nonce<Self>,
                associated_data: &[u8],
                buffer: InOutBuf<'_, '_, u8>,
            ) -> Result<aead::Tag<Self>, Error> {
                let data = buffer.into_out_with_copied_in();
                self.0
                    .seal::<Fast>(&nonce_bytes(nonce), associated_data, data)
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
                self.0
                    .open::<Fast>(&nonce_bytes(nonce), associated_data, data, &tag.0)
            }
        }

        impl ZeroizeOnDrop for $name {}

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($name)).finish_non_exhaustive()
            }
        }
    };
}

aes_gcm_type!(
    /// AES-128-GCM with the vector-permute AES and `ctmul64` GHASH over [`Fast`] lanes: `v128`
    /// in a wasm32 `simd128` build, portable bytes elsewhere. Its keys are wiped when dropped.
    Aes128GcmSimd,
    U16
);

aes_gcm_type!(
    /// AES-256-GCM, as [`Aes128GcmSimd`].
    Aes256GcmSimd,
    U32
);

/// For the tests: one AES block encrypted with `key` (16 or 32 bytes) over lane `L`.
#[cfg(test)]
pub(crate) fn encrypt_block<L: Lane>(key: &[u8], block: [u8; 16]) -> [u8; 16] {
    let (bytes, rounds) = expand_key::<L>(key);
    let [out] = RoundKeys::<L>::new(&bytes, rounds).encrypt([L::from_bytes(block)]);
    out.to_bytes()
}

/// For the tests: the AES-GCM keystream from `counter` over lane `L`.
#[cfg(test)]
pub(crate) fn keystream<L: Lane>(key: &[u8], nonce: &[u8; 12], counter: u32, data: &mut [u8]) {
    let (bytes, rounds) = expand_key::<L>(key);
    apply_keystream(&RoundKeys::<L>::new(&bytes, rounds), nonce, counter, data);
}

/// For the tests: sealing over lane `L`.
#[cfg(test)]
pub(crate) fn seal_with<L: Lane>(
    key: &[u8],
    nonce: &[u8; 12],
    aad: &[u8],
    data: &mut [u8],
) -> Result<[u8; 16], Error> {
    Keyed::new(key).seal::<L>(nonce, aad, data)
}
