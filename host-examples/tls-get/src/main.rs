//! `tls-get`: an HTTPS GET whose TLS is done by the sslsocket component.
//!
//! This is the example of a plugin that uses sslsocket: a WASI command component whose world
//! (`wit/world.wit`) imports `sslsocket:tls/socket` and `sslsocket:tls/pki` and that exports
//! `wasi:cli/run` (Rust's `fn main`). Built alone it cannot run: it must be composed with the
//! sslsocket component first, which leaves a component that imports only WASI:
//!
//! ```sh
//! cargo build --release --target wasm32-wasip2 -p tls-get
//! cargo run -p sslsocket-cli -- plug target/wasm32-wasip2/release/tls-get.wasm --out tls-get.wasm
//! wasmtime run -S inherit-network=y -S allow-ip-name-lookup=y --dir . tls-get.wasm \
//!     --cafile ca.pem https://localhost:4433/
//! ```
//!
//! It prints the negotiated protocol, the cipher, the peer's certificate chain and the HTTP status
//! line (`--body` prints the body too). Exit status: 0 when a response arrived; 1 when the TLS
//! connection or the request failed (the reason and every certificate error are printed) or the
//! command line is wrong (WASI 0.2's `exit` carries no other code).
#![warn(unused_crate_dependencies)]

mod url;

use std::process::ExitCode;

use bindings::sslsocket::tls::socket::SslSocket;
use bindings::sslsocket::tls::types::{ErrorCode, SocketState};

use url::HttpsUrl;

/// The generated bindings of world `tls-get`: the only place allowed to use `unsafe`.
#[allow(unsafe_code, missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: ["../../wit", "wit"],
        world: "sslsocket:tls-get/tls-get",
        with: {
            "wasi:io/poll@0.2.12": wasip2::io::poll,
            "wasi:io/streams@0.2.12": wasip2::io::streams,
            "wasi:io/error@0.2.12": wasip2::io::error,
            "sslsocket:tls/types@0.1.0": generate,
            "sslsocket:tls/pki@0.1.0": generate,
            "sslsocket:tls/socket@0.1.0": generate,
        },
    });
}

/// How long each step (connect and handshake, sending, each read) may take.
const STEP_TIMEOUT_MS: i32 = 10_000;
/// The most bytes of response kept.
const MAX_RESPONSE: usize = 16 << 20;

const USAGE: &str = "usage: tls-get [--cafile FILE] [--insecure-ignore-ssl-errors] [--body] https://HOST[:PORT][/PATH]";

fn main() -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("tls-get: {message}\n{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    match get(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tls-get: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The command line.
struct Options {
    url: HttpsUrl,
    ca_file: Option<String>,
    ignore_ssl_errors: bool,
    print_body: bool,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut url = None;
        let mut ca_file = None;
        let mut ignore_ssl_errors = false;
        let mut print_body = false;
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--cafile" => ca_file = Some(args.next().ok_or("--cafile needs a file")?),
                "--insecure-ignore-ssl-errors" => ignore_ssl_errors = true,
                "--body" => print_body = true,
                "-h" | "--help" => return Err("help".to_owned()),
                _ if arg.starts_with('-') => return Err(format!("unknown option {arg}")),
                _ if url.is_some() => return Err("more than one URL".to_owned()),
                _ => url = Some(HttpsUrl::parse(&arg)?),
            }
        }
        Ok(Self {
            url: url.ok_or("no URL")?,
            ca_file,
            ignore_ssl_errors,
            print_body,
        })
    }
}

/// Connects, prints what the handshake negotiated, sends the request and prints the response.
fn get(options: &Options) -> Result<(), String> {
    let url = &options.url;
    let socket = SslSocket::new();
    if let Some(path) = &options.ca_file {
        let pem = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let added = socket
            .add_ca_certificates_pem(&pem)
            .map_err(|e| format!("{path}: {}", describe(&e)))?;
        if added == 0 {
            return Err(format!("{path} holds no certificate"));
        }
    }
    if options.ignore_ssl_errors {
        socket.ignore_ssl_errors();
    }
    socket
        .connect_to_host_encrypted(&url.host, url.port)
        .map_err(|e| describe(&e))?;
    let handshake = socket.wait_for_encrypted(STEP_TIMEOUT_MS);
    print_ssl_errors(&socket);
    handshake.map_err(|e| {
        format!(
            "cannot connect to {}:{}: {}",
            url.host,
            url.port,
            describe(&e)
        )
    })?;
    print_session(&socket);

    let request = format!(
        "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: tls-get\r\nConnection: close\r\n\r\n",
        url.path,
        url.host_header()
    );
    socket.write(request.as_bytes()).map_err(|e| describe(&e))?;
    socket
        .wait_for_bytes_written(STEP_TIMEOUT_MS)
        .map_err(|e| format!("cannot send the request: {}", describe(&e)))?;

    let response = read_response(&socket)?;
    let text = String::from_utf8_lossy(&response);
    let status = text.lines().next().unwrap_or_default();
    if status.is_empty() {
        return Err("the server closed the connection without a response".to_owned());
    }
    println!("status: {status}");
    if options.print_body
        && let Some((_, body)) = text.split_once("\r\n\r\n")
    {
        print!("{body}");
    }
    socket.disconnect_from_host();
    Ok(())
}

/// Reads until the server closes the connection (HTTP/1.0 with `Connection: close`).
fn read_response(socket: &SslSocket) -> Result<Vec<u8>, String> {
    let mut response = Vec::new();
    loop {
        match socket.read_all() {
            Ok(chunk) => response.extend_from_slice(&chunk),
            Err(e) => return Err(describe(&e)),
        }
        if response.len() > MAX_RESPONSE {
            return Err(format!("the response is larger than {MAX_RESPONSE} bytes"));
        }
        if socket.state() == SocketState::Unconnected && socket.bytes_available() == 0 {
            return Ok(response);
        }
        match socket.wait_for_ready_read(STEP_TIMEOUT_MS) {
            // The server's close: what it sent before is still read above.
            Ok(()) | Err(ErrorCode::RemoteHostClosed) => {}
            Err(e) => return Err(format!("while reading the response: {}", describe(&e))),
        }
    }
}

/// Prints the protocol, cipher and peer chain of an encrypted socket.
fn print_session(socket: &SslSocket) {
    if let Some(cipher) = socket.current_cipher() {
        println!("protocol: {}", cipher.protocol_string);
        if cipher.iana_name == cipher.name {
            println!("cipher: {} ({} bits)", cipher.name, cipher.used_bits);
        } else {
            println!(
                "cipher: {} ({}, {} bits)",
                cipher.name, cipher.iana_name, cipher.used_bits
            );
        }
    }
    if let Some(alpn) = socket.next_negotiated_protocol() {
        println!("alpn: {alpn}");
    }
    println!("peer chain:");
    for (depth, certificate) in socket.peer_certificate_chain().iter().enumerate() {
        println!("  {depth} subject: {}", certificate.subject());
        println!("    issuer: {}", certificate.issuer());
    }
}

/// Prints the certificate errors the handshake found (also those ignored).
fn print_ssl_errors(socket: &SslSocket) {
    for entry in socket.ssl_errors() {
        let subject = entry
            .certificate
            .map(|c| c.subject())
            .unwrap_or_else(|| "-".to_owned());
        let name = wit_name(&format!("{:?}", entry.error));
        println!("ssl error: {name}: {} ({subject})", entry.message);
    }
}

/// A WIT error code as its WIT case name and the text most cases carry, e.g.
/// `ssl-handshake-failed: the peer's certificate was rejected: ...`.
fn describe(error: &ErrorCode) -> String {
    let debug = format!("{error:?}");
    let case = wit_name(debug.split('(').next().unwrap_or_default());
    match error {
        ErrorCode::SslHandshakeFailed(text)
        | ErrorCode::SslInternal(text)
        | ErrorCode::UnsupportedProtocol(text)
        | ErrorCode::InvalidState(text)
        | ErrorCode::InvalidInput(text)
        | ErrorCode::Unknown(text) => format!("{case}: {text}"),
        _ => case,
    }
}

/// The WIT (kebab-case) name of a generated enum or variant case from its `Debug` form, e.g.
/// `SslError::UnableToGetLocalIssuerCertificate` -> `unable-to-get-local-issuer-certificate`.
fn wit_name(debug: &str) -> String {
    let case = debug.rsplit("::").next().unwrap_or(debug);
    let mut name = String::with_capacity(case.len() + 8);
    for (i, c) in case.char_indices() {
        if c.is_ascii_uppercase() && i > 0 {
            name.push('-');
        }
        name.push(c.to_ascii_lowercase());
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_print_as_their_wit_names() {
        assert_eq!(describe(&ErrorCode::RemoteHostClosed), "remote-host-closed");
        assert_eq!(
            describe(&ErrorCode::SslHandshakeFailed("bad (record)".into())),
            "ssl-handshake-failed: bad (record)"
        );
        assert_eq!(
            wit_name("SslError::UnableToGetLocalIssuerCertificate"),
            "unable-to-get-local-issuer-certificate"
        );
    }
}
