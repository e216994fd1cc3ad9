//! Memory mode: a connection with no network under it, where the caller moves the ciphertext
//! (Python's `MemoryBIO` pair, Node's `new TLSSocket(duplex)`). The socket's side is a
//! [`MemoryTransport`]; the caller keeps the [`MemoryEnd`], feeds it what the peer sent and takes
//! from it what the socket wrote. Both ends share one pipe, so the caller can still take the
//! last bytes (a `close_notify`) after the socket has dropped its side.
//!
//! Both directions are bounded ([`MEMORY_PIPE_LIMIT`] each): a caller that does not take the
//! outgoing bytes stops the socket's writes (they wait in its budgeted buffers), and `feed`
//! accepts only what fits.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use super::{ConnectProgress, Interest, TransportError};
use crate::byte_queue;

/// The most bytes each direction of a memory pipe holds (256 KiB): the most `feed` accepts
/// beyond what the socket has not read yet, and the most the socket writes before the caller
/// takes them.
pub const MEMORY_PIPE_LIMIT: usize = 256 * 1024;

/// The caller's end of a memory connection: feed it the peer's bytes, take the socket's.
#[derive(Debug, Clone)]
pub struct MemoryEnd {
    pipe: Rc<RefCell<Pipe>>,
}

/// The socket's end of a memory connection, a transport only the caller moves.
#[derive(Debug)]
pub struct MemoryTransport {
    pipe: Rc<RefCell<Pipe>>,
}

/// Both directions of a memory connection.
#[derive(Debug, Default)]
struct Pipe {
    /// From the peer, fed by the caller, read by the socket.
    incoming: VecDeque<u8>,
    /// The caller said the peer sends nothing more.
    incoming_ended: bool,
    /// From the socket, taken by the caller.
    outgoing: VecDeque<u8>,
    /// The socket sends nothing more (half-close, close or abort).
    outgoing_ended: bool,
}

/// A new memory connection: the socket's end and the caller's.
pub fn memory_pair() -> (MemoryTransport, MemoryEnd) {
    let pipe = Rc::new(RefCell::new(Pipe::default()));
    (
        MemoryTransport {
            pipe: Rc::clone(&pipe),
        },
        MemoryEnd { pipe },
    )
}

impl MemoryEnd {
    /// Queues bytes the peer sent, as many as fit under [`MEMORY_PIPE_LIMIT`]; returns how many.
    ///
    /// # Errors
    /// `InvalidState` after [`Self::end_incoming`].
    pub fn feed(&self, data: &[u8]) -> Result<usize, TransportError> {
        let mut pipe = self.pipe.borrow_mut();
        if pipe.incoming_ended {
            return Err(TransportError::InvalidState(
                "the peer's end of stream was already fed".into(),
            ));
        }
        let room = MEMORY_PIPE_LIMIT.saturating_sub(pipe.incoming.len());
        let n = room.min(data.len());
        pipe.incoming.extend(data.get(..n).unwrap_or_default());
        Ok(n)
    }

    /// Marks the end of what the peer sends (its FIN); the socket reads the end of stream once
    /// it has read what was fed before. Repeating it is a no-op.
    pub fn end_incoming(&self) {
        self.pipe.borrow_mut().incoming_ended = true;
    }

    /// Takes up to `max` bytes the socket wrote, oldest first.
    pub fn take(&self, max: usize) -> Vec<u8> {
        let mut pipe = self.pipe.borrow_mut();
        byte_queue::take_front(&mut pipe.outgoing, max)
    }

    /// How many bytes the socket wrote that were not taken yet.
    pub fn pending(&self) -> usize {
        self.pipe.borrow().outgoing.len()
    }

    /// Whether the socket sends nothing more and every byte it wrote was taken (the FIN, for
    /// whoever carries the bytes to the peer).
    pub fn at_end(&self) -> bool {
        let pipe = self.pipe.borrow();
        pipe.outgoing_ended && pipe.outgoing.is_empty()
    }
}

impl MemoryTransport {
    /// Reads without blocking, as [`super::Transport::read`].
    ///
    /// # Errors
    /// `WouldBlock` until the caller feeds more (or ends the stream).
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut pipe = self.pipe.borrow_mut();
        if pipe.incoming.is_empty() {
            return if pipe.incoming_ended {
                Ok(0)
            } else {
                Err(io::Error::from(io::ErrorKind::WouldBlock))
            };
        }
        Ok(byte_queue::move_front_into(&mut pipe.incoming, buf))
    }

    /// Writes without blocking, as [`super::Transport::write`].
    ///
    /// # Errors
    /// `WouldBlock` while the caller has not taken [`MEMORY_PIPE_LIMIT`] bytes, `BrokenPipe`
    /// after a half-close.
    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut pipe = self.pipe.borrow_mut();
        if pipe.outgoing_ended {
            return Err(io::Error::from(io::ErrorKind::BrokenPipe));
        }
        let n = MEMORY_PIPE_LIMIT
            .saturating_sub(pipe.outgoing.len())
            .min(buf.len());
        if n == 0 && !buf.is_empty() {
            return Err(io::Error::from(io::ErrorKind::WouldBlock));
        }
        pipe.outgoing.extend(buf.get(..n).unwrap_or_default());
        Ok(n)
    }

    /// Always connected.
    #[allow(clippy::unnecessary_wraps)] // the shape of `Transport::poll_connect`
    pub fn poll_connect(&mut self) -> Result<ConnectProgress, TransportError> {
        Ok(ConnectProgress::Connected)
    }

    /// Whether `interest` can be met now: readable with bytes (or the end) fed, writable with
    /// room left. Nothing else can change it but the caller.
    pub fn ready(&self, interest: Interest) -> bool {
        let pipe = self.pipe.borrow();
        (interest.readable && (!pipe.incoming.is_empty() || pipe.incoming_ended))
            || (interest.writable && pipe.outgoing.len() < MEMORY_PIPE_LIMIT)
    }

    /// Ends the sending direction: the caller sees the end once it took every byte.
    pub fn shutdown_write(&mut self) -> io::Result<bool> {
        self.pipe.borrow_mut().outgoing_ended = true;
        Ok(true)
    }

    /// Closes: as [`Self::shutdown_write`] (what was written stays there to be taken).
    pub fn shutdown(&mut self, _timeout: Duration) {
        self.pipe.borrow_mut().outgoing_ended = true;
    }

    /// None: a memory connection has no address.
    pub fn addr(&self) -> Option<SocketAddr> {
        None
    }
}

impl Drop for MemoryTransport {
    /// A dropped socket sends nothing more; what it wrote can still be taken.
    fn drop(&mut self) {
        self.pipe.borrow_mut().outgoing_ended = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_flow_both_ways_within_the_limit_and_end() {
        let (mut socket_end, caller) = memory_pair();
        let mut buf = [0u8; 8];
        assert_eq!(
            socket_end.read(&mut buf).map_err(|e| e.kind()),
            Err(io::ErrorKind::WouldBlock)
        );
        assert_eq!(caller.feed(b"hello").ok(), Some(5));
        assert_eq!(socket_end.read(&mut buf).ok(), Some(5));
        assert_eq!(&buf[..5], b"hello");

        let big = vec![7u8; MEMORY_PIPE_LIMIT + 10];
        assert_eq!(caller.feed(&big).ok(), Some(MEMORY_PIPE_LIMIT));
        assert_eq!(caller.feed(b"x").ok(), Some(0));
        caller.end_incoming();
        assert!(caller.feed(b"x").is_err());
        let mut sink = vec![0u8; MEMORY_PIPE_LIMIT];
        assert_eq!(socket_end.read(&mut sink).ok(), Some(MEMORY_PIPE_LIMIT));
        assert_eq!(socket_end.read(&mut buf).ok(), Some(0));

        assert_eq!(socket_end.write(&big).ok(), Some(MEMORY_PIPE_LIMIT));
        assert_eq!(
            socket_end.write(b"y").map_err(|e| e.kind()),
            Err(io::ErrorKind::WouldBlock)
        );
        assert!(!socket_end.ready(Interest {
            readable: false,
            writable: true
        }));
        assert_eq!(caller.take(10).len(), 10);
        assert_eq!(socket_end.write(b"yy").ok(), Some(2));
        assert_eq!(caller.pending(), MEMORY_PIPE_LIMIT - 10 + 2);
        drop(socket_end);
        assert!(!caller.at_end(), "bytes are still to be taken");
        assert_eq!(caller.take(usize::MAX).len(), MEMORY_PIPE_LIMIT - 8);
        assert!(caller.at_end());
    }
}
