//! Cipher suites as `QSslCipher` describes them.

use rustls::{CipherSuite, SupportedCipherSuite};

use super::protocol::Protocol;
use sslsocket_crypto as crypto;

/// A cipher suite. Mirrors `QSslCipher`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cipher {
    /// OpenSSL-style name (`name()`), as Qt shows it.
    pub name: &'static str,
    /// IANA registry name.
    pub iana_name: &'static str,
    /// `Protocol::TlsV12` or `Protocol::TlsV13` (`protocol()`).
    pub protocol: Protocol,
    /// Key exchange method (`keyExchangeMethod()`).
    pub key_exchange_method: &'static str,
    /// Authentication method (`authenticationMethod()`).
    pub authentication_method: &'static str,
    /// Encryption method (`encryptionMethod()`).
    pub encryption_method: &'static str,
    /// Bits of key used (`usedBits()`).
    pub used_bits: u32,
    /// Bits supported (`supportedBits()`).
    pub supported_bits: u32,
    /// The rustls identifier.
    pub suite: CipherSuite,
}

/// By the suite's IANA code point (rustls' `CipherSuite` is not `Hash`): equal ciphers have
/// equal suites, so this agrees with the derived equality.
impl std::hash::Hash for Cipher {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        u16::from(self.suite).hash(state);
    }
}

impl Cipher {
    /// The description of a rustls suite, `None` for a suite this table does not know.
    pub fn from_suite(suite: CipherSuite) -> Option<Self> {
        TABLE.iter().find(|c| c.suite == suite).cloned()
    }

    /// Finds a supported cipher by OpenSSL or IANA name (ASCII case-insensitive; rustls' own
    /// `TLS13_` spelling is accepted too).
    pub fn by_name(name: &str) -> Option<Self> {
        let name = name.trim();
        TABLE
            .iter()
            .find(|c| {
                c.name.eq_ignore_ascii_case(name)
                    || c.iana_name.eq_ignore_ascii_case(name)
                    || format!("{:?}", c.suite).eq_ignore_ascii_case(name)
            })
            .cloned()
    }

    /// `protocolString()`: `TLSv1.2` or `TLSv1.3`.
    pub fn protocol_string(&self) -> &'static str {
        self.protocol.version_string()
    }

    /// The rustls suite implementing this cipher.
    pub fn supported_suite(&self) -> Option<SupportedCipherSuite> {
        crypto::all_suites()
            .into_iter()
            .find(|s| s.suite() == self.suite)
    }
}

/// Every cipher the crypto provider offers, in the default order of preference
/// (`QSslSocket::supportedCiphers()`).
pub fn supported_ciphers() -> Vec<Cipher> {
    crypto::all_suites()
        .into_iter()
        .filter_map(|s| Cipher::from_suite(s.suite()))
        .collect()
}

/// Parses a colon-separated cipher list (`setCiphers(QString)`).
///
/// # Errors
/// A message naming the first unknown cipher, or saying that the list is empty.
pub fn parse_cipher_list(names: &str) -> Result<Vec<Cipher>, String> {
    let mut out = Vec::new();
    for name in names.split(':').map(str::trim).filter(|n| !n.is_empty()) {
        let cipher = Cipher::by_name(name).ok_or_else(|| format!("unknown cipher `{name}`"))?;
        if !out.contains(&cipher) {
            out.push(cipher);
        }
    }
    if out.is_empty() {
        return Err("the cipher list is empty".into());
    }
    Ok(out)
}

const fn tls13(
    name: &'static str,
    encryption: &'static str,
    bits: u32,
    suite: CipherSuite,
) -> Cipher {
    Cipher {
        name,
        iana_name: name,
        protocol: Protocol::TlsV13,
        key_exchange_method: "any",
        authentication_method: "any",
        encryption_method: encryption,
        used_bits: bits,
        supported_bits: bits,
        suite,
    }
}

const fn tls12(
    name: &'static str,
    iana_name: &'static str,
    authentication: &'static str,
    encryption: &'static str,
    bits: u32,
    suite: CipherSuite,
) -> Cipher {
    Cipher {
        name,
        iana_name,
        protocol: Protocol::TlsV12,
        key_exchange_method: "ECDH",
        authentication_method: authentication,
        encryption_method: encryption,
        used_bits: bits,
        supported_bits: bits,
        suite,
    }
}

/// OpenSSL's descriptions (`openssl ciphers -v`) of the suites the provider has.
static TABLE: [Cipher; 9] = [
    tls13(
        "TLS_AES_128_GCM_SHA256",
        "AESGCM(128)",
        128,
        CipherSuite::TLS13_AES_128_GCM_SHA256,
    ),
    tls13(
        "TLS_AES_256_GCM_SHA384",
        "AESGCM(256)",
        256,
        CipherSuite::TLS13_AES_256_GCM_SHA384,
    ),
    tls13(
        "TLS_CHACHA20_POLY1305_SHA256",
        "CHACHA20/POLY1305(256)",
        256,
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    ),
    tls12(
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "ECDSA",
        "AESGCM(128)",
        128,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ),
    tls12(
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "ECDSA",
        "AESGCM(256)",
        256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ),
    tls12(
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "ECDSA",
        "CHACHA20/POLY1305(256)",
        256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
    tls12(
        "ECDHE-RSA-AES128-GCM-SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "RSA",
        "AESGCM(128)",
        128,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ),
    tls12(
        "ECDHE-RSA-AES256-GCM-SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "RSA",
        "AESGCM(256)",
        256,
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ),
    tls12(
        "ECDHE-RSA-CHACHA20-POLY1305",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "RSA",
        "CHACHA20/POLY1305(256)",
        256,
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_suite_is_described() {
        let suites = crypto::all_suites();
        assert_eq!(supported_ciphers().len(), suites.len());
        assert_eq!(suites.len(), 9);
    }

    #[test]
    fn names_resolve_in_every_spelling() {
        for name in [
            "ECDHE-RSA-AES128-GCM-SHA256",
            "tls_ecdhe_rsa_with_aes_128_gcm_sha256",
        ] {
            assert_eq!(
                Cipher::by_name(name).map(|c| c.suite),
                Some(CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)
            );
        }
        assert_eq!(
            Cipher::by_name("TLS13_AES_256_GCM_SHA384").map(|c| c.name),
            Some("TLS_AES_256_GCM_SHA384")
        );
        assert!(Cipher::by_name("RC4-MD5").is_none());
    }

    #[test]
    fn cipher_lists_parse_and_reject_unknown_names() {
        let list = parse_cipher_list("TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES256-GCM-SHA384");
        assert_eq!(list.map(|l| l.len()), Ok(2));
        assert_eq!(
            parse_cipher_list("TLS_AES_128_GCM_SHA256:NULL-MD5"),
            Err("unknown cipher `NULL-MD5`".to_string())
        );
        assert!(parse_cipher_list(" : ").is_err());
    }
}
