//! Stateless session tickets: rustls' [`ProducesTickets`] with ChaCha20-Poly1305 under named
//! keys, so that every server holding the same key resumes the others' sessions (instances,
//! processes, machines behind one load balancer), as Node's `ticketKeys`, nginx's
//! `ssl_session_ticket_key` and rustls' own ticketers do.
//!
//! A key is 48 bytes: a 16-byte name, sent in the clear at the start of each ticket so the
//! server knows which key opens it, and a 32-byte ChaCha20-Poly1305 key (the same length as
//! Node's `ticketKeys`, whose layout differs). A ticket is `name || nonce (12) || sealed state ||
//! tag (16)`, the name authenticated as associated data. [`Ticketer`] seals with its current key
//! and opens with the current or the previous one, so a rotation does not cost the sessions
//! issued just before it. Left alone it rotates by itself (a fresh random key every
//! [`Ticketer::lifetime`] seconds); once the caller sets a key ([`Ticketer::set_key`]) the
//! caller rotates, by setting the next one, so that every server of a fleet uses the same.
//!
//! Tickets come from the network: any length, any bytes. Opening one that is short, unknown or
//! forged gives `None` (rustls then runs a full handshake), never an error or a panic.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce, Tag};
use rustls::server::ProducesTickets;
use zeroize::Zeroizing;

/// The length of a ticket key: a 16-byte name and a 32-byte ChaCha20-Poly1305 key.
pub const TICKET_KEY_LEN: usize = NAME_LEN + SECRET_LEN;

/// How long a ticket is good for, and how often a ticketer left alone rotates its key: 12 hours
/// (a ticket stays usable for between one and two rotations).
pub const DEFAULT_TICKET_LIFETIME: u32 = 12 * 60 * 60;

const NAME_LEN: usize = 16;
const SECRET_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// A named ticket key.
#[derive(Clone)]
pub struct TicketKey {
    name: [u8; NAME_LEN],
    aead: ChaCha20Poly1305,
    bytes: Zeroizing<[u8; TICKET_KEY_LEN]>,
}

/// Why a ticket key was not accepted or made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketKeyError {
    /// The key is not [`TICKET_KEY_LEN`] bytes long.
    WrongLength(usize),
    /// The operating system's random generator failed.
    Random,
}

/// Session tickets sealed with ChaCha20-Poly1305 under a named key, opened with the current or the
/// previous key.
pub struct Ticketer {
    keys: Mutex<Keys>,
    lifetime: u32,
}

struct Keys {
    current: TicketKey,
    previous: Option<TicketKey>,
    /// When the ticketer rotates by itself next; `None` once the caller manages the keys.
    next_rotation: Option<Instant>,
}

impl Ticketer {
    /// A ticketer with a fresh random key that rotates by itself every `lifetime` seconds.
    ///
    /// # Errors
    /// [`TicketKeyError::Random`] when the random generator fails.
    pub fn new(lifetime: u32) -> Result<Self, TicketKeyError> {
        Ok(Self {
            keys: Mutex::new(Keys {
                current: TicketKey::generate()?,
                previous: None,
                next_rotation: Some(Instant::now() + lifetime_duration(lifetime)),
            }),
            lifetime,
        })
    }

    /// Seals new tickets with `key` from now on; the key sealing until now still opens its
    /// tickets (the previous one before it no longer does). The ticketer stops rotating by
    /// itself: set the next key to rotate, on every server that shares them.
    pub fn set_key(&self, key: TicketKey) {
        let mut keys = self.lock();
        if keys.current.name != key.name {
            keys.previous = Some(std::mem::replace(&mut keys.current, key));
        }
        keys.next_rotation = None;
    }

    /// The key tickets are sealed with now, to give to other servers.
    pub fn current_key(&self) -> TicketKey {
        self.lock().current.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Keys> {
        // A panic while the lock was held cannot leave the keys half-changed: carry on.
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Rotates a ticketer left alone once its key is `lifetime` old. A failing random generator
    /// keeps the old key (and tries again on the next ticket).
    fn rotate_if_due(&self, keys: &mut Keys) {
        let Some(due) = keys.next_rotation else {
            return;
        };
        let now = Instant::now();
        if now < due {
            return;
        }
        if let Ok(fresh) = TicketKey::generate() {
            keys.previous = Some(std::mem::replace(&mut keys.current, fresh));
            keys.next_rotation = Some(now + lifetime_duration(self.lifetime));
        }
    }
}

impl ProducesTickets for Ticketer {
    fn enabled(&self) -> bool {
        true
    }

    fn lifetime(&self) -> u32 {
        self.lifetime
    }

    fn encrypt(&self, plain: &[u8]) -> Option<Vec<u8>> {
        let mut keys = self.lock();
        self.rotate_if_due(&mut keys);
        keys.current.seal(plain)
    }

    fn decrypt(&self, ticket: &[u8]) -> Option<Vec<u8>> {
        let name = ticket.get(..NAME_LEN)?;
        let keys = self.lock();
        [Some(&keys.current), keys.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|key| key.name == name)?
            .open(ticket)
    }
}

impl fmt::Debug for Ticketer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticketer")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl TicketKey {
    /// A key from its 48 bytes: the name, then the secret.
    ///
    /// # Errors
    /// [`TicketKeyError::WrongLength`] unless `bytes` is [`TICKET_KEY_LEN`] long.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TicketKeyError> {
        let array: [u8; TICKET_KEY_LEN] = bytes
            .try_into()
            .map_err(|_| TicketKeyError::WrongLength(bytes.len()))?;
        let bytes = Zeroizing::new(array);
        let (name, secret) = bytes.split_at(NAME_LEN);
        let aead = ChaCha20Poly1305::new_from_slice(secret)
            .map_err(|_| TicketKeyError::WrongLength(TICKET_KEY_LEN))?;
        let mut key_name = [0u8; NAME_LEN];
        key_name.copy_from_slice(name);
        Ok(Self {
            name: key_name,
            aead,
            bytes,
        })
    }

    /// A fresh random key (name and secret) from the operating system's generator.
    ///
    /// # Errors
    /// [`TicketKeyError::Random`] when the generator fails.
    pub fn generate() -> Result<Self, TicketKeyError> {
        let mut bytes = Zeroizing::new([0u8; TICKET_KEY_LEN]);
        getrandom::fill(&mut *bytes).map_err(|_| TicketKeyError::Random)?;
        Self::from_bytes(&*bytes)
    }

    /// The 48 bytes: the name, then the secret. Keep them as secret as a private key.
    pub fn to_bytes(&self) -> Zeroizing<[u8; TICKET_KEY_LEN]> {
        self.bytes.clone()
    }

    /// The key's name, sent in the clear at the start of each ticket.
    pub fn name(&self) -> [u8; NAME_LEN] {
        self.name
    }

    fn seal(&self, plain: &[u8]) -> Option<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).ok()?;
        let mut ticket = Vec::with_capacity(NAME_LEN + NONCE_LEN + plain.len() + TAG_LEN);
        ticket.extend_from_slice(&self.name);
        ticket.extend_from_slice(&nonce);
        ticket.extend_from_slice(plain);
        let body = ticket.get_mut(NAME_LEN + NONCE_LEN..)?;
        let tag = self
            .aead
            .encrypt_inout_detached(&Nonce::from(nonce), &self.name, body.into())
            .ok()?;
        ticket.extend_from_slice(&tag);
        Some(ticket)
    }

    fn open(&self, ticket: &[u8]) -> Option<Vec<u8>> {
        let sealed = ticket.get(NAME_LEN..)?;
        let body_len = sealed.len().checked_sub(NONCE_LEN + TAG_LEN)?;
        let (nonce, rest) = sealed.split_at_checked(NONCE_LEN)?;
        let (body, tag) = rest.split_at_checked(body_len)?;
        let nonce = Nonce::try_from(nonce).ok()?;
        let tag = Tag::try_from(tag).ok()?;
        let mut plain = body.to_vec();
        self.aead
            .decrypt_inout_detached(&nonce, &self.name, plain.as_mut_slice().into(), &tag)
            .ok()?;
        Some(plain)
    }
}

impl fmt::Debug for TicketKey {
    /// The name only: the secret never goes into logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TicketKey")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for TicketKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongLength(len) => write!(
                f,
                "a ticket key is {TICKET_KEY_LEN} bytes (a 16-byte name and a 32-byte secret), not {len}"
            ),
            Self::Random => f.write_str("the random generator failed"),
        }
    }
}

impl std::error::Error for TicketKeyError {}

fn lifetime_duration(lifetime: u32) -> Duration {
    Duration::from_secs(u64::from(lifetime.max(1)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    fn key(fill: u8) -> TicketKey {
        TicketKey::from_bytes(&[fill; TICKET_KEY_LEN]).unwrap()
    }

    #[test]
    fn servers_sharing_a_key_open_each_others_tickets_and_no_one_else_does() {
        let (a, b, other) = (
            Ticketer::new(60).unwrap(),
            Ticketer::new(60).unwrap(),
            Ticketer::new(60).unwrap(),
        );
        let ticket = a.encrypt(b"session state").unwrap();
        assert_eq!(b.decrypt(&ticket), None, "different random keys");
        a.set_key(key(1));
        b.set_key(key(1));
        other.set_key(key(2));
        let ticket = a.encrypt(b"session state").unwrap();
        assert_eq!(ticket.len(), NAME_LEN + NONCE_LEN + 13 + TAG_LEN);
        assert_eq!(&ticket[..NAME_LEN], &[1u8; NAME_LEN]);
        assert_eq!(b.decrypt(&ticket).as_deref(), Some(&b"session state"[..]));
        assert_eq!(other.decrypt(&ticket), None);
        assert_ne!(a.encrypt(b"x"), a.encrypt(b"x"), "a fresh nonce each time");
    }

    #[test]
    fn a_rotation_keeps_the_previous_key_for_opening_only() {
        let t = Ticketer::new(60).unwrap();
        t.set_key(key(1));
        let first = t.encrypt(b"one").unwrap();
        t.set_key(key(2));
        let second = t.encrypt(b"two").unwrap();
        assert_eq!(
            &second[..NAME_LEN],
            &[2u8; NAME_LEN],
            "sealed with the new key"
        );
        assert_eq!(t.decrypt(&first).as_deref(), Some(&b"one"[..]));
        t.set_key(key(2));
        assert_eq!(
            t.decrypt(&first).as_deref(),
            Some(&b"one"[..]),
            "setting the same key again is no rotation"
        );
        t.set_key(key(3));
        assert_eq!(t.decrypt(&first), None, "two rotations ago");
        assert_eq!(t.decrypt(&second).as_deref(), Some(&b"two"[..]));
        assert_eq!(t.current_key().name(), [3u8; NAME_LEN]);
        assert_eq!(*t.current_key().to_bytes(), [3u8; TICKET_KEY_LEN]);
    }

    #[test]
    fn a_ticketer_left_alone_rotates_and_still_opens_the_last_keys_tickets() {
        let t = Ticketer::new(1).unwrap();
        let before = t.current_key().name();
        let ticket = t.encrypt(b"state").unwrap();
        {
            let mut keys = t.lock();
            keys.next_rotation = Some(Instant::now());
        }
        let after = t.encrypt(b"state").unwrap();
        assert_ne!(t.current_key().name(), before);
        assert_ne!(&after[..NAME_LEN], &before[..]);
        assert_eq!(t.decrypt(&ticket).as_deref(), Some(&b"state"[..]));
        // Once the caller sets a key, it rotates no more by itself.
        t.set_key(key(4));
        assert!(t.lock().next_rotation.is_none());
    }

    #[test]
    fn short_forged_and_truncated_tickets_open_to_nothing() {
        let t = Ticketer::new(60).unwrap();
        t.set_key(key(5));
        let ticket = t.encrypt(b"state").unwrap();
        for len in 0..ticket.len() {
            assert_eq!(t.decrypt(&ticket[..len]), None, "truncated to {len}");
        }
        for i in 0..ticket.len() {
            let mut forged = ticket.clone();
            forged[i] ^= 0x01;
            assert_eq!(t.decrypt(&forged), None, "byte {i} flipped");
        }
        let mut longer = ticket.clone();
        longer.push(0);
        assert_eq!(t.decrypt(&longer), None);
        assert_eq!(t.decrypt(&ticket).as_deref(), Some(&b"state"[..]));
        assert_eq!(
            TicketKey::from_bytes(&[0; 47]).err(),
            Some(TicketKeyError::WrongLength(47))
        );
    }
}
