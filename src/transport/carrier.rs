//! [`Carrier`]: what carries a socket's bytes, a network transport or a memory connection the
//! caller moves ([`super::memory`]). The component's sockets are `SslSocket<Carrier<...>>`, so
//! one socket type serves both.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use super::memory::MemoryTransport;
use super::{ConnectProgress, Interest, Listener, SocketOption, Transport, TransportError};

/// A network transport `T`, or a memory connection.
#[derive(Debug)]
pub enum Carrier<T> {
    /// Over the network (or streams the caller handed over).
    Network(T),
    /// In memory: the caller feeds and takes the bytes.
    Memory(MemoryTransport),
}

impl<T: Transport> Transport for Carrier<T> {
    type Listener = CarrierListener<T::Listener>;
    type Pollable = T::Pollable;

    fn connect(host: &str, port: u16) -> Result<Self, TransportError> {
        T::connect(host, port).map(Self::Network)
    }

    fn poll_connect(&mut self) -> Result<ConnectProgress, TransportError> {
        match self {
            Self::Network(t) => t.poll_connect(),
            Self::Memory(m) => m.poll_connect(),
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Network(t) => t.read(buf),
            Self::Memory(m) => m.read(buf),
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Network(t) => t.write(buf),
            Self::Memory(m) => m.write(buf),
        }
    }

    fn wait(&mut self, interest: Interest, timeout: Option<Duration>) {
        // Nothing arrives in memory while the caller waits: return at once (see `can_wait`).
        if let Self::Network(t) = self {
            t.wait(interest, timeout);
        }
    }

    fn can_wait(&self) -> bool {
        matches!(self, Self::Network(_))
    }

    fn pollable(&self, interest: Interest) -> Option<T::Pollable> {
        match self {
            Self::Network(t) => t.pollable(interest),
            Self::Memory(_) => None,
        }
    }

    fn wait_any(pollables: &[T::Pollable], timeout: Option<Duration>) {
        T::wait_any(pollables, timeout);
    }

    fn shutdown(&mut self, timeout: Duration) {
        match self {
            Self::Network(t) => t.shutdown(timeout),
            Self::Memory(m) => m.shutdown(timeout),
        }
    }

    fn shutdown_write(&mut self) -> io::Result<bool> {
        match self {
            Self::Network(t) => t.shutdown_write(),
            Self::Memory(m) => m.shutdown_write(),
        }
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        match self {
            Self::Network(t) => t.peer_addr(),
            Self::Memory(m) => m.addr(),
        }
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        match self {
            Self::Network(t) => t.local_addr(),
            Self::Memory(m) => m.addr(),
        }
    }

    fn set_option(&mut self, option: SocketOption, value: u64) -> Result<(), TransportError> {
        match self {
            Self::Network(t) => t.set_option(option, value),
            Self::Memory(_) => Err(TransportError::Unsupported),
        }
    }

    fn option(&self, option: SocketOption) -> Result<u64, TransportError> {
        match self {
            Self::Network(t) => t.option(option),
            Self::Memory(_) => Err(TransportError::Unsupported),
        }
    }
}

/// A listener `L` whose connections come out as [`Carrier::Network`].
#[derive(Debug)]
pub struct CarrierListener<L>(L);

impl<L: Listener> Listener for CarrierListener<L> {
    type Transport = Carrier<L::Transport>;

    fn listen(address: &str, port: u16, backlog: u32) -> Result<Self, TransportError> {
        L::listen(address, port, backlog).map(Self)
    }

    fn accept(&mut self) -> Result<Option<Self::Transport>, TransportError> {
        Ok(self.0.accept()?.map(Carrier::Network))
    }

    fn pollable(&self) -> Option<<L::Transport as Transport>::Pollable> {
        self.0.pollable()
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        self.0.local_addr()
    }
}
