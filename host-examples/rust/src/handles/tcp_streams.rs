//! A host TCP connection as a `wasi:io` input and output stream that read and write on the
//! calling thread: `try_read` / `try_write` on one tokio `TcpStream` the two halves share, and
//! tokio's readiness for their pollables. wasmtime's generic `AsyncReadStream` /
//! `AsyncWriteStream` run a task per stream that moves every read and write through a channel
//! (a thread hop each way); a server that takes connections from the host would pay that on every
//! record. What the kernel does not take at once (its buffer is full, or tokio has not yet seen
//! the socket writable, when `try_write` does not even try) goes on in a task of wasmtime's
//! runtime, as wasmtime's own TCP streams do: written bytes leave whether or not the guest ever
//! waits on this stream (a guest that wrote a request and then waits only for the answer must
//! not hold its own request back). Dropping the output stream sends what it still holds, then
//! shuts down the sending direction (the peer reads its end of stream); the input side stays
//! open.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use tokio::net::TcpStream;
use tokio::task::{JoinError, JoinHandle};
use wasmtime_wasi::p2::{InputStream, OutputStream, Pollable, StreamError, StreamResult};

/// How many bytes a host output stream takes in one write (`check-write`); the generic streams
/// of `streams.rs` take as many.
pub(super) const WRITE_BUDGET: usize = 64 * 1024;
/// The most one read returns.
const READ_LIMIT: usize = 64 * 1024;

/// The receiving half.
pub(crate) struct TcpInput(Arc<TcpStream>);

/// The sending half.
pub(crate) struct TcpOutput {
    stream: Arc<TcpStream>,
    /// The task writing what the kernel did not take at once; `check-write` is 0 until it ends.
    background: Option<JoinHandle<Result<(), io::ErrorKind>>>,
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
            background: None,
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
    /// Takes the background write's outcome if it has ended; the error that ended sending, if
    /// any.
    fn settle(&mut self) -> StreamResult<()> {
        if let Some(task) = &mut self.background {
            let mut cx = Context::from_waker(Waker::noop());
            if let Poll::Ready(outcome) = Pin::new(task).poll(&mut cx) {
                self.background = None;
                self.note(outcome);
            }
        }
        match self.failed {
            Some(kind) => Err(stream_error(kind)),
            None => Ok(()),
        }
    }

    /// Records a background write's outcome (a task that did not finish failed too).
    fn note(&mut self, outcome: Result<Result<(), io::ErrorKind>, JoinError>) {
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(kind)) => self.failed = Some(kind),
            Err(_) => self.failed = Some(io::ErrorKind::Other),
        }
    }
}

impl OutputStream for TcpOutput {
    fn write(&mut self, mut bytes: Bytes) -> StreamResult<()> {
        self.settle()?;
        if bytes.is_empty() {
            return Ok(());
        }
        if self.background.is_some() || bytes.len() > WRITE_BUDGET {
            return Err(StreamError::trap("wrote more than check-write allowed"));
        }
        while !bytes.is_empty() {
            match self.stream.try_write(&bytes) {
                Ok(n) => {
                    let _ = bytes.split_to(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    self.failed = Some(e.kind());
                    return Err(stream_error(e.kind()));
                }
            }
        }
        if !bytes.is_empty() {
            let stream = Arc::clone(&self.stream);
            self.background = Some(wasmtime_wasi::runtime::with_ambient_tokio_runtime(|| {
                tokio::spawn(write_all(stream, bytes))
            }));
        }
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        // Nothing waits in user space longer than the kernel makes it: `check-write` returns
        // 0 until all of it has gone.
        self.settle()
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        self.settle()?;
        Ok(if self.background.is_some() {
            0
        } else {
            WRITE_BUDGET
        })
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for TcpOutput {
    async fn ready(&mut self) {
        if let Some(task) = &mut self.background {
            let outcome = task.await;
            self.background = None;
            self.note(outcome);
        }
    }
}

impl Drop for TcpOutput {
    fn drop(&mut self) {
        let stream = Arc::clone(&self.stream);
        match self.background.take() {
            // Send the rest in the background, then the FIN.
            Some(task) => {
                wasmtime_wasi::runtime::with_ambient_tokio_runtime(|| {
                    tokio::spawn(async move {
                        let _ = task.await;
                        shut_down_sending(&stream);
                    })
                });
            }
            None => shut_down_sending(&stream),
        }
    }
}

/// Writes all of `bytes` as the socket becomes writable.
async fn write_all(stream: Arc<TcpStream>, mut bytes: Bytes) -> Result<(), io::ErrorKind> {
    while !bytes.is_empty() {
        stream.writable().await.map_err(|e| e.kind())?;
        match stream.try_write(&bytes) {
            Ok(n) => {
                let _ = bytes.split_to(n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e.kind()),
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::io::Read as _;
    use std::net::{TcpListener, TcpStream as StdTcpStream};
    use std::time::Duration;

    use super::*;

    /// A loopback pair: our output half (in wasmtime's runtime) and the peer's std socket.
    fn pair() -> (TcpOutput, StdTcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let ours = StdTcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (peer, _) = listener.accept().unwrap();
        ours.set_nonblocking(true).unwrap();
        let ours = wasmtime_wasi::runtime::with_ambient_tokio_runtime(|| TcpStream::from_std(ours))
            .unwrap();
        let (_input, output) = split(ours);
        (output, peer)
    }

    /// Writes until `check-write` says 0 (the kernel's buffers are full and the rest is in the
    /// background); returns how many bytes were written.
    fn fill(output: &mut TcpOutput) -> usize {
        let chunk = Bytes::from(vec![0x5a; WRITE_BUDGET]);
        let mut written = 0usize;
        while output.check_write().unwrap() > 0 {
            output.write(chunk.clone()).unwrap();
            written += chunk.len();
            assert!(written < 1 << 30, "the kernel never pushed back");
        }
        written
    }

    #[test]
    fn written_bytes_reach_the_peer_without_the_guest_waiting_on_the_stream() {
        // Write until the kernel's buffers are full and check-write says 0, then never poll
        // the output stream again (a guest waiting only for the answer): every byte must
        // still arrive once the peer reads.
        let (mut output, mut peer) = pair();
        let written = fill(&mut output);
        peer.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = vec![0u8; 1 << 16];
        let mut read = 0usize;
        while read < written {
            let n = peer
                .read(&mut buf)
                .expect("the written bytes stopped short of the peer");
            assert!(n > 0, "the stream ended early");
            read += n;
        }
        assert_eq!(read, written);
        // The background write has ended: check-write opens again, and a write goes through.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while output.check_write().unwrap() == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "check-write stayed at 0"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        output.write(Bytes::from_static(b"end")).unwrap();
        let mut end = [0u8; 3];
        peer.read_exact(&mut end).unwrap();
        assert_eq!(&end, b"end");
    }

    #[test]
    fn dropping_the_output_sends_the_rest_then_the_fin() {
        let (mut output, mut peer) = pair();
        let written = fill(&mut output);
        drop(output);
        peer.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut all = Vec::new();
        peer.read_to_end(&mut all).unwrap();
        assert_eq!(all.len(), written);
    }
}
