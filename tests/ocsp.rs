//! OCSP stapling both ways against OpenSSL: responses made at test time by `openssl ocsp` (as a
//! responder over an index file, signed by the issuer or a delegated responder), stapled by
//! `openssl s_server -status_file` to our client, and by our server to `openssl s_client -status`
//! and to our own client. Errors are Qt's (`checkOcspStatus`), and come first in `ssl-errors`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::scenarios::{self, Ca, Cert, OcspStatus, ca_params, leaf_params, root, sub_ca};
use common::server::{SClient, Srv, c2c_connect};
use common::*;
use rcgen::{BasicConstraints, ExtendedKeyUsagePurpose, IsCa};
use sslsocket::engine::x509::TrustStore;
use sslsocket::engine::x509::ocsp::check_stapled;
use sslsocket_host::{
    ErrorCode, OcspCertificateStatus, OcspRevocationReason, Protocol, Session, SslError,
    SslErrorReport,
};
use sslsocket_testkit as common;

use SslError::*;

/// root1 → int → leaf (localhost), a responder int delegated to, and one it did not.
struct Pki {
    dir: TempDir,
    root: Ca,
    int: Ca,
    leaf: Cert,
    delegated: Cert,
    stranger: Cert,
}

impl Pki {
    fn new(name: &str) -> Self {
        let root = root("root1");
        let int = sub_ca(
            "int",
            ca_params("int", IsCa::Ca(BasicConstraints::Unconstrained)),
            &root,
        );
        let leaf = scenarios::issue("leaf", &leaf_params("leaf", &["localhost"]), &int);
        let mut responder = leaf_params("responder", &[]);
        responder.extended_key_usages = vec![ExtendedKeyUsagePurpose::OcspSigning];
        let delegated = scenarios::issue("responder", &responder, &int);
        let mut params = leaf_params("stranger", &[]);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::OcspSigning];
        let stranger = scenarios::issue("stranger", &params, &scenarios::root("other root"));
        Self {
            dir: TempDir::new(name),
            root,
            int,
            leaf,
            delegated,
            stranger,
        }
    }

    /// A response from `openssl ocsp` about the leaf, signed by `signer` (`None`: the issuer).
    fn response(&self, status: OcspStatus, signer: Option<&Cert>, extra: &[&str]) -> Vec<u8> {
        let signer = signer.unwrap_or(&self.int.cert);
        scenarios::ocsp_response(
            &self.dir,
            &self.int.cert.cert_pem,
            (&signer.cert_pem, &signer.key_pem),
            &self.leaf.cert_pem,
            status,
            extra,
        )
    }

    /// `openssl s_server` presenting leaf + int, stapling `response` when given.
    fn serve(&self, response: Option<&[u8]>, extra: &[&str]) -> Peer {
        let mut args: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        if let Some(der) = response {
            let path = self.dir.write("staple.der", der);
            args.extend(["-status_file".to_owned(), path.to_str().unwrap().to_owned()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        scenarios::serve(&self.dir, &self.leaf, &[&self.int.cert], &args)
    }
}

struct Outcome {
    result: Result<(), ErrorCode>,
    errors: Vec<(SslError, Option<String>)>,
    ocsp: Vec<sslsocket_host::OcspReport>,
    /// The stapled response as the server sent it (`stapled-ocsp-response`).
    stapled: Option<Vec<u8>>,
}

/// A client trusting root1, with stapling enabled (or not), connecting to `port`.
fn connect(session: &mut Session, pki: &Pki, port: u16, stapling: bool) -> Outcome {
    let socket = socket_trusting(session, &pki.root.cert.cert_pem);
    socket.set_ocsp_stapling_enabled(session, stapling).unwrap();
    assert_eq!(socket.ocsp_stapling_enabled(session).unwrap(), stapling);
    let (result, _events) = handshake(session, socket, "localhost", port);
    let outcome = outcome(session, socket, result);
    socket.abort(session).unwrap();
    socket.drop(session).unwrap();
    outcome
}

fn outcome(
    session: &mut Session,
    socket: sslsocket_host::SslSocket,
    result: Result<(), ErrorCode>,
) -> Outcome {
    let errors = socket
        .ssl_error_report(session)
        .unwrap()
        .into_iter()
        .map(
            |SslErrorReport {
                 error, certificate, ..
             }| (error, certificate),
        )
        .collect();
    let ocsp = socket.ocsp_report(session).unwrap();
    let stapled = socket.stapled_ocsp_response(session).unwrap();
    Outcome {
        result,
        errors,
        ocsp,
        stapled,
    }
}

fn leaf() -> Option<String> {
    Some(scenarios::subject("leaf"))
}

fn assert_refused(out: &Outcome, expected: &[(SslError, Option<String>)]) {
    assert!(
        matches!(out.result, Err(ErrorCode::SslHandshakeFailed(_))),
        "{:?}",
        out.result
    );
    assert_eq!(out.errors, expected);
}

#[test]
fn good_response_from_the_issuer_tls13_and_tls12() {
    let pki = Pki::new("ocsp-good");
    let der = pki.response(OcspStatus::Good, None, &[]);
    for version in ["-tls1_3", "-tls1_2"] {
        let server = pki.serve(Some(&der), &[version]);
        let mut session = session();
        let out = connect(&mut session, &pki, server.port, true);
        assert_eq!(out.result, Ok(()), "{version}: {:?}", out.errors);
        assert_eq!(out.errors, vec![]);
        assert_eq!(out.ocsp.len(), 1, "{version}");
        assert_eq!(out.ocsp[0].certificate_status, OcspCertificateStatus::Good);
        assert_eq!(out.ocsp[0].revocation_reason, OcspRevocationReason::None);
        assert_eq!(out.ocsp[0].responder, Some(scenarios::subject("int")));
        assert_eq!(out.ocsp[0].subject, scenarios::subject("leaf"));
        assert_eq!(
            out.stapled.as_deref(),
            Some(&der[..]),
            "{version}: the bytes as stapled"
        );

        // A client that does not ask for stapling has no response to give.
        let out = connect(&mut session, &pki, server.port, false);
        assert_eq!(out.result, Ok(()));
        assert_eq!((out.ocsp.len(), out.stapled), (0, None), "{version}");
    }
}

#[test]
fn good_response_from_a_delegated_responder() {
    let pki = Pki::new("ocsp-delegated");
    let der = pki.response(OcspStatus::Good, Some(&pki.delegated), &[]);
    let server = pki.serve(Some(&der), &[]);
    let out = connect(&mut session(), &pki, server.port, true);
    assert_eq!(out.result, Ok(()), "{:?}", out.errors);
}

#[test]
fn revoked_unknown_and_untrusted_responses() {
    let pki = Pki::new("ocsp-bad");
    let revoked = pki.response(OcspStatus::Revoked, None, &[]);
    let server = pki.serve(Some(&revoked), &[]);
    let mut session = session();
    let out = connect(&mut session, &pki, server.port, true);
    assert_refused(&out, &[(CertificateRevoked, leaf())]);
    assert_eq!(
        out.ocsp[0].certificate_status,
        OcspCertificateStatus::Revoked
    );
    assert_eq!(
        out.ocsp[0].revocation_reason,
        OcspRevocationReason::KeyCompromise
    );
    // Not checked unless asked for.
    let out = connect(&mut session, &pki, server.port, false);
    assert_eq!(out.result, Ok(()));
    assert!(out.ocsp.is_empty());
    drop(server);

    let unknown = pki.response(OcspStatus::Unknown, None, &[]);
    let server = pki.serve(Some(&unknown), &[]);
    let out = connect(&mut session, &pki, server.port, true);
    assert_refused(&out, &[(OcspStatusUnknown, leaf())]);
    drop(server);

    // Signed by a responder the issuer never delegated to.
    let untrusted = pki.response(OcspStatus::Good, Some(&pki.stranger), &[]);
    let server = pki.serve(Some(&untrusted), &[]);
    let out = connect(&mut session, &pki, server.port, true);
    assert_refused(&out, &[(OcspResponseCannotBeTrusted, None)]);
    drop(server);

    // No response stapled.
    let server = pki.serve(None, &[]);
    let out = connect(&mut session, &pki, server.port, true);
    assert_refused(&out, &[(OcspNoResponseFound, None)]);
}

#[test]
fn ocsp_errors_come_first_and_can_be_ignored() {
    let pki = Pki::new("ocsp-order");
    let revoked = pki.response(OcspStatus::Revoked, None, &[]);
    let server = pki.serve(Some(&revoked), &[]);
    let mut session = session();
    let socket = socket_trusting(&mut session, &pki.root.cert.cert_pem);
    socket
        .set_ocsp_stapling_enabled(&mut session, true)
        .unwrap();
    socket
        .set_peer_verify_name(&mut session, "wrong.example")
        .unwrap();
    let (result, _) = handshake(&mut session, socket, "localhost", server.port);
    let out = outcome(&mut session, socket, result);
    assert_refused(
        &out,
        &[(CertificateRevoked, leaf()), (HostNameMismatch, leaf())],
    );
    socket.abort(&mut session).unwrap();
    socket.drop(&mut session).unwrap();

    let socket = socket_trusting(&mut session, &pki.root.cert.cert_pem);
    socket
        .set_ocsp_stapling_enabled(&mut session, true)
        .unwrap();
    socket.ignore_ssl_errors(&mut session).unwrap();
    let (result, _) = handshake(&mut session, socket, "localhost", server.port);
    assert_eq!(result, Ok(()));
    socket.abort(&mut session).unwrap();
    socket.drop(&mut session).unwrap();
}

/// `-ndays 1`: current now, expired a year later (checked in the engine, where the clock is
/// given).
#[test]
fn expired_response() {
    let pki = Pki::new("ocsp-expired");
    let der = pki.response(OcspStatus::Good, None, &["-ndays", "1"]);
    let chain: Vec<sslsocket::pki::Certificate> = [&pki.leaf, &pki.int.cert]
        .iter()
        .map(|c| sslsocket::pki::Certificate::from_der(&c.cert_der).unwrap())
        .collect();
    let store =
        TrustStore::new(&[sslsocket::pki::Certificate::from_der(&pki.root.cert.cert_der).unwrap()]);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let fresh = check_stapled(&der, &chain, &store, at(now));
    assert_eq!(fresh.errors, vec![]);
    let later = check_stapled(&der, &chain, &store, at(now + 365 * 86_400));
    let errors: Vec<_> = later.errors.iter().map(|e| e.error).collect();
    assert_eq!(
        errors,
        vec![sslsocket::engine::SslError::OcspResponseExpired]
    );
    // Before thisUpdate (beyond the 60 s leeway) it is not current either.
    let earlier = check_stapled(&der, &chain, &store, at(now - 3600));
    assert_eq!(earlier.errors.len(), 1);
    // The same response is about another certificate for a chain with another leaf.
    let other = scenarios::issue("other", &leaf_params("other", &["localhost"]), &pki.int);
    let other_chain = vec![
        sslsocket::pki::Certificate::from_der(&other.cert_der).unwrap(),
        chain[1].clone(),
    ];
    let errors: Vec<_> = check_stapled(&der, &other_chain, &store, at(now))
        .errors
        .iter()
        .map(|e| e.error)
        .collect();
    assert_eq!(
        errors,
        vec![sslsocket::engine::SslError::OcspResponseCertIdUnknown]
    );
}

/// A responder's "try later" (no basic response) and a successful response whose basic
/// response is garbage, stapled by our own server to our own client.
#[test]
fn responder_errors_and_malformed_responses_from_our_server() {
    let pki = Pki::new("ocsp-malformed");
    let try_later = [0x30, 0x03, 0x0a, 0x01, 0x03];
    // OCSPResponse { successful, [0] { id-pkix-ocsp-basic, OCTET STRING 01 02 03 } }
    let garbage = [
        0x30, 0x16, 0x0a, 0x01, 0x00, 0xa0, 0x11, 0x30, 0x0f, 0x06, 0x09, 0x2b, 0x06, 0x01, 0x05,
        0x05, 0x07, 0x30, 0x01, 0x01, 0x04, 0x02, 0x01, 0x02,
    ];
    for (der, expected) in [
        (&try_later[..], OcspTryLater),
        (&garbage[..], OcspMalformedResponse),
    ] {
        let mut srv = Srv::start(
            &[&pki.leaf.cert_pem, &pki.int.cert.cert_pem],
            &pki.leaf.key_pem,
            |session, server| {
                server.set_ocsp_response(session, der).unwrap().unwrap();
            },
        );
        let mut session = session();
        let client = socket_trusting(&mut session, &pki.root.cert.cert_pem);
        client
            .set_ocsp_stapling_enabled(&mut session, true)
            .unwrap();
        let (encrypted, _, _) = c2c_connect(&mut session, client, "localhost", &mut srv);
        assert!(!encrypted);
        let out = outcome(
            &mut session,
            client,
            Err(ErrorCode::SslHandshakeFailed(String::new())),
        );
        assert_eq!(out.errors, vec![(expected, None)]);
        client.drop(&mut session).unwrap();
    }
}

#[test]
fn set_ocsp_response_refuses_what_is_not_an_ocsp_response() {
    let mut session = session();
    let server = session.new_server().unwrap();
    let refused = server.set_ocsp_response(&mut session, b"not DER").unwrap();
    assert!(
        matches!(refused, Err(ErrorCode::InvalidInput(_))),
        "{refused:?}"
    );
    let socket = session.new_socket().unwrap();
    let refused = socket
        .set_ocsp_response(&mut session, &[0x30, 0x80])
        .unwrap();
    assert!(
        matches!(refused, Err(ErrorCode::InvalidInput(_))),
        "{refused:?}"
    );
    // Empty removes it.
    assert_eq!(socket.set_ocsp_response(&mut session, &[]).unwrap(), Ok(()));
}

/// Our server staples what the host gives it: `openssl s_client -status` verifies it, and our own
/// client gets the same answer.
#[test]
fn our_server_staples_to_openssl_and_to_our_client() {
    let pki = Pki::new("ocsp-serve");
    let good = pki.response(OcspStatus::Good, None, &[]);
    let revoked = pki.response(OcspStatus::Revoked, None, &[]);
    for (der, status) in [(&good, "good"), (&revoked, "revoked")] {
        let mut srv = Srv::start(
            &[&pki.leaf.cert_pem, &pki.int.cert.cert_pem],
            &pki.leaf.key_pem,
            |session, server| {
                server
                    .set_protocol(session, Protocol::SecureProtocols)
                    .unwrap()
                    .unwrap();
                server.set_ocsp_response(session, der).unwrap().unwrap();
            },
        );
        let root_file = pki.dir.write("root1.pem", &pki.root.cert.cert_pem);
        let client = SClient::start(
            srv.port,
            &[
                "-status",
                "-CAfile",
                root_file.to_str().unwrap(),
                "-servername",
                "localhost",
            ],
        );
        let socket = srv.accept();
        assert!(
            client.wait_for_output("Verify return code"),
            "{}",
            client.output()
        );
        socket.disconnect_from_host(&mut srv.session).unwrap();
        let output = client.finish();
        socket.drop(&mut srv.session).unwrap();
        assert!(
            output.contains("OCSP Response Status: successful"),
            "{output}"
        );
        assert!(
            output.contains(&format!("Cert Status: {status}")),
            "{output}"
        );

        let mut session = session();
        let client = socket_trusting(&mut session, &pki.root.cert.cert_pem);
        client
            .set_ocsp_stapling_enabled(&mut session, true)
            .unwrap();
        let (encrypted, accepted, _) = c2c_connect(&mut session, client, "localhost", &mut srv);
        let out = outcome(&mut session, client, Ok(()));
        if status == "good" {
            assert!(encrypted, "{:?}", out.errors);
            assert_eq!(out.ocsp[0].certificate_status, OcspCertificateStatus::Good);
        } else {
            assert!(!encrypted);
            assert_eq!(out.errors, vec![(CertificateRevoked, leaf())]);
        }
        if let Some(accepted) = accepted {
            accepted.drop(&mut srv.session).unwrap();
        }
        client.drop(&mut session).unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `secs` since the epoch as the time type verification takes.
fn at(secs: u64) -> rustls_pki_types::UnixTime {
    rustls_pki_types::UnixTime::since_unix_epoch(Duration::from_secs(secs))
}
