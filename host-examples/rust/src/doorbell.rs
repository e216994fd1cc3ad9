//! A [`Doorbell`]: a pollable that another thread makes ready, so that an event loop waiting
//! on a session's pollables wakes up for work that does not come from the guest: a connection
//! accepted on another thread, a request to stop. Waiting on it costs nothing (no timer, no
//! tick); a ring is never lost, however it falls against the wait.
//!
//! ```
//! # fn main() -> anyhow::Result<()> {
//! use std::time::Duration;
//! use sslsocket_host::{Doorbell, Session, SessionConfig};
//!
//! let mut session = Session::new(SessionConfig::new())?;
//! let bell = Doorbell::new();
//! let pollable = session.subscribe_doorbell(&bell)?;
//! let ringer = bell.clone();
//! std::thread::spawn(move || ringer.ring());
//! // Wakes when the other thread rings, not at the time-out.
//! assert_eq!(session.poll(&[&pollable], Some(Duration::from_secs(60)))?, [0]);
//! assert!(bell.answer()); // ready until answered
//! assert!(!bell.answer());
//! pollable.drop(&mut session)?;
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;
use wasmtime_wasi::p2::{Pollable as WasiPollable, subscribe};

use crate::{Pollable, Session};

/// A wake-up shared between threads: [`Doorbell::ring`] from any thread makes the pollables
/// made from it ([`Session::subscribe_doorbell`]) ready until [`Doorbell::answer`]. Clones ring
/// the same bell.
#[derive(Clone, Debug, Default)]
pub struct Doorbell(Arc<Shared>);

#[derive(Debug, Default)]
struct Shared {
    rung: AtomicBool,
    notify: Notify,
}

impl Doorbell {
    /// A bell that has not rung.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rings: the bell's pollables are ready until the bell is answered. Call it after
    /// publishing the work (into a channel, a flag), so that whoever answers sees the work.
    pub fn ring(&self) {
        self.0.rung.store(true, Ordering::SeqCst);
        self.0.notify.notify_one();
    }

    /// Answers the bell: returns whether it rang since the last answer, and makes its
    /// pollables wait again. Answer before looking for the work, so a ring that comes while
    /// you look is kept for the next wait.
    pub fn answer(&self) -> bool {
        self.0.rung.swap(false, Ordering::SeqCst)
    }
}

/// The pollable's side of a bell, in a session's table.
struct BellPollable(Arc<Shared>);

#[wasmtime_wasi::async_trait]
impl WasiPollable for BellPollable {
    async fn ready(&mut self) {
        // `notify_one` keeps a permit when nobody waits, so a ring between the check and
        // the wait is not lost.
        while !self.0.rung.load(Ordering::SeqCst) {
            self.0.notify.notified().await;
        }
    }
}

impl Session {
    /// A pollable that is ready while `bell` has rung and not been answered, to wait on with
    /// the guest's pollables ([`Session::poll`], [`crate::poll_set::PollSet::wait`]). Drop it
    /// with [`Pollable::drop`]; one session may hold several.
    ///
    /// # Errors
    /// The session's table is full.
    pub fn subscribe_doorbell(&mut self, bell: &Doorbell) -> wasmtime::Result<Pollable> {
        let table = &mut self.store.data_mut().table;
        let resource = table.push(BellPollable(Arc::clone(&bell.0)))?;
        Ok(Pollable(subscribe(table, resource)?))
    }
}
