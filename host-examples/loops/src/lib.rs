//! Event loops over the `sslsocket` component, shared by the `sslsocket` command (`serve`, `load`,
//! `demo`, `bench`) and the workspace's scale tests:
//!
//! - [`serve`]: an `ssl-server` event loop, one thread serving many clients at once (echo, a
//!   `-www` page, or a sink);
//! - [`load`]: many TLS clients in one instance driven by one thread, and an echo server to point
//!   them at;
//! - [`pool`]: a server on every core, N instances on N threads behind one host listener,
//!   sharing a session ticket key.
//!
//! They drive [`sslsocket_host`] sessions with one host-side `wasi:io/poll` per turn
//! ([`sslsocket_host::poll_set::PollSet`]).

#![deny(unsafe_code)]
#![warn(unused_crate_dependencies)]

pub mod load;
pub mod pool;
pub mod serve;
