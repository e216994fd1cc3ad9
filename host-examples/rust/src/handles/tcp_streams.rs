//! A host TCP connection as a `wasi:io` input and output stream that read and write on the
//! calling thread: `try_read` / `try_write` on one tokio `TcpStream` the two halves share, and
//! tokio's readiness for their pollables. wasmtime's generic `AsyncReadStream` /
//! `AsyncWriteStream` run a task per stream that moves every read and write through a channel
//! (a thread hop each way); a server that takes connections from the host would pay that on every
//! record. Dropping the output stream sends what it still holds, then shuts down the sending
//! direction (the peer reads its end of stream); the input side stays open.

use std::io;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::net::TcpStream;
use wasmtime_wasi::p2::{InputStream, OutputStream, Pollable, StreamError, StreamResult};

/// How many bytes a host output stream takes before the guest waits (`check-write`), beyond
/// what the kernel took; the generic streams of `streams.rs` take as many.
pub(super) const WRITE_BUDGET: usize = 64 * 1024;
/// The most one read returns.
const READ_LIMIT: usize = 64 * 1024;

/// The receiving half.
pub(crate) struct TcpInput(Arc<TcpStream>);

/// The sending half.
pub(crate) struct TcpOutput {
    stream: Arc<TcpStream>,
    /// Written by the guest, not yet taken by the kernel (at most [`WRITE_BUDGET`] more after
    /// each `check-write`).
    pending: BytesMut,
    /// The error that ended sending.
    failed: Option<io::ErrorKind>,
}

/// Splits a tokio TCP stream (made inside wasmtime's runtime) into the two halves.
pub(crate) fn split(stream: TcpStream) -> (TcpInput, TcpOutput) {
    let stream = Arc::new(stream);
    (
        TcpInput(Arc::clone(&stream)),
        TcpOutput {
            stream,
            pending: BytesMut::new(),
            failed: None,
        },
    )
}

impl InputStream for TcpInput {
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        let limit = size.min(READ_LIMIT);
        if limit == 0 {
            return Ok(Bytes::new());
        }
        let mut buf = BytesMut::with_capacity(limit);
        match self.0.try_read_buf(&mut buf) {
            Ok(0) => Err(StreamError::Closed),
            Ok(_) => Ok(buf.freeze()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(Bytes::new()),
            Err(e) => Err(StreamError::LastOperationFailed(e.into())),
        }
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for TcpInput {
    async fn ready(&mut self) {
        // An error is ready too: the next read reports it.
        let _ = self.0.readable().await;
    }
}

impl TcpOutput {
    /// Hands the kernel what it takes of `pending` without blocking.
    fn drain(&mut self) -> StreamResult<()> {
        if let Some(kind) = self.failed {
            return Err(stream_error(kind));
        }
        while !self.pending.is_empty() {
            match self.stream.try_write(&self.pending) {
                Ok(n) => {
                    let _ = self.pending.split_to(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    self.failed = Some(e.kind());
                    self.pending.clear();
                    return Err(stream_error(e.kind()));
                }
            }
        }
        Ok(())
    }
}

impl OutputStream for TcpOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        if bytes.len() > WRITE_BUDGET.saturating_sub(self.pending.len()) {
            return Err(StreamError::trap("wrote more than check-write allowed"));
        }
        self.pending.extend_from_slice(&bytes);
        self.drain()
    }

    fn flush(&mut self) -> StreamResult<()> {
        // Nothing waits in user space longer than the kernel makes it: `check-write` returns
        // 0 until all of it has gone.
        self.drain()
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        self.drain()?;
        Ok(if self.pending.is_empty() {
            WRITE_BUDGET
        } else {
            0
        })
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for TcpOutput {
    async fn ready(&mut self) {
        while !self.pending.is_empty() && self.failed.is_none() {
            if self.stream.writable().await.is_err() || self.drain().is_err() {
                return;
            }
        }
    }
}

impl Drop for TcpOutput {
    fn drop(&mut self) {
        let stream = Arc::clone(&self.stream);
        if self.pending.is_empty() || self.failed.is_some() {
            shut_down_sending(&stream);
            return;
        }
        // Send the rest in the background, then the FIN.
        let mut rest = std::mem::take(&mut self.pending);
        wasmtime_wasi::runtime::with_ambient_tokio_runtime(|| {
            tokio::spawn(async move {
                while !rest.is_empty() {
                    if stream.writable().await.is_err() {
                        break;
                    }
                    match stream.try_write(&rest) {
                        Ok(n) => {
                            let _ = rest.split_to(n);
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(_) => break,
                    }
                }
                shut_down_sending(&stream);
            })
        });
    }
}

/// Shuts down the sending direction (TCP FIN); the receiving one stays open.
fn shut_down_sending(stream: &TcpStream) {
    let _ = rustix::net::shutdown(stream, rustix::net::Shutdown::Write);
}

fn stream_error(kind: io::ErrorKind) -> StreamError {
    match kind {
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => StreamError::Closed,
        kind => StreamError::LastOperationFailed(io::Error::from(kind).into()),
    }
}
