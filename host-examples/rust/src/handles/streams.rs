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
/// Switching the stream to non-blocking mode failed, or the table is full.
pub(crate) fn tcp_streams(
    session: &mut Session,
    stream: std::net::TcpStream,
) -> wasmtime::Result<StreamPair> {
    stream.set_nonblocking(true)?;
    let stream = wasmtime_wasi::runtime::with_ambient_tokio_runtime(|| {
        tokio::net::TcpStream::from_std(stream)
    })?;
    let (input, output) = tcp_streams::split(stream);
    let table = &mut session.store.data_mut().table;
    let input: DynInputStream = Box::new(input);
    let output: DynOutputStream = Box::new(output);
    Ok((table.push(input)?, table.push(output)?))
}
