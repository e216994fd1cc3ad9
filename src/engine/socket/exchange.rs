//! A memory-mode socket's whole turn in one call ([`SslSocket::exchange`]): feed what the peer
//! sent, read, take what the socket wrote, and the events and end-of-stream flags, for a host
//! where a call into the component costs more than the work it carries. Under Node (jco's
//! bindings) a call costs about 6 µs, and the first one after a quiet spell over 100 µs; the
//! same turn as separate calls (`feed-incoming`, `read`, `take-outgoing`, `take-events`,
//! `at-end`, `outgoing-at-end`, `bytes-to-write`) is seven of them.

use super::SslSocket;
use crate::engine::errors::SocketError;
use crate::engine::events::Event;
use crate::transport::Transport;
use crate::transport::memory::MemoryEnd;

/// What one [`SslSocket::exchange`] did, and the socket's state after it.
#[derive(Debug, Default, PartialEq)]
pub struct MemoryTurn {
    /// How many of the given bytes the socket took ([`MemoryEnd::feed`]): the caller feeds the
    /// rest in a later turn, once the socket's reader made room.
    pub fed: usize,
    /// Decrypted (or plain) bytes read, at most the `read_max` asked for.
    pub data: Vec<u8>,
    /// Bytes the socket wrote for the peer, at most the `outgoing_max` asked for.
    pub outgoing: Vec<u8>,
    /// Whether the socket sends nothing more and every byte it wrote was taken.
    pub outgoing_at_end: bool,
    /// Whether the peer closed and everything was read ([`SslSocket::at_end`]).
    pub at_end: bool,
    /// Application bytes not yet encrypted and taken ([`SslSocket::bytes_to_write`]).
    pub bytes_to_write: u64,
    /// The signals queued before and during the call, oldest first.
    pub events: Vec<Event>,
}

impl<T: Transport> SslSocket<T> {
    /// One turn of a memory-mode socket whose other end is `end`: feeds `incoming` (what the
    /// peer sent), does what [`Self::process`] does, reads up to `read_max` bytes (none when the
    /// socket cannot be read), takes up to `outgoing_max` bytes the socket wrote (then processes
    /// again, as the room made lets buffered data follow), and returns those with the events and
    /// the flags a carrier needs. Writes stay [`Self::write`] calls, with their own errors.
    ///
    /// # Errors
    /// `InvalidState` when `incoming` is not empty and the socket is closed or the peer's end
    /// was fed already; nothing is taken or read then.
    pub fn exchange(
        &mut self,
        end: &MemoryEnd,
        incoming: &[u8],
        read_max: usize,
        outgoing_max: usize,
    ) -> Result<MemoryTurn, SocketError> {
        let fed = if incoming.is_empty() {
            0
        } else if self.transport().is_none() {
            return Err(SocketError::invalid_state("the socket is closed"));
        } else {
            end.feed(incoming)?
        };
        self.process();
        let data = if read_max == 0 {
            Vec::new()
        } else {
            self.read(read_max).unwrap_or_default()
        };
        let outgoing = end.take(outgoing_max);
        if !outgoing.is_empty() {
            self.process();
        }
        Ok(MemoryTurn {
            fed,
            data,
            outgoing,
            outgoing_at_end: end.at_end(),
            at_end: self.at_end(),
            bytes_to_write: self.bytes_to_write(),
            events: self.take_events(),
        })
    }
}
