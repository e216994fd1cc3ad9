//! The engine as a TLS server fed arbitrary bytes by its client.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sslsocket::engine::SslSocket;
use sslsocket_fuzz::{MemTransport, identity};

fuzz_target!(|data: &[u8]| {
    let (chunk, peer) = data
        .split_first()
        .map_or((1, data), |(c, rest)| (usize::from(*c) * 64 + 1, rest));
    let id = identity();
    let mut socket = SslSocket::from_transport(MemTransport::new(peer.to_vec(), chunk));
    socket
        .config_mut()
        .set_local_certificate_chain(vec![id.cert.clone()]);
    if socket.set_private_key(id.key.clone()).is_err() || socket.start_server_handshake().is_err() {
        return;
    }
    for _ in 0..=peer.len() / chunk + 2 {
        socket.process();
        let _ = socket.read_all();
    }
    let _ = socket.take_events();
    let _ = socket.ssl_errors();
    socket.abort();
});
