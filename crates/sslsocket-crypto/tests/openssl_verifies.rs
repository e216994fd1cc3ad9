//! What our provider signs, checked by an independent implementation: OpenSSL makes the keys,
//! our provider loads them and signs with every scheme it offers, and `openssl` verifies each
//! signature (strict DER for ECDSA, salt = hash length for PSS) with the public key it derived
//! itself. PKCS#1 v1.5 is deterministic, so there our signature must equal OpenSSL's byte for
//! byte. A damaged signature must fail the same check, so the check can fail.
//!
//! Needs `openssl` on PATH (as the rest of the test suite does; `scripts/test` checks it).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use rustls::SignatureScheme;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// The key types, how OpenSSL makes them, and the schemes our provider must offer for each.
const KEYS: &[(&str, &[&str], &[SignatureScheme])] = &[
    (
        "p256",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        &[SignatureScheme::ECDSA_NISTP256_SHA256],
    ),
    (
        "p384",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        &[SignatureScheme::ECDSA_NISTP384_SHA384],
    ),
    (
        "p521",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
        &[SignatureScheme::ECDSA_NISTP521_SHA512],
    ),
    (
        "ed25519",
        &["-algorithm", "ED25519"],
        &[SignatureScheme::ED25519],
    ),
    (
        "rsa2048",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        &[
            SignatureScheme::RSA_PKCS1_SHA256,
            SignatureScheme::RSA_PKCS1_SHA384,
            SignatureScheme::RSA_PKCS1_SHA512,
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PSS_SHA384,
            SignatureScheme::RSA_PSS_SHA512,
        ],
    ),
];

/// Signatures per ECDSA scheme: each has its own random nonce, and about one in a hundred has a
/// short `r` or `s` whose DER encoding differs, so a handful are checked.
const ECDSA_ROUNDS: usize = 12;

#[test]
fn openssl_verifies_what_we_sign() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("openssl-verifies");
    std::fs::create_dir_all(&dir).unwrap();
    let provider = sslsocket_crypto::provider();
    let mut checked = 0;
    for (name, genpkey, schemes) in KEYS {
        let key_pem = dir.join(format!("{name}.pem"));
        let pub_pem = dir.join(format!("{name}.pub.pem"));
        openssl(&[&["genpkey", "-out"][..], &[path(&key_pem)], genpkey].concat());
        openssl(&[
            "pkey",
            "-in",
            path(&key_pem),
            "-pubout",
            "-out",
            path(&pub_pem),
        ]);
        let pkcs8 = openssl(&[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            path(&key_pem),
            "-outform",
            "DER",
        ]);
        let spki = openssl(&["pkey", "-in", path(&key_pem), "-pubout", "-outform", "DER"]);

        let key = provider
            .key_provider
            .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pkcs8)))
            .unwrap_or_else(|e| panic!("{name}: our provider refused OpenSSL's key: {e}"));
        assert_eq!(
            key.public_key().map(|k| k.to_vec()),
            Some(spki),
            "{name}: our public key differs from OpenSSL's"
        );
        for &scheme in *schemes {
            let rounds = if name.starts_with('p') {
                ECDSA_ROUNDS
            } else {
                1
            };
            for round in 0..rounds {
                let message = format!("{name} {scheme:?} round {round}");
                let msg = dir.join("message");
                std::fs::write(&msg, &message).unwrap();
                let signer = key
                    .choose_scheme(&[scheme])
                    .unwrap_or_else(|| panic!("{name}: {scheme:?} not offered"));
                let signature = signer.sign(message.as_bytes()).unwrap();
                let sig = dir.join("signature");
                std::fs::write(&sig, &signature).unwrap();
                assert!(
                    verifies(scheme, &pub_pem, &msg, &sig),
                    "{name}: OpenSSL refused our {scheme:?} signature"
                );
                if let Some(digest) = pkcs1_digest(scheme) {
                    let theirs = openssl(&["dgst", digest, "-sign", path(&key_pem), path(&msg)]);
                    assert_eq!(
                        signature, theirs,
                        "{name}: {scheme:?} differs from OpenSSL's"
                    );
                }
                let mut damaged = signature.clone();
                if let Some(byte) = damaged.get_mut(signature.len() / 2) {
                    *byte ^= 1;
                }
                std::fs::write(&sig, &damaged).unwrap();
                assert!(
                    !verifies(scheme, &pub_pem, &msg, &sig),
                    "{name}: OpenSSL accepted a damaged {scheme:?} signature"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 3 * ECDSA_ROUNDS + 1 + 6);
}

/// Whether `openssl` accepts `sig` over the contents of `msg` under the public key `public`.
fn verifies(scheme: SignatureScheme, public: &Path, msg: &Path, sig: &Path) -> bool {
    let (public, msg, sig) = (path(public), path(msg), path(sig));
    let digest = match scheme {
        SignatureScheme::ECDSA_NISTP256_SHA256
        | SignatureScheme::RSA_PKCS1_SHA256
        | SignatureScheme::RSA_PSS_SHA256 => "-sha256",
        SignatureScheme::ECDSA_NISTP384_SHA384
        | SignatureScheme::RSA_PKCS1_SHA384
        | SignatureScheme::RSA_PSS_SHA384 => "-sha384",
        SignatureScheme::ECDSA_NISTP521_SHA512
        | SignatureScheme::RSA_PKCS1_SHA512
        | SignatureScheme::RSA_PSS_SHA512 => "-sha512",
        SignatureScheme::ED25519 => {
            let args = [
                "pkeyutl", "-verify", "-pubin", "-inkey", public, "-rawin", "-in", msg, "-sigfile",
                sig,
            ];
            return run(&args).status.success();
        }
        other => panic!("no OpenSSL check for {other:?}"),
    };
    let mut args = vec!["dgst", digest, "-verify", public, "-signature", sig];
    if matches!(
        scheme,
        SignatureScheme::RSA_PSS_SHA256
            | SignatureScheme::RSA_PSS_SHA384
            | SignatureScheme::RSA_PSS_SHA512
    ) {
        args.extend([
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:digest",
        ]);
    }
    args.push(msg);
    run(&args).status.success()
}

/// The `openssl dgst` option of a PKCS#1 v1.5 scheme (deterministic: comparable byte for byte).
fn pkcs1_digest(scheme: SignatureScheme) -> Option<&'static str> {
    match scheme {
        SignatureScheme::RSA_PKCS1_SHA256 => Some("-sha256"),
        SignatureScheme::RSA_PKCS1_SHA384 => Some("-sha384"),
        SignatureScheme::RSA_PKCS1_SHA512 => Some("-sha512"),
        _ => None,
    }
}

/// Runs `openssl` and returns its standard output; it must succeed.
fn openssl(args: &[&str]) -> Vec<u8> {
    let output = run(args);
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl must be on PATH for this test (scripts/test checks it)")
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}
