//! The instance's memory budget for socket buffers: one peer must not grow guest memory until
//! the host's cap traps the instance (which loses every connection in it).
//!
//! Every socket accounts for the memory of its buffers (received and not yet read, written and
//! not yet sent: their capacity, which is what the guest's heap holds). While the instance holds
//! its budget, no socket reads more from the network (TCP flow control holds the peers back),
//! and a socket that alone holds more than a quarter of the budget is dropped with
//! `socket-resource`. The default leaves ample room under wasmtime's
//! default caps; hosts set it below their own memory cap (`set-memory-budget`).

use std::sync::atomic::{AtomicUsize, Ordering};

/// The default budget: 256 MiB of socket buffers.
pub const DEFAULT_BUDGET: usize = 256 * 1024 * 1024;

static BUFFERED: AtomicUsize = AtomicUsize::new(0);
static BUDGET: AtomicUsize = AtomicUsize::new(DEFAULT_BUDGET);

/// The budget in bytes.
pub fn budget() -> usize {
    BUDGET.load(Ordering::Relaxed)
}

/// Sets the budget in bytes (at least 1 MiB).
pub fn set_budget(bytes: usize) {
    BUDGET.store(bytes.max(1024 * 1024), Ordering::Relaxed);
}

/// Bytes buffered by every socket of the instance now.
pub fn buffered() -> usize {
    BUFFERED.load(Ordering::Relaxed)
}

/// Whether the instance holds its budget: sockets stop reading.
pub fn exhausted() -> bool {
    buffered() >= budget()
}

/// One socket's share of [`buffered`]; given back when dropped.
#[derive(Debug, Default)]
pub struct Account {
    held: usize,
}

impl Account {
    /// Records that the socket now buffers `bytes`.
    pub fn set(&mut self, bytes: usize) {
        if bytes >= self.held {
            BUFFERED.fetch_add(bytes - self.held, Ordering::Relaxed);
        } else {
            BUFFERED.fetch_sub(self.held - bytes, Ordering::Relaxed);
        }
        self.held = bytes;
    }

    /// Whether this socket alone holds more than its share, a quarter of the budget.
    pub fn over_share(&self) -> bool {
        self.held > budget() / 4
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        self.set(0);
    }
}
