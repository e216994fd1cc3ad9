//! Key material of a connection's handshake: the keying-material exporter (RFC 5705 for TLS 1.2,
//! RFC 8446 §7.5 for TLS 1.3; Node's `exportKeyingMaterial`, OpenSSL's
//! `SSL_export_keying_material`) and NSS key-log lines (`SSLKEYLOGFILE`).
//!
//! rustls' unbuffered connections, which the engine drives, have no exporter of their own. They
//! do report every secret of a handshake through the configuration's [`KeyLog`], keyed by the
//! client random: [`capture`] is that key log. It keeps the secrets of handshakes in progress
//! until their connection takes them ([`take`]) by the client random it saw in the hello; the
//! exporter then needs only the exporter secret (TLS 1.3) or the master secret and both randoms
//! (TLS 1.2). Unless the configuration asks for the whole key log (a dangerous setting), only
//! those two labels are captured, and nothing else leaves rustls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use rustls::crypto::tls13::OkmBlock;
use rustls::{KeyLog, SupportedCipherSuite};
use zeroize::Zeroizing;

/// A hello's random.
pub(crate) type Random = [u8; 32];

/// The label rustls logs the TLS 1.3 exporter secret under.
const EXPORTER_SECRET: &str = "EXPORTER_SECRET";
/// The label rustls logs the TLS 1.2 master secret under.
const MASTER_SECRET: &str = "CLIENT_RANDOM";
/// Handshakes whose secrets may wait at once; past it, a new handshake's secrets are not kept
/// (its exporter and key log are then unavailable) rather than memory growing without bound.
const MAX_WAITING: usize = 4096;
/// Labels RFC 5705 §4 reserves for TLS itself: an exporter must not use them.
const RESERVED_LABELS: [&[u8]; 5] = [
    b"client finished",
    b"server finished",
    b"master secret",
    b"extended master secret",
    b"key expansion",
];

/// The key log a rustls configuration gets: every label (`all`), for the dangerous key-log
/// setting, or only the secrets the exporter needs.
pub(crate) fn capture(all: bool) -> Arc<dyn KeyLog> {
    static EXPORT_ONLY: OnceLock<Arc<Capture>> = OnceLock::new();
    static ALL: OnceLock<Arc<Capture>> = OnceLock::new();
    let cell = if all { &ALL } else { &EXPORT_ONLY };
    cell.get_or_init(|| Arc::new(Capture { all })).clone()
}

/// Takes the secrets captured so far for the handshake with `client_random`.
pub(crate) fn take(client_random: &Random) -> Vec<Secret> {
    waiting().remove(client_random).unwrap_or_default()
}

/// One secret of a handshake, as rustls logged it.
pub(crate) struct Secret {
    /// The NSS key-log label, e.g. `CLIENT_TRAFFIC_SECRET_0`.
    pub label: String,
    /// The secret.
    pub secret: Zeroizing<Vec<u8>>,
}

impl Secret {
    /// The NSS key-log line, `LABEL <client random> <secret>` in lower-case hex.
    pub(crate) fn key_log_line(&self, client_random: &Random) -> String {
        format!(
            "{} {} {}",
            self.label,
            hex(client_random),
            hex(&self.secret)
        )
    }
}

/// What a finished handshake leaves for the exporter.
pub(crate) struct ExporterKeys {
    /// The TLS 1.3 exporter secret, or the TLS 1.2 master secret.
    secret: Zeroizing<Vec<u8>>,
    /// Both hello randoms, client first (TLS 1.2's seed).
    randoms: [Random; 2],
}

/// Why keying material cannot be exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExportError {
    /// The handshake's secret was not captured (the handshake is not done, or too many were
    /// waiting at once).
    Unavailable,
    /// The label or length cannot be used, with the reason.
    Invalid(&'static str),
}

impl ExporterKeys {
    /// Picks the exporter's secret out of a handshake's captured secrets; `None` when absent.
    pub(crate) fn from_secrets(secrets: &[Secret], randoms: [Random; 2]) -> Option<Self> {
        let secret = secrets
            .iter()
            .find(|s| s.label == EXPORTER_SECRET || s.label == MASTER_SECRET)?;
        Some(Self {
            secret: secret.secret.clone(),
            randoms,
        })
    }

    /// Fills `out` with keying material for `label` and `context` under `suite`: RFC 8446 §7.5
    /// for TLS 1.3 (no context and an empty one are the same), RFC 5705 for TLS 1.2 (no
    /// context differs from an empty one).
    pub(crate) fn export(
        &self,
        suite: SupportedCipherSuite,
        label: &[u8],
        context: Option<&[u8]>,
        out: &mut [u8],
    ) -> Result<(), ExportError> {
        if out.is_empty() {
            return Err(ExportError::Invalid("the length is 0"));
        }
        match suite {
            SupportedCipherSuite::Tls13(suite) => {
                if self.secret.len() > OkmBlock::MAX_LEN || label.len() > 255 - 6 {
                    return Err(ExportError::Invalid(
                        "a TLS 1.3 exporter label is at most 249 bytes",
                    ));
                }
                let hash = suite.common.hash_provider;
                let hkdf = suite.hkdf_provider;
                let empty_hash = hash.hash(&[]);
                let mut derived = Zeroizing::new(vec![0u8; hash.output_len()]);
                let info = hkdf_label(label, empty_hash.as_ref(), derived.len());
                hkdf.expander_for_okm(&OkmBlock::new(&self.secret))
                    .expand_slice(&[&info], &mut derived)
                    .map_err(|_| ExportError::Invalid("the hash is too long"))?;
                let context_hash = hash.hash(context.unwrap_or_default());
                let info = hkdf_label(b"exporter", context_hash.as_ref(), out.len());
                if out.len() > usize::from(u16::MAX) {
                    return Err(ExportError::Invalid("at most 65535 bytes can be exported"));
                }
                hkdf.expander_for_okm(&OkmBlock::new(&derived))
                    .expand_slice(&[&info], out)
                    .map_err(|_| ExportError::Invalid("at most 255 hash lengths can be exported"))
            }
            SupportedCipherSuite::Tls12(suite) => {
                if RESERVED_LABELS.contains(&label) {
                    return Err(ExportError::Invalid(
                        "the label is reserved for TLS itself (RFC 5705 §4)",
                    ));
                }
                let mut seed = Vec::with_capacity(64 + 2 + context.map_or(0, <[u8]>::len));
                seed.extend_from_slice(&self.randoms[0]);
                seed.extend_from_slice(&self.randoms[1]);
                if let Some(context) = context {
                    let len = u16::try_from(context.len())
                        .map_err(|_| ExportError::Invalid("the context is over 65535 bytes"))?;
                    seed.extend_from_slice(&len.to_be_bytes());
                    seed.extend_from_slice(context);
                }
                suite
                    .prf_provider
                    .for_secret(out, &self.secret, label, &seed);
                Ok(())
            }
        }
    }
}

/// The random of the hello at the start of `records` (record type 22; a ClientHello, type 1, or
/// a ServerHello, type 2, as `hello_type` says): `Ok(None)` when too few bytes arrived yet,
/// `Err(())` when the first record is something else.
#[allow(clippy::result_unit_err)]
pub(crate) fn hello_random(records: &[u8], hello_type: u8) -> Result<Option<Random>, ()> {
    // Record header (5), handshake header (4), legacy version (2), random (32).
    match (records.first(), records.get(5)) {
        (Some(22), Some(t)) if *t == hello_type => {}
        (Some(22), None) | (None, _) => return Ok(None),
        _ => return Err(()),
    }
    Ok(records
        .get(11..43)
        .and_then(|random| Random::try_from(random).ok()))
}

/// The key log of every rustls configuration the engine builds.
#[derive(Debug)]
struct Capture {
    all: bool,
}

impl KeyLog for Capture {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let Ok(random) = Random::try_from(client_random) else {
            return;
        };
        let mut waiting = waiting();
        if waiting.len() >= MAX_WAITING && !waiting.contains_key(&random) {
            return;
        }
        waiting.entry(random).or_default().push(Secret {
            label: label.to_owned(),
            secret: Zeroizing::new(secret.to_vec()),
        });
    }

    fn will_log(&self, label: &str) -> bool {
        self.all || label == EXPORTER_SECRET || label == MASTER_SECRET
    }
}

/// The secrets of handshakes in progress, by client random.
fn waiting() -> MutexGuard<'static, HashMap<Random, Vec<Secret>>> {
    static WAITING: OnceLock<Mutex<HashMap<Random, Vec<Secret>>>> = OnceLock::new();
    WAITING
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// RFC 8446 §7.1 `HkdfLabel` for `HKDF-Expand-Label(secret, label, context, length)`. The
/// caller keeps `label` at most 249 bytes; `context` is a hash; `length` is checked by HKDF.
fn hkdf_label(label: &[u8], context: &[u8], length: usize) -> Vec<u8> {
    let mut info = Vec::with_capacity(2 + 1 + 6 + label.len() + 1 + context.len());
    info.extend_from_slice(&u16::try_from(length).unwrap_or(u16::MAX).to_be_bytes());
    info.push(u8::try_from(label.len() + 6).unwrap_or(u8::MAX));
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label);
    info.push(u8::try_from(context.len()).unwrap_or(u8::MAX));
    info.extend_from_slice(context);
    info
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
