//! The pure-Rust crypto provider and the policy this library puts on top of it.
//!
//! The provider is `rustls-rustcrypto` (RustCrypto's AES-GCM, ChaCha20-Poly1305, P-256/P-384
//! ECDSA/ECDH, X25519, Ed25519 and RSA), which compiles to `wasm32-wasip2` with no C compiler.
//! It accepts RSA keys of any size, so certificate verification enforces [`MIN_RSA_BITS`] itself
//! (see `engine::verify`), and key loading refuses smaller RSA keys (see `pki::key`).
//!
//! WebAssembly gives no constant-time guarantee: the compiled code is JIT-compiled by the host,
//! and timing side channels cannot be ruled out.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::{CipherSuite, SupportedCipherSuite};

/// The smallest RSA modulus accepted anywhere: in peer certificates, CA certificates and keys.
pub const MIN_RSA_BITS: usize = 2048;

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
/// each group. WebAssembly has no AES instructions; the software AES-GCM runs at about a quarter
/// of ChaCha20-Poly1305's speed there (BENCHMARKS.md), and ChaCha20 needs no table lookups.
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

/// The provider with its suites in [`PREFERENCE`] order.
pub fn provider() -> CryptoProvider {
    let mut provider = rustls_rustcrypto::provider();
    provider.cipher_suites.sort_by_key(|s| {
        PREFERENCE
            .iter()
            .position(|p| *p == s.suite())
            .unwrap_or(usize::MAX)
    });
    provider
}

/// The provider limited to `suites` (in that order).
pub fn provider_with_suites(suites: Vec<SupportedCipherSuite>) -> Arc<CryptoProvider> {
    let mut provider = provider();
    provider.cipher_suites = suites;
    Arc::new(provider)
}

/// Every suite of the provider, most preferred first.
pub fn all_suites() -> Vec<SupportedCipherSuite> {
    provider().cipher_suites
}

/// A name for the TLS library, for `sslLibraryVersionString()`.
pub const LIBRARY_VERSION: &str = "rustls 0.23 with rustls-rustcrypto 0.0.2-alpha (pure Rust)";
