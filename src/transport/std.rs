//! `std::net` transport for native unit tests and benchmarks.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::Duration;

use rustix::event::{self, PollFd, PollFlags, Timespec};

use super::{ConnectProgress, Interest, Listener, SocketOption, Transport, TransportError};

/// How long a wait with nothing to wait on sleeps.
const TICK: Duration = Duration::from_millis(1);

/// A `std::net::TcpStream` in non-blocking mode. Connecting blocks (natively that is fine).
#[derive(Debug)]
pub struct StdTransport {
    stream: TcpStream,
}

impl StdTransport {
    /// Wraps an accepted or connected stream.
    ///
    /// # Errors
    /// The error from switching to non-blocking mode.
    pub fn from_stream(stream: TcpStream) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        stream.set_nodelay(true)?;
        Ok(Self { stream })
    }
}

impl Transport for StdTransport {
    type Listener = StdListener;
    type Pollable = ();

    fn connect(host: &str, port: u16) -> Result<Self, TransportError> {
        let addrs: Vec<SocketAddr> = (host, port)
            .to_socket_addrs()
            .map_err(|_| TransportError::HostNotFound)?
            .collect();
        let stream = TcpStream::connect(&addrs[..]).map_err(|e| match e.kind() {
            io::ErrorKind::ConnectionRefused => TransportError::ConnectionRefused,
            io::ErrorKind::PermissionDenied => TransportError::AccessDenied,
            io::ErrorKind::TimedOut => TransportError::TimedOut,
            _ => TransportError::Network,
        })?;
        Self::from_stream(stream).map_err(|_| TransportError::Network)
    }

    fn poll_connect(&mut self) -> Result<ConnectProgress, TransportError> {
        Ok(ConnectProgress::Connected)
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.read(buf)
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }

    fn wait(&mut self, interest: Interest, timeout: Option<Duration>) {
        let mut flags = PollFlags::empty();
        if interest.readable {
            flags |= PollFlags::IN;
        }
        if interest.writable {
            flags |= PollFlags::OUT;
        }
        if flags.is_empty() {
            std::thread::sleep(timeout.map_or(TICK, |t| t.min(TICK)));
            return;
        }
        let timeout = timeout.and_then(|t| Timespec::try_from(t).ok());
        let mut fds = [PollFd::new(&self.stream, flags)];
        // An error (EINTR) is a spurious wake-up, which callers allow.
        let _ = event::poll(&mut fds, timeout.as_ref());
    }

    fn pollable(&self, _interest: Interest) -> Option<()> {
        Some(())
    }

    fn wait_any(_pollables: &[()], timeout: Option<Duration>) {
        // Natively only servers wait on many connections, in tests: a short sleep will do.
        std::thread::sleep(timeout.map_or(TICK, |t| t.min(TICK)));
    }

    fn shutdown(&mut self, _timeout: Duration) {
        let _ = self.stream.set_nonblocking(false);
        let _ = self.stream.flush();
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    fn shutdown_write(&mut self) -> io::Result<bool> {
        // A std TcpStream buffers nothing: what `write` accepted is in the kernel already.
        self.stream.shutdown(Shutdown::Write).map(|()| true)
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        self.stream.peer_addr().ok()
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        self.stream.local_addr().ok()
    }

    /// `std::net` sets only the hop limit (TTL); the rest is `Unsupported` natively.
    fn set_option(&mut self, option: SocketOption, value: u64) -> Result<(), TransportError> {
        option.check(value)?;
        match option {
            SocketOption::HopLimit => self
                .stream
                .set_ttl(u32::try_from(value).unwrap_or(u32::MAX))
                .map_err(|e| TransportError::Other(e.to_string())),
            _ => Err(TransportError::Unsupported),
        }
    }

    fn option(&self, option: SocketOption) -> Result<u64, TransportError> {
        match option {
            SocketOption::HopLimit => self
                .stream
                .ttl()
                .map(u64::from)
                .map_err(|e| TransportError::Other(e.to_string())),
            _ => Err(TransportError::Unsupported),
        }
    }
}

/// A non-blocking `std::net::TcpListener`.
#[derive(Debug)]
pub struct StdListener {
    listener: TcpListener,
}

impl Listener for StdListener {
    type Transport = StdTransport;

    fn listen(address: &str, port: u16, _backlog: u32) -> Result<Self, TransportError> {
        let listener = TcpListener::bind((address, port)).map_err(|e| match e.kind() {
            io::ErrorKind::AddrInUse => TransportError::AddressInUse,
            io::ErrorKind::PermissionDenied => TransportError::AccessDenied,
            io::ErrorKind::AddrNotAvailable => TransportError::AddressNotAvailable,
            _ => TransportError::Network,
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|_| TransportError::Network)?;
        Ok(Self { listener })
    }

    fn accept(&mut self) -> Result<Option<StdTransport>, TransportError> {
        match self.listener.accept() {
            Ok((stream, _)) => StdTransport::from_stream(stream)
                .map(Some)
                .map_err(|_| TransportError::Network),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(_) => Err(TransportError::Network),
        }
    }

    fn pollable(&self) -> Option<()> {
        Some(())
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }
}
