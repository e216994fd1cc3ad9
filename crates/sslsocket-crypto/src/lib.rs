//! A rustls [`CryptoProvider`] built directly on the RustCrypto crates: pure Rust, no C, no
//! assembly, so it compiles to `wasm32-wasip2` as it does natively. It is the provider inside the
//! `sslsocket` WebAssembly component, and usable on its own with any rustls 0.23 configuration:
//!
//! ```
//! let provider = std::sync::Arc::new(sslsocket_crypto::provider());
//! let config = rustls::ClientConfig::builder_with_provider(provider)
//!     .with_safe_default_protocol_versions()?
//!     .with_root_certificates(rustls::RootCertStore::empty())
//!     .with_no_client_auth();
//! # let _ = config;
//! # Ok::<(), rustls::Error>(())
//! ```
//!
//! What it offers:
//!
//! - cipher suites: TLS 1.3 AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305; TLS 1.2 ECDHE with
//!   ECDSA or RSA and the same three AEADs (ChaCha20-Poly1305 is preferred on wasm32, which has
//!   no AES instructions);
//! - key exchange groups: the post-quantum hybrids X25519MLKEM768 and SecP256r1MLKEM768 (ML-KEM-768,
//!   FIPS 203) and SecP384r1MLKEM1024 (ML-KEM-1024), and X25519, P-256, P-384, P-521; off by
//!   default, chosen by name: the pure ML-KEM groups MLKEM768 and MLKEM1024;
//! - signatures: ECDSA P-256 / P-384 / P-521, Ed25519, RSA PKCS#1 v1.5 and RSASSA-PSS, to verify and with
//!   our own private keys;
//! - randomness from the operating system (`getrandom`: `wasi:random` in a component);
//! - stateless session tickets whose keys servers can share ([`Ticketer`]).
//!
//! | file | what | crates |
//! |---|---|---|
//! | `suites.rs` | the cipher suites | — |
//! | `aead.rs` | TLS 1.3 / 1.2 record protection | `aes-gcm`, `chacha20poly1305` (natively) |
//! | `chacha_simd.rs` | ChaCha20-Poly1305, four blocks at a time in `simd128` (the guest's) | — (ours) |
//! | `aes_gcm_simd.rs` | AES-GCM as vector-permute AES and 64-bit GHASH in `simd128` (the guest's) | — (ours) |
//! | `bench.rs` | the `bench` feature: the primitives' speed through this crate's API | — |
//! | `hash.rs` | SHA-256/384, HMAC (HKDF and the TLS 1.2 PRF come from rustls over it) | `sha2`, `hmac` |
//! | `kx.rs` | X25519, P-256, P-384, P-521 ECDHE | `x25519-dalek`, `p256`, `p384`, `p521` |
//! | `hybrid.rs` | X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024; MLKEM768, MLKEM1024 | `ml-kem` |
//! | `sign.rs` | our private keys (ECDSA, Ed25519, RSA) | `p256`, `p384`, `p521`, `ed25519-dalek`, `rsa` |
//! | `verify.rs` | certificate and handshake signatures | the same |
//! | `p256_field.rs`, `p256_point.rs` | the P-256 field (NIST fast reduction, constant time) and Jacobian points: ours, faster than `p256`'s in the guest | — (ours) |
//! | `p256_verify.rs` | ECDSA P-256 verification over them (variable time: public values only) | `p256` (parsing, scalars) |
//! | `p256_sign.rs` | ECDSA P-256 signing over them in the guest (fixed-base k·G, constant time) | `rfc6979`, `p256` (scalars) |
//! | `rng.rs` | randomness | `getrandom`, `chacha20` |
//! | `ticketer.rs` | stateless session tickets under named, shareable keys ([`Ticketer`]) | `chacha20poly1305` |
//!
//! Policy: TLS 1.2 and 1.3 with AEAD suites only; no SHA-1 or MD5 signatures; our own RSA keys
//! have [`MIN_RSA_BITS`]..=[`MAX_RSA_BITS`] bits. Certificate, CRL and OCSP signatures verify
//! with RSA moduli of 1024 to [`MAX_RSA_BITS`] bits: keys under [`MIN_RSA_BITS`] there are left
//! to the certificate policy on top (`sslsocket` reports them as an error the application may
//! ignore, as Qt does), so a verifier that only uses this provider's algorithms (such as rustls'
//! `WebPkiServerVerifier`) accepts them in a chain. Handshake signatures (ServerKeyExchange,
//! CertificateVerify) need [`MIN_RSA_BITS`] whatever errors are ignored: a smaller key fails the
//! handshake (`InvalidCertificate(BadSignature)`).
//!
//! Every primitive is checked against known-answer vectors (Wycheproof, RFCs) natively and
//! compiled for `wasm32-wasip2`, run in wasmtime (`tests/in_guest.rs`).
//!
//! WebAssembly gives no constant-time guarantee: the compiled code is JIT-compiled by the host,
//! and timing side channels cannot be ruled out. The `rsa` crate also has a known timing issue
//! (RUSTSEC-2023-0071): prefer ECDSA or Ed25519 private keys.
#![deny(unsafe_code)]
#![warn(unused_crate_dependencies)]
// The unit tests do not use the dev-dependencies of `tests/in_guest.rs` (wasmtime).
#![cfg_attr(test, allow(unused_crate_dependencies))]

mod aead;
mod aes_gcm_simd;
#[cfg(feature = "bench")]
pub mod bench;
mod chacha_simd;
mod hash;
mod hybrid;
mod kx;
mod p256_field;
mod p256_point;
mod p256_sign;
mod p256_verify;
mod rng;
mod rsa_sign;
mod rsa_simd;
mod sign;
mod suites;
mod ticketer;
mod verify;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_p256;
#[cfg(test)]
mod tests_rsa;
#[cfg(test)]
mod tests_rsa_sign;

use std::sync::Arc;

pub use ticketer::{DEFAULT_TICKET_LIFETIME, TICKET_KEY_LEN, TicketKey, TicketKeyError, Ticketer};

use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::{CipherSuite, NamedGroup, SupportedCipherSuite};

/// The smallest RSA modulus of a private key the provider loads, of a peer's handshake
/// signature, and the smallest `sslsocket` accepts in peer and CA certificates without reporting
/// an error (signatures in certificates themselves verify from 1024 bits).
pub const MIN_RSA_BITS: usize = 2048;

/// The largest RSA modulus accepted (as webpki with ring does): bounds the work one signature
/// from a peer can cost.
pub const MAX_RSA_BITS: usize = 8192;

/// The default order of preference natively: TLS 1.3 first, AES-128-GCM before AES-256-GCM
/// before ChaCha20-Poly1305, ECDSA before RSA.
#[cfg(not(target_arch = "wasm32"))]
const PREFERENCE: [CipherSuite; 9] = [
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// The default order of preference in WebAssembly: as natively, but ChaCha20-Poly1305 first in
/// each group. WebAssembly has no AES instructions; our `simd128` AES-GCM runs at about 40 % of
/// our ChaCha20-Poly1305's speed there (BENCHMARKS.md).
#[cfg(target_arch = "wasm32")]
const PREFERENCE: [CipherSuite; 9] = [
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
];

/// Every key exchange group, in the default order of preference: the post-quantum hybrid
/// X25519MLKEM768 first (as rustls and browsers do; a client also sends a plain X25519 share
/// with it, so classical servers need no HelloRetryRequest), then X25519, P-256, P-384, P-521,
/// and SecP256r1MLKEM768 and SecP384r1MLKEM1024 for peers that want a NIST-curve hybrid.
static GROUPS: [&dyn SupportedKxGroup; 7] = [
    &hybrid::X25519MLKEM768,
    &kx::X25519,
    &kx::SECP256R1,
    &kx::SECP384R1,
    &kx::SECP521R1,
    &hybrid::SECP256R1MLKEM768,
    &hybrid::SECP384R1MLKEM1024,
];

/// Groups that are not in the default list but may be chosen by name: ML-KEM-768 and
/// ML-KEM-1024 on their own (draft-connolly-tls-mlkem-key-agreement), which have no classical
/// part to fall back on.
static OPTIONAL_GROUPS: [&dyn SupportedKxGroup; 2] = [&hybrid::MLKEM768, &hybrid::MLKEM1024];

/// The provider with its suites in our order of preference and every group.
pub fn provider() -> CryptoProvider {
    let mut cipher_suites = suites::ALL.to_vec();
    cipher_suites.sort_by_key(|s| {
        PREFERENCE
            .iter()
            .position(|p| *p == s.suite())
            .unwrap_or(usize::MAX)
    });
    CryptoProvider {
        cipher_suites,
        kx_groups: GROUPS.to_vec(),
        signature_verification_algorithms: verify::ALGORITHMS,
        secure_random: &rng::OsRandom,
        key_provider: &sign::Keys,
    }
}

/// The provider limited to `suites` and `groups` (each in that order).
pub fn provider_with(
    suites: Vec<SupportedCipherSuite>,
    groups: Vec<&'static dyn SupportedKxGroup>,
) -> Arc<CryptoProvider> {
    let mut provider = provider();
    provider.cipher_suites = suites;
    provider.kx_groups = groups;
    Arc::new(provider)
}

/// Every suite of the provider, most preferred first.
pub fn all_suites() -> Vec<SupportedCipherSuite> {
    provider().cipher_suites
}

/// Every key exchange group of the default list, most preferred first (the optional pure ML-KEM
/// groups are found by [`group_by_name`] only).
pub fn all_groups() -> Vec<&'static dyn SupportedKxGroup> {
    GROUPS.to_vec()
}

/// The optional groups, off by default and chosen by name only: the pure ML-KEM groups.
pub fn optional_groups() -> Vec<&'static dyn SupportedKxGroup> {
    OPTIONAL_GROUPS.to_vec()
}

/// The group called `name`, case-insensitively: the IANA name (`X25519MLKEM768`,
/// `SecP256r1MLKEM768`, `SecP384r1MLKEM1024`, `x25519`, `secp256r1`, `secp384r1`, `secp521r1`,
/// and the optional `MLKEM768`, `MLKEM1024`) or OpenSSL's alias (`P-256`, `prime256v1`,
/// `P-384`, `P-521`).
pub fn group_by_name(name: &str) -> Option<&'static dyn SupportedKxGroup> {
    let wanted = match name.to_ascii_lowercase().as_str() {
        "p-256" | "prime256v1" => NamedGroup::secp256r1,
        "p-384" => NamedGroup::secp384r1,
        "p-521" => NamedGroup::secp521r1,
        other => {
            return GROUPS
                .iter()
                .chain(&OPTIONAL_GROUPS)
                .find(|g| group_name(g.name()).eq_ignore_ascii_case(other))
                .copied();
        }
    };
    GROUPS.iter().find(|g| g.name() == wanted).copied()
}

/// The IANA name of a group, as `key-exchange-group` reports it.
pub fn group_name(group: NamedGroup) -> String {
    match group {
        NamedGroup::X25519MLKEM768 => "X25519MLKEM768".into(),
        NamedGroup::secp256r1MLKEM768 => "SecP256r1MLKEM768".into(),
        NamedGroup::X25519 => "X25519".into(),
        NamedGroup::MLKEM768 => "MLKEM768".into(),
        NamedGroup::MLKEM1024 => "MLKEM1024".into(),
        NamedGroup::Unknown(hybrid::SECP384R1_MLKEM1024_CODE) => "SecP384r1MLKEM1024".into(),
        other => format!("{other:?}"),
    }
}

/// A name for the TLS library, for `sslLibraryVersionString()`.
pub const LIBRARY_VERSION: &str =
    "rustls 0.23 with the sslsocket RustCrypto provider (pure Rust; ML-KEM hybrids)";
