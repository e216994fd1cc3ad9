//! P-521 against OpenSSL: a chain of P-521 certificates signed with ECDSA/SHA-512 (root,
//! intermediate, leaf, made by `openssl`) verifies when `openssl s_server` presents it, the
//! secp521r1 group negotiates with s_server (asked for, and after a HelloRetryRequest), and our
//! `ssl-server` with a P-521 certificate and key (PKCS#8 and SEC1) is accepted by `openssl s_client`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::time::Duration;

use common::scenarios::openssl_output;
use common::server::{SClient, Srv};
use common::*;
use sslsocket_host::{Mode, Protocol, Session, SslSocket};
use sslsocket_testkit as common;

const LEAF_SUBJECT: &str = "CN=localhost, O=sslsocket test";
const INTERMEDIATE_SUBJECT: &str = "CN=p521 intermediate, O=sslsocket test";

/// A P-521 root, intermediate and leaf (`localhost`, `127.0.0.1`), each signed with ECDSA/SHA-512
/// by the one above, written by `openssl` to a temporary directory.
struct P521Pki {
    dir: TempDir,
}

impl P521Pki {
    fn new(tag: &str) -> Self {
        let dir = TempDir::new(tag);
        // The root's key as SEC1 (`ecparam -genkey`), the others as PKCS#8 (`genpkey`).
        openssl_output(
            &dir,
            &[
                "ecparam",
                "-name",
                "secp521r1",
                "-genkey",
                "-noout",
                "-out",
                "root.key",
            ],
        );
        for name in ["intermediate", "leaf"] {
            openssl_output(
                &dir,
                &[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-521",
                    "-out",
                    &format!("{name}.key"),
                ],
            );
        }
        openssl_output(
            &dir,
            &[
                "pkey",
                "-in",
                "leaf.key",
                "-traditional",
                "-out",
                "leaf-sec1.key",
            ],
        );
        openssl_output(
            &dir,
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                "root.key",
                "-sha512",
                "-days",
                "365",
                "-subj",
                "/CN=p521 root/O=sslsocket test",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-out",
                "root.pem",
            ],
        );
        dir.write(
            "intermediate.ext",
            "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n",
        );
        dir.write(
            "leaf.ext",
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
        );
        for (name, subject, issuer) in [
            (
                "intermediate",
                "/CN=p521 intermediate/O=sslsocket test",
                "root",
            ),
            ("leaf", "/CN=localhost/O=sslsocket test", "intermediate"),
        ] {
            let (key, csr, ext) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.ext"),
            );
            openssl_output(
                &dir,
                &["req", "-new", "-key", &key, "-subj", subject, "-out", &csr],
            );
            openssl_output(
                &dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    &format!("{issuer}.pem"),
                    "-CAkey",
                    &format!("{issuer}.key"),
                    "-CAcreateserial",
                    "-days",
                    "365",
                    "-sha512",
                    "-extfile",
                    &ext,
                    "-out",
                    &format!("{name}.pem"),
                ],
            );
        }
        // Check the files are what this test means: P-521 keys, ECDSA with SHA-512.
        let text = openssl_output(&dir, &["x509", "-in", "leaf.pem", "-noout", "-text"]);
        assert!(text.contains("NIST CURVE: P-521"), "{text}");
        assert!(text.contains("ecdsa-with-SHA512"), "{text}");
        assert!(
            std::fs::read_to_string(dir.path().join("leaf-sec1.key"))
                .unwrap()
                .contains("BEGIN EC PRIVATE KEY")
        );
        Self { dir }
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.path(file)).unwrap()
    }

    /// `openssl s_server` presenting the leaf with the intermediate after it.
    fn s_server(&self, args: &[&str]) -> Peer {
        let chain = self.path("intermediate.pem");
        let mut all = vec!["-cert_chain", chain.to_str().unwrap()];
        all.extend(args);
        openssl_s_server(&self.path("leaf.pem"), &self.path("leaf.key"), &all)
    }
}

/// Connects a client trusting only the P-521 root (with `groups`, when given) to `server`;
/// asserts the handshake succeeded with no SSL error and the chain is the one served.
fn connect(pki: &P521Pki, server: &Peer, groups: Option<&[&str]>) -> (Session, SslSocket) {
    let mut session = session();
    let socket = socket_trusting(&mut session, &pki.read("root.pem"));
    if let Some(groups) = groups {
        let groups: Vec<String> = groups.iter().map(|g| (*g).to_owned()).collect();
        assert_eq!(
            socket
                .set_key_exchange_groups(&mut session, &groups)
                .unwrap(),
            Ok(())
        );
    }
    let (result, events) = handshake(&mut session, socket, "localhost", server.port);
    assert_eq!(
        result,
        Ok(()),
        "handshake failed; events {:?}; server said {:?}",
        event_names(&events),
        server.output()
    );
    assert!(
        !event_names(&events)
            .iter()
            .any(|e| e.starts_with("error") || e.starts_with("ssl-errors")),
        "{:?}",
        event_names(&events)
    );
    assert_eq!(socket.ssl_error_report(&mut session).unwrap(), vec![]);
    assert!(socket.is_encrypted(&mut session).unwrap());
    assert_eq!(
        socket.peer_chain_subjects(&mut session).unwrap(),
        vec![LEAF_SUBJECT.to_owned(), INTERMEDIATE_SUBJECT.to_owned()]
    );
    let peer = socket
        .peer_certificate(&mut session)
        .unwrap()
        .expect("peer certificate");
    assert_eq!(peer.subject(&mut session).unwrap(), LEAF_SUBJECT);
    assert_eq!(peer.issuer(&mut session).unwrap(), INTERMEDIATE_SUBJECT);
    peer.drop(&mut session).unwrap();
    (session, socket)
}

/// Writes a line to s_server, which prints it.
fn send(session: &mut Session, socket: SslSocket, server: &Peer, line: &str) {
    socket
        .write_all(session, format!("{line}\n").as_bytes(), WAIT_MS)
        .unwrap()
        .unwrap();
    assert!(
        server.wait_for_output(line, Duration::from_millis(WAIT_MS as u64)),
        "{:?}",
        server.output()
    );
}

fn close(mut session: Session, socket: SslSocket) {
    socket.disconnect_from_host(&mut session).unwrap();
    socket.drop(&mut session).unwrap();
}

#[test]
fn p521_chain_from_openssl_s_server_verifies() {
    let pki = P521Pki::new("p521-chain");
    for (version, protocol) in [("-tls1_3", Protocol::TlsV13), ("-tls1_2", Protocol::TlsV12)] {
        // The handshake signature is ECDSA P-521 with SHA-512 (the only scheme of a P-521 key in
        // TLS 1.3), the certificates' signatures too.
        let server = pki.s_server(&[version]);
        let (mut session, socket) = connect(&pki, &server, None);
        assert_eq!(
            socket.session_protocol(&mut session).unwrap(),
            Some(protocol)
        );
        let cipher = socket.current_cipher(&mut session).unwrap().unwrap();
        if protocol == Protocol::TlsV12 {
            assert_eq!(cipher.authentication_method, "ECDSA", "{cipher:?}");
        }
        send(&mut session, socket, &server, "hello p521");
        close(session, socket);
    }
}

#[test]
fn p521_chain_with_an_unknown_root_is_an_ssl_error() {
    // The same server, a client trusting another (P-256) CA: the chain must not verify.
    let pki = P521Pki::new("p521-untrusted");
    let other = TestPki::new("p521-other-ca", KeyKind::EcdsaP256);
    let server = pki.s_server(&["-tls1_3"]);
    let mut session = session();
    let socket = socket_trusting(&mut session, &other.ca.cert_pem);
    let (result, events) = handshake(&mut session, socket, "localhost", server.port);
    assert!(result.is_err(), "{:?}", event_names(&events));
    assert!(
        event_names(&events)
            .iter()
            .any(|e| e.starts_with("ssl-errors")),
        "{:?}",
        event_names(&events)
    );
    socket.drop(&mut session).unwrap();
}

#[test]
fn secp521r1_negotiates_with_openssl_s_server() {
    let pki = P521Pki::new("p521-group");
    for version in ["-tls1_3", "-tls1_2"] {
        // The client asks for secp521r1 only.
        let server = pki.s_server(&[version, "-groups", "P-521"]);
        let (mut session, socket) = connect(&pki, &server, Some(&["secp521r1"]));
        assert_eq!(
            socket
                .key_exchange_groups(&mut session)
                .unwrap()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            ["secp521r1"]
        );
        assert_eq!(
            socket.key_exchange_group(&mut session).unwrap().as_deref(),
            Some("secp521r1"),
            "{version}"
        );
        send(&mut session, socket, &server, "ping p521");
        close(session, socket);
    }
    // With the default groups, a server that allows only P-521 asks for it in a
    // HelloRetryRequest: the group is offered by default.
    let server = pki.s_server(&["-tls1_3", "-groups", "P-521"]);
    let (mut session, socket) = connect(&pki, &server, None);
    assert_eq!(
        socket.key_exchange_group(&mut session).unwrap().as_deref(),
        Some("secp521r1")
    );
    close(session, socket);
}

#[test]
fn ssl_server_with_a_p521_identity_accepts_openssl_s_client() {
    let pki = P521Pki::new("p521-server");
    let chain = [pki.read("leaf.pem"), pki.read("intermediate.pem")];
    let chain: Vec<&str> = chain.iter().map(String::as_str).collect();
    let root = pki.path("root.pem");
    for key_file in ["leaf.key", "leaf-sec1.key"] {
        let mut srv = Srv::start(&chain, &pki.read(key_file), |_, _| {});
        for (version, protocol) in [("-tls1_3", Protocol::TlsV13), ("-tls1_2", Protocol::TlsV12)] {
            let client = SClient::start(
                srv.port,
                &[
                    version,
                    "-groups",
                    "P-521",
                    "-CAfile",
                    root.to_str().unwrap(),
                    "-verify_return_error",
                    "-verify_hostname",
                    "localhost",
                ],
            );
            let socket = srv.accept();
            let session = &mut srv.session;
            assert_eq!(socket.mode(session).unwrap(), Mode::SslServer);
            assert_eq!(socket.session_protocol(session).unwrap(), Some(protocol));
            assert_eq!(
                socket.key_exchange_group(session).unwrap().as_deref(),
                Some("secp521r1")
            );
            socket
                .write_all(session, b"hello from the p521 server\n", WAIT_MS)
                .unwrap()
                .unwrap();
            assert!(
                client.wait_for_output("hello from the p521 server"),
                "{}",
                client.output()
            );
            socket.disconnect_from_host(session).unwrap();
            let output = client.finish();
            socket.drop(session).unwrap();
            let what = format!("{key_file} {version}: {output}");
            assert!(output.contains("Verify return code: 0 (ok)"), "{what}");
            assert!(output.contains("Peer signature type: ECDSA"), "{what}");
            assert!(output.contains("Peer signing digest: SHA512"), "{what}");
            assert!(
                output.contains("Server Temp Key: ECDH, secp521r1, 521 bits"),
                "{what}"
            );
            assert!(
                output.contains("s:CN = localhost, O = sslsocket test"),
                "{what}"
            );
            assert!(
                output.contains("s:CN = p521 intermediate, O = sslsocket test"),
                "{what}"
            );
        }
    }
}
