//! Sockets and servers of one instance that share a leaf certificate and key but not their
//! intermediates each present their own chain. The client configuration cache was once keyed by
//! a hand-written digest that left the intermediates out, so the second socket presented the
//! first one's chain; it is keyed by the settings value now.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use common::server::{Srv, c2c_connect};
use common::*;
use sslsocket_host::{Certificate, EncodingFormat, PeerVerifyMode, Session};
use sslsocket_testkit as common;

/// Two client sockets in one instance, same leaf and key, different intermediates: the server
/// (asking for a client certificate without requiring a trusted one) receives each socket's own.
#[test]
fn client_sockets_with_the_same_leaf_present_their_own_intermediates() {
    let pki = TestPki::new("chains", KeyKind::EcdsaP256);
    let extras = [
        TestPki::new("chains-a", KeyKind::EcdsaP256),
        TestPki::new("chains-b", KeyKind::EcdsaP256),
    ];
    let mut srv = Srv::with_pki(&pki, |session, server| {
        server
            .set_peer_verify_mode(session, PeerVerifyMode::QueryPeer)
            .unwrap();
    });
    let mut cs = session();
    let ca = certificate(&mut cs, &pki.ca.cert_pem);
    let leaf = certificate(&mut cs, &pki.client.cert_pem);
    let key = cs
        .private_key_from_data(pki.client.key_pem.as_bytes(), EncodingFormat::Pem)
        .unwrap()
        .unwrap();
    for extra in &extras {
        let intermediate = certificate(&mut cs, &extra.ca.cert_pem);
        let client = cs.new_socket().unwrap();
        client.add_ca_certificate(&mut cs, &ca).unwrap();
        client
            .set_local_certificate_chain(&mut cs, &[&leaf, &intermediate])
            .unwrap();
        client.set_private_key(&mut cs, &key).unwrap().unwrap();
        let (encrypted, accepted, events) = c2c_connect(&mut cs, client, "localhost", &mut srv);
        assert!(encrypted, "{events:?}");
        let received = accepted
            .expect("accepted")
            .peer_certificate_chain(&mut srv.session)
            .unwrap();
        assert_eq!(
            ders(&mut srv.session, &received),
            [pem_der(&pki.client.cert_pem), pem_der(&extra.ca.cert_pem)],
        );
    }
}

/// Two servers in one instance, same leaf and key, different intermediates: a client of each
/// receives that server's chain.
#[test]
fn servers_with_the_same_leaf_present_their_own_intermediates() {
    let pki = TestPki::new("server-chains", KeyKind::EcdsaP256);
    let extras = [
        TestPki::new("server-chains-a", KeyKind::EcdsaP256),
        TestPki::new("server-chains-b", KeyKind::EcdsaP256),
    ];
    let mut srv = Srv::with_pki(&pki, |_, _| {});
    let second = srv.session.new_server().unwrap();
    let leaf = certificate(&mut srv.session, &pki.server.cert_pem);
    let key = srv
        .session
        .private_key_from_data(pki.server.key_pem.as_bytes(), EncodingFormat::Pem)
        .unwrap()
        .unwrap();
    let intermediates = [
        certificate(&mut srv.session, &extras[0].ca.cert_pem),
        certificate(&mut srv.session, &extras[1].ca.cert_pem),
    ];
    srv.server
        .set_local_certificate_chain(&mut srv.session, &[&leaf, &intermediates[0]])
        .unwrap();
    second
        .set_local_certificate_chain(&mut srv.session, &[&leaf, &intermediates[1]])
        .unwrap();
    second
        .set_private_key(&mut srv.session, &key)
        .unwrap()
        .unwrap();
    second
        .listen(&mut srv.session, "127.0.0.1", 0)
        .unwrap()
        .unwrap();
    let ports = [srv.port, second.server_port(&mut srv.session).unwrap()];
    let servers = [srv.server, second];
    let mut cs = session();
    let ca = certificate(&mut cs, &pki.ca.cert_pem);
    for ((port, server), extra) in ports.into_iter().zip(servers).zip(&extras) {
        srv.port = port;
        srv.server = server;
        let client = cs.new_socket().unwrap();
        client.add_ca_certificate(&mut cs, &ca).unwrap();
        let (encrypted, _, events) = c2c_connect(&mut cs, client, "localhost", &mut srv);
        assert!(encrypted, "{events:?}");
        let received = client.peer_certificate_chain(&mut cs).unwrap();
        assert_eq!(
            ders(&mut cs, &received),
            [pem_der(&pki.server.cert_pem), pem_der(&extra.ca.cert_pem)],
        );
    }
}

fn certificate(session: &mut Session, pem: &str) -> Certificate {
    session.certificate_from_pem(pem).unwrap().unwrap()
}

fn ders(session: &mut Session, chain: &[Certificate]) -> Vec<Vec<u8>> {
    chain.iter().map(|c| c.to_der(session).unwrap()).collect()
}

/// The DER of a PEM certificate, decoded by the component of a fresh session.
fn pem_der(pem: &str) -> Vec<u8> {
    let mut session = session();
    certificate(&mut session, pem).to_der(&mut session).unwrap()
}
