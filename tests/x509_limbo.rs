//! The engine's certificate verification (natively) against x509-limbo's path-validation cases
//! (`tests/data/x509-limbo-208.json`, or `$X509_LIMBO_JSON`).
//!
//! rustls-webpki documents many deliberate divergences from x509-limbo, so this harness does not
//! expect full agreement: it prints every disagreement with the errors we found, and fails if the
//! agreement drops below the level measured when it was written (a regression), or if a case that
//! must fail is accepted by a verifier whose chain webpki rejected.

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
use sslsocket::engine::verify::{Context, Purpose, verify_chain};
use sslsocket::pki::{Certificate, EncodingFormat};
use webpki::{CertRevocationList, OwnedCertRevocationList};

/// Agreements measured when this harness was written (see the printed report).
const MIN_AGREEMENTS: usize = 135;

#[test]
fn x509_limbo_server_cases() {
    let path = std::env::var_os("X509_LIMBO_JSON").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/x509-limbo-208.json"),
        PathBuf::from,
    );
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (set X509_LIMBO_JSON)", path.display()));
    let json: Value = serde_json::from_str(&text).unwrap();
    let algorithms = sslsocket::crypto::provider().signature_verification_algorithms;

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
        let anchors: Vec<_> = trusted
            .iter()
            .filter_map(|c| webpki::anchor_from_trusted_cert(c.der()).ok())
            .collect();
        let crls: Vec<CertRevocationList<'static>> = case["crls"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|pem| {
                use rustls_pki_types::pem::PemObject;
                let der =
                    CertificateRevocationListDer::from_pem_slice(pem.as_str()?.as_bytes()).ok()?;
                OwnedCertRevocationList::from_der(&der)
                    .ok()
                    .map(CertRevocationList::from)
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
        let context = Context {
            anchors: &anchors,
            crls: &crls,
            algorithms: &algorithms,
            purpose: Purpose::ServerAuth,
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
    for line in &disagreements {
        println!("  {line}");
    }
    assert!(
        agree >= MIN_AGREEMENTS,
        "agreement fell to {agree} (was {MIN_AGREEMENTS})"
    );
}

fn record(
    case: &Value,
    id: &str,
    accepted: bool,
    found: String,
    agree: &mut usize,
    disagreements: &mut Vec<String>,
) {
    let expected_success = case["expected_result"] == "SUCCESS";
    if accepted == expected_success {
        *agree += 1;
    } else {
        disagreements.push(format!(
            "{id}: expected {}, we {} [{found}]",
            case["expected_result"].as_str().unwrap_or("?"),
            if accepted { "accept" } else { "reject" }
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
