//! Certificates, keys (with and without a passphrase), public keys, CRLs and PKCS#12 bundles
//! from arbitrary bytes, as PEM and as DER: every outcome is a value; what parses can be printed
//! and re-encoded.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sslsocket::engine::x509::parse_crls;
use sslsocket::pki::{Certificate, EncodingFormat, Key, Pkcs12Bundle};

fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = Pkcs12Bundle::import(data, "passphrase") {
        let _ = (bundle.certificate.to_text(), bundle.private_key.to_der());
    }
    for format in [EncodingFormat::Pem, EncodingFormat::Der] {
        if let Ok(certificates) = Certificate::from_data(data, format) {
            for certificate in certificates {
                let _ = certificate.to_text();
                let _ = certificate.subject_alternative_names();
                let _ = certificate.public_key();
                let _ = certificate.is_self_signed();
                let _ = certificate.extensions();
                let _ = Certificate::from_der(&certificate.to_der());
            }
        }
        if let Ok(key) = Key::private_from_data(data, format) {
            let _ = (key.to_pem(), key.length(), key.algorithm());
        }
        let _ = Key::private_from_data_with_passphrase(data, format, b"passphrase");
        let _ = Key::public_from_data(data, format);
        let _ = parse_crls(data, format);
    }
});
