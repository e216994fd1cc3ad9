//! Raw speed of the provider's primitives (the `bench` feature), measured through the provider's
//! own API as rustls calls it, so that a reader can tell the cipher from the TLS path around it.
//! `sslsocket bench` runs [`run`] natively and inside a WebAssembly component (the `primitives`
//! example compiled for `wasm32-wasip2` with the guest's flags) and prints both side by side.
//!
//! What is measured (each over a bounded time after an untimed warm-up of a tenth of it):
//!
//! - record protection: each TLS 1.3 suite's AEAD sealing 16 KiB records (MiB/s of plaintext),
//!   through `provider().cipher_suites` → the suite's `aead_alg` → its `MessageEncrypter`, so the
//!   backend the provider picks for the target is the one measured;
//! - key exchange (operations/s): X25519 and P-256 ECDHE, one side of a handshake (`start`, which
//!   makes the key pair, then `complete` with the peer's share); X25519MLKEM768 and the pure
//!   MLKEM768 group as a whole exchange, both sides (client `start`: key pairs; server
//!   `start_and_complete`: encapsulation and ECDHE; client `complete`: decapsulation and ECDHE);
//! - signatures (operations/s): ECDSA P-256 with SHA-256, RSA-2048 PKCS#1 v1.5 and RSASSA-PSS
//!   with SHA-256, signing (through the `KeyProvider` and the rustls `Signer`) and verifying
//!   (through the provider's webpki algorithm table) a TLS 1.3 CertificateVerify-sized message.
//!
//! Every operation's output is checked once before it is timed (a sealed record opens, a
//! signature verifies, both sides of an exchange agree), so a broken primitive is an error, not
//! a fast row. Nothing here panics: failures are returned as [`rustls::Error`].

use std::hint::black_box;
use std::time::{Duration, Instant};

use p256::elliptic_curve::Generate as _;
use p256::elliptic_curve::sec1::ToSec1Point as _;
use p256::pkcs8::EncodePrivateKey as _;
use rustls::crypto::SupportedKxGroup;
use rustls::crypto::cipher::{InboundOpaqueMessage, OutboundChunks, OutboundPlainMessage};
use rustls::internal::{derive_traffic_iv, derive_traffic_key};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, SignatureVerificationAlgorithm};
use rustls::sign::Signer;
use rustls::{CipherSuite, ContentType, Error, ProtocolVersion, SignatureScheme};
use rustls::{NamedGroup, SupportedCipherSuite};

use super::{provider, rng};

/// The plaintext of one sealed record: a full TLS record (2^14 bytes).
pub const RECORD_LEN: usize = 16 * 1024;

/// One mebibyte.
const MIB: f64 = 1024.0 * 1024.0;

/// A fixed RSA-2048 test key (PKCS#8; `testdata/rsa/`, made with `openssl genpkey`), so that
/// no run pays for generating one, and its PKCS#1 public key. Not a secret.
const RSA_2048_PKCS8: &[u8] = include_bytes!("../testdata/rsa/rsa2048.pk8");
/// The public half of [`RSA_2048_PKCS8`] (PKCS#1 `RSAPublicKey`, as webpki's algorithms take it).
const RSA_2048_PUBLIC: &[u8] = include_bytes!("../testdata/rsa/rsa2048.pub");

/// The TLS 1.3 suites whose record protection is measured, and the AEAD's name.
const AEADS: [(CipherSuite, &str); 3] = [
    (CipherSuite::TLS13_AES_128_GCM_SHA256, "AES-128-GCM"),
    (CipherSuite::TLS13_AES_256_GCM_SHA384, "AES-256-GCM"),
    (
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        "ChaCha20-Poly1305",
    ),
];

/// One measured primitive.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// What was measured, e.g. `AES-128-GCM seal, 16 KiB records`.
    pub name: String,
    /// The unit of [`Row::value`]: `MiB/s` or `ops/s`.
    pub unit: String,
    /// The rate measured.
    pub value: f64,
    /// How it was measured: the API path and the count over the time taken.
    pub note: String,
}

impl Row {
    /// The row as one line of tab-separated fields (name, unit, value, note), as the
    /// `primitives` example prints it; tabs and line breaks inside a field become spaces.
    pub fn to_line(&self) -> String {
        let clean = |field: &str| field.replace(['\t', '\n', '\r'], " ");
        format!(
            "{}\t{}\t{}\t{}",
            clean(&self.name),
            clean(&self.unit),
            self.value,
            clean(&self.note)
        )
    }

    /// Parses a line made by [`Row::to_line`]; `None` if it is not one.
    pub fn from_line(line: &str) -> Option<Self> {
        let mut fields = line.trim_end_matches(['\n', '\r']).splitn(4, '\t');
        let name = fields.next()?.to_owned();
        let unit = fields.next()?.to_owned();
        let value = fields.next()?.parse().ok()?;
        let note = fields.next()?.to_owned();
        Some(Self {
            name,
            unit,
            value,
            note,
        })
    }
}

/// Measures every primitive for about `budget` each (after an untimed warm-up of a tenth of it;
/// at least one timed operation each), in a fixed order: the three AEADs, X25519, P-256,
/// X25519MLKEM768, MLKEM768, then ECDSA P-256 and RSA-2048 (PKCS#1 v1.5, PSS) signing and
/// verifying.
///
/// # Errors
/// A primitive failed (an encryption error, a signature that does not verify, a key the
/// provider refuses, a group or suite missing from the provider, no randomness).
pub fn run(budget: Duration) -> Result<Vec<Row>, Error> {
    let mut rows = Vec::new();
    for (suite, name) in AEADS {
        rows.push(seal(budget, suite, name)?);
    }
    rows.push(key_exchange(
        budget,
        NamedGroup::X25519,
        "X25519 ECDHE, one side",
    )?);
    rows.push(key_exchange(
        budget,
        NamedGroup::secp256r1,
        "P-256 ECDHE, one side",
    )?);
    rows.push(hybrid_exchange(
        budget,
        NamedGroup::X25519MLKEM768,
        "X25519MLKEM768, both sides",
    )?);
    rows.push(hybrid_exchange(
        budget,
        NamedGroup::MLKEM768,
        "ML-KEM-768 (MLKEM768), both sides",
    )?);
    let p256 = p256::SecretKey::generate_from_rng(&mut rng::seeded()?);
    let p256_pkcs8 = p256
        .to_pkcs8_der()
        .map_err(|_| Error::General("cannot encode a P-256 key".into()))?;
    let p256_public = p256.public_key().to_sec1_point(false).as_bytes().to_vec();
    let keys: [(&str, &[u8], &[u8], SignatureScheme); 3] = [
        (
            "ECDSA P-256 SHA-256",
            p256_pkcs8.as_bytes(),
            &p256_public,
            SignatureScheme::ECDSA_NISTP256_SHA256,
        ),
        (
            "RSA-2048 PKCS#1 v1.5 SHA-256",
            RSA_2048_PKCS8,
            RSA_2048_PUBLIC,
            SignatureScheme::RSA_PKCS1_SHA256,
        ),
        (
            "RSA-2048 PSS SHA-256",
            RSA_2048_PKCS8,
            RSA_2048_PUBLIC,
            SignatureScheme::RSA_PSS_SHA256,
        ),
    ];
    for (name, pkcs8, public, scheme) in keys {
        rows.extend(signature(budget, name, pkcs8, public, scheme)?);
    }
    Ok(rows)
}

/// What [`measure`] counted: operations done in the timed part and the time they took.
struct Count {
    ops: u64,
    elapsed: Duration,
}

impl Count {
    /// Operations per second.
    fn per_second(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// `N ops in S s`, for a note.
    fn summary(&self, what: &str) -> String {
        format!("{} {what} in {:.3} s", self.ops, self.elapsed.as_secs_f64())
    }
}

/// Runs `op` for a tenth of `budget` untimed (at least once), then for `budget` timed (at least
/// once); stops at the first error.
fn measure(budget: Duration, mut op: impl FnMut() -> Result<(), Error>) -> Result<Count, Error> {
    let warm_up = budget / 10;
    let started = Instant::now();
    loop {
        op()?;
        if started.elapsed() >= warm_up {
            break;
        }
    }
    let started = Instant::now();
    let mut ops = 0u64;
    loop {
        op()?;
        ops += 1;
        let elapsed = started.elapsed();
        if elapsed >= budget {
            return Ok(Count { ops, elapsed });
        }
    }
}

/// Sealing 16 KiB TLS 1.3 records with `suite`'s AEAD, through the provider's record encrypter.
fn seal(budget: Duration, suite: CipherSuite, aead: &str) -> Result<Row, Error> {
    let tls13 = provider()
        .cipher_suites
        .into_iter()
        .find_map(|s| match s {
            SupportedCipherSuite::Tls13(tls13) if tls13.common.suite == suite => Some(tls13),
            _ => None,
        })
        .ok_or_else(|| Error::General(format!("the provider has no {suite:?}")))?;
    // Traffic keys as the TLS 1.3 key schedule makes them (HKDF-Expand-Label over a secret):
    // rustls's own `derive_traffic_key` (exported under `internal`, as src/tests.rs uses it) is
    // the only public way to make an `AeadKey` of 16 bytes for AES-128-GCM.
    let secret = tls13
        .hkdf_provider
        .extract_from_secret(None, b"sslsocket bench traffic secret");
    let key = || derive_traffic_key(&*secret, tls13.aead_alg);
    let mut encrypter = tls13.aead_alg.encrypter(key(), derive_traffic_iv(&*secret));
    let mut decrypter = tls13.aead_alg.decrypter(key(), derive_traffic_iv(&*secret));
    let record = vec![0x5au8; RECORD_LEN];
    let plain = || OutboundPlainMessage {
        typ: ContentType::ApplicationData,
        version: ProtocolVersion::TLSv1_2,
        payload: OutboundChunks::Single(&record),
    };

    // The first record opens again to what was sealed.
    let mut sealed = encrypter.encrypt(plain(), 0)?.encode();
    let body = sealed.get_mut(5..).ok_or(Error::EncryptError)?;
    let opened = decrypter.decrypt(
        InboundOpaqueMessage::new(ContentType::ApplicationData, ProtocolVersion::TLSv1_2, body),
        0,
    )?;
    if opened.payload.get(..RECORD_LEN) != Some(&record[..]) {
        return Err(Error::General(format!(
            "{aead}: a sealed record did not open to its plaintext"
        )));
    }

    let mut seq = 1u64;
    let count = measure(budget, || {
        let sealed = encrypter.encrypt(plain(), seq)?;
        black_box(sealed);
        seq += 1;
        Ok(())
    })?;
    Ok(Row {
        name: format!("{aead} seal, 16 KiB records"),
        unit: "MiB/s".into(),
        value: count.per_second() * RECORD_LEN as f64 / MIB,
        note: format!("{suite:?} record encrypter; {}", count.summary("records")),
    })
}

/// The provider's group `name` (the default list or the optional groups).
fn group(name: NamedGroup) -> Result<&'static dyn SupportedKxGroup, Error> {
    super::all_groups()
        .into_iter()
        .chain(super::optional_groups())
        .find(|g| g.name() == name)
        .ok_or_else(|| Error::General(format!("the provider has no group {name:?}")))
}

/// One side of a classical ECDHE: `start` (a key pair) and `complete` with a peer's share.
fn key_exchange(budget: Duration, name: NamedGroup, label: &str) -> Result<Row, Error> {
    let group = group(name)?;
    let peer = group.start()?;
    let ours = group.start()?;
    let ours_public = ours.pub_key().to_vec();
    // Both sides agree.
    if ours.complete(peer.pub_key())?.secret_bytes() != peer.complete(&ours_public)?.secret_bytes()
    {
        return Err(Error::General(format!("{label}: the two sides disagree")));
    }
    let peer_share = group.start()?.pub_key().to_vec();
    let count = measure(budget, || {
        let secret = group.start()?.complete(&peer_share)?;
        black_box(secret);
        Ok(())
    })?;
    Ok(Row {
        name: label.to_owned(),
        unit: "ops/s".into(),
        value: count.per_second(),
        note: format!(
            "SupportedKxGroup::start (key pair) + complete (agreement); {}",
            count.summary("exchanges")
        ),
    })
}

/// A whole post-quantum exchange, both sides: the client's `start` (key pairs), the server's
/// `start_and_complete` (encapsulation, and ECDHE for a hybrid) and the client's `complete`
/// (decapsulation, and ECDHE); both sides must agree.
fn hybrid_exchange(budget: Duration, name: NamedGroup, label: &str) -> Result<Row, Error> {
    let group = group(name)?;
    let exchange = || -> Result<(), Error> {
        let client = group.start()?;
        let server = group.start_and_complete(client.pub_key())?;
        let client_secret = client.complete(&server.pub_key)?;
        if client_secret.secret_bytes() != server.secret.secret_bytes() {
            return Err(Error::General(format!("{label}: the two sides disagree")));
        }
        Ok(())
    };
    exchange()?;
    let count = measure(budget, exchange)?;
    Ok(Row {
        name: label.to_owned(),
        unit: "ops/s".into(),
        value: count.per_second(),
        note: format!(
            "client start (key pairs) + server start_and_complete (encaps) + client complete (decaps); {}",
            count.summary("exchanges")
        ),
    })
}

/// A message the size of what TLS 1.3 signs in CertificateVerify (RFC 8446 §4.4.3): 64 spaces,
/// the context string, a zero byte and a SHA-256 transcript hash.
fn certificate_verify_message() -> Vec<u8> {
    let mut message = vec![0x20u8; 64];
    message.extend_from_slice(b"TLS 1.3, server CertificateVerify\0");
    message.extend_from_slice(&[0xa5u8; 32]);
    message
}

/// Signing with the key `pkcs8` (loaded by the provider's `KeyProvider`, signing with `scheme`
/// through the rustls `Signer`) and verifying with the provider's algorithm for `scheme` under
/// `public`: two rows.
fn signature(
    budget: Duration,
    name: &str,
    pkcs8: &[u8],
    public: &[u8],
    scheme: SignatureScheme,
) -> Result<[Row; 2], Error> {
    let provider = provider();
    let key = provider
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            pkcs8.to_vec(),
        )))?;
    let signer: Box<dyn Signer> = key
        .choose_scheme(&[scheme])
        .ok_or_else(|| Error::General(format!("{name}: the key does not sign with {scheme:?}")))?;
    let verifier: &dyn SignatureVerificationAlgorithm = provider
        .signature_verification_algorithms
        .mapping
        .iter()
        .find(|(s, _)| *s == scheme)
        .and_then(|(_, algorithms)| algorithms.first().copied())
        .ok_or_else(|| Error::General(format!("the provider cannot verify {scheme:?}")))?;
    let message = certificate_verify_message();
    let signature = signer.sign(&message)?;
    let verify = |signature: &[u8]| {
        verifier
            .verify_signature(public, &message, signature)
            .map_err(|_| Error::General(format!("{name}: our own signature does not verify")))
    };
    verify(&signature)?;

    let signed = measure(budget, || {
        black_box(signer.sign(&message)?);
        Ok(())
    })?;
    let verified = measure(budget, || verify(black_box(&signature)))?;
    Ok([
        Row {
            name: format!("{name} sign"),
            unit: "ops/s".into(),
            value: signed.per_second(),
            note: format!(
                "KeyProvider key, rustls Signer ({scheme:?}), {}-byte message; {}",
                message.len(),
                signed.summary("signatures")
            ),
        },
        Row {
            name: format!("{name} verify"),
            unit: "ops/s".into(),
            value: verified.per_second(),
            note: format!(
                "the provider's webpki algorithm for {scheme:?}; {}",
                verified.summary("verifications")
            ),
        },
    ])
}
