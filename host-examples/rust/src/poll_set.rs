//! Waiting on many sockets with one `wasi:io/poll`, as an event loop does.
//!
//! A socket's pollable (`subscribe`) describes what the socket waited for when it was made, and
//! stays right until the host calls the socket again. A [`PollSet`] keeps each socket's pollable
//! across waits and makes a new one only for sockets that were ready or that the host
//! [touched](PollSet::touch), so a wait over 10,000 idle connections costs one guest call per
//! socket that did something, not one per socket.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use std::time::Duration;
//! use sslsocket_host::poll_set::PollSet;
//! use sslsocket_host::{Session, SessionConfig};
//!
//! let mut session = Session::new(SessionConfig::new())?;
//! let mut set = PollSet::new();
//! let socket = session.new_socket()?;
//! socket.connect_to_host_encrypted(&mut session, "localhost", 4433)??;
//! set.insert(socket);
//! loop {
//!     let ready = set.wait(&mut session, &[], Some(Duration::from_secs(1)))?;
//!     for key in ready.sockets {
//!         let Some(socket) = set.socket(key) else { continue };
//!         socket.process(&mut session)?;
//!         for event in socket.take_events(&mut session)? {
//!             println!("{key}: {event:?}");
//!         }
//!     }
//! }
//! # }
//! ```

use std::time::Duration;

use crate::{Pollable, Session, SslSocket};

/// Identifies a socket in a [`PollSet`]; keys of removed sockets are reused.
pub type Key = usize;

/// Sockets waited on together, each with its pollable kept between waits.
#[derive(Debug, Default)]
pub struct PollSet {
    slots: Vec<Option<Slot>>,
    free: Vec<Key>,
    len: usize,
}

#[derive(Debug)]
struct Slot {
    socket: SslSocket,
    pollable: Option<Pollable>,
}

/// What a [`PollSet::wait`] found ready.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Ready {
    /// Sockets that may make progress: call `process` (or read, write...) on them. Their
    /// pollables are renewed at the next wait.
    pub sockets: Vec<Key>,
    /// Indices into the `extra` pollables of the wait that are ready.
    pub extra: Vec<usize>,
}

impl PollSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a socket; it is polled (and so subscribed) at the next wait.
    pub fn insert(&mut self, socket: SslSocket) -> Key {
        let slot = Slot {
            socket,
            pollable: None,
        };
        self.len += 1;
        match self.free.pop() {
            Some(key) => {
                if let Some(entry) = self.slots.get_mut(key) {
                    *entry = Some(slot);
                }
                key
            }
            None => {
                self.slots.push(Some(slot));
                self.slots.len() - 1
            }
        }
    }

    /// Removes a socket and drops its pollable; the socket itself stays open and is returned.
    ///
    /// # Errors
    /// A trap in the component.
    pub fn remove(
        &mut self,
        session: &mut Session,
        key: Key,
    ) -> wasmtime::Result<Option<SslSocket>> {
        let Some(slot) = self.slots.get_mut(key).and_then(Option::take) else {
            return Ok(None);
        };
        self.free.push(key);
        self.len -= 1;
        if let Some(pollable) = slot.pollable {
            pollable.drop(session)?;
        }
        Ok(Some(slot.socket))
    }

    /// The socket under `key`.
    pub fn socket(&self, key: Key) -> Option<SslSocket> {
        self.slots.get(key)?.as_ref().map(|slot| slot.socket)
    }

    /// Every key in the set.
    pub fn keys(&self) -> Vec<Key> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(key, slot)| slot.as_ref().map(|_| key))
            .collect()
    }

    /// How many sockets the set holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Says that the host called the socket outside a wait (for example wrote to it), so what it
    /// waits for may have changed: its pollable is renewed at the next wait.
    ///
    /// # Errors
    /// A trap in the component.
    pub fn touch(&mut self, session: &mut Session, key: Key) -> wasmtime::Result<()> {
        if let Some(pollable) = self
            .slots
            .get_mut(key)
            .and_then(Option::as_mut)
            .and_then(|slot| slot.pollable.take())
        {
            pollable.drop(session)?;
        }
        Ok(())
    }

    /// Waits until a socket of the set or one of `extra` is ready, or `timeout` passes (`None`:
    /// no time-out). Subscribes the sockets that have no pollable first.
    ///
    /// # Errors
    /// A trap in the component.
    pub fn wait(
        &mut self,
        session: &mut Session,
        extra: &[&Pollable],
        timeout: Option<Duration>,
    ) -> wasmtime::Result<Ready> {
        for slot in self.slots.iter_mut().flatten() {
            if slot.pollable.is_none() {
                slot.pollable = Some(slot.socket.subscribe(session)?);
            }
        }
        let mut keys = Vec::with_capacity(self.len);
        let mut list: Vec<&Pollable> = Vec::with_capacity(self.len + extra.len());
        for (key, slot) in self.slots.iter().enumerate() {
            if let Some(pollable) = slot.as_ref().and_then(|slot| slot.pollable.as_ref()) {
                keys.push(key);
                list.push(pollable);
            }
        }
        list.extend_from_slice(extra);
        let indices = session.poll(&list, timeout)?;
        drop(list);
        let mut ready = Ready::default();
        for index in indices {
            match keys.get(index) {
                Some(&key) => {
                    self.touch(session, key)?;
                    ready.sockets.push(key);
                }
                None => ready.extra.push(index - keys.len()),
            }
        }
        Ok(ready)
    }

    /// Drops every pollable and empties the set, returning the sockets (still open).
    ///
    /// # Errors
    /// A trap in the component.
    pub fn clear(&mut self, session: &mut Session) -> wasmtime::Result<Vec<SslSocket>> {
        let mut sockets = Vec::with_capacity(self.len);
        for key in self.keys() {
            sockets.extend(self.remove(session, key)?);
        }
        self.slots.clear();
        self.free.clear();
        Ok(sockets)
    }
}
