//! PKCS#12 bundles through the component (`certificate.import-pkcs12`,
//! `QSslCertificate::importPkcs12`): bundles written at test time by `openssl pkcs12 -export`
//! (PBES2 with AES-256-CBC and a SHA-256 MAC) and `-export -legacy` (3DES key bag, RC2-40
//! certificate bag, SHA-1 MAC), with P-256 and RSA-2048 keys, give back the certificate, the key
//! and the CA certificate that went in; the imported identity serves TLS. A wrong passphrase,
//! a bundle without a key, truncated and garbage input are `invalid-input`, never a trap.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use common::server::{Srv, c2c_connect};
use common::*;
use sslsocket_host::{EncodingFormat, ErrorCode, KeyAlgorithm, Session};
use sslsocket_testkit as common;

/// `openssl pkcs12 -export` of the test PKI's server identity with the CA, with `flags`.
fn export(pki: &TestPki, flags: &[&str], passout: &str) -> Vec<u8> {
    std::fs::read(pki.pkcs12(flags, passout, "bundle.p12")).unwrap()
}

/// What `openssl pkcs12 -info` says of the bundle's encryption (to be sure what was tested).
fn describe(pki: &TestPki, flags: &[&str], passin: &str) -> String {
    let mut args = vec![
        "pkcs12",
        "-info",
        "-noout",
        "-in",
        "bundle.p12",
        "-passin",
        passin,
    ];
    args.extend_from_slice(flags);
    let output = std::process::Command::new("openssl")
        .args(&args)
        .current_dir(pki.dir.path())
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

fn is_invalid_input<T: std::fmt::Debug>(what: &str, r: &Result<T, ErrorCode>, needle: &str) {
    match r {
        Err(ErrorCode::InvalidInput(message)) => assert!(
            message.contains(needle),
            "{what}: {message:?} does not say {needle:?}"
        ),
        other => panic!("{what}: expected invalid-input, got {other:?}"),
    }
}

/// The imported bundle holds exactly what went in: the server certificate, the same key (same
/// PKCS#8 as the PEM key loaded directly) and the CA.
fn check_import(session: &mut Session, pki: &TestPki, data: &[u8], passphrase: &str, what: &str) {
    let bundle = session
        .import_pkcs12(data, passphrase)
        .unwrap()
        .unwrap_or_else(|e| panic!("{what}: {e:?}"));
    let server = session
        .certificate_from_pem(&pki.server.cert_pem)
        .unwrap()
        .unwrap();
    let ca = session
        .certificate_from_pem(&pki.ca.cert_pem)
        .unwrap()
        .unwrap();
    let key = session
        .private_key_from_data(pki.server.key_pem.as_bytes(), EncodingFormat::Pem)
        .unwrap()
        .unwrap();
    assert!(
        bundle.certificate.equals(session, &server).unwrap(),
        "{what}: certificate"
    );
    assert_eq!(bundle.ca_certificates.len(), 1, "{what}");
    assert!(
        bundle.ca_certificates[0].equals(session, &ca).unwrap(),
        "{what}: CA"
    );
    assert_eq!(
        bundle.private_key.to_der(session).unwrap(),
        key.to_der(session).unwrap(),
        "{what}: key"
    );
    for handle in [server, ca] {
        handle.drop(session).unwrap();
    }
    key.drop(session).unwrap();
    bundle.drop(session).unwrap();
}

#[test]
fn openssl_bundles_modern_and_legacy_with_ec_and_rsa_keys() {
    let mut session = session();
    for (kind, algorithm) in [
        (KeyKind::EcdsaP256, KeyAlgorithm::Ec),
        (KeyKind::Rsa2048, KeyAlgorithm::Rsa),
    ] {
        let pki = TestPki::new("p12-import", kind);
        for (flags, scheme) in [
            (&[][..], "AES-256-CBC"),
            (&["-legacy"][..], "pbeWithSHA1And3-KeyTripleDES-CBC"),
        ] {
            let what = format!("{algorithm:?} {flags:?}");
            let data = export(&pki, flags, "pass:s3cret");
            let info = describe(&pki, flags, "pass:s3cret");
            assert!(info.contains(scheme), "{what}: {info}");
            if flags.contains(&"-legacy") {
                assert!(info.contains("RC2"), "{what}: {info}");
            }
            check_import(&mut session, &pki, &data, "s3cret", &what);
            let bundle = session.import_pkcs12(&data, "s3cret").unwrap().unwrap();
            assert_eq!(
                bundle.private_key.algorithm(&mut session).unwrap(),
                algorithm
            );
            bundle.drop(&mut session).unwrap();

            let wrong = session.import_pkcs12(&data, "S3cret").unwrap();
            is_invalid_input(&format!("{what} wrong passphrase"), &wrong, "passphrase");
        }
    }
}

#[test]
fn empty_passphrase_and_no_mac() {
    let mut session = session();
    let pki = TestPki::new("p12-variants", KeyKind::EcdsaP256);
    let data = export(&pki, &[], "pass:");
    check_import(&mut session, &pki, &data, "", "empty passphrase");

    // Without a MAC a wrong passphrase shows when the bags do not decrypt.
    let data = export(&pki, &["-nomac"], "pass:s3cret");
    check_import(&mut session, &pki, &data, "s3cret", "no MAC");
    let wrong = session.import_pkcs12(&data, "wrong").unwrap();
    is_invalid_input("no MAC, wrong passphrase", &wrong, "");
}

#[test]
fn malformed_bundles_are_invalid_input_and_the_instance_lives_on() {
    let mut session = session();
    let pki = TestPki::new("p12-malformed", KeyKind::EcdsaP256);
    let data = export(&pki, &[], "pass:s3cret");

    let no_key = export(&pki, &["-nokeys"], "pass:s3cret");
    let r = session.import_pkcs12(&no_key, "s3cret").unwrap();
    is_invalid_input("-nokeys", &r, "no private key");

    for len in (0..data.len()).step_by(37) {
        let r = session.import_pkcs12(&data[..len], "s3cret").unwrap();
        is_invalid_input(&format!("truncated to {len}"), &r, "");
    }
    let mut flipped = data.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    let r = session.import_pkcs12(&flipped, "s3cret").unwrap();
    is_invalid_input("one byte flipped", &r, "");
    for garbage in [
        &b""[..],
        b"garbage",
        pki.server.cert_pem.as_bytes(),
        &[0x30, 0x80, 0x02, 0x01, 0x03, 0x00, 0x00],
    ] {
        let r = session.import_pkcs12(garbage, "s3cret").unwrap();
        is_invalid_input("garbage", &r, "");
    }
    // The instance is alive and imports the good bundle after all that.
    check_import(&mut session, &pki, &data, "s3cret", "after the errors");
}

/// The imported certificate and key serve TLS: a server in one instance with the bundle's
/// identity, a client in another trusting the CA.
#[test]
fn imported_identity_serves_tls() {
    let pki = TestPki::new("p12-serve", KeyKind::EcdsaP256);
    let data = export(&pki, &["-legacy"], "pass:s3cret");
    let mut session = session();
    let bundle = session.import_pkcs12(&data, "s3cret").unwrap().unwrap();
    let server = session.new_server().unwrap();
    let chain = [&bundle.certificate, &bundle.ca_certificates[0]];
    server
        .set_local_certificate_chain(&mut session, &chain)
        .unwrap();
    server
        .set_private_key(&mut session, &bundle.private_key)
        .unwrap()
        .unwrap();
    server
        .listen(&mut session, "127.0.0.1", 0)
        .unwrap()
        .unwrap();
    let port = server.server_port(&mut session).unwrap();
    let mut srv = Srv {
        session,
        server,
        port,
    };
    let mut cs = common::session();
    let client = socket_trusting(&mut cs, &pki.ca.cert_pem);
    let (encrypted, accepted, events) = c2c_connect(&mut cs, client, "localhost", &mut srv);
    assert!(encrypted, "server events {events:?}");
    assert!(accepted.is_some());
    assert_eq!(client.ssl_error_report(&mut cs).unwrap(), vec![]);
}
