//! The engine as a TLS client (verifying, with OCSP stapling asked for) fed arbitrary bytes by
//! its server.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sslsocket::engine::SslSocket;
use sslsocket_fuzz::{MemTransport, identity, set_next_peer};

fuzz_target!(|data: &[u8]| {
    set_next_peer(data);
    let mut socket = SslSocket::<MemTransport>::new();
    socket
        .config_mut()
        .add_ca_certificates([identity().ca.clone()]);
    socket.config_mut().set_ocsp_stapling(true);
    if socket.connect_to_host_encrypted("localhost", 443).is_err() {
        return;
    }
    for _ in 0..=data.len() / 64 + 4 {
        socket.process();
        let _ = socket.read_all();
    }
    let _ = socket.take_events();
    let _ = (
        socket.ssl_errors(),
        socket.ocsp_responses(),
        socket.peer_certificate_chain(),
    );
    socket.abort();
});
