//! The engine's certificate verification (natively) against x509-limbo's path-validation cases
//! (`tests/data/x509-limbo-208.json`, or `$X509_LIMBO_JSON`).
//!
//! We verify as Qt with OpenSSL does (plus webpki's refusals), which differs from x509-limbo's
//! strict RFC 5280 / CA/Browser Forum reading in known ways. Every disagreement must be on the
//! reviewed list `tests/data/x509-limbo-reviewed.txt` with its reason: the test prints each one
//! with that reason and fails on a disagreement not on the list (above all a chain we accept that
//! x509-limbo rejects), on a listed case that now agrees (the list must stay exact), and if the
//! agreement drops below the level measured when the list was reviewed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::time::Duration;

use rustls_pki_types::{CertificateRevocationListDer, ServerName, UnixTime};
use serde_json::Value;
use sslsocket::engine::x509::Crl;
use sslsocket::engine::x509::TrustStore;
use sslsocket::engine::x509::{Context, Purpose, verify_chain};
use sslsocket::pki::{Certificate, EncodingFormat};

/// Agreements when the reviewed list was last brought up to date.
const MIN_AGREEMENTS: usize = 147;

#[test]
fn x509_limbo_server_cases() {
    let path = std::env::var_os("X509_LIMBO_JSON").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/x509-limbo-208.json"),
        PathBuf::from,
    );
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set X509_LIMBO_JSON)", path.display()));
    let json: Value = serde_json::from_str(&text).unwrap();
    let algorithms = sslsocket_crypto::provider().signature_verification_algorithms;

    let (mut agree, mut skipped) = (0, 0);
    let mut disagreements = Vec::new();
    for case in json["testcases"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let eku: Vec<&str> = case["extended_key_usage"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if case["validation_kind"] != "SERVER" || eku.iter().any(|e| *e != "serverAuth") {
            skipped += 1;
            continue;
        }
        let certs = |key: &str| -> Vec<Certificate> {
            case[key]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|pem| {
                    Certificate::from_data(pem.as_str().unwrap().as_bytes(), EncodingFormat::Pem)
                        .unwrap_or_default()
                })
                .collect()
        };
        let trusted = certs("trusted_certs");
        let Ok(peer) = Certificate::from_pem(case["peer_certificate"].as_str().unwrap()) else {
            // Unparseable leaf: we refuse it, which is right when failure is expected.
            record(
                case,
                id,
                false,
                "leaf does not parse".into(),
                &mut agree,
                &mut disagreements,
            );
            continue;
        };
        let chain: Vec<Certificate> = std::iter::once(peer)
            .chain(certs("untrusted_intermediates"))
            .collect();
        let crls: Vec<Crl> = case["crls"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|pem| {
                use rustls_pki_types::pem::PemObject;
                let der =
                    CertificateRevocationListDer::from_pem_slice(pem.as_str()?.as_bytes()).ok()?;
                Crl::from_der(&der)
            })
            .collect();
        let name = match case["expected_peer_name"]["kind"].as_str() {
            Some("DNS") | Some("IP") => ServerName::try_from(
                case["expected_peer_name"]["value"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
            .ok(),
            _ => None,
        };
        let now = case["validation_time"]
            .as_str()
            .map_or_else(UnixTime::now, |t| {
                UnixTime::since_unix_epoch(Duration::from_secs(rfc3339_seconds(t)))
            });
        let store = TrustStore::new(&trusted);
        let context = Context {
            store: &store,
            crls: &crls,
            algorithms: &algorithms,
            purpose: Purpose::ServerAuth,
            depth: 0,
        };
        let errors = verify_chain(&chain, &context, name.as_ref(), now);
        let found: Vec<String> = errors.iter().map(|e| format!("{:?}", e.error)).collect();
        record(
            case,
            id,
            errors.is_empty(),
            found.join(","),
            &mut agree,
            &mut disagreements,
        );
    }

    println!(
        "x509-limbo: {agree} agreements, {} disagreements, {skipped} skipped (client or non-serverAuth cases)",
        disagreements.len()
    );
    let reviewed = reviewed_list();
    let mut unreviewed = Vec::new();
    for (id, line) in &disagreements {
        match reviewed.iter().find(|(case, _)| case == id) {
            Some((_, reason)) => println!("  {line} — {reason}"),
            None => {
                println!("  {line} — NOT REVIEWED");
                unreviewed.push(line.clone());
            }
        }
    }
    let stale: Vec<&str> = reviewed
        .iter()
        .filter(|(case, _)| !disagreements.iter().any(|(id, _)| id == case))
        .map(|(case, _)| case.as_str())
        .collect();
    assert!(
        unreviewed.is_empty(),
        "disagreements not on tests/data/x509-limbo-reviewed.txt:\n{}",
        unreviewed.join("\n")
    );
    assert!(
        stale.is_empty(),
        "reviewed cases that now agree (remove them from the list): {stale:?}"
    );
    assert!(
        agree >= MIN_AGREEMENTS,
        "agreement fell to {agree} (was {MIN_AGREEMENTS})"
    );
}

/// (case id, reason) from `tests/data/x509-limbo-reviewed.txt`.
fn reviewed_list() -> Vec<(String, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/x509-limbo-reviewed.txt");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (id, reason) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("not `id: reason`: {line}"));
            (id.to_owned(), reason.to_owned())
        })
        .collect()
}

fn record(
    case: &Value,
    id: &str,
    accepted: bool,
    found: String,
    agree: &mut usize,
    disagreements: &mut Vec<(String, String)>,
) {
    let expected_success = case["expected_result"] == "SUCCESS";
    if accepted == expected_success {
        *agree += 1;
    } else {
        disagreements.push((
            id.to_owned(),
            format!(
                "{id}: expected {}, we {} [{found}]",
                case["expected_result"].as_str().unwrap_or("?"),
                if accepted { "accept" } else { "reject" }
            ),
        ));
    }
}

/// Seconds since the Unix epoch of `YYYY-MM-DDTHH:MM:SS...` (UTC).
fn rfc3339_seconds(text: &str) -> u64 {
    let num = |range: std::ops::Range<usize>| -> i64 { text[range].parse().unwrap() };
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    let (hour, minute, second) = (num(11..13), num(14..16), num(17..19));
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hour * 3600 + minute * 60 + second).unwrap()
}
