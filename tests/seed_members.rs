//! Every member of the Qt 4.3 `QSslSocket` reference (`shared/seed/qsslsocket-4.3.txt`) that the
//! other test files do not already drive, called through the real component in wasmtime:
//! the CA databases (per socket, global, system, from files), the cipher lists (per socket,
//! global, supported), `supportsSsl`, the identity getters, and `startServerHandShake` with the
//! component as the TLS server of a connection it opened itself.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use common::{KeyKind, TestPki, WAIT_MS, openssl_s_server, session};
use sslsocket_host::wasmtime::component::ResourceAny;
use sslsocket_host::{
    Certificate, EncodingFormat, ErrorCode, KeyAlgorithm, KeyType, Mode, NetworkPolicy, Protocol,
    Session, SessionConfig, SocketEvent, SslSocket,
};
use sslsocket_testkit as common;

fn certificate(session: &mut Session, pem: &str) -> Certificate {
    session.certificate_from_pem(pem).unwrap().unwrap()
}

fn subjects(session: &mut Session, handles: Vec<ResourceAny>) -> Vec<String> {
    handles
        .into_iter()
        .map(|h| {
            let cert = Certificate(h);
            let subject = cert.subject(session).unwrap();
            cert.drop(session).unwrap();
            subject
        })
        .collect()
}

fn ca_subjects(session: &mut Session, socket: SslSocket) -> Vec<String> {
    let (api, store) = session.ssl_socket_api();
    let handles = api.call_ca_certificates(&mut *store, socket.0).unwrap();
    subjects(session, handles)
}

fn connects(session: &mut Session, socket: SslSocket, port: u16) -> Result<(), ErrorCode> {
    socket
        .connect_to_host_encrypted(session, "localhost", port)
        .unwrap()?;
    let result = socket.wait_for_encrypted(session, WAIT_MS).unwrap();
    socket.abort(session).unwrap();
    result
}

#[test]
fn socket_ca_database_add_set_reset() {
    let pki = TestPki::new("seed-ca", KeyKind::EcdsaP256);
    let other = TestPki::new("seed-ca-other", KeyKind::EcdsaP256);
    let server = openssl_s_server(&pki.server_cert, &pki.server_key, &[]);
    let mut session = session();
    let socket = session.new_socket().unwrap();

    // By default the socket follows the global database, which is the system (Mozilla) one.
    let (api, store) = session.socket_interface();
    let system = api.call_system_ca_certificates(&mut *store).unwrap();
    let system_count = system.len();
    assert!(system_count > 100, "{system_count} system CAs");
    subjects(&mut session, system);
    assert_eq!(ca_subjects(&mut session, socket).len(), system_count);
    assert!(connects(&mut session, socket, server.port).is_err());

    // addCaCertificate / addCaCertificates(list)
    let ca = certificate(&mut session, &pki.ca.cert_pem);
    let other_ca = certificate(&mut session, &other.ca.cert_pem);
    {
        let (api, store) = session.ssl_socket_api();
        api.call_add_ca_certificates(&mut *store, socket.0, &[other_ca.0])
            .unwrap();
        assert_eq!(
            api.call_add_ca_certificates_pem(&mut *store, socket.0, "junk")
                .unwrap()
                .map_err(|e| matches!(e, ErrorCode::InvalidInput(_))),
            Err(true)
        );
    }
    assert!(connects(&mut session, socket, server.port).is_err());
    socket.add_ca_certificate(&mut session, &ca).unwrap();
    assert_eq!(ca_subjects(&mut session, socket).len(), system_count + 2);
    assert_eq!(connects(&mut session, socket, server.port), Ok(()));

    // setCaCertificates replaces; resetCaCertificates goes back to the global database.
    {
        let (api, store) = session.ssl_socket_api();
        api.call_set_ca_certificates(&mut *store, socket.0, &[other_ca.0])
            .unwrap();
    }
    assert_eq!(
        ca_subjects(&mut session, socket),
        vec!["CN=sslsocket test CA, O=sslsocket test".to_string()]
    );
    assert!(connects(&mut session, socket, server.port).is_err());
    {
        let (api, store) = session.ssl_socket_api();
        api.call_set_ca_certificates(&mut *store, socket.0, &[ca.0])
            .unwrap();
    }
    assert_eq!(connects(&mut session, socket, server.port), Ok(()));
    {
        let (api, store) = session.ssl_socket_api();
        api.call_reset_ca_certificates(&mut *store, socket.0)
            .unwrap();
    }
    assert_eq!(ca_subjects(&mut session, socket).len(), system_count);
    assert!(connects(&mut session, socket, server.port).is_err());
}

#[test]
fn global_ca_database_and_loading_from_a_preopened_path() {
    let pki = TestPki::new("seed-global", KeyKind::EcdsaP256);
    let server = openssl_s_server(&pki.server_cert, &pki.server_key, &[]);
    pki.dir.write("notes.txt", "not a certificate");
    let mut session = Session::new(
        SessionConfig::new()
            .network(NetworkPolicy::loopback_only())
            .preopen_read_only(pki.dir.path(), "/pki"),
    )
    .unwrap();

    // addGlobalCaCertificates(path) with a wildcard; junk and missing paths are errors.
    let (api, store) = session.socket_interface();
    assert_eq!(
        api.call_add_global_ca_certificates_from_path(&mut *store, "/pki/c?.pem")
            .unwrap(),
        Ok(1)
    );
    assert!(
        api.call_add_global_ca_certificates_from_path(&mut *store, "/pki/notes.txt")
            .unwrap()
            .is_err()
    );
    assert!(
        api.call_add_global_ca_certificates_from_path(&mut *store, "/elsewhere/ca.pem")
            .unwrap()
            .is_err()
    );
    let global = api.call_global_ca_certificates(&mut *store).unwrap();
    let global = subjects(&mut session, global);
    assert!(global.contains(&"CN=sslsocket test CA, O=sslsocket test".to_string()));

    // A new socket follows the global database.
    let socket = session.new_socket().unwrap();
    assert_eq!(connects(&mut session, socket, server.port), Ok(()));

    // setGlobalCaCertificates([]) trusts nothing; addGlobalCaCertificate adds one back.
    let (api, store) = session.socket_interface();
    api.call_set_global_ca_certificates(&mut *store, &[])
        .unwrap();
    assert!(
        api.call_global_ca_certificates(&mut *store)
            .unwrap()
            .is_empty()
    );
    assert!(connects(&mut session, socket, server.port).is_err());
    let ca = certificate(&mut session, &pki.ca.cert_pem);
    let (api, store) = session.socket_interface();
    api.call_add_global_ca_certificate(&mut *store, ca.0)
        .unwrap();
    api.call_add_global_ca_certificates(&mut *store, &[ca.0])
        .unwrap();
    assert_eq!(
        api.call_global_ca_certificates(&mut *store).unwrap().len(),
        1
    );
    assert_eq!(connects(&mut session, socket, server.port), Ok(()));

    // The per-socket path loader and the certificate loader read the same preopened directory.
    let fresh = session.new_socket().unwrap();
    let (api, store) = session.ssl_socket_api();
    assert_eq!(
        api.call_add_ca_certificates_from_path(&mut *store, fresh.0, "/pki/ca.pem")
            .unwrap(),
        Ok(1)
    );
    let (api, store) = session.certificate_api();
    let loaded = api.call_from_path(&mut *store, "/pki").unwrap().unwrap();
    // ca.pem, server.pem, client.pem; the key files and notes.txt are skipped.
    assert_eq!(loaded.len(), 3);
}

#[test]
fn ciphers_socket_global_and_supported() {
    let pki = TestPki::new("seed-ciphers", KeyKind::EcdsaP256);
    let server = openssl_s_server(&pki.server_cert, &pki.server_key, &[]);
    let mut session = session();
    let (api, store) = session.socket_interface();
    assert!(api.call_supports_ssl(&mut *store).unwrap());
    let supported = api.call_supported_ciphers(&mut *store).unwrap();
    let names: Vec<&str> = supported.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        // ChaCha20-Poly1305 first: in WebAssembly it is about four times faster than AES-GCM.
        [
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "ECDHE-ECDSA-CHACHA20-POLY1305",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "ECDHE-RSA-CHACHA20-POLY1305",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "ECDHE-RSA-AES256-GCM-SHA384",
        ]
    );
    let chacha = supported
        .iter()
        .find(|c| c.name == "TLS_CHACHA20_POLY1305_SHA256")
        .unwrap()
        .clone();
    assert_eq!(chacha.protocol, Protocol::TlsV13);
    assert_eq!(chacha.protocol_string, "TLSv1.3");
    assert_eq!(chacha.encryption_method, "CHACHA20/POLY1305(256)");
    assert_eq!((chacha.used_bits, chacha.supported_bits), (256, 256));
    let ecdsa = &supported[4];
    assert_eq!(ecdsa.iana_name, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
    assert_eq!(
        (
            ecdsa.key_exchange_method.as_str(),
            ecdsa.authentication_method.as_str()
        ),
        ("ECDH", "ECDSA")
    );
    assert_eq!(api.call_global_ciphers(&mut *store).unwrap(), supported);

    // setGlobalCiphers: new sockets use it; an empty list is refused.
    assert!(matches!(
        api.call_set_global_ciphers(&mut *store, &[]).unwrap(),
        Err(ErrorCode::InvalidInput(_))
    ));
    api.call_set_global_ciphers(&mut *store, std::slice::from_ref(&chacha))
        .unwrap()
        .unwrap();
    let socket = common::socket_trusting(&mut session, &pki.ca.cert_pem);
    let (api, store) = session.ssl_socket_api();
    assert_eq!(
        api.call_ciphers(&mut *store, socket.0).unwrap(),
        vec![chacha.clone()]
    );
    assert_eq!(connects(&mut session, socket, server.port), Ok(()));
    socket
        .connect_to_host_encrypted(&mut session, "localhost", server.port)
        .unwrap()
        .unwrap();
    socket
        .wait_for_encrypted(&mut session, WAIT_MS)
        .unwrap()
        .unwrap();
    assert_eq!(
        socket.current_cipher(&mut session).unwrap().map(|c| c.name),
        Some("TLS_CHACHA20_POLY1305_SHA256".to_string())
    );
    socket.abort(&mut session).unwrap();

    // setCiphers on the socket overrides the global list; resetCiphers goes back to it.
    let aes256 = supported[2].clone();
    let (api, store) = session.ssl_socket_api();
    api.call_set_ciphers(&mut *store, socket.0, std::slice::from_ref(&aes256))
        .unwrap()
        .unwrap();
    let mut unknown = aes256.clone();
    unknown.name = "RC4-MD5".into();
    assert!(matches!(
        api.call_set_ciphers(&mut *store, socket.0, &[unknown])
            .unwrap(),
        Err(ErrorCode::InvalidInput(_))
    ));
    assert_eq!(
        api.call_ciphers(&mut *store, socket.0).unwrap(),
        vec![aes256.clone()]
    );
    socket
        .connect_to_host_encrypted(&mut session, "localhost", server.port)
        .unwrap()
        .unwrap();
    socket
        .wait_for_encrypted(&mut session, WAIT_MS)
        .unwrap()
        .unwrap();
    assert_eq!(
        socket.current_cipher(&mut session).unwrap().map(|c| c.name),
        Some("TLS_AES_256_GCM_SHA384".to_string())
    );
    socket.abort(&mut session).unwrap();
    let (api, store) = session.ssl_socket_api();
    api.call_reset_ciphers(&mut *store, socket.0).unwrap();
    assert_eq!(
        api.call_ciphers(&mut *store, socket.0).unwrap(),
        vec![chacha.clone()]
    );

    // TLS 1.3 only with TLS 1.2 ciphers: refused before anything is sent.
    api.call_set_ciphers_by_name(&mut *store, socket.0, "ECDHE-ECDSA-AES128-GCM-SHA256")
        .unwrap()
        .unwrap();
    api.call_set_protocol(&mut *store, socket.0, Protocol::TlsV13)
        .unwrap()
        .unwrap();
    assert!(matches!(
        api.call_connect_to_host_encrypted(&mut *store, socket.0, "localhost", server.port)
            .unwrap(),
        Err(ErrorCode::UnsupportedProtocol(_))
    ));

    // resetGlobalCiphers
    let (api, store) = session.socket_interface();
    api.call_reset_global_ciphers(&mut *store).unwrap();
    assert_eq!(api.call_global_ciphers(&mut *store).unwrap(), supported);
}

#[test]
fn identity_getters_and_certificate_objects() {
    let pki = TestPki::new("seed-identity", KeyKind::EcdsaP256);
    let mut session = session();
    let socket = session.new_socket().unwrap();
    let (api, store) = session.ssl_socket_api();
    assert!(
        api.call_local_certificate(&mut *store, socket.0)
            .unwrap()
            .is_none()
    );
    assert!(
        api.call_private_key(&mut *store, socket.0)
            .unwrap()
            .is_none()
    );
    assert_eq!(
        api.call_protocol(&mut *store, socket.0).unwrap(),
        Protocol::SecureProtocols
    );
    assert_eq!(api.call_mode(&mut *store, socket.0).unwrap(), Mode::Plain);

    let cert = certificate(&mut session, &pki.server.cert_pem);
    let key = session
        .private_key_from_data(pki.server.key_pem.as_bytes(), EncodingFormat::Pem)
        .unwrap()
        .unwrap();
    socket.set_local_certificate(&mut session, &cert).unwrap();
    socket.set_private_key(&mut session, &key).unwrap().unwrap();
    let (api, store) = session.ssl_socket_api();
    let local = api
        .call_local_certificate(&mut *store, socket.0)
        .unwrap()
        .unwrap();
    let private = api
        .call_private_key(&mut *store, socket.0)
        .unwrap()
        .unwrap();
    let (api, store) = session.certificate_api();
    assert!(api.call_equals(&mut *store, local, cert.0).unwrap());
    assert_eq!(
        api.call_to_der(&mut *store, local).unwrap(),
        pki.server.cert_der
    );
    let sha256 = api
        .call_digest(&mut *store, local, sslsocket_host::DigestAlgorithm::Sha256)
        .unwrap();
    assert_eq!(sha256.len(), 32);
    assert!(!api.call_is_self_signed(&mut *store, local).unwrap());
    assert_eq!(
        api.call_subject_alternative_names(&mut *store, local)
            .unwrap(),
        vec![
            sslsocket_host::AlternativeName::Dns("localhost".into()),
            sslsocket_host::AlternativeName::IpAddress("127.0.0.1".into()),
        ]
    );
    let (api, store) = session.key_api();
    assert_eq!(
        api.call_algorithm(&mut *store, private).unwrap(),
        KeyAlgorithm::Ec
    );
    assert_eq!(
        api.call_key_type(&mut *store, private).unwrap(),
        KeyType::PrivateKey
    );
    assert_eq!(api.call_length(&mut *store, private).unwrap(), 256);
    assert!(
        api.call_to_pem(&mut *store, private)
            .unwrap()
            .contains("PRIVATE KEY")
    );
}

/// Qt's STARTTLS server pattern, with the roles of TCP and TLS crossed: the component opens the
/// TCP connection, then runs the *server* handshake (`startServerHandShake`); a Python `ssl`
/// client verifies it against the test CA.
#[test]
fn start_server_handshake_on_a_connection_the_component_opened() {
    const CLIENT_PY: &str = r#"
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
srv.settimeout(20)
print("PORT %d" % srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
conn.settimeout(20)
conn.sendall(b"HELLO plain\n")
tls = ctx.wrap_socket(conn, server_hostname="localhost")
tls.sendall(b"ping\n")
reply = tls.recv(100)
print("GOT %s %s %s" % (tls.version(), tls.cipher()[0], reply.decode().strip()), flush=True)
tls.close()
"#;
    let pki = TestPki::new("seed-server", KeyKind::EcdsaP256);
    let script = pki.dir.write("tls_client.py", CLIENT_PY);
    let mut child = Command::new("python3")
        .arg("-u")
        .arg(&script)
        .arg(&pki.ca_pem)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port: u16 = lines
        .next()
        .unwrap()
        .unwrap()
        .strip_prefix("PORT ")
        .unwrap()
        .parse()
        .unwrap();

    let mut session = session();
    let socket = session.new_socket().unwrap();
    // Without an identity the server handshake is refused before anything is read.
    socket
        .connect_to_host(&mut session, "127.0.0.1", port)
        .unwrap()
        .unwrap();
    socket
        .wait_for_connected(&mut session, WAIT_MS)
        .unwrap()
        .unwrap();
    let (api, store) = session.ssl_socket_api();
    assert!(matches!(
        api.call_start_server_handshake(&mut *store, socket.0)
            .unwrap(),
        Err(ErrorCode::InvalidState(_))
    ));
    socket
        .wait_for_ready_read(&mut session, WAIT_MS)
        .unwrap()
        .unwrap();
    assert_eq!(
        socket.read_line(&mut session, 0).unwrap().unwrap(),
        b"HELLO plain\n"
    );

    let cert = certificate(&mut session, &pki.server.cert_pem);
    let key = session
        .private_key_from_data(pki.server.key_pem.as_bytes(), EncodingFormat::Pem)
        .unwrap()
        .unwrap();
    socket.set_local_certificate(&mut session, &cert).unwrap();
    socket.set_private_key(&mut session, &key).unwrap().unwrap();
    let (api, store) = session.ssl_socket_api();
    api.call_start_server_handshake(&mut *store, socket.0)
        .unwrap()
        .unwrap();
    assert_eq!(socket.mode(&mut session).unwrap(), Mode::SslServer);
    socket
        .wait_for_encrypted(&mut session, WAIT_MS)
        .unwrap()
        .unwrap();
    assert!(socket.is_encrypted(&mut session).unwrap());
    assert_eq!(
        socket.session_protocol(&mut session).unwrap(),
        Some(Protocol::TlsV13)
    );
    // The client sent no certificate.
    assert!(socket.peer_certificate(&mut session).unwrap().is_none());
    while !socket.can_read_line(&mut session).unwrap() {
        socket
            .wait_for_ready_read(&mut session, WAIT_MS)
            .unwrap()
            .unwrap();
    }
    assert_eq!(
        socket.read_line(&mut session, 0).unwrap().unwrap(),
        b"ping\n"
    );
    // Read before answering: the client closes once it has the answer, and a closed socket
    // has no cipher.
    let cipher = socket.current_cipher(&mut session).unwrap().unwrap().name;
    socket.write(&mut session, b"pong\n").unwrap().unwrap();
    socket
        .wait_for_bytes_written(&mut session, WAIT_MS)
        .unwrap()
        .unwrap();

    // Both ends agree on the version and cipher (rustls follows the client's preference).
    let reply = lines.next().unwrap().unwrap();
    assert_eq!(reply, format!("GOT TLSv1.3 {cipher} pong"));
    let events = socket.take_events(&mut session).unwrap();
    common::assert_in_order(
        &events,
        &["connected", "mode-changed(ssl-server)", "encrypted"],
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, SocketEvent::SslErrors(_)))
    );
    let _ = child.wait();
}
