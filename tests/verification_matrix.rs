//! The certificate verification matrix: every scenario is generated at test time, served by a real
//! `openssl s_server` on 127.0.0.1, and must give the exact ordered list of (ssl-error, subject of
//! its certificate) that Qt with OpenSSL gives — chain-building errors first, then CA / purpose /
//! path-length checks, key strength, revocation, per-certificate signature and time checks from the
//! top of the chain down to the leaf, and the host name last.
//!
//! OpenSSL itself is the oracle: each scenario is also verified by `openssl s_client` (whose
//! callback, like Qt's, goes on after each error and prints it), and its errors, mapped to Qt's
//! as Qt maps them, must be the expected list without the host name (which Qt checks itself,
//! first).
//!
//! Every scenario without CRLs is also verified without a connection (`verify-certificate-chain`,
//! `QSslCertificate::verify`, the chain the server sends against the same CAs), which must give
//! the same list.
//!
//! Every failing scenario is also run with `ignore-ssl-errors` (passes, the `ssl-errors` event is
//! still queued before `encrypted`), with `ignore-ssl-errors-list` holding exactly the reported
//! (error, certificate) pairs (passes), and with two near-miss lists (one pair missing; the right
//! error for another certificate), which fail with the same list.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use common::scenarios::{self, Ca, Cert, ca_params, leaf_params, root, sub_ca};
use common::*;
use rcgen::{
    BasicConstraints, ExtendedKeyUsagePurpose, IsCa, KeyUsagePurpose, SerialNumber, date_time_ymd,
};
use sslsocket_host::{EncodingFormat, ErrorCode, Session, SocketEvent, SslError};
use sslsocket_testkit as common;

use SslError::*;

/// One scenario: a running server, what the client trusts and checks, what it must report.
struct Scenario {
    name: &'static str,
    _dir: TempDir,
    server: Peer,
    host: &'static str,
    trusted: Vec<String>,
    verify_name: Option<&'static str>,
    crls: Vec<String>,
    /// (error, subject of its certificate), in order.
    expected: Vec<(SslError, String)>,
    /// Every certificate of the scenario (for ignore lists), plus one unrelated certificate.
    certs: Vec<Cert>,
    /// The chain the server sends, leaf first, as PEM.
    chain: Vec<String>,
}

impl Scenario {
    fn cert_pem(&self, subject: &str) -> &str {
        &self
            .certs
            .iter()
            .find(|c| c.subject() == subject)
            .unwrap_or_else(|| panic!("{}: no certificate {subject}", self.name))
            .cert_pem
    }

    /// A certificate of the scenario with another subject than `subject`.
    fn other_than(&self, subject: &str) -> String {
        self.certs
            .iter()
            .map(Cert::subject)
            .find(|s| s != subject)
            .expect("another certificate")
    }
}

/// What to ignore before the handshake.
enum Ignore<'a> {
    Nothing,
    All,
    /// (error, subject of the certificate passed with it).
    List(&'a [(SslError, String)]),
}

struct Outcome {
    result: Result<(), ErrorCode>,
    events: Vec<SocketEvent>,
    report: Vec<(SslError, Option<String>)>,
}

impl Outcome {
    fn event_errors(&self) -> Option<Vec<SslError>> {
        self.events.iter().find_map(|e| match e {
            SocketEvent::SslErrors(list) => Some(list.clone()),
            _ => None,
        })
    }

    fn describe(&self) -> String {
        format!(
            "result {:?}\nreport {:?}\nevents {:?}",
            self.result,
            self.report,
            event_names(&self.events)
        )
    }
}

/// One connection to the scenario's server with a fresh socket.
fn attempt(session: &mut Session, sc: &Scenario, ignore: &Ignore<'_>) -> Outcome {
    let socket = session.new_socket().unwrap();
    for pem in &sc.trusted {
        assert_eq!(
            socket.add_ca_certificates_pem(session, pem).unwrap(),
            Ok(1),
            "{}",
            sc.name
        );
    }
    if let Some(name) = sc.verify_name {
        socket.set_peer_verify_name(session, name).unwrap();
    }
    for crl in &sc.crls {
        assert_eq!(
            socket
                .add_crls(session, crl.as_bytes(), EncodingFormat::Pem)
                .unwrap(),
            Ok(1),
            "{}: add-crls",
            sc.name
        );
    }
    match ignore {
        Ignore::Nothing => {}
        Ignore::All => socket.ignore_ssl_errors(session).unwrap(),
        Ignore::List(pairs) => {
            let mut certs = Vec::new();
            for (_, subject) in *pairs {
                certs.push(
                    session
                        .certificate_from_pem(sc.cert_pem(subject))
                        .unwrap()
                        .unwrap(),
                );
            }
            let list: Vec<_> = pairs
                .iter()
                .zip(&certs)
                .map(|((error, _), cert)| (*error, Some(cert)))
                .collect();
            socket.ignore_ssl_errors_list(session, &list).unwrap();
            // The socket keeps its own copies: the host's handles can go.
            for cert in certs {
                cert.drop(session).unwrap();
            }
        }
    }
    let (result, events) = handshake(session, socket, sc.host, sc.server.port);
    let report = socket
        .ssl_error_report(session)
        .unwrap()
        .into_iter()
        .map(|r| (r.error, r.certificate))
        .collect();
    socket.abort(session).unwrap();
    socket.drop(session).unwrap();
    Outcome {
        result,
        events,
        report,
    }
}

fn expected_report(sc: &Scenario) -> Vec<(SslError, Option<String>)> {
    sc.expected
        .iter()
        .map(|(e, s)| (*e, Some(s.clone())))
        .collect()
}

fn expected_errors(sc: &Scenario) -> Vec<SslError> {
    sc.expected.iter().map(|(e, _)| *e).collect()
}

fn assert_fails_with_expected(sc: &Scenario, what: &str, out: &Outcome) {
    assert!(
        matches!(out.result, Err(ErrorCode::SslHandshakeFailed(_))),
        "{} ({what}): must fail with ssl-handshake-failed\n{}",
        sc.name,
        out.describe()
    );
    assert_eq!(
        out.report,
        expected_report(sc),
        "{} ({what}): ssl-errors()\n{}",
        sc.name,
        out.describe()
    );
    assert_eq!(
        out.event_errors(),
        Some(expected_errors(sc)),
        "{} ({what}): ssl-errors event\n{}",
        sc.name,
        out.describe()
    );
    assert!(
        !event_names(&out.events).contains(&"encrypted".to_owned()),
        "{} ({what}): no encrypted event\n{}",
        sc.name,
        out.describe()
    );
}

fn assert_passes_with_expected(sc: &Scenario, what: &str, out: &Outcome) {
    assert_eq!(
        out.result,
        Ok(()),
        "{} ({what}): must be encrypted\n{}",
        sc.name,
        out.describe()
    );
    assert_eq!(
        out.report,
        expected_report(sc),
        "{} ({what}): ssl-errors() still lists the ignored errors\n{}",
        sc.name,
        out.describe()
    );
    let list: Vec<&str> = sc
        .expected
        .iter()
        .map(|(e, _)| sslsocket_host::names::ssl_error(*e))
        .collect();
    let signal = format!("ssl-errors({})", list.join(", "));
    assert_in_order(&out.events, &[signal.as_str(), "encrypted"]);
}

/// The errors `openssl s_client` reports for the scenario's server with its CA file and CRLs,
/// as (Qt error, subject), in OpenSSL's order.
fn openssl_verdict(sc: &Scenario) -> Vec<(SslError, String)> {
    let ca_file = sc._dir.write("openssl-ca.pem", sc.trusted.concat());
    let mut command = std::process::Command::new("openssl");
    command
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{}", sc.server.port),
        ])
        .args(["-servername", sc.host, "-CAfile"])
        .arg(&ca_file)
        .stdin(std::process::Stdio::null());
    if !sc.crls.is_empty() {
        let crl_file = sc._dir.write("openssl-crls.pem", sc.crls.concat());
        command.arg("-crl_check").arg("-CRL").arg(crl_file);
    }
    let output = command.output().expect("run openssl s_client");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("CONNECTED") && text.contains("depth="),
        "{}: openssl s_client did not verify a chain:\n{text}",
        sc.name
    );
    let mut subject = String::new();
    let mut errors = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("depth=") {
            let name = rest.split_once(' ').map_or("", |(_, name)| name);
            subject = name.replace(" = ", "=");
        } else if let Some(rest) = line.strip_prefix("verify error:num=") {
            let code: i32 = rest.split(':').next().unwrap().parse().unwrap();
            errors.push((qt_error_of_openssl(code), subject.clone()));
        }
    }
    errors
}

/// Qt's mapping of OpenSSL's `X509_V_ERR_*` codes (`openSSLErrorToQSslError`).
fn qt_error_of_openssl(code: i32) -> SslError {
    match code {
        2 => UnableToGetIssuerCertificate,
        4 => UnableToDecryptCertificateSignature,
        6 => UnableToDecodeIssuerPublicKey,
        7 => CertificateSignatureFailed,
        9 => CertificateNotYetValid,
        10 => CertificateExpired,
        13 => InvalidNotBeforeField,
        14 => InvalidNotAfterField,
        18 => SelfSignedCertificate,
        19 => SelfSignedCertificateInChain,
        20 => UnableToGetLocalIssuerCertificate,
        21 => UnableToVerifyFirstCertificate,
        23 => CertificateRevoked,
        79 => InvalidCaCertificate,
        25 => PathLengthExceeded,
        26 => InvalidPurpose,
        27 => CertificateUntrusted,
        28 => CertificateRejected,
        _ => UnspecifiedError,
    }
}

/// Runs the scenario: OpenSSL's verdict, then ours plain, then (when it fails) ignore-all, the
/// exact ignore list and two near-miss lists.
fn check(sc: &Scenario) {
    let without_host: Vec<(SslError, String)> = sc
        .expected
        .iter()
        .filter(|(e, _)| *e != HostNameMismatch)
        .cloned()
        .collect();
    assert_eq!(
        openssl_verdict(sc),
        without_host,
        "{}: OpenSSL's own verdict differs from the expected list",
        sc.name
    );
    if sc.crls.is_empty() {
        assert_eq!(
            verify_without_connection(sc),
            expected_report(sc),
            "{}: verify-certificate-chain differs from the connection's list",
            sc.name
        );
    }
    let mut session = session();
    let out = attempt(&mut session, sc, &Ignore::Nothing);
    if sc.expected.is_empty() {
        assert_eq!(
            out.result,
            Ok(()),
            "{}: must be encrypted\n{}",
            sc.name,
            out.describe()
        );
        assert_eq!(out.report, vec![], "{}\n{}", sc.name, out.describe());
        assert_eq!(out.event_errors(), None, "{}\n{}", sc.name, out.describe());
        return;
    }
    assert_fails_with_expected(sc, "no ignoring", &out);

    let out = attempt(&mut session, sc, &Ignore::All);
    assert_passes_with_expected(sc, "ignore-ssl-errors", &out);

    let out = attempt(&mut session, sc, &Ignore::List(&sc.expected));
    assert_passes_with_expected(sc, "exact ignore list", &out);

    let missing_one = &sc.expected[..sc.expected.len() - 1];
    let out = attempt(&mut session, sc, &Ignore::List(missing_one));
    assert_fails_with_expected(sc, "ignore list missing the last pair", &out);

    let mut wrong_cert = sc.expected.clone();
    wrong_cert[0].1 = sc.other_than(&wrong_cert[0].1);
    let out = attempt(&mut session, sc, &Ignore::List(&wrong_cert));
    assert_fails_with_expected(
        sc,
        "ignore list with the first error for another certificate",
        &out,
    );
}

/// `verify-certificate-chain` (`QSslCertificate::verify`) of the chain the server sends, in a
/// fresh instance whose global CA database is what the client trusts (it consults no CRLs:
/// scenarios with CRLs are not compared).
fn verify_without_connection(sc: &Scenario) -> Vec<(SslError, Option<String>)> {
    fn load(session: &mut Session, pems: &[String]) -> Vec<sslsocket_host::Certificate> {
        pems.iter()
            .flat_map(|pem| session.certificates_from_pem(pem).unwrap().unwrap())
            .collect()
    }
    let mut session = session();
    let trusted = load(&mut session, &sc.trusted);
    session
        .set_global_ca_certificates(&trusted.iter().collect::<Vec<_>>())
        .unwrap();
    let chain = load(&mut session, &sc.chain);
    let host = sc.verify_name.unwrap_or(sc.host);
    session
        .verify_certificate_chain_report(&chain.iter().collect::<Vec<_>>(), Some(host))
        .unwrap()
        .into_iter()
        .map(|r| (r.error, r.certificate))
        .collect()
}

// ----- building scenarios -----

struct Builder {
    name: &'static str,
    dir: TempDir,
    root1: Ca,
    stranger: Cert,
    server_args: &'static [&'static str],
}

impl Builder {
    fn new(name: &'static str) -> Self {
        let stranger_ca = root("stranger");
        Self {
            name,
            dir: TempDir::new(name),
            root1: root("root1"),
            stranger: stranger_ca.cert,
            server_args: &[],
        }
    }

    /// `root1` → `int` (CA) for the usual two-level chain.
    fn int(&self) -> Ca {
        sub_ca(
            "int",
            ca_params("int", IsCa::Ca(BasicConstraints::Unconstrained)),
            &self.root1,
        )
    }

    /// Serves `leaf` (+ `chain`), trusting root1, expecting `expected` when connecting to
    /// `localhost`.
    fn finish(
        self,
        leaf: &Cert,
        chain: &[&Cert],
        others: &[&Cert],
        expected: Vec<(SslError, String)>,
    ) -> Scenario {
        let server = scenarios::serve(&self.dir, leaf, chain, self.server_args);
        let sent = std::iter::once(leaf)
            .chain(chain.iter().copied())
            .map(|c| c.cert_pem.clone())
            .collect();
        let mut certs = vec![leaf.clone(), self.root1.cert.clone()];
        certs.extend(chain.iter().map(|c| (*c).clone()));
        certs.extend(others.iter().map(|c| (*c).clone()));
        certs.push(self.stranger.clone());
        Scenario {
            name: self.name,
            server,
            host: "localhost",
            trusted: vec![self.root1.cert.cert_pem.clone()],
            verify_name: None,
            crls: Vec::new(),
            expected,
            certs,
            chain: sent,
            _dir: self.dir,
        }
    }
}

const NAMES: &[&str] = &["localhost", "127.0.0.1"];

/// A leaf for `localhost` + 127.0.0.1 signed by `ca`.
fn leaf_under(ca: &Ca) -> Cert {
    scenarios::issue("leaf", &leaf_params("leaf", NAMES), ca)
}

fn good_chain(name: &'static str) -> (Builder, Ca, Cert) {
    let b = Builder::new(name);
    let int = b.int();
    let leaf = leaf_under(&int);
    (b, int, leaf)
}

fn s(cn: &str) -> String {
    scenarios::subject(cn)
}

#[test]
fn s01_good_chain() {
    let (b, int, leaf) = good_chain("good-chain");
    check(&b.finish(&leaf, &[&int.cert], &[], vec![]));
}

#[test]
fn s02_expired_leaf() {
    let b = Builder::new("expired");
    let int = b.int();
    let mut params = leaf_params("leaf", NAMES);
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2021, 1, 1);
    let leaf = scenarios::issue("leaf", &params, &int);
    check(&b.finish(
        &leaf,
        &[&int.cert],
        &[],
        vec![(CertificateExpired, s("leaf"))],
    ));
}

#[test]
fn s03_not_yet_valid_leaf() {
    let b = Builder::new("not-yet-valid");
    let int = b.int();
    let mut params = leaf_params("leaf", NAMES);
    params.not_before = date_time_ymd(2040, 1, 1);
    params.not_after = date_time_ymd(2045, 1, 1);
    let leaf = scenarios::issue("leaf", &params, &int);
    check(&b.finish(
        &leaf,
        &[&int.cert],
        &[],
        vec![(CertificateNotYetValid, s("leaf"))],
    ));
}

#[test]
fn s04_self_signed_leaf() {
    let b = Builder::new("self-signed");
    let leaf = scenarios::self_signed("leaf", &leaf_params("leaf", NAMES));
    check(&b.finish(&leaf, &[], &[], vec![(SelfSignedCertificate, s("leaf"))]));
}

#[test]
fn s05_self_signed_in_chain() {
    let b = Builder::new("self-signed-in-chain");
    let root2 = root("root2");
    let int = sub_ca(
        "int",
        ca_params("int", IsCa::Ca(BasicConstraints::Unconstrained)),
        &root2,
    );
    let leaf = leaf_under(&int);
    check(&b.finish(
        &leaf,
        &[&int.cert, &root2.cert],
        &[],
        vec![(SelfSignedCertificateInChain, s("root2"))],
    ));
}

#[test]
fn s06_untrusted_root_not_sent() {
    let b = Builder::new("untrusted-root");
    let root2 = root("root2");
    let int = sub_ca(
        "int",
        ca_params("int", IsCa::Ca(BasicConstraints::Unconstrained)),
        &root2,
    );
    let leaf = leaf_under(&int);
    check(&b.finish(
        &leaf,
        &[&int.cert],
        &[&root2.cert],
        vec![(UnableToGetLocalIssuerCertificate, s("int"))],
    ));
}

#[test]
fn s07_missing_intermediate() {
    let (b, int, leaf) = good_chain("missing-intermediate");
    check(&b.finish(
        &leaf,
        &[],
        &[&int.cert],
        vec![
            (UnableToGetLocalIssuerCertificate, s("leaf")),
            (UnableToVerifyFirstCertificate, s("leaf")),
        ],
    ));
}

#[test]
fn s08_wrong_host() {
    let (b, int, leaf) = good_chain("wrong-host");
    let mut sc = b.finish(
        &leaf,
        &[&int.cert],
        &[],
        vec![(HostNameMismatch, s("leaf"))],
    );
    sc.verify_name = Some("wrong.example");
    check(&sc);
}

#[test]
fn s09a_ip_san_match() {
    let b = Builder::new("ip-san-match");
    let int = b.int();
    let leaf = scenarios::issue("leaf", &leaf_params("leaf", &["127.0.0.1"]), &int);
    let mut sc = b.finish(&leaf, &[&int.cert], &[], vec![]);
    sc.host = "127.0.0.1";
    check(&sc);
}

#[test]
fn s09b_ip_san_mismatch() {
    let b = Builder::new("ip-san-mismatch");
    let int = b.int();
    let leaf = scenarios::issue(
        "leaf",
        &leaf_params("leaf", &["localhost", "127.0.0.2"]),
        &int,
    );
    let mut sc = b.finish(
        &leaf,
        &[&int.cert],
        &[],
        vec![(HostNameMismatch, s("leaf"))],
    );
    sc.host = "127.0.0.1";
    check(&sc);
}

#[test]
fn s10_ca_false_intermediate() {
    let b = Builder::new("ca-false-intermediate");
    let mut params = ca_params("int", IsCa::ExplicitNoCa);
    params.key_usages = Vec::new();
    let int = sub_ca("int", params, &b.root1);
    let leaf = leaf_under(&int);
    check(&b.finish(
        &leaf,
        &[&int.cert],
        &[],
        vec![(InvalidCaCertificate, s("int")), (InvalidPurpose, s("int"))],
    ));
}

/// root1 → int1 (with `constraints`) → int2 → leaf.
fn two_intermediates(b: &Builder, constraints: BasicConstraints) -> (Ca, Ca, Cert) {
    let int1 = sub_ca("int1", ca_params("int1", IsCa::Ca(constraints)), &b.root1);
    let int2 = sub_ca(
        "int2",
        ca_params("int2", IsCa::Ca(BasicConstraints::Unconstrained)),
        &int1,
    );
    let leaf = leaf_under(&int2);
    (int1, int2, leaf)
}

#[test]
fn s11_path_length_exceeded() {
    let b = Builder::new("path-length");
    let (int1, int2, leaf) = two_intermediates(&b, BasicConstraints::Constrained(0));
    check(&b.finish(
        &leaf,
        &[&int2.cert, &int1.cert],
        &[],
        vec![(PathLengthExceeded, s("int1"))],
    ));
}

#[test]
fn s12_wrong_eku() {
    let b = Builder::new("wrong-eku");
    let int = b.int();
    let mut params = leaf_params("leaf", NAMES);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let leaf = scenarios::issue("leaf", &params, &int);
    check(&b.finish(&leaf, &[&int.cert], &[], vec![(InvalidPurpose, s("leaf"))]));
}

/// A 1024-bit RSA leaf: the chain's weak key is a reported Qt error (as OpenSSL's
/// EE_KEY_TOO_SMALL), but the handshake signature it makes (TLS 1.3 CertificateVerify, TLS 1.2
/// ECDHE-RSA ServerKeyExchange) is refused whatever errors are ignored (issue 19).
#[test]
fn s13_rsa_1024_leaf() {
    // OpenSSL's own security level 1 refuses to serve a 1024-bit key.
    let versions: [(&str, &'static [&'static str]); 2] = [
        ("TLS 1.3", &["-cipher", "DEFAULT@SECLEVEL=0", "-tls1_3"]),
        ("TLS 1.2", &["-cipher", "DEFAULT@SECLEVEL=0", "-tls1_2"]),
    ];
    for (version, server_args) in versions {
        let mut b = Builder::new("rsa-1024");
        let leaf =
            scenarios::issue_rsa(&b.dir, "leaf", &leaf_params("leaf", NAMES), &b.root1, 1024);
        b.server_args = server_args;
        let sc = b.finish(&leaf, &[], &[], vec![(UnspecifiedError, s("leaf"))]);
        assert_eq!(openssl_verdict(&sc), sc.expected, "{version}");
        let mut session = session();
        let out = attempt(&mut session, &sc, &Ignore::Nothing);
        assert_fails_with_expected(&sc, &format!("{version}, no ignoring"), &out);
        let out = attempt(&mut session, &sc, &Ignore::All);
        assert_fails_with_expected(&sc, &format!("{version}, ignore-ssl-errors"), &out);
        // The chain's errors were ignored: the error names the signature, not the chain.
        assert!(
            matches!(&out.result, Err(ErrorCode::SslHandshakeFailed(why)) if why.contains("handshake signature")),
            "{version}: {:?}",
            out.result
        );
        let out = attempt(&mut session, &sc, &Ignore::List(&sc.expected));
        assert_fails_with_expected(&sc, &format!("{version}, exact ignore list"), &out);
    }
}

/// `root1` → leaf with serial 0x5ee1 and a CRL from root1 revoking it.
fn revoked_leaf(name: &'static str) -> (Builder, Cert, String) {
    let b = Builder::new(name);
    let mut params = leaf_params("leaf", NAMES);
    params.serial_number = Some(SerialNumber::from(0x5ee1_u64));
    let leaf = scenarios::issue("leaf", &params, &b.root1);
    let crl = scenarios::crl_pem(&b.root1, &[0x5ee1]);
    (b, leaf, crl)
}

#[test]
fn s14a_revoked_with_crl() {
    let (b, leaf, crl) = revoked_leaf("revoked");
    let mut sc = b.finish(&leaf, &[], &[], vec![(CertificateRevoked, s("leaf"))]);
    sc.crls = vec![crl];
    check(&sc);
}

#[test]
fn s14b_revoked_without_crl_is_accepted() {
    let (b, leaf, _) = revoked_leaf("revoked-no-crl");
    check(&b.finish(&leaf, &[], &[], vec![]));
}

#[test]
fn s14c_crl_not_listing_the_leaf() {
    let (b, leaf, _) = revoked_leaf("crl-other-serial");
    let crl = scenarios::crl_pem(&b.root1, &[0x0bad]);
    let mut sc = b.finish(&leaf, &[], &[], vec![]);
    sc.crls = vec![crl];
    check(&sc);
}

#[test]
fn s15_expired_leaf_from_untrusted_ca() {
    let b = Builder::new("expired-untrusted");
    let other = root("other root");
    let mut params = leaf_params("leaf", NAMES);
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2021, 1, 1);
    let leaf = scenarios::issue("leaf", &params, &other);
    check(&b.finish(
        &leaf,
        &[],
        &[&other.cert],
        vec![
            (UnableToGetLocalIssuerCertificate, s("leaf")),
            (UnableToVerifyFirstCertificate, s("leaf")),
            (CertificateExpired, s("leaf")),
        ],
    ));
}

#[test]
fn s16_self_signed_under_wrong_name() {
    let b = Builder::new("self-signed-wrong-name");
    let leaf = scenarios::self_signed("leaf", &leaf_params("leaf", NAMES));
    let mut sc = b.finish(
        &leaf,
        &[],
        &[],
        vec![
            (HostNameMismatch, s("leaf")),
            (SelfSignedCertificate, s("leaf")),
        ],
    );
    sc.verify_name = Some("wrong.example");
    check(&sc);
}

/// A self-signed server certificate made as users make one (`openssl req -x509`, RSA,
/// basicConstraints CA:FALSE), the only certificate sent: OpenSSL's depth-zero self-signed.
#[test]
fn s17_openssl_req_self_signed_leaf() {
    let b = Builder::new("req-self-signed");
    let leaf = scenarios::openssl_self_signed(
        &b.dir,
        "leaf",
        "rsa:2048",
        &["basicConstraints=CA:FALSE", "subjectAltName=DNS:localhost"],
    );
    check(&b.finish(&leaf, &[], &[], vec![(SelfSignedCertificate, s("leaf"))]));
}

/// The same certificate sent twice (leaf and again as its own chain) is still depth zero.
#[test]
fn s18_self_signed_leaf_sent_twice() {
    let b = Builder::new("self-signed-twice");
    let leaf = scenarios::self_signed("leaf", &leaf_params("leaf", NAMES));
    check(&b.finish(
        &leaf,
        &[&leaf],
        &[],
        vec![(SelfSignedCertificate, s("leaf"))],
    ));
}

/// A self-signed leaf that is also expired and for another host: every error, host name first.
#[test]
fn s19_self_signed_expired_wrong_host() {
    let b = Builder::new("self-signed-expired-wrong-host");
    let mut params = leaf_params("leaf", NAMES);
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2021, 1, 1);
    let leaf = scenarios::self_signed("leaf", &params);
    let mut sc = b.finish(
        &leaf,
        &[],
        &[],
        vec![
            (HostNameMismatch, s("leaf")),
            (SelfSignedCertificate, s("leaf")),
            (CertificateExpired, s("leaf")),
        ],
    );
    sc.verify_name = Some("wrong.example");
    check(&sc);
}

/// The trust anchor's own pathLenConstraint 0 above two CA levels.
#[test]
fn s20_root_path_length_zero() {
    let mut b = Builder::new("root-path-length");
    b.root1 = scenarios::root_with(
        "root1",
        ca_params("root1", IsCa::Ca(BasicConstraints::Constrained(0))),
    );
    let (int1, int2, leaf) = two_intermediates(&b, BasicConstraints::Unconstrained);
    check(&b.finish(
        &leaf,
        &[&int2.cert, &int1.cert],
        &[],
        vec![(PathLengthExceeded, s("root1"))],
    ));
}

/// A root with these validity dates above a good intermediate and leaf.
fn chain_under_root_valid(
    name: &'static str,
    from: (i32, u8, u8),
    to: (i32, u8, u8),
) -> (Builder, Ca, Cert) {
    let mut b = Builder::new(name);
    let mut params = ca_params("root1", IsCa::Ca(BasicConstraints::Unconstrained));
    params.not_before = date_time_ymd(from.0, from.1, from.2);
    params.not_after = date_time_ymd(to.0, to.1, to.2);
    b.root1 = scenarios::root_with("root1", params);
    let int = b.int();
    let leaf = leaf_under(&int);
    (b, int, leaf)
}

#[test]
fn s21_expired_trust_anchor() {
    let (b, int, leaf) = chain_under_root_valid("expired-root", (2010, 1, 1), (2021, 1, 1));
    check(&b.finish(
        &leaf,
        &[&int.cert],
        &[],
        vec![(CertificateExpired, s("root1"))],
    ));
}

#[test]
fn s22_not_yet_valid_trust_anchor() {
    let (b, int, leaf) = chain_under_root_valid("future-root", (2040, 1, 1), (2050, 1, 1));
    check(&b.finish(
        &leaf,
        &[&int.cert],
        &[],
        vec![(CertificateNotYetValid, s("root1"))],
    ));
}

/// A 1024-bit RSA trust anchor: OpenSSL's CA_KEY_TOO_SMALL, which Qt reports as unspecified.
#[test]
fn s23_weak_key_trust_anchor() {
    let b = Builder::new("weak-root");
    let (root, leaf) = scenarios::openssl_rsa_root_and_leaf(&b.dir, 1024);
    let usual_root = b.root1.cert.cert_pem.clone();
    let mut sc = b.finish(&leaf, &[], &[&root], vec![(UnspecifiedError, s("root1"))]);
    sc.trusted = vec![root.cert_pem.clone()];
    sc.certs.retain(|c| c.cert_pem != usual_root);
    check(&sc);
}

/// A root whose keyUsage does not allow certificate signing.
#[test]
fn s24_trust_anchor_without_key_cert_sign() {
    let mut b = Builder::new("root-no-keycertsign");
    let mut params = ca_params("root1", IsCa::Ca(BasicConstraints::Unconstrained));
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::CrlSign];
    b.root1 = scenarios::root_with("root1", params);
    let leaf = leaf_under(&b.root1);
    check(&b.finish(
        &leaf,
        &[],
        &[],
        vec![
            (InvalidCaCertificate, s("root1")),
            (InvalidPurpose, s("root1")),
            (UnspecifiedError, s("root1")),
        ],
    ));
}

/// An intermediate whose signature does not verify (its last byte changed): found as the leaf's
/// issuer by name, then refused in the signature pass.
#[test]
fn s26_intermediate_with_a_bad_signature() {
    let (b, int, leaf) = good_chain("bad-signature");
    let forged = scenarios::tampered(&b.dir, &int.cert);
    check(&b.finish(
        &leaf,
        &[&forged],
        &[],
        vec![(CertificateSignatureFailed, s("int"))],
    ));
}

/// An RSA root whose signature on the leaf is sha256WithRSAEncryption without the NULL
/// parameter (RFC 4055 §5; webpki's `*_ABSENT_PARAMS`): verifies cleanly, as in OpenSSL (issue
/// 19). The same certificate with its signature damaged is refused, so the encoding is checked,
/// not skipped.
#[test]
fn s27_rsa_signature_without_null_parameters() {
    for damaged in [false, true] {
        let b = Builder::new("rsa-no-null");
        let (root, leaf) = scenarios::openssl_rsa_root_and_leaf(&b.dir, 2048);
        let mut leaf = scenarios::without_null_parameters(&b.dir, &leaf, &root);
        let mut expected = vec![];
        if damaged {
            leaf = scenarios::tampered(&b.dir, &leaf);
            expected.push((CertificateSignatureFailed, s("leaf")));
        }
        let usual_root = b.root1.cert.cert_pem.clone();
        let mut sc = b.finish(&leaf, &[], &[&root], expected);
        sc.trusted = vec![root.cert_pem.clone()];
        sc.certs.retain(|c| c.cert_pem != usual_root);
        check(&sc);
    }
}

/// A trust anchor with basicConstraints CA:FALSE.
#[test]
fn s25_trust_anchor_not_a_ca() {
    let mut b = Builder::new("root-ca-false");
    b.root1 = scenarios::root_with("root1", ca_params("root1", IsCa::ExplicitNoCa));
    let leaf = leaf_under(&b.root1);
    check(&b.finish(
        &leaf,
        &[],
        &[],
        vec![
            (InvalidCaCertificate, s("root1")),
            (InvalidPurpose, s("root1")),
        ],
    ));
}

#[test]
fn add_crls_rejects_malformed_data_and_counts_blocks() {
    let b = Builder::new("crl-parsing");
    let crl1 = scenarios::crl_pem(&b.root1, &[1]);
    let crl2 = scenarios::crl_pem(&b.root1, &[2, 3]);
    let mut session = session();
    let socket = session.new_socket().unwrap();
    let both = format!("{crl1}{crl2}");
    assert_eq!(
        socket
            .add_crls(&mut session, both.as_bytes(), EncodingFormat::Pem)
            .unwrap(),
        Ok(2)
    );
    let der = pem_body(&crl1);
    assert_eq!(
        socket
            .add_crls(&mut session, &der, EncodingFormat::Der)
            .unwrap(),
        Ok(1)
    );
    for (what, data, format) in [
        ("empty PEM", Vec::new(), EncodingFormat::Pem),
        ("garbage PEM", b"not a CRL".to_vec(), EncodingFormat::Pem),
        ("garbage DER", pattern(200, 3), EncodingFormat::Der),
        (
            "truncated DER",
            der[..der.len() / 2].to_vec(),
            EncodingFormat::Der,
        ),
        (
            "a certificate, not a CRL",
            b.root1.cert.cert_pem.clone().into_bytes(),
            EncodingFormat::Pem,
        ),
    ] {
        let result = socket.add_crls(&mut session, &data, format).unwrap();
        assert!(
            matches!(result, Err(ErrorCode::InvalidInput(_))),
            "{what}: {result:?}"
        );
    }
    // The socket still works after the bad calls.
    let leaf = leaf_under(&b.root1);
    let sc = b.finish(&leaf, &[], &[], vec![]);
    let out = attempt(&mut session, &sc, &Ignore::Nothing);
    assert_eq!(out.result, Ok(()), "{}", out.describe());
}

/// The DER inside a single PEM block.
fn pem_body(pem: &str) -> Vec<u8> {
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    base64_decode(&b64)
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        if c == b'=' {
            break;
        }
        let v = ALPHABET.iter().position(|a| *a == c).expect("base64") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

// ----- pausing on errors (handshakeInterruptedOnError) and peer-verify-mode -----

mod pause {
    use std::io::{Read as _, Write as _};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use sslsocket_host::{ErrorCode, PeerVerifyMode, Session, SocketState, SslError, SslSocket};
    use sslsocket_testkit::rustls_server::{TlsServer, TlsStream};
    use sslsocket_testkit::testpki;

    use super::common::*;

    const ROGUE: &str = "CN=rogue, O=sslsocket test";
    /// What the recording server sends first, once its handshake is done.
    const GREETING: &[u8] = b"hello\n";

    /// An echo server with a self-signed certificate (scenario 4) that records how many
    /// handshakes completed and every byte it received.
    struct Recorder {
        server: TlsServer,
        handshakes: Arc<AtomicUsize>,
        received: Arc<Mutex<Vec<u8>>>,
    }

    impl Recorder {
        fn start() -> Self {
            let rogue = testpki::self_signed("rogue", &["localhost", "127.0.0.1"]).unwrap();
            let handshakes = Arc::new(AtomicUsize::new(0));
            let received = Arc::new(Mutex::new(Vec::new()));
            let (h, r) = (Arc::clone(&handshakes), Arc::clone(&received));
            let handler = Arc::new(move |tls: &mut TlsStream| {
                while tls.conn.is_handshaking() {
                    if tls.conn.complete_io(&mut tls.sock).is_err() {
                        return;
                    }
                }
                h.fetch_add(1, Ordering::SeqCst);
                if tls.write_all(GREETING).and_then(|()| tls.flush()).is_err() {
                    return;
                }
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            r.lock().unwrap().extend_from_slice(&buf[..n]);
                            if tls.write_all(&buf[..n]).and_then(|()| tls.flush()).is_err() {
                                return;
                            }
                        }
                    }
                }
                sslsocket_testkit::rustls_server::close(tls);
            });
            let server = TlsServer::start(
                std::slice::from_ref(&rogue.cert_der),
                &rogue.key_der,
                handler,
            )
            .unwrap();
            Self {
                server,
                handshakes,
                received,
            }
        }

        fn handshakes(&self) -> usize {
            self.handshakes.load(Ordering::SeqCst)
        }

        fn received(&self) -> Vec<u8> {
            self.received.lock().unwrap().clone()
        }
    }

    /// Connects with interrupt-on-error and checks the paused state: wait-for-encrypted times
    /// out, the socket stays connected, the events say why, nothing is sent or readable.
    fn connect_paused(session: &mut Session, server: &Recorder) -> SslSocket {
        let socket = session.new_socket().unwrap();
        socket
            .set_handshake_must_interrupt_on_error(session, true)
            .unwrap();
        socket
            .connect_to_host_encrypted(session, "localhost", server.server.port())
            .unwrap()
            .unwrap();
        let started = Instant::now();
        let result = socket.wait_for_encrypted(session, 500).unwrap();
        let events = socket.take_events(session).unwrap();
        assert_eq!(
            result,
            Err(ErrorCode::SocketTimeout),
            "{:?}",
            event_names(&events)
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(socket.state(session).unwrap(), SocketState::Connected);
        assert!(!socket.is_encrypted(session).unwrap());
        assert_in_order(
            &events,
            &[
                "connected",
                "ssl-errors(self-signed-certificate)",
                "handshake-interrupted-on-error",
            ],
        );
        assert!(!event_names(&events).contains(&"encrypted".to_owned()));
        let report = socket.ssl_error_report(session).unwrap();
        assert_eq!(
            report
                .iter()
                .map(|r| (r.error, r.certificate.clone()))
                .collect::<Vec<_>>(),
            vec![(SslError::SelfSignedCertificate, Some(ROGUE.to_owned()))]
        );

        // Writing is accepted but nothing goes out; nothing can be read.
        assert_eq!(socket.write(session, b"early\n").unwrap(), Ok(6));
        std::thread::sleep(Duration::from_millis(300));
        socket.process(session).unwrap();
        assert_eq!(
            socket.wait_for_encrypted(session, 200).unwrap(),
            Err(ErrorCode::SocketTimeout)
        );
        assert_eq!(socket.state(session).unwrap(), SocketState::Connected);
        assert_eq!(socket.bytes_available(session).unwrap(), 0);
        if let Ok(data) = socket.read(session, 100).unwrap() {
            assert!(data.is_empty(), "read while paused: {data:?}");
        }
        // The server greets as soon as its handshake is done: that must not be readable either.
        assert!(server.received().is_empty());
        // No further signal while paused.
        let more = socket.take_events(session).unwrap();
        assert!(
            !event_names(&more)
                .iter()
                .any(|e| e == "encrypted" || e.starts_with("ssl-errors")),
            "{:?}",
            event_names(&more)
        );
        socket
    }

    #[test]
    fn pause_then_ignore_and_continue() {
        let server = Recorder::start();
        let mut session = session();
        let socket = connect_paused(&mut session, &server);
        socket.ignore_ssl_errors(&mut session).unwrap();
        assert_eq!(
            socket.continue_interrupted_handshake(&mut session).unwrap(),
            Ok(())
        );
        let result = socket.wait_for_encrypted(&mut session, WAIT_MS).unwrap();
        let events = socket.take_events(&mut session).unwrap();
        assert_eq!(result, Ok(()), "{:?}", event_names(&events));
        assert_in_order(&events, &["encrypted"]);
        // The greeting, then the data written while paused (sent now) comes back.
        assert_eq!(
            socket
                .read_exact(&mut session, 12, WAIT_MS)
                .unwrap()
                .unwrap(),
            b"hello\nearly\n"
        );
        assert_eq!(round_trip(&mut session, socket, b"after\n"), b"after\n");
        assert_eq!(server.handshakes(), 1);
        assert_eq!(server.received(), b"early\nafter\n");
        // Nothing is interrupted any more.
        assert!(matches!(
            socket.continue_interrupted_handshake(&mut session).unwrap(),
            Err(ErrorCode::InvalidState(_))
        ));
    }

    #[test]
    fn pause_then_ignore_list_and_continue() {
        let server = Recorder::start();
        let mut session = session();
        let socket = connect_paused(&mut session, &server);
        let chain = socket.peer_certificate_chain(&mut session).unwrap();
        assert_eq!(chain.len(), 1);
        socket
            .ignore_ssl_errors_list(
                &mut session,
                &[(SslError::SelfSignedCertificate, Some(&chain[0]))],
            )
            .unwrap();
        chain[0].drop(&mut session).unwrap();
        socket
            .continue_interrupted_handshake(&mut session)
            .unwrap()
            .unwrap();
        let result = socket.wait_for_encrypted(&mut session, WAIT_MS).unwrap();
        assert_eq!(result, Ok(()));
        assert_eq!(
            socket
                .read_exact(&mut session, 12, WAIT_MS)
                .unwrap()
                .unwrap(),
            b"hello\nearly\n"
        );
    }

    #[test]
    fn pause_then_continue_without_ignoring_fails() {
        let server = Recorder::start();
        let mut session = session();
        let socket = connect_paused(&mut session, &server);
        let continued = socket.continue_interrupted_handshake(&mut session).unwrap();
        let result = match continued {
            Ok(()) => socket.wait_for_encrypted(&mut session, WAIT_MS).unwrap(),
            Err(e) => Err(e),
        };
        let events = socket.take_events(&mut session).unwrap();
        assert!(
            matches!(result, Err(ErrorCode::SslHandshakeFailed(_))),
            "{result:?} {:?}",
            event_names(&events)
        );
        assert!(!event_names(&events).contains(&"encrypted".to_owned()));
        assert!(!socket.is_encrypted(&mut session).unwrap());
        let report = socket.ssl_error_report(&mut session).unwrap();
        assert_eq!(report.len(), 1, "{report:?}");
        assert_eq!(report[0].error, SslError::SelfSignedCertificate);
        std::thread::sleep(Duration::from_millis(200));
        assert!(server.received().is_empty());
    }

    #[test]
    fn pause_then_abort() {
        let server = Recorder::start();
        let mut session = session();
        let socket = connect_paused(&mut session, &server);
        socket.abort(&mut session).unwrap();
        assert_eq!(
            socket.state(&mut session).unwrap(),
            SocketState::Unconnected
        );
        let events = socket.take_events(&mut session).unwrap();
        assert_in_order(&events, &["disconnected"]);
        assert!(!event_names(&events).contains(&"encrypted".to_owned()));
        assert!(matches!(
            socket.continue_interrupted_handshake(&mut session).unwrap(),
            Err(ErrorCode::InvalidState(_))
        ));
        std::thread::sleep(Duration::from_millis(200));
        assert!(server.received().is_empty());
        // The same instance still works.
        let socket = session.new_socket().unwrap();
        socket.ignore_ssl_errors(&mut session).unwrap();
        let (result, _) = handshake(&mut session, socket, "localhost", server.server.port());
        assert_eq!(result, Ok(()));
    }

    /// As with Qt on OpenSSL, whose verify callback runs before the client's Finished is sent:
    /// while the decision is pending the peer has not seen a finished handshake.
    #[test]
    fn pause_happens_before_the_client_finished() {
        let server = Recorder::start();
        let mut session = session();
        let socket = connect_paused(&mut session, &server);
        assert_eq!(
            server.handshakes(),
            0,
            "the server saw a finished TLS handshake while the client was paused"
        );
        socket.abort(&mut session).unwrap();
    }

    #[test]
    fn continue_with_nothing_interrupted_is_invalid_state() {
        let server = Recorder::start();
        let mut session = session();
        let socket = session.new_socket().unwrap();
        assert!(matches!(
            socket.continue_interrupted_handshake(&mut session).unwrap(),
            Err(ErrorCode::InvalidState(_))
        ));
        // Interrupt mode on, errors ignored in advance: no pause at all.
        socket
            .set_handshake_must_interrupt_on_error(&mut session, true)
            .unwrap();
        socket.ignore_ssl_errors(&mut session).unwrap();
        let (result, events) = handshake(&mut session, socket, "localhost", server.server.port());
        assert_eq!(result, Ok(()), "{:?}", event_names(&events));
        assert!(
            !event_names(&events).contains(&"handshake-interrupted-on-error".to_owned()),
            "{:?}",
            event_names(&events)
        );
        assert!(matches!(
            socket.continue_interrupted_handshake(&mut session).unwrap(),
            Err(ErrorCode::InvalidState(_))
        ));
    }

    #[test]
    fn interrupt_mode_without_errors_does_not_pause() {
        let ca = testpki::Authority::new("sslsocket test CA").unwrap();
        let leaf = ca
            .issue("localhost", &["localhost"], testpki::Usage::Server)
            .unwrap();
        let server = TlsServer::echo(std::slice::from_ref(&leaf.cert_der), &leaf.key_der).unwrap();
        let mut session = session();
        let socket = socket_trusting(&mut session, &ca.cert_pem);
        socket
            .set_handshake_must_interrupt_on_error(&mut session, true)
            .unwrap();
        let (result, events) = handshake(&mut session, socket, "localhost", server.port());
        assert_eq!(result, Ok(()), "{:?}", event_names(&events));
        assert!(!event_names(&events).contains(&"handshake-interrupted-on-error".to_owned()));
        assert_eq!(round_trip(&mut session, socket, b"ok\n"), b"ok\n");
    }

    #[test]
    fn peer_verify_modes() {
        let server = Recorder::start();
        let mut session = session();
        let socket = session.new_socket().unwrap();
        assert_eq!(
            socket.peer_verify_mode(&mut session).unwrap(),
            PeerVerifyMode::AutoVerifyPeer
        );
        for mode in [
            PeerVerifyMode::VerifyNone,
            PeerVerifyMode::QueryPeer,
            PeerVerifyMode::VerifyPeer,
            PeerVerifyMode::AutoVerifyPeer,
        ] {
            socket.set_peer_verify_mode(&mut session, mode).unwrap();
            assert_eq!(socket.peer_verify_mode(&mut session).unwrap(), mode);
        }
        socket.drop(&mut session).unwrap();

        // verify-none: encrypted, no errors at all, no ssl-errors signal.
        let socket = session.new_socket().unwrap();
        socket
            .set_peer_verify_mode(&mut session, PeerVerifyMode::VerifyNone)
            .unwrap();
        let (result, events) = handshake(&mut session, socket, "localhost", server.server.port());
        assert_eq!(result, Ok(()), "{:?}", event_names(&events));
        assert!(
            !event_names(&events)
                .iter()
                .any(|e| e.starts_with("ssl-errors")),
            "{:?}",
            event_names(&events)
        );
        assert_eq!(socket.ssl_error_report(&mut session).unwrap(), vec![]);
        assert_eq!(
            socket
                .read_exact(&mut session, 6, WAIT_MS)
                .unwrap()
                .unwrap(),
            GREETING
        );
        assert_eq!(round_trip(&mut session, socket, b"none\n"), b"none\n");
        socket.abort(&mut session).unwrap();
        socket.drop(&mut session).unwrap();

        // query-peer: encrypted, the errors are listed and signalled.
        let socket = session.new_socket().unwrap();
        socket
            .set_peer_verify_mode(&mut session, PeerVerifyMode::QueryPeer)
            .unwrap();
        let (result, events) = handshake(&mut session, socket, "localhost", server.server.port());
        assert_eq!(result, Ok(()), "{:?}", event_names(&events));
        assert_in_order(
            &events,
            &["ssl-errors(self-signed-certificate)", "encrypted"],
        );
        let report = socket.ssl_error_report(&mut session).unwrap();
        assert_eq!(
            report
                .iter()
                .map(|r| (r.error, r.certificate.clone()))
                .collect::<Vec<_>>(),
            vec![(SslError::SelfSignedCertificate, Some(ROGUE.to_owned()))]
        );
        assert_eq!(
            socket
                .read_exact(&mut session, 6, WAIT_MS)
                .unwrap()
                .unwrap(),
            GREETING
        );
        assert_eq!(round_trip(&mut session, socket, b"query\n"), b"query\n");
        socket.abort(&mut session).unwrap();
        socket.drop(&mut session).unwrap();

        // verify-peer and auto-verify-peer (a client): the errors fail the handshake.
        for mode in [PeerVerifyMode::VerifyPeer, PeerVerifyMode::AutoVerifyPeer] {
            let socket = session.new_socket().unwrap();
            socket.set_peer_verify_mode(&mut session, mode).unwrap();
            let (result, events) =
                handshake(&mut session, socket, "localhost", server.server.port());
            assert!(
                matches!(result, Err(ErrorCode::SslHandshakeFailed(_))),
                "{mode:?}: {result:?} {:?}",
                event_names(&events)
            );
            socket.drop(&mut session).unwrap();
        }
    }
}
