//! `wasi:tls/client`'s `connector` (and `wasi:tls/types`' `error`) over an engine socket in
//! memory mode; and what the draft lacks on the same machinery: `details.connect` (the
//! connection's protocol, cipher, ALPN and peer certificates) and `server.acceptor` (the server
//! side, a connector that answers).
//!
//! `send` and `receive` only keep their streams; `connect` (or `accept`) makes the socket, runs the handshake
//! by carrying ciphertext between the socket and the two streams, then leaves two tasks running:
//! the send pump (cleartext in, `write`, ciphertext out; the end of the cleartext stream is a
//! `close_notify`) and the receive pump (ciphertext in, `read`, cleartext out; the peer's close
//! ends it). Each drops its streams before it delivers its result: a caller may wait for a
//! stream's end before it reads the result. Bytes the socket writes while receiving (a
//! KeyUpdate's answer) leave with the next bytes the send pump carries.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use sslsocket::engine::{SocketError, SocketState, SslConfiguration, SslSocket};
use sslsocket::transport::Carrier;
use sslsocket::transport::memory::{MemoryEnd, memory_pair};
use sslsocket::transport::wasi::WasiTransport;
use wit_bindgen::{FutureReader, FutureWriter, StreamReader, StreamResult, StreamWriter};

use crate::Provider;
use crate::bindings::exports::sslsocket::wasi_tls::details::{self, Connection};
use crate::bindings::exports::sslsocket::wasi_tls::server::{self, Acceptor, GuestAcceptor};
use crate::bindings::exports::wasi::tls::client::{self, Connector, Error, GuestConnector};
use crate::bindings::exports::wasi::tls::types::{self, GuestError};
use crate::bindings::{wit_future, wit_stream};
use crate::settings::{acceptor_settings, connector_settings};

/// How much is read from a stream, or taken from the socket, at a time.
const PIECE: usize = 16 * 1024;

impl types::Guest for Provider {
    type Error = ErrorResource;
}

impl client::Guest for Provider {
    type Connector = ConnectorResource;
}

impl server::Guest for Provider {
    type Acceptor = ConnectorResource;
}

impl details::Guest for Provider {
    async fn connect(this: Connector, server_name: String) -> Result<Connection, Error> {
        let streams = this.into_inner::<ConnectorResource>().0.into_inner();
        establish(streams, || Link::client(&server_name)).await
    }
}

/// A `wasi:tls` error: the engine's message, with every certificate error found.
pub struct ErrorResource(String);

impl GuestError for ErrorResource {
    fn to_debug_string(&self) -> String {
        self.0.clone()
    }
}

/// A connector (or an acceptor) before `connect` (`accept`): the streams `send` and `receive`
/// set up.
pub struct ConnectorResource(RefCell<Streams>);

#[derive(Default)]
struct Streams {
    /// `send`'s: cleartext in, ciphertext out.
    send: Option<Half>,
    /// `receive`'s: ciphertext in, cleartext out.
    receive: Option<Half>,
}

/// One direction of a connector: what comes in, what goes out, and where its result goes.
struct Half {
    input: StreamReader<u8>,
    output: StreamWriter<u8>,
    done: FutureWriter<Result<(), Error>>,
}

/// What `send` and `receive` give the caller: the output stream and the result future.
type CallerHalf = (StreamReader<u8>, FutureReader<Result<(), Error>>);

impl Half {
    /// A direction reading `input`, and the caller's ends of its output and result.
    fn new(input: StreamReader<u8>) -> (CallerHalf, Self) {
        let (output, reader) = wit_stream::new::<u8>();
        let (done, result) =
            wit_future::new::<Result<(), Error>>(|| Err(error("the connector was dropped")));
        (
            (reader, result),
            Self {
                input,
                output,
                done,
            },
        )
    }
}

impl GuestConnector for ConnectorResource {
    fn new() -> Self {
        Self(RefCell::new(Streams::default()))
    }

    fn send(&self, cleartext: StreamReader<u8>) -> CallerHalf {
        let (caller, half) = Half::new(cleartext);
        self.0.borrow_mut().send = Some(half);
        caller
    }

    fn receive(&self, ciphertext: StreamReader<u8>) -> CallerHalf {
        let (caller, half) = Half::new(ciphertext);
        self.0.borrow_mut().receive = Some(half);
        caller
    }

    async fn connect(this: Connector, server_name: String) -> Result<(), Error> {
        let streams = this.into_inner::<ConnectorResource>().0.into_inner();
        establish(streams, || Link::client(&server_name))
            .await
            .map(|_| ())
    }
}

impl GuestAcceptor for ConnectorResource {
    fn new() -> Self {
        Self(RefCell::new(Streams::default()))
    }

    fn send(&self, cleartext: StreamReader<u8>) -> CallerHalf {
        GuestConnector::send(self, cleartext)
    }

    fn receive(&self, ciphertext: StreamReader<u8>) -> CallerHalf {
        GuestConnector::receive(self, ciphertext)
    }

    async fn accept(this: Acceptor) -> Result<Connection, Error> {
        let streams = this.into_inner::<ConnectorResource>().0.into_inner();
        establish(streams, Link::server).await
    }
}

/// Opens the link `open` makes over `streams`, runs its handshake, then leaves both directions
/// running; returns the connection's details.
async fn establish(
    streams: Streams,
    open: impl FnOnce() -> Result<SharedLink, String>,
) -> Result<Connection, Error> {
    let (Some(mut send), Some(mut receive)) = (streams.send, streams.receive) else {
        return Err(error("call send and receive before the handshake"));
    };
    let link = open().map_err(error)?;
    if let Err(message) = handshake(&link, &mut send.output, &mut receive.input).await {
        // The alert, if the socket wrote one, still goes out.
        let _ = send_written(&link, &mut send.output).await;
        return Err(error(message));
    }
    let connection = connection(&link.borrow().socket);
    wit_bindgen::spawn_local(send_pump(Rc::clone(&link), send));
    wit_bindgen::spawn_local(receive_pump(link, receive));
    Ok(connection)
}

/// What an encrypted socket negotiated, and the peer's certificates as PEM.
fn connection(socket: &SslSocket<Carrier<WasiTransport>>) -> Connection {
    Connection {
        protocol: socket
            .session_protocol()
            .map(|p| p.version_string().to_owned())
            .unwrap_or_default(),
        cipher: socket
            .current_cipher()
            .map(|c| c.name.to_owned())
            .unwrap_or_default(),
        alpn: socket
            .next_negotiated_protocol()
            .map(|p| String::from_utf8_lossy(&p).into_owned()),
        peer_certificate_chain: socket
            .peer_certificate_chain()
            .iter()
            .map(|c| c.to_pem())
            .collect(),
    }
}

/// The engine socket of one connection, in memory mode, and the end this crate carries.
struct Link {
    socket: SslSocket<Carrier<WasiTransport>>,
    end: MemoryEnd,
}

type SharedLink = Rc<RefCell<Link>>;

impl Link {
    /// A client socket for `server_name` with the connector settings, its handshake started.
    fn client(server_name: &str) -> Result<SharedLink, String> {
        let mut settings = connector_settings()?;
        settings.set_peer_verify_name(server_name.to_owned());
        Self::start(settings, SslSocket::start_client_handshake)
    }

    /// A server socket with the acceptor settings, its handshake started.
    fn server() -> Result<SharedLink, String> {
        Self::start(acceptor_settings()?, SslSocket::start_server_handshake)
    }

    /// A socket in memory mode with `settings`, its handshake started by `begin`.
    fn start(
        settings: SslConfiguration,
        begin: impl FnOnce(&mut SslSocket<Carrier<WasiTransport>>) -> Result<(), SocketError>,
    ) -> Result<SharedLink, String> {
        let mut socket = SslSocket::new();
        socket.set_ssl_configuration(Arc::new(settings));
        let (transport, end) = memory_pair();
        socket
            .adopt(Carrier::Memory(transport))
            .and_then(|()| begin(&mut socket))
            .map_err(|e| e.to_string())?;
        Ok(Rc::new(RefCell::new(Self { socket, end })))
    }
}

/// Carries ciphertext both ways until the handshake ends.
async fn handshake(
    link: &SharedLink,
    out: &mut StreamWriter<u8>,
    input: &mut StreamReader<u8>,
) -> Result<(), String> {
    loop {
        send_written(link, out).await?;
        {
            let link = link.borrow();
            if link.socket.is_encrypted() {
                return Ok(());
            }
            if link.socket.state() == SocketState::Unconnected {
                return Err(describe(&link.socket));
            }
        }
        if !feed_next(link, input).await? {
            let link = link.borrow();
            return Err(match link.socket.error() {
                Some(_) => describe(&link.socket),
                None => "the peer closed the connection during the handshake".into(),
            });
        }
    }
}

/// Cleartext from the caller into the socket, ciphertext out; the cleartext stream's end is a
/// `close_notify`.
async fn send_pump(link: SharedLink, half: Half) {
    let Half {
        input: mut cleartext,
        output: mut out,
        done,
    } = half;
    let result = async {
        loop {
            let (status, data) = cleartext.read(Vec::with_capacity(PIECE)).await;
            if !data.is_empty() {
                link.borrow_mut()
                    .socket
                    .write(&data)
                    .map_err(|e| e.to_string())?;
            }
            if !matches!(status, StreamResult::Complete(_)) {
                // A socket the peer closed already sent its close_notify.
                let _ = link.borrow_mut().socket.shutdown_write();
                return send_written(&link, &mut out).await;
            }
            send_written(&link, &mut out).await?;
        }
    }
    .await;
    drop(out);
    drop(cleartext);
    let _ = done.write(result.map_err(error)).await;
}

/// Ciphertext from the peer into the socket, cleartext out; ends with the connection.
async fn receive_pump(link: SharedLink, half: Half) {
    let Half {
        mut input,
        output: mut cleartext,
        done,
    } = half;
    let result = async {
        loop {
            let more = feed_next(&link, &mut input).await?;
            let (data, closed) = {
                let mut link = link.borrow_mut();
                let data = link.socket.read_all().unwrap_or_default();
                (data, link.socket.state() == SocketState::Unconnected)
            };
            if !data.is_empty() && !cleartext.write_all(data).await.is_empty() {
                return Ok(()); // the caller stopped reading
            }
            if closed {
                let link = link.borrow();
                return match link.socket.error() {
                    None | Some(SocketError::RemoteHostClosed) => Ok(()),
                    Some(_) => Err(describe(&link.socket)),
                };
            }
            if !more {
                return Err("the ciphertext stream ended but the connection did not close".into());
            }
        }
    }
    .await;
    drop(cleartext);
    drop(input);
    let _ = done.write(result.map_err(error)).await;
}

/// Sends everything the socket wrote.
async fn send_written(link: &SharedLink, out: &mut StreamWriter<u8>) -> Result<(), String> {
    loop {
        let data = {
            let mut link = link.borrow_mut();
            let data = link.end.take(PIECE);
            // Room was made: what waits in the socket's buffers can follow.
            link.socket.process();
            data
        };
        if data.is_empty() {
            return Ok(());
        }
        if !out.write_all(data).await.is_empty() {
            return Err("the reader of the ciphertext stream went away".into());
        }
    }
}

/// Reads one piece of ciphertext and gives it to the socket; at the end of the stream, gives
/// it the end and returns false.
async fn feed_next(link: &SharedLink, input: &mut StreamReader<u8>) -> Result<bool, String> {
    let (status, data) = input.read(Vec::with_capacity(PIECE)).await;
    let mut link = link.borrow_mut();
    let mut rest = data.as_slice();
    while !rest.is_empty() {
        let taken = link.end.feed(rest).map_err(|e| e.to_string())?;
        link.socket.process();
        if taken == 0 {
            return Err("the socket takes no more ciphertext".into());
        }
        rest = rest.get(taken..).unwrap_or_default();
    }
    let more = matches!(status, StreamResult::Complete(_));
    if !more {
        link.end.end_incoming();
        link.socket.process();
    }
    Ok(more)
}

/// Why the socket failed: its error and every certificate error found.
fn describe(socket: &SslSocket<Carrier<WasiTransport>>) -> String {
    let mut text = socket
        .error()
        .map_or_else(|| "the connection closed".to_owned(), ToString::to_string);
    for entry in socket.ssl_errors() {
        text.push_str(&format!("; {:?}: {}", entry.error, entry.error.message()));
    }
    text
}

fn error(message: impl Into<String>) -> Error {
    Error::new(ErrorResource(message.into()))
}
