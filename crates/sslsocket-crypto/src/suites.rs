//! The cipher suites: TLS 1.3 (RFC 8446 §B.4) and TLS 1.2 ECDHE with AEADs only (RFC 5289,
//! RFC 7905), each tied to its record cipher, hash and key-derivation function.

use rustls::crypto::tls12::PrfUsingHmac;
use rustls::crypto::tls13::HkdfUsingHmac;
use rustls::crypto::{CipherSuiteCommon, KeyExchangeAlgorithm};
use rustls::{
    CipherSuite, SignatureScheme, SupportedCipherSuite, Tls12CipherSuite, Tls13CipherSuite,
};

use super::hash::{HMAC_SHA256, HMAC_SHA384, SHA256, SHA384};
use super::{aead, sign};

/// Every suite, in no particular order (`crypto::PREFERENCE` orders them).
pub(crate) static ALL: [SupportedCipherSuite; 9] = [
    TLS13_AES_128_GCM_SHA256,
    TLS13_AES_256_GCM_SHA384,
    TLS13_CHACHA20_POLY1305_SHA256,
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// The records one AES-GCM key may protect (RFC 8446 §5.5: 2^24.5), as rustls's own providers
/// set it; ChaCha20-Poly1305 has no limit that matters. TLS 1.3 updates the key at the limit.
const AES_GCM_LIMIT: u64 = 1 << 24;

/// Signature schemes a TLS 1.2 ECDHE_ECDSA suite may use.
const TLS12_ECDSA_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::ED25519,
    SignatureScheme::ECDSA_NISTP521_SHA512,
    SignatureScheme::ECDSA_NISTP384_SHA384,
    SignatureScheme::ECDSA_NISTP256_SHA256,
];

/// Signature schemes a TLS 1.2 ECDHE_RSA suite may use: those our RSA keys sign with.
const TLS12_RSA_SCHEMES: &[SignatureScheme] = &sign::RSA_SCHEMES;

const TLS13_AES_128_GCM_SHA256: SupportedCipherSuite =
    SupportedCipherSuite::Tls13(&Tls13CipherSuite {
        common: CipherSuiteCommon {
            suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
            hash_provider: &SHA256,
            confidentiality_limit: AES_GCM_LIMIT,
        },
        hkdf_provider: &HkdfUsingHmac(&HMAC_SHA256),
        aead_alg: &aead::TLS13_AES_128_GCM,
        quic: None,
    });

const TLS13_AES_256_GCM_SHA384: SupportedCipherSuite =
    SupportedCipherSuite::Tls13(&Tls13CipherSuite {
        common: CipherSuiteCommon {
            suite: CipherSuite::TLS13_AES_256_GCM_SHA384,
            hash_provider: &SHA384,
            confidentiality_limit: AES_GCM_LIMIT,
        },
        hkdf_provider: &HkdfUsingHmac(&HMAC_SHA384),
        aead_alg: &aead::TLS13_AES_256_GCM,
        quic: None,
    });

const TLS13_CHACHA20_POLY1305_SHA256: SupportedCipherSuite =
    SupportedCipherSuite::Tls13(&Tls13CipherSuite {
        common: CipherSuiteCommon {
            suite: CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            hash_provider: &SHA256,
            confidentiality_limit: u64::MAX,
        },
        hkdf_provider: &HkdfUsingHmac(&HMAC_SHA256),
        aead_alg: &aead::TLS13_CHACHA20_POLY1305,
        quic: None,
    });

/// Defines a TLS 1.2 ECDHE suite.
macro_rules! tls12_suite {
    ($name:ident, $schemes:expr, $hash:expr, $hmac:expr, $aead:expr, $limit:expr) => {
        const $name: SupportedCipherSuite = SupportedCipherSuite::Tls12(&Tls12CipherSuite {
            common: CipherSuiteCommon {
                suite: CipherSuite::$name,
                hash_provider: $hash,
                confidentiality_limit: $limit,
            },
            kx: KeyExchangeAlgorithm::ECDHE,
            sign: $schemes,
            prf_provider: &PrfUsingHmac($hmac),
            aead_alg: $aead,
        });
    };
}

tls12_suite!(
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    TLS12_ECDSA_SCHEMES,
    &SHA256,
    &HMAC_SHA256,
    &aead::TLS12_AES_128_GCM,
    AES_GCM_LIMIT
);
tls12_suite!(
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    TLS12_ECDSA_SCHEMES,
    &SHA384,
    &HMAC_SHA384,
    &aead::TLS12_AES_256_GCM,
    AES_GCM_LIMIT
);
tls12_suite!(
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    TLS12_ECDSA_SCHEMES,
    &SHA256,
    &HMAC_SHA256,
    &aead::TLS12_CHACHA20_POLY1305,
    u64::MAX
);
tls12_suite!(
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    TLS12_RSA_SCHEMES,
    &SHA256,
    &HMAC_SHA256,
    &aead::TLS12_AES_128_GCM,
    AES_GCM_LIMIT
);
tls12_suite!(
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    TLS12_RSA_SCHEMES,
    &SHA384,
    &HMAC_SHA384,
    &aead::TLS12_AES_256_GCM,
    AES_GCM_LIMIT
);
tls12_suite!(
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    TLS12_RSA_SCHEMES,
    &SHA256,
    &HMAC_SHA256,
    &aead::TLS12_CHACHA20_POLY1305,
    u64::MAX
);
