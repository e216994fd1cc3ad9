//! A socket's buffering, apart from its state machine: what was received and not yet read, what
//! was written and not yet sent (plain bytes, and application data for TLS), the limits that turn
//! full buffers into backpressure, the socket's part of the instance's memory budget, and moving
//! bytes between these buffers, rustls and the transport within one `process` slice.
//!
//! The socket decides *whether* bytes may move (its phase, `close_notify`, held tickets); this
//! file moves them.

use std::collections::VecDeque;
use std::io::{self, Read, Write};

use super::budget;
use super::errors::SocketError;
use super::events::Event;
use super::tls_connection::TlsConnection;
use crate::byte_queue;
use crate::transport::Transport;

/// Plaintext handed to the TLS connection per step (it queues at most 256 KiB of records).
const WRITE_CHUNK: usize = 64 * 1024;
/// Plain bytes read from the transport per step, on the stack.
const READ_CHUNK: usize = 16 * 1024;
/// The most bytes one `process` takes from the network, and gives to it: a busy connection gets
/// a bounded slice of each turn of an event loop, so it cannot starve the others.
pub(super) const PROCESS_BUDGET: usize = 256 * 1024;

/// A socket's buffers and their limits.
#[derive(Debug, Default)]
pub(super) struct Buffers {
    /// Decrypted (or plain) bytes ready for the application.
    read: VecDeque<u8>,
    /// The most `read` may hold before reading from the network stops; 0: no limit.
    read_buffer_size: usize,
    /// The most bytes waiting to be sent before reading from the network stops; 0: no limit.
    write_buffer_size: usize,
    /// This socket's part of the instance's memory budget.
    account: budget::Account,
    /// Application bytes to send without TLS (plain mode, or written before STARTTLS).
    raw_out: VecDeque<u8>,
    /// Application bytes waiting for the handshake to finish or for room in rustls.
    tls_out: VecDeque<u8>,
    /// Application bytes handed to rustls whose records are not all on the network yet.
    tls_unflushed: u64,
}

impl Buffers {
    // ----- the read buffer -----

    /// Bytes ready to read.
    pub(super) fn available(&self) -> usize {
        self.read.len()
    }

    /// Takes up to `max` bytes, releasing the buffer's memory once empty (an idle connection
    /// should cost as little as possible).
    pub(super) fn take(&mut self, max: usize) -> Vec<u8> {
        let data = byte_queue::take_front(&mut self.read, max);
        release_if_empty(&mut self.read);
        data
    }

    /// The length of the first line including its `\n`, at most `limit`; without a full line,
    /// what is buffered.
    pub(super) fn line_len(&self, limit: usize) -> usize {
        let line_end = self
            .read
            .iter()
            .position(|b| *b == b'\n')
            .map_or(self.read.len(), |i| i + 1);
        line_end.min(limit)
    }

    /// Whether a full line is buffered.
    pub(super) fn has_line(&self) -> bool {
        self.read.contains(&b'\n')
    }

    /// Takes one byte.
    pub(super) fn pop(&mut self) -> Option<u8> {
        self.read.pop_front()
    }

    /// Discards what was received and not read.
    pub(super) fn discard_unread(&mut self) {
        self.read.clear();
    }

    /// Gives what was received but not read to a server handshake starting on this connection:
    /// a STARTTLS client may send its hello right behind the command.
    pub(super) fn hand_unread_to(&mut self, conn: &mut TlsConnection) {
        let (front, back) = self.read.as_slices();
        conn.feed(front);
        conn.feed(back);
        self.read = VecDeque::new();
    }

    // ----- limits and the memory budget -----

    /// The limit of the read buffer; 0 means none.
    pub(super) fn read_buffer_size(&self) -> usize {
        self.read_buffer_size
    }

    /// Sets the limit of the read buffer; 0 means none.
    pub(super) fn set_read_buffer_size(&mut self, size: usize) {
        self.read_buffer_size = size;
    }

    /// The limit of the output waiting to be sent; 0 means none.
    pub(super) fn write_buffer_size(&self) -> usize {
        self.write_buffer_size
    }

    /// Sets the limit of the output waiting to be sent; 0 means none.
    pub(super) fn set_write_buffer_size(&mut self, size: usize) {
        self.write_buffer_size = size;
    }

    /// The most bytes the read buffer may hold before reading from the network stops.
    fn read_limit(&self) -> usize {
        match self.read_buffer_size {
            0 => usize::MAX,
            n => n,
        }
    }

    /// Whether the read buffer holds its limit.
    pub(super) fn read_full(&self) -> bool {
        self.read.len() >= self.read_limit()
    }

    /// Whether the output waiting to be sent passes its limit, or the instance's memory budget
    /// is used up.
    pub(super) fn output_full(&self) -> bool {
        (self.write_buffer_size > 0
            && self.raw_out.len() + self.tls_out.len() >= self.write_buffer_size)
            || budget::exhausted()
    }

    /// Updates this socket's part of the memory budget (its buffers' capacity, and `connection`
    /// bytes held by its TLS connection); returns whether the socket holds more than its share
    /// (then it is to be dropped, and [`Self::release`]d).
    pub(super) fn over_budget(&mut self, connection: usize) -> bool {
        self.account.set(
            self.read.capacity() + self.raw_out.capacity() + self.tls_out.capacity() + connection,
        );
        self.account.over_share()
    }

    /// Frees every buffer and gives the socket's budget back.
    pub(super) fn release(&mut self) {
        self.read = VecDeque::new();
        self.raw_out = VecDeque::new();
        self.tls_out = VecDeque::new();
        self.account.set(0);
    }

    // ----- the outboxes -----

    /// Queues bytes to send without TLS.
    pub(super) fn queue_plain(&mut self, data: &[u8]) {
        self.raw_out.extend(data);
    }

    /// Queues application bytes to send through TLS.
    pub(super) fn queue_tls(&mut self, data: &[u8]) {
        self.tls_out.extend(data);
    }

    /// Application bytes not yet on the network.
    pub(super) fn to_write(&self) -> u64 {
        (self.raw_out.len() + self.tls_out.len()) as u64 + self.tls_unflushed
    }

    /// Whether plain bytes wait to be sent.
    pub(super) fn plain_pending(&self) -> bool {
        !self.raw_out.is_empty()
    }

    /// Whether application bytes wait to go into rustls.
    pub(super) fn tls_pending(&self) -> bool {
        !self.tls_out.is_empty()
    }

    /// Discards the application bytes waiting for TLS (a close before the handshake finished).
    pub(super) fn discard_tls(&mut self) {
        self.tls_out.clear();
    }

    /// Discards everything waiting to be sent.
    pub(super) fn discard_output(&mut self) {
        self.raw_out.clear();
        self.tls_out.clear();
        self.tls_unflushed = 0;
    }

    /// Empties every buffer, for a new connection.
    pub(super) fn clear(&mut self) {
        self.read.clear();
        self.discard_output();
    }

    /// Frees the memory of empty outboxes.
    pub(super) fn release_idle_output(&mut self) {
        release_if_empty(&mut self.raw_out);
        release_if_empty(&mut self.tls_out);
    }

    // ----- moving bytes to and from the transport -----

    /// Sends plain bytes, within [`PROCESS_BUDGET`]; queues `bytesWritten` for what left.
    pub(super) fn flush_plain<T: Transport>(
        &mut self,
        transport: &mut T,
        events: &mut VecDeque<Event>,
    ) -> Result<(), SocketError> {
        let mut written = 0u64;
        while !self.raw_out.is_empty() && written < PROCESS_BUDGET as u64 {
            let (chunk, _) = self.raw_out.as_slices();
            match transport.write(chunk) {
                Ok(0) => break,
                Ok(n) => {
                    self.raw_out.drain(..n);
                    written += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(&e)),
            }
        }
        if written > 0 {
            events.push_back(Event::BytesWritten(written));
        }
        Ok(())
    }

    /// Sends what rustls has queued, within [`PROCESS_BUDGET`]; with `feed`, application data
    /// goes into rustls first, so that what rustls has queued (session tickets, say) and the
    /// data leave in one transport write. Queues `bytesWritten` each time the data handed to
    /// rustls is all on the network.
    pub(super) fn flush_tls<T: Transport>(
        &mut self,
        conn: &mut TlsConnection,
        transport: &mut T,
        feed: bool,
        events: &mut VecDeque<Event>,
    ) -> Result<(), SocketError> {
        let mut sent = 0usize;
        loop {
            while feed && !self.tls_out.is_empty() {
                let (chunk, _) = self.tls_out.as_slices();
                let chunk = chunk.get(..chunk.len().min(WRITE_CHUNK)).unwrap_or(chunk);
                let n = conn
                    .write_plaintext(chunk)
                    .map_err(|e| SocketError::SslInternal(e.to_string()))?;
                if n == 0 {
                    break;
                }
                self.tls_out.drain(..n);
                self.tls_unflushed += n as u64;
            }
            if !conn.wants_write() {
                return Ok(());
            }
            while conn.wants_write() {
                if sent >= PROCESS_BUDGET {
                    return Ok(());
                }
                match conn.write_tls(&mut TransportIo(&mut *transport)) {
                    Ok(0) => return Ok(()),
                    Ok(n) => {
                        sent += n;
                        events.push_back(Event::EncryptedBytesWritten(n as u64));
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(io_error(&e)),
                }
            }
            if self.tls_unflushed > 0 {
                events.push_back(Event::BytesWritten(self.tls_unflushed));
                self.tls_unflushed = 0;
            }
        }
    }

    /// Reads plain bytes into the read buffer, within its limit and [`PROCESS_BUDGET`], unless
    /// the output is full (`output_full`, taken once per `process`). Returns whether the peer
    /// closed.
    pub(super) fn receive_plain<T: Transport>(
        &mut self,
        transport: &mut T,
        output_full: bool,
    ) -> Result<bool, SocketError> {
        let limit = self.read_limit();
        let mut taken = 0usize;
        let mut buf = [0u8; READ_CHUNK];
        loop {
            if self.read.len() >= limit || output_full || taken >= PROCESS_BUDGET {
                return Ok(false);
            }
            let room = (limit - self.read.len()).min(buf.len());
            match transport.read(buf.get_mut(..room).unwrap_or_default()) {
                Ok(0) => return Ok(true),
                Ok(n) => {
                    self.read.extend(buf.get(..n).unwrap_or_default());
                    taken += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io_error(&e)),
            }
        }
    }

    /// Moves the decrypted application data out of the TLS connection into the read buffer.
    pub(super) fn take_plaintext(&mut self, conn: &mut TlsConnection) {
        conn.take_plaintext(&mut self.read);
    }
}

/// Reads TLS records from the transport into rustls.
pub(super) fn read_tls<T: Transport>(
    conn: &mut TlsConnection,
    transport: &mut T,
) -> io::Result<usize> {
    conn.read_tls(&mut TransportIo(transport))
}

/// Sends what rustls queued after a fatal error, ending with its alert; best effort.
pub(super) fn send_alert<T: Transport>(conn: &mut TlsConnection, transport: &mut T) {
    for _ in 0..8 {
        if !conn.wants_write()
            || !matches!(conn.write_tls(&mut TransportIo(&mut *transport)), Ok(n) if n > 0)
        {
            break;
        }
    }
}

/// The socket error for a transport's I/O error.
pub(super) fn io_error(e: &io::Error) -> SocketError {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => SocketError::ConnectionRefused,
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => SocketError::RemoteHostClosed,
        io::ErrorKind::TimedOut => SocketError::SocketTimeout,
        io::ErrorKind::PermissionDenied => SocketError::SocketAccess,
        _ => SocketError::Network,
    }
}

/// Frees the memory of an empty buffer.
fn release_if_empty(buf: &mut VecDeque<u8>) {
    if buf.is_empty() && buf.capacity() > 0 {
        *buf = VecDeque::new();
    }
}

/// Lets rustls read from and write to a transport.
struct TransportIo<'a, T>(&'a mut T);

impl<T: Transport> Read for TransportIo<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<T: Transport> Write for TransportIo<'_, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
