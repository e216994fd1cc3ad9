//! Verifying a certificate chain without a connection (`QSslCertificate::verify`): the checks a
//! client's connection makes of a server's chain, against the default configuration's CA
//! database (the global one unless the default configuration has its own), as in Qt.

use rustls_pki_types::{ServerName, UnixTime};

use super::errors::{SslError, SslErrorEntry};
use super::settings::SslConfiguration;
use super::tls_config::trust_store;
use super::x509::{Context, Purpose, verify_chain};
use crate::pki::Certificate;
use sslsocket_crypto as crypto;

/// Verifies `chain` (leaf first, as a server sends it) as a new client socket connecting to
/// `host_name` would, with the default configuration's CA database and verify depth
/// (`QSslCertificate::verify(chain, hostName)`), and returns every error found in the order the
/// connection's `ssl-errors` would list them.
///
/// The leaf is checked for the serverAuth purpose, as by a connection (Qt's OpenSSL backend
/// sets no purpose here); there are no CRLs and no OCSP, which a connection only has when asked
/// for. `host_name` `None` or empty skips the name check, as in Qt; a name that cannot be a
/// host name or address matches no certificate (`host-name-mismatch`).
pub fn verify_certificate_chain(
    chain: &[Certificate],
    host_name: Option<&str>,
) -> Vec<SslErrorEntry> {
    let configuration = SslConfiguration::default_configuration();
    let store = trust_store(&configuration.ca_certificates());
    let algorithms = crypto::provider().signature_verification_algorithms;
    let context = Context {
        store: &store,
        crls: &[],
        algorithms: &algorithms,
        purpose: Purpose::ServerAuth,
        depth: configuration.peer_verify_depth(),
    };
    let host_name = host_name.filter(|name| !name.is_empty());
    let server_name = host_name.map(|name| ServerName::try_from(name.to_owned()));
    match server_name {
        Some(Err(_)) if !chain.is_empty() => {
            let mut errors = verify_chain(chain, &context, None, UnixTime::now());
            errors.insert(
                0,
                SslErrorEntry::new(SslError::HostNameMismatch, chain.first()),
            );
            errors
        }
        Some(Ok(name)) => verify_chain(chain, &context, Some(&name), UnixTime::now()),
        _ => verify_chain(chain, &context, None, UnixTime::now()),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    /// Against the default configuration (the system roots: the tests of this process share
    /// it, so it is not changed here).
    #[test]
    fn errors_in_the_connections_order() {
        let key = rcgen::KeyPair::generate();
        let cert = key.and_then(|key| {
            rcgen::CertificateParams::new(vec!["localhost".to_owned()])?.self_signed(&key)
        });
        let Ok(Ok(leaf)) = cert.map(|c| Certificate::from_der(c.der())) else {
            panic!("rcgen");
        };
        fn errors(chain: &[Certificate], name: Option<&str>) -> Vec<SslError> {
            verify_certificate_chain(chain, name)
                .into_iter()
                .map(|e| e.error)
                .collect()
        }
        use SslError::*;
        let chain = [leaf.clone()];
        assert_eq!(errors(&chain, Some("localhost")), [SelfSignedCertificate]);
        assert_eq!(errors(&chain, None), [SelfSignedCertificate]);
        assert_eq!(errors(&chain, Some("")), [SelfSignedCertificate]);
        assert_eq!(
            errors(&chain, Some("example.com")),
            [HostNameMismatch, SelfSignedCertificate]
        );
        assert_eq!(
            errors(&chain, Some("not a host name!")),
            [HostNameMismatch, SelfSignedCertificate]
        );
        assert_eq!(errors(&[], Some("localhost")), [NoPeerCertificate]);
        let entries = verify_certificate_chain(&chain, Some("localhost"));
        assert_eq!(
            entries.first().and_then(|e| e.certificate.as_ref()),
            Some(&leaf)
        );
    }
}
