//! Certificate and key parsing through the component, for every format: PEM (one and many) and
//! DER certificates; PKCS#8 (PEM, DER, encrypted), PKCS#1 and SEC1 private keys for P-256, P-384,
//! Ed25519 and RSA-2048 made by `openssl`; public keys from certificates and `openssl pkey -pubout`.
//! Every malformed input is `invalid-input`, never a trap, and the instance stays usable.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use common::scenarios::{self, ca_params, leaf_params, openssl_bytes, root, sub_ca};
use common::*;
use rcgen::{BasicConstraints, IsCa};
use sslsocket_host::{
    EncodingFormat, ErrorCode, KeyAlgorithm, KeyType, Session, SubjectInfoAttribute,
};
use sslsocket_testkit as common;

use EncodingFormat::{Der, Pem};

fn read(dir: &TempDir, name: &str) -> Vec<u8> {
    std::fs::read(dir.path().join(name)).unwrap()
}

fn is_invalid_input<T: std::fmt::Debug>(what: &str, r: &Result<T, ErrorCode>) {
    assert!(
        matches!(r, Err(ErrorCode::InvalidInput(_))),
        "{what}: expected invalid-input, got {r:?}"
    );
}

/// One private key in every encoding openssl makes for it.
struct KeyFiles {
    name: &'static str,
    algorithm: KeyAlgorithm,
    bits: u32,
    /// (description, data, format) of the same key, unencrypted.
    encodings: Vec<(String, Vec<u8>, EncodingFormat)>,
    /// SubjectPublicKeyInfo PEM and DER.
    public_pem: Vec<u8>,
    public_der: Vec<u8>,
    /// PKCS#8 encrypted with the passphrase `secret`: AES-256-CBC (PBKDF2) PEM and DER, scrypt PEM,
    /// PKCS#12's SHA-1 3DES PBE DER.
    encrypted: Vec<(String, Vec<u8>, EncodingFormat)>,
}

/// Makes a key with `openssl genpkey <genpkey>` and converts it to every format.
fn key_files(
    dir: &TempDir,
    name: &'static str,
    genpkey: &[&str],
    algorithm: KeyAlgorithm,
    bits: u32,
) -> KeyFiles {
    let pem = format!("{name}.pem");
    let mut args = vec!["genpkey"];
    args.extend_from_slice(genpkey);
    args.extend_from_slice(&["-out", &pem]);
    openssl_bytes(dir, &args);
    let pkcs8_der = openssl_bytes(
        dir,
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", &pem, "-outform", "DER",
        ],
    );
    let mut encodings = vec![
        ("PKCS#8 PEM".to_owned(), read(dir, &pem), Pem),
        ("PKCS#8 DER".to_owned(), pkcs8_der, Der),
    ];
    match algorithm {
        KeyAlgorithm::Rsa => {
            encodings.push((
                "PKCS#1 PEM".to_owned(),
                openssl_bytes(dir, &["rsa", "-in", &pem, "-traditional"]),
                Pem,
            ));
            encodings.push((
                "PKCS#1 DER".to_owned(),
                openssl_bytes(
                    dir,
                    &["rsa", "-in", &pem, "-traditional", "-outform", "DER"],
                ),
                Der,
            ));
        }
        KeyAlgorithm::Ec => {
            encodings.push((
                "SEC1 PEM".to_owned(),
                openssl_bytes(dir, &["ec", "-in", &pem]),
                Pem,
            ));
            encodings.push((
                "SEC1 DER".to_owned(),
                openssl_bytes(dir, &["ec", "-in", &pem, "-outform", "DER"]),
                Der,
            ));
        }
        KeyAlgorithm::Ed25519 => {}
    }
    for (what, data, _) in &encodings {
        if what.ends_with("PEM") {
            let text = String::from_utf8_lossy(data);
            let label = match what.as_str() {
                "PKCS#1 PEM" => "-----BEGIN RSA PRIVATE KEY-----",
                "SEC1 PEM" => "-----BEGIN EC PRIVATE KEY-----",
                _ => "-----BEGIN PRIVATE KEY-----",
            };
            assert!(text.contains(label), "{name} {what}: {text}");
        }
    }
    let encrypted = vec![
        (
            "encrypted PKCS#8 PEM (AES-256-CBC)".to_owned(),
            openssl_bytes(
                dir,
                &[
                    "pkcs8",
                    "-topk8",
                    "-v2",
                    "aes-256-cbc",
                    "-passout",
                    "pass:secret",
                    "-in",
                    &pem,
                ],
            ),
            Pem,
        ),
        (
            "encrypted PKCS#8 DER (AES-256-CBC)".to_owned(),
            openssl_bytes(
                dir,
                &[
                    "pkcs8",
                    "-topk8",
                    "-v2",
                    "aes-256-cbc",
                    "-passout",
                    "pass:secret",
                    "-in",
                    &pem,
                    "-outform",
                    "DER",
                ],
            ),
            Der,
        ),
        (
            "encrypted PKCS#8 PEM (scrypt)".to_owned(),
            openssl_bytes(
                dir,
                &[
                    "pkcs8",
                    "-topk8",
                    "-scrypt",
                    "-passout",
                    "pass:secret",
                    "-in",
                    &pem,
                ],
            ),
            Pem,
        ),
        (
            "encrypted PKCS#8 DER (PKCS#12 PBE, SHA-1 and 3DES)".to_owned(),
            openssl_bytes(
                dir,
                &[
                    "pkcs8",
                    "-topk8",
                    "-v1",
                    "PBE-SHA1-3DES",
                    "-passout",
                    "pass:secret",
                    "-in",
                    &pem,
                    "-outform",
                    "DER",
                ],
            ),
            Der,
        ),
    ];
    KeyFiles {
        name,
        algorithm,
        bits,
        public_pem: openssl_bytes(dir, &["pkey", "-in", &pem, "-pubout"]),
        public_der: openssl_bytes(dir, &["pkey", "-in", &pem, "-pubout", "-outform", "DER"]),
        encodings,
        encrypted,
    }
}

/// A known-good certificate and key still parse: the instance is alive.
fn alive(session: &mut Session) {
    let ca = sslsocket_testkit::testpki::Authority::new("alive").unwrap();
    let cert = session.certificate_from_pem(&ca.cert_pem).unwrap().unwrap();
    assert_eq!(cert.subject(session).unwrap(), "CN=alive, O=sslsocket test");
    cert.drop(session).unwrap();
}

/// Checks a parsed private key and its round trips; returns its canonical DER.
fn check_private(
    session: &mut Session,
    kf: &KeyFiles,
    what: &str,
    key: sslsocket_host::Key,
) -> Vec<u8> {
    let ctx = format!("{} {what}", kf.name);
    assert_eq!(key.algorithm(session).unwrap(), kf.algorithm, "{ctx}");
    assert_eq!(key.length(session).unwrap(), kf.bits, "{ctx}");
    assert_eq!(key.key_type(session).unwrap(), KeyType::PrivateKey, "{ctx}");
    let pem = key.to_pem(session).unwrap();
    // The WIT: "PKCS#8 for private keys", whatever the input encoding was.
    assert!(
        pem.starts_with("-----BEGIN PRIVATE KEY-----"),
        "{ctx}: to-pem must be PKCS#8, got {:?}",
        pem.lines().next()
    );
    let der = key.to_der(session).unwrap();
    let again = session
        .private_key_from_data(pem.as_bytes(), Pem)
        .unwrap()
        .unwrap_or_else(|e| panic!("{ctx}: to-pem does not parse again: {e:?}"));
    assert_eq!(again.to_der(session).unwrap(), der, "{ctx}: PEM round trip");
    again.drop(session).unwrap();
    let again = session
        .private_key_from_data(&der, Der)
        .unwrap()
        .unwrap_or_else(|e| panic!("{ctx}: to-der does not parse again: {e:?}"));
    assert_eq!(again.to_pem(session).unwrap(), pem, "{ctx}: DER round trip");
    again.drop(session).unwrap();
    key.drop(session).unwrap();
    der
}

fn check_key_files(session: &mut Session, kf: &KeyFiles) {
    // Every unencrypted encoding gives the same key.
    let mut canonical: Option<Vec<u8>> = None;
    for (what, data, format) in &kf.encodings {
        let key = session
            .private_key_from_data(data, *format)
            .unwrap()
            .unwrap_or_else(|e| panic!("{} {what}: {e:?}", kf.name));
        let der = check_private(session, kf, what, key);
        match &canonical {
            None => canonical = Some(der),
            Some(first) => assert!(
                &der == first,
                "{} {what}: to-der must be the PKCS#8 DER of the same key; starts {:02x?}",
                kf.name,
                &der[..der.len().min(12)]
            ),
        }
        // The passphrase variant accepts unencrypted keys too.
        let key = session
            .private_key_from_data_with_passphrase(data, *format, b"ignored")
            .unwrap()
            .unwrap_or_else(|e| panic!("{} {what} with a passphrase: {e:?}", kf.name));
        check_private(session, kf, what, key);
        // A private key is not a public key.
        is_invalid_input(
            &format!("{} {what} as a public key", kf.name),
            &session.public_key_from_data(data, *format).unwrap(),
        );
        alive(session);
    }
    let canonical = canonical.unwrap();

    for (what, data, format) in &kf.encrypted {
        let key = session
            .private_key_from_data_with_passphrase(data, *format, b"secret")
            .unwrap()
            .unwrap_or_else(|e| panic!("{} {what}: {e:?}", kf.name));
        assert_eq!(
            check_private(session, kf, what, key),
            canonical,
            "{} {what}: decrypts to the same key",
            kf.name
        );
        for wrong in [&b"Secret"[..], b"", b"secret\n"] {
            is_invalid_input(
                &format!("{} {what} with passphrase {wrong:?}", kf.name),
                &session
                    .private_key_from_data_with_passphrase(data, *format, wrong)
                    .unwrap(),
            );
            alive(session);
        }
        is_invalid_input(
            &format!("{} {what} without a passphrase", kf.name),
            &session.private_key_from_data(data, *format).unwrap(),
        );
        alive(session);
    }

    for (what, data, format) in [
        ("public PEM", &kf.public_pem, Pem),
        ("public DER", &kf.public_der, Der),
    ] {
        let ctx = format!("{} {what}", kf.name);
        let key = session
            .public_key_from_data(data, format)
            .unwrap()
            .unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
        assert_eq!(key.algorithm(session).unwrap(), kf.algorithm, "{ctx}");
        assert_eq!(key.length(session).unwrap(), kf.bits, "{ctx}");
        assert_eq!(key.key_type(session).unwrap(), KeyType::PublicKey, "{ctx}");
        assert_eq!(key.to_der(session).unwrap(), kf.public_der, "{ctx}: DER");
        let pem = key.to_pem(session).unwrap();
        assert_eq!(
            pem.trim(),
            String::from_utf8_lossy(&kf.public_pem).trim(),
            "{ctx}: PEM"
        );
        let again = session
            .public_key_from_data(pem.as_bytes(), Pem)
            .unwrap()
            .unwrap();
        assert_eq!(again.to_der(session).unwrap(), kf.public_der, "{ctx}");
        again.drop(session).unwrap();
        // A public key is not a private key.
        is_invalid_input(
            &format!("{ctx} as a private key"),
            &session.private_key_from_data(data, format).unwrap(),
        );
        key.drop(session).unwrap();
        alive(session);
    }
}

#[test]
fn ec_p256_keys() {
    let dir = TempDir::new("keys-p256");
    let kf = key_files(
        &dir,
        "P-256",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        KeyAlgorithm::Ec,
        256,
    );
    check_key_files(&mut session(), &kf);
}

#[test]
fn ec_p384_keys() {
    let dir = TempDir::new("keys-p384");
    let kf = key_files(
        &dir,
        "P-384",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        KeyAlgorithm::Ec,
        384,
    );
    check_key_files(&mut session(), &kf);
}

#[test]
fn ed25519_keys() {
    let dir = TempDir::new("keys-ed25519");
    let kf = key_files(
        &dir,
        "Ed25519",
        &["-algorithm", "ED25519"],
        KeyAlgorithm::Ed25519,
        256,
    );
    check_key_files(&mut session(), &kf);
}

#[test]
fn rsa_2048_keys() {
    let dir = TempDir::new("keys-rsa2048");
    let kf = key_files(
        &dir,
        "RSA-2048",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        KeyAlgorithm::Rsa,
        2048,
    );
    check_key_files(&mut session(), &kf);
}

#[test]
fn rsa_1024_private_keys_are_refused() {
    let dir = TempDir::new("keys-rsa1024");
    openssl_bytes(
        &dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:1024",
            "-out",
            "k.pem",
        ],
    );
    let pkcs8 = read(&dir, "k.pem");
    let pkcs1 = openssl_bytes(&dir, &["rsa", "-in", "k.pem", "-traditional"]);
    let pkcs8_der = openssl_bytes(
        &dir,
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "k.pem", "-outform", "DER",
        ],
    );
    let encrypted = openssl_bytes(
        &dir,
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:secret",
            "-in",
            "k.pem",
        ],
    );
    let mut session = session();
    for (what, data, format) in [
        ("PKCS#8 PEM", &pkcs8, Pem),
        ("PKCS#1 PEM", &pkcs1, Pem),
        ("PKCS#8 DER", &pkcs8_der, Der),
    ] {
        is_invalid_input(
            &format!("RSA-1024 {what}"),
            &session.private_key_from_data(data, format).unwrap(),
        );
        alive(&mut session);
    }
    is_invalid_input(
        "RSA-1024 encrypted",
        &session
            .private_key_from_data_with_passphrase(&encrypted, Pem, b"secret")
            .unwrap(),
    );
    alive(&mut session);
}

#[test]
fn malformed_keys_are_invalid_input() {
    let dir = TempDir::new("keys-bad");
    openssl_bytes(
        &dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "k.pem",
        ],
    );
    let der = openssl_bytes(
        &dir,
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "k.pem", "-outform", "DER",
        ],
    );
    let mut session = session();
    let bad: Vec<(&str, Vec<u8>, EncodingFormat)> = vec![
        ("empty PEM", vec![], Pem),
        ("empty DER", vec![], Der),
        ("garbage PEM", b"not a key".to_vec(), Pem),
        ("garbage DER", pattern(121, 5), Der),
        ("truncated DER", der[..der.len() / 2].to_vec(), Der),
        (
            "bad base64",
            b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n".to_vec(),
            Pem,
        ),
        (
            "base64 of garbage",
            b"-----BEGIN PRIVATE KEY-----\naGVsbG8gd29ybGQ=\n-----END PRIVATE KEY-----\n".to_vec(),
            Pem,
        ),
        (
            "a certificate",
            root("not a key").cert.cert_pem.into_bytes(),
            Pem,
        ),
        ("PEM given as DER", read(&dir, "k.pem"), Der),
    ];
    for (what, data, format) in &bad {
        is_invalid_input(
            &format!("private {what}"),
            &session.private_key_from_data(data, *format).unwrap(),
        );
        is_invalid_input(
            &format!("private with passphrase {what}"),
            &session
                .private_key_from_data_with_passphrase(data, *format, b"secret")
                .unwrap(),
        );
        is_invalid_input(
            &format!("public {what}"),
            &session.public_key_from_data(data, *format).unwrap(),
        );
        alive(&mut session);
    }
}

#[test]
fn certificates_in_every_format() {
    let dir = TempDir::new("certs");
    let root1 = root("root1");
    let int = sub_ca(
        "int",
        ca_params("int", IsCa::Ca(BasicConstraints::Unconstrained)),
        &root1,
    );
    let leaf = scenarios::issue(
        "leaf",
        &leaf_params("leaf", &["localhost", "127.0.0.1"]),
        &int,
    );
    let mut session = session();

    // One PEM.
    let cert = session
        .certificate_from_pem(&leaf.cert_pem)
        .unwrap()
        .unwrap();
    assert_eq!(
        cert.subject(&mut session).unwrap(),
        "CN=leaf, O=sslsocket test"
    );
    assert_eq!(
        cert.issuer(&mut session).unwrap(),
        "CN=int, O=sslsocket test"
    );
    assert_eq!(
        cert.subject_info(&mut session, SubjectInfoAttribute::CommonName)
            .unwrap(),
        vec!["leaf".to_owned()]
    );
    assert_eq!(
        cert.issuer_info(&mut session, SubjectInfoAttribute::Organization)
            .unwrap(),
        vec!["sslsocket test".to_owned()]
    );
    assert_eq!(cert.to_der(&mut session).unwrap(), leaf.cert_der);
    let pem = cert.to_pem(&mut session).unwrap();
    assert_eq!(pem.trim(), leaf.cert_pem.trim());
    let again = session.certificate_from_pem(&pem).unwrap().unwrap();
    assert!(again.equals(&mut session, &cert).unwrap());
    again.drop(&mut session).unwrap();

    // DER, and the same certificate through from-data.
    let der = session
        .certificate_from_der(&leaf.cert_der)
        .unwrap()
        .unwrap();
    assert!(der.equals(&mut session, &cert).unwrap());
    let list = session
        .certificates_from_data(&leaf.cert_der, Der)
        .unwrap()
        .unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].equals(&mut session, &cert).unwrap());

    // Many PEM certificates, with text around them as openssl writes it.
    let many = format!(
        "subject=CN = leaf\n{}\nsome comment\n{}{}",
        leaf.cert_pem,
        int.pem(),
        root1.pem()
    );
    let list = session
        .certificates_from_data(many.as_bytes(), Pem)
        .unwrap()
        .unwrap();
    let subjects: Vec<String> = list
        .iter()
        .map(|c| c.subject(&mut session).unwrap())
        .collect();
    assert_eq!(
        subjects,
        vec![
            "CN=leaf, O=sslsocket test",
            "CN=int, O=sslsocket test",
            "CN=root1, O=sslsocket test"
        ]
    );
    assert!(!list[0].equals(&mut session, &list[1]).unwrap());
    assert!(list[2].is_self_signed(&mut session).unwrap());
    assert!(list[2].is_ca(&mut session).unwrap());
    assert!(list[1].is_ca(&mut session).unwrap());
    assert!(!list[1].is_self_signed(&mut session).unwrap());
    assert!(!list[0].is_ca(&mut session).unwrap());

    // The public key of a certificate is the SubjectPublicKeyInfo openssl extracts.
    let leaf_file = dir.write("leaf.pem", &leaf.cert_pem);
    let spki = openssl_pubkey_der(&dir, &leaf_file);
    let key = cert.public_key(&mut session).unwrap().unwrap();
    assert_eq!(key.key_type(&mut session).unwrap(), KeyType::PublicKey);
    assert_eq!(key.algorithm(&mut session).unwrap(), KeyAlgorithm::Ec);
    assert_eq!(key.length(&mut session).unwrap(), 256);
    assert_eq!(key.to_der(&mut session).unwrap(), spki);

    // An RSA-2048 certificate's public key.
    let rsa_leaf = scenarios::issue_rsa(
        &dir,
        "rsa-leaf",
        &leaf_params("rsa-leaf", &["localhost"]),
        &root1,
        2048,
    );
    let rsa_file = dir.write("rsa-leaf.pem", &rsa_leaf.cert_pem);
    let rsa_cert = session
        .certificate_from_pem(&rsa_leaf.cert_pem)
        .unwrap()
        .unwrap();
    let rsa_key = rsa_cert.public_key(&mut session).unwrap().unwrap();
    assert_eq!(rsa_key.algorithm(&mut session).unwrap(), KeyAlgorithm::Rsa);
    assert_eq!(rsa_key.length(&mut session).unwrap(), 2048);
    assert_eq!(
        rsa_key.to_der(&mut session).unwrap(),
        openssl_pubkey_der(&dir, &rsa_file)
    );
    alive(&mut session);
}

fn openssl_pubkey_der(dir: &TempDir, cert: &Path) -> Vec<u8> {
    let pem = openssl_bytes(
        dir,
        &["x509", "-in", cert.to_str().unwrap(), "-noout", "-pubkey"],
    );
    let pem_file = dir.write("pubkey.pem", pem);
    openssl_bytes(
        dir,
        &[
            "pkey",
            "-pubin",
            "-in",
            pem_file.to_str().unwrap(),
            "-outform",
            "DER",
        ],
    )
}

#[test]
fn malformed_certificates_are_invalid_input() {
    let root1 = root("root1");
    let der = &root1.cert.cert_der;
    let b64_garbage = "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n";
    let truncated_pem = {
        let body: Vec<&str> = root1.pem().lines().collect();
        format!(
            "{}\n{}\n-----END CERTIFICATE-----\n",
            body[0],
            body[1..body.len() - 2].join("\n")
        )
    };
    let mut session = session();
    let bad: Vec<(&str, Vec<u8>, EncodingFormat)> = vec![
        ("empty PEM", vec![], Pem),
        ("empty DER", vec![], Der),
        (
            "garbage PEM",
            b"hello, I am not a certificate".to_vec(),
            Pem,
        ),
        ("garbage DER", pattern(500, 7), Der),
        ("truncated DER", der[..der.len() - 10].to_vec(), Der),
        ("DER cut in half", der[..der.len() / 2].to_vec(), Der),
        ("bad base64", b64_garbage.as_bytes().to_vec(), Pem),
        ("truncated PEM body", truncated_pem.into_bytes(), Pem),
        (
            "unterminated PEM",
            b"-----BEGIN CERTIFICATE-----\nMIIB".to_vec(),
            Pem,
        ),
        ("PEM given as DER", root1.pem().as_bytes().to_vec(), Der),
        (
            "a private key",
            root1.cert.key_pem.clone().into_bytes(),
            Pem,
        ),
    ];
    for (what, data, format) in &bad {
        is_invalid_input(
            &format!("from-data {what}"),
            &session.certificates_from_data(data, *format).unwrap(),
        );
        match format {
            Pem => is_invalid_input(
                &format!("from-pem {what}"),
                &session
                    .certificate_from_pem(&String::from_utf8_lossy(data))
                    .unwrap(),
            ),
            Der => is_invalid_input(
                &format!("from-der {what}"),
                &session.certificate_from_der(data).unwrap(),
            ),
        }
        alive(&mut session);
    }
    // One good certificate followed by a broken one: the data is malformed.
    let mixed = format!("{}{b64_garbage}", root1.pem());
    is_invalid_input(
        "good PEM then bad base64",
        &session
            .certificates_from_data(mixed.as_bytes(), Pem)
            .unwrap(),
    );
    alive(&mut session);
}
