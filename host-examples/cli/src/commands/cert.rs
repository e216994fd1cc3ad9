//! `sslsocket cert FILE`: prints what the component's `certificate` resource says about every
//! certificate in a file, like `openssl x509 -noout -text` (or one JSON object per certificate).
//! A PKCS#12 bundle (`.p12`, `.pfx`, or any file with `--passphrase`) is opened with
//! `certificate.import-pkcs12`: its certificate, then its CA certificates, and its private key.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use serde_json::{Value, json};
use sslsocket_host::{
    Certificate, DigestAlgorithm, ErrorCode, NetworkPolicy, Session, SessionConfig,
    SubjectInfoAttribute, names,
};

use crate::commands::connect::format_of;

/// `println!` that ignores write errors (a closed pipe).
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Arguments of `sslsocket cert`.
#[derive(Args, Debug)]
pub struct CertArgs {
    /// A certificate file: PEM (one or many certificates), DER (one), or a PKCS#12 bundle
    /// (`.p12` / `.pfx`).
    file: PathBuf,
    /// The passphrase of a PKCS#12 bundle (empty by default); implies that FILE is one.
    #[arg(long, value_name = "PASS", conflicts_with = "passphrase_file")]
    passphrase: Option<String>,
    /// Read the PKCS#12 passphrase from the first line of FILE (kept off the command line);
    /// implies that the certificate file is a bundle.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
    /// One JSON object per certificate, one per line, instead of text.
    #[arg(long)]
    json: bool,
}

/// Everything printed about one certificate.
struct Info {
    subject: String,
    issuer: String,
    common_names: Vec<String>,
    serial: String,
    version: String,
    not_before: i64,
    not_after: i64,
    expired: bool,
    sans: Vec<String>,
    is_ca: bool,
    self_signed: bool,
    key: Result<(&'static str, u32), String>,
    extensions: Vec<Extension>,
    sha256: String,
    sha1: String,
    /// In a PKCS#12 bundle: `certificate` or `ca-certificate`.
    role: Option<&'static str>,
    /// The bundle's private key (algorithm, bits), with its certificate.
    private_key: Option<(&'static str, u32)>,
}

/// One X.509v3 extension as printed.
struct Extension {
    oid: String,
    name: String,
    critical: bool,
    value: String,
}

/// What a file held: its certificates and, for a PKCS#12 bundle, its private key (algorithm,
/// bits).
struct Loaded {
    certificates: Vec<Certificate>,
    private_key: Option<(&'static str, u32)>,
}

/// Runs `cert`: exit code 0 when every certificate was read, 1 when the file holds none, is
/// malformed, or the bundle's passphrase is wrong.
pub fn run(args: &CertArgs) -> anyhow::Result<ExitCode> {
    let data = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let mut session = Session::new(SessionConfig::new().network(NetworkPolicy::deny_all()))?;
    let loaded = match passphrase(args)? {
        Some(passphrase) => load_pkcs12(&mut session, &data, &passphrase)?,
        None => session
            .certificates_from_data(&data, format_of(&data))?
            .map(|certificates| Loaded {
                certificates,
                private_key: None,
            }),
    };
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(code) => {
            if args.json {
                let (name, message) = names::error_code(&code);
                say!(
                    "{}",
                    json!({ "file": args.file.display().to_string(), "error": name, "message": message })
                );
            } else {
                eprintln!(
                    "sslsocket: {}: {}",
                    args.file.display(),
                    names::error_code_text(&code)
                );
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let count = loaded.certificates.len();
    let bundle = loaded.private_key.is_some();
    if let (Some((algorithm, bits)), false) = (loaded.private_key, args.json) {
        say!(
            "PKCS#12 bundle: a certificate, its private key ({algorithm}, {bits} bit) and {} CA certificate{}",
            count.saturating_sub(1),
            if count == 2 { "" } else { "s" }
        );
        say!();
    }
    for (index, cert) in loaded.certificates.into_iter().enumerate() {
        let mut info = info(&mut session, cert)?;
        cert.drop(&mut session)?;
        if bundle {
            info.role = Some(if index == 0 {
                "certificate"
            } else {
                "ca-certificate"
            });
        }
        if index == 0 {
            info.private_key = loaded.private_key;
        }
        if args.json {
            say!("{}", to_json(&info, index, count));
        } else {
            print_text(&info, index, count);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The passphrase when the file is to be read as a PKCS#12 bundle: `--passphrase`, the first
/// line of `--passphrase-file`, or empty for a `.p12` / `.pfx` file.
fn passphrase(args: &CertArgs) -> anyhow::Result<Option<String>> {
    if let Some(passphrase) = &args.passphrase {
        return Ok(Some(passphrase.clone()));
    }
    if let Some(file) = &args.passphrase_file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        return Ok(Some(text.lines().next().unwrap_or_default().to_owned()));
    }
    Ok(is_pkcs12_name(&args.file).then(String::new))
}

/// Whether the file name ends in `.p12` or `.pfx`.
fn is_pkcs12_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("p12") || e.eq_ignore_ascii_case("pfx"))
}

/// Opens a PKCS#12 bundle: its certificate first, then its CA certificates, and what its
/// private key is.
fn load_pkcs12(
    session: &mut Session,
    data: &[u8],
    passphrase: &str,
) -> anyhow::Result<Result<Loaded, ErrorCode>> {
    let bundle = match session.import_pkcs12(data, passphrase)? {
        Ok(bundle) => bundle,
        Err(code) => return Ok(Err(code)),
    };
    let key = bundle.private_key;
    let private_key = (
        names::key_algorithm(key.algorithm(session)?),
        key.length(session)?,
    );
    key.drop(session)?;
    let mut certificates = vec![bundle.certificate];
    certificates.extend(bundle.ca_certificates);
    Ok(Ok(Loaded {
        certificates,
        private_key: Some(private_key),
    }))
}

fn info(session: &mut Session, cert: Certificate) -> anyhow::Result<Info> {
    let key = match cert.public_key(session)? {
        Ok(key) => {
            let algorithm = names::key_algorithm(key.algorithm(session)?);
            let length = key.length(session)?;
            key.drop(session)?;
            Ok((algorithm, length))
        }
        Err(e) => Err(names::error_code_text(&e)),
    };
    Ok(Info {
        subject: cert.subject(session)?,
        issuer: cert.issuer(session)?,
        common_names: cert.subject_info(session, SubjectInfoAttribute::CommonName)?,
        serial: cert.serial_number(session)?,
        version: cert.version(session)?,
        not_before: cert.effective_date(session)?,
        not_after: cert.expiry_date(session)?,
        expired: cert.is_expired(session)?,
        sans: cert
            .subject_alternative_names(session)?
            .iter()
            .map(names::alternative_name)
            .collect(),
        is_ca: cert.is_ca(session)?,
        self_signed: cert.is_self_signed(session)?,
        key,
        extensions: cert
            .extensions(session)?
            .into_iter()
            .map(|e| Extension {
                oid: e.oid,
                name: e.name,
                critical: e.critical,
                value: e.value.iter().map(|b| format!("{b:02x}")).collect(),
            })
            .collect(),
        sha256: fingerprint(&cert.digest(session, DigestAlgorithm::Sha256)?),
        sha1: fingerprint(&cert.digest(session, DigestAlgorithm::Sha1)?),
        role: None,
        private_key: None,
    })
}

fn to_json(info: &Info, index: usize, count: usize) -> Value {
    let (algorithm, bits, key_error) = match &info.key {
        Ok((algorithm, bits)) => (Some(*algorithm), Some(*bits), None),
        Err(e) => (None, None, Some(e.clone())),
    };
    json!({
        "index": index,
        "count": count,
        "subject": info.subject,
        "issuer": info.issuer,
        "common-names": info.common_names,
        "serial": info.serial,
        "version": info.version,
        "not-before": iso8601(info.not_before),
        "not-after": iso8601(info.not_after),
        "not-before-unix": info.not_before,
        "not-after-unix": info.not_after,
        "expired": info.expired,
        "subject-alternative-names": info.sans,
        "is-ca": info.is_ca,
        "self-signed": info.self_signed,
        "public-key-algorithm": algorithm,
        "public-key-bits": bits,
        "public-key-error": key_error,
        "sha256-fingerprint": info.sha256,
        "sha1-fingerprint": info.sha1,
        "extensions": info.extensions.iter().map(|e| json!({
            "oid": e.oid,
            "name": e.name,
            "critical": e.critical,
            "value": e.value,
        })).collect::<Vec<_>>(),
        "pkcs12-role": info.role,
        "private-key-algorithm": info.private_key.map(|(algorithm, _)| algorithm),
        "private-key-bits": info.private_key.map(|(_, bits)| bits),
    })
}

fn print_text(info: &Info, index: usize, count: usize) {
    if let Some(role) = info.role {
        if index > 0 {
            say!();
        }
        say!("Certificate {} of {count} ({role}):", index + 1);
    } else if count > 1 {
        if index > 0 {
            say!();
        }
        say!("Certificate {} of {count}:", index + 1);
    } else {
        say!("Certificate:");
    }
    say!("    Version: {}", info.version);
    say!("    Serial Number: {}", info.serial);
    say!("    Issuer: {}", info.issuer);
    say!("    Validity");
    say!("        Not Before: {}", openssl_date(info.not_before));
    say!(
        "        Not After : {}{}",
        openssl_date(info.not_after),
        if info.expired { " (expired)" } else { "" }
    );
    say!("    Subject: {}", info.subject);
    say!("    Subject Public Key Info:");
    match &info.key {
        Ok((algorithm, bits)) => {
            say!("        Public Key Algorithm: {algorithm}");
            say!("        Public-Key: ({bits} bit)");
        }
        Err(e) => say!("        Public Key: not readable ({e})"),
    }
    say!("    X509v3 Basic Constraints:");
    say!("        CA:{}", if info.is_ca { "TRUE" } else { "FALSE" });
    if !info.sans.is_empty() {
        say!("    X509v3 Subject Alternative Name:");
        say!("        {}", info.sans.join(", "));
    }
    if !info.extensions.is_empty() {
        say!("    X509v3 extensions:");
        for e in &info.extensions {
            let name = if e.name.is_empty() { &e.oid } else { &e.name };
            say!(
                "        {name}{}: {}",
                if e.critical { " (critical)" } else { "" },
                e.value
            );
        }
    }
    say!(
        "    Self-signed: {}",
        if info.self_signed { "yes" } else { "no" }
    );
    say!("SHA256 Fingerprint={}", info.sha256);
    say!("SHA1 Fingerprint={}", info.sha1);
}

/// Upper-case colon-separated hex, as `openssl x509 -fingerprint` prints it.
fn fingerprint(digest: &[u8]) -> String {
    digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Year, month, day, hour, minute, second (UTC) of a Unix time.
fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let narrow = |v: i64| u32::try_from(v).unwrap_or(0);
    (
        year,
        narrow(month),
        narrow(day),
        narrow(rem / 3600),
        narrow(rem % 3600 / 60),
        narrow(rem % 60),
    )
}

/// `2020-01-01T00:00:00Z`.
fn iso8601(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `Jan  1 00:00:00 2020 GMT`, as OpenSSL prints dates.
fn openssl_date(secs: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, mo, d, h, mi, s) = civil(secs);
    let month = usize::try_from(mo)
        .ok()
        .and_then(|m| m.checked_sub(1))
        .and_then(|m| MONTHS.get(m))
        .copied()
        .unwrap_or("???");
    format!("{month} {d:>2} {h:02}:{mi:02}:{s:02} {y} GMT")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_fingerprints() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_577_836_800), "2020-01-01T00:00:00Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(-1), "1969-12-31T23:59:59Z");
        assert_eq!(openssl_date(1_577_836_800), "Jan  1 00:00:00 2020 GMT");
        assert_eq!(openssl_date(2_366_841_599), "Dec 31 23:59:59 2044 GMT");
        assert_eq!(fingerprint(&[0xab, 0x01]), "AB:01");
    }
}
