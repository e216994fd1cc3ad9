//! Host connections as `wasi:io` streams in a session's table: what `adopt-streams` and
//! `incoming-connection` take.

use tokio::io::{AsyncRead, AsyncWrite};
use wasmtime::component::Resource;
use wasmtime_wasi::p2::pipe::{AsyncReadStream, AsyncWriteStream};
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream};

use super::tcp_streams::{self, WRITE_BUDGET};
use crate::Session;

/// The two halves of a host connection as streams in `session`'s table.
pub(crate) type StreamPair = (Resource<DynInputStream>, Resource<DynOutputStream>);

/// Puts a reader and a writer into `session`'s table as an input and an output stream.
///
/// # Errors
/// The table is full.
pub(crate) fn streams(
    session: &mut Session,
    reader: impl AsyncRead + Send + 'static,
    writer: impl AsyncWrite + Send + 'static,
) -> wasmtime::Result<StreamPair> {
    let table = &mut session.store.data_mut().table;
    let input: DynInputStream = Box::new(AsyncReadStream::new(reader));
    let output: DynOutputStream = Box::new(AsyncWriteStream::new(WRITE_BUDGET, writer));
    Ok((table.push(input)?, table.push(output)?))
}

/// A host TCP connection as streams in `session`'s table that read and write on the calling
/// thread ([`tcp_streams`]); dropping the output stream shuts down the sending side.
///
/// # Errors
/// Switching the stream to non-blocking mode or off Nagle's algorithm failed, or the table is
/// full.
pub(crate) fn tcp_streams(
    session: &mut Session,
    stream: std::net::TcpStream,
) -> wasmtime::Result<StreamPair> {
    let (input, output) = tcp_streams::split(prepared(stream)?);
    let table = &mut session.store.data_mut().table;
    let input: DynInputStream = Box::new(input);
    let output: DynOutputStream = Box::new(output);
    Ok((table.push(input)?, table.push(output)?))
}

/// A host TCP connection made ready for the session: non-blocking, in wasmtime's tokio runtime,
/// and with Nagle's algorithm off (`TCP_NODELAY`), as the engine's own native transport. The
/// engine already joins each flight's records into one write; with Nagle on, the small last
/// segment of a bulk write waits for the peer's delayed ACK (about 40 ms on Linux) whenever
/// an earlier small one is unacknowledged. (Connections the guest makes itself through
/// `wasi:sockets` keep Nagle on: WASI 0.2 has no such option and wasmtime-wasi sets none.)
fn prepared(stream: std::net::TcpStream) -> std::io::Result<tokio::net::TcpStream> {
    stream.set_nodelay(true)?;
    stream.set_nonblocking(true)?;
    wasmtime_wasi::runtime::with_ambient_tokio_runtime(|| tokio::net::TcpStream::from_std(stream))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::net::{TcpListener, TcpStream};

    #[test]
    fn host_connections_are_non_blocking_without_nagle() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (_peer, _) = listener.accept().unwrap();
        assert!(!ours.nodelay().unwrap(), "Nagle is on by default");
        let prepared = super::prepared(ours).unwrap();
        assert!(prepared.nodelay().unwrap());
        // Non-blocking: reading with nothing sent would block.
        let mut buf = [0u8; 1];
        assert_eq!(
            prepared.try_read(&mut buf).unwrap_err().kind(),
            std::io::ErrorKind::WouldBlock
        );
    }
}
