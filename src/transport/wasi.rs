//! `wasi:sockets` transport for the component: name lookup, TCP connect and streams, all
//! non-blocking, with waits built on `wasi:io/poll` and a `wasi:clocks` timer; and streams the
//! caller handed over ([`WasiTransport::adopt`]), which have no TCP socket under them.

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use wasip2::clocks::monotonic_clock;
use wasip2::io::poll::{self, Pollable};
use wasip2::io::streams::{InputStream, OutputStream, StreamError};
use wasip2::sockets::instance_network::instance_network;
use wasip2::sockets::ip_name_lookup::{self, ResolveAddressStream};
use wasip2::sockets::network::{
    ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress, Ipv6SocketAddress,
    Network,
};
use wasip2::sockets::tcp::{ShutdownType, TcpSocket};
use wasip2::sockets::tcp_create_socket::create_tcp_socket;

use super::{ConnectProgress, Interest, Listener, SocketOption, Transport, TransportError};

/// An outgoing TCP connection over `wasi:sockets`.
///
/// Streams and sockets are never dropped before the transport itself: a pollable handed to the
/// host by `subscribe` is a child of its stream, and dropping a parent first would trap.
pub struct WasiTransport {
    stage: Stage,
    port: u16,
    /// Resources of earlier stages, kept for the reason above.
    retired: Vec<Retired>,
    network: Network,
    /// The peer of adopted streams, as the caller said (they have no socket to ask).
    adopted_peer: Option<SocketAddr>,
}

enum Stage {
    Lookup {
        stream: ResolveAddressStream,
        found: Vec<IpAddress>,
    },
    Connecting {
        socket: TcpSocket,
        rest: VecDeque<IpAddress>,
    },
    // Field order is drop order: the streams go before their socket.
    Connected {
        input: InputStream,
        /// `None` once a half-close closed an adopted output stream.
        output: Option<OutputStream>,
        /// `None` for adopted streams.
        socket: Option<TcpSocket>,
        /// `shutdown_write` started the flush that must end before the FIN.
        flushing_for_fin: bool,
        /// Adopted streams: the half-close is done, and the output stream (the caller's FIN)
        /// goes at the next `subscribe` or wait, when no pollable of it is left with the host.
        close_output: bool,
    },
    Closed,
}

/// Dropping a `wasi:io` output stream whose write is still in flight waits, in wasmtime, until
/// that write completes, that is until the peer reads: a peer that never reads would stall the
/// whole instance when its connection is dropped. Such connections linger here instead, and go
/// once their write has completed or failed (checked whenever a transport is dropped or a
/// connection accepted).
impl Drop for WasiTransport {
    fn drop(&mut self) {
        sweep_lingering();
        let stage = std::mem::replace(&mut self.stage, Stage::Closed);
        if let Stage::Connected {
            output: Some(output),
            ..
        } = &stage
            && !output.subscribe().ready()
        {
            LINGERING.with(|lingering| lingering.borrow_mut().push(stage));
        }
    }
}

thread_local! {
    static LINGERING: std::cell::RefCell<Vec<Stage>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Drops the lingering connections whose last write has completed or failed.
fn sweep_lingering() {
    LINGERING.with(|lingering| {
        lingering.borrow_mut().retain(|stage| match stage {
            Stage::Connected {
                output: Some(output),
                ..
            } => !output.subscribe().ready(),
            _ => false,
        });
    });
}

enum Retired {
    Lookup(#[allow(dead_code)] ResolveAddressStream),
    Socket(#[allow(dead_code)] TcpSocket),
}

impl WasiTransport {
    /// A connection over streams the caller handed over (`setSocketDescriptor`): no TCP socket,
    /// no local address, the peer's address only when the caller gives it; a half-close closes
    /// (drops) the output stream.
    pub fn adopt(input: InputStream, output: OutputStream, peer: Option<SocketAddr>) -> Self {
        let mut transport = Self::connected(input, output, None);
        transport.adopted_peer = peer;
        transport
    }

    fn connected(input: InputStream, output: OutputStream, socket: Option<TcpSocket>) -> Self {
        Self {
            stage: Stage::Connected {
                input,
                output: Some(output),
                socket,
                flushing_for_fin: false,
                close_output: false,
            },
            port: 0,
            retired: Vec::new(),
            network: instance_network(),
            adopted_peer: None,
        }
    }

    /// A pollable that is ready when `interest` may make progress. Closes an adopted output
    /// stream whose half-close is done (the caller dropped the stream's pollables before
    /// subscribing again).
    pub fn subscribe(&mut self, interest: Interest) -> Pollable {
        self.close_done_output();
        self.pollable_for(interest)
    }

    fn pollable_for(&self, interest: Interest) -> Pollable {
        match &self.stage {
            Stage::Lookup { stream, .. } => stream.subscribe(),
            Stage::Connecting { socket, .. } => socket.subscribe(),
            Stage::Connected {
                output: Some(output),
                ..
            } if interest.writable => output.subscribe(),
            Stage::Connected { input, .. } if interest.readable => input.subscribe(),
            // Nothing to do until the application acts (e.g. reads from a full read buffer);
            // an hour-long timer stands in for "never" (spurious wake-ups are allowed).
            Stage::Connected { .. } => idle(),
            Stage::Closed => ready_now(),
        }
    }

    /// Drops an adopted output stream once its half-close is done: its end of stream is the FIN.
    fn close_done_output(&mut self) {
        if let Stage::Connected {
            output,
            close_output: close @ true,
            ..
        } = &mut self.stage
        {
            *output = None;
            *close = false;
        }
    }

    fn start_next(
        &mut self,
        mut rest: VecDeque<IpAddress>,
    ) -> Result<ConnectProgress, TransportError> {
        let mut last_error = TransportError::HostNotFound;
        while let Some(address) = rest.pop_front() {
            let family = match address {
                IpAddress::Ipv4(_) => IpAddressFamily::Ipv4,
                IpAddress::Ipv6(_) => IpAddressFamily::Ipv6,
            };
            let socket = create_tcp_socket(family).map_err(map_error)?;
            match socket.start_connect(&self.network, socket_address(address, self.port)) {
                Ok(()) => {
                    self.stage = Stage::Connecting { socket, rest };
                    return Ok(ConnectProgress::Connecting);
                }
                Err(e) => {
                    last_error = map_error(e);
                    self.retired.push(Retired::Socket(socket));
                }
            }
        }
        Err(last_error)
    }

    fn set_stage(&mut self, stage: Stage) -> Stage {
        let old = std::mem::replace(&mut self.stage, stage);
        match old {
            Stage::Lookup { stream, .. } => {
                self.retired.push(Retired::Lookup(stream));
                Stage::Closed
            }
            other => other,
        }
    }
}

impl Transport for WasiTransport {
    type Listener = WasiListener;
    type Pollable = Pollable;

    fn connect(host: &str, port: u16) -> Result<Self, TransportError> {
        let mut transport = Self {
            stage: Stage::Closed,
            port,
            retired: Vec::new(),
            network: instance_network(),
            adopted_peer: None,
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        match host.parse::<IpAddr>() {
            Ok(ip) => {
                transport.start_next(VecDeque::from([ip_address(ip)]))?;
            }
            Err(_) => {
                let stream = ip_name_lookup::resolve_addresses(&transport.network, host)
                    .map_err(map_error)?;
                transport.stage = Stage::Lookup {
                    stream,
                    found: Vec::new(),
                };
            }
        }
        Ok(transport)
    }

    fn poll_connect(&mut self) -> Result<ConnectProgress, TransportError> {
        loop {
            match &mut self.stage {
                Stage::Lookup { stream, found } => loop {
                    match stream.resolve_next_address() {
                        Ok(Some(address)) => found.push(address),
                        Ok(None) => break,
                        Err(ErrorCode::WouldBlock) => return Ok(ConnectProgress::HostLookup),
                        Err(e) => return Err(map_error(e)),
                    }
                },
                Stage::Connecting { socket, rest } => match socket.finish_connect() {
                    Ok((input, output)) => {
                        let Stage::Connecting { socket, .. } = self.set_stage(Stage::Closed) else {
                            return Err(TransportError::Other("connect state lost".into()));
                        };
                        self.stage = Stage::Connected {
                            input,
                            output: Some(output),
                            socket: Some(socket),
                            flushing_for_fin: false,
                            close_output: false,
                        };
                        return Ok(ConnectProgress::Connected);
                    }
                    Err(ErrorCode::WouldBlock) => return Ok(ConnectProgress::Connecting),
                    Err(e) if rest.is_empty() => return Err(map_error(e)),
                    Err(_) => {
                        let rest = std::mem::take(rest);
                        if let Stage::Connecting { socket, .. } = self.set_stage(Stage::Closed) {
                            self.retired.push(Retired::Socket(socket));
                        }
                        return self.start_next(rest);
                    }
                },
                Stage::Connected { .. } => return Ok(ConnectProgress::Connected),
                Stage::Closed => {
                    return Err(TransportError::InvalidState(
                        "the connection is closed".into(),
                    ));
                }
            }
            // The lookup finished.
            let Stage::Lookup { found, .. } = &mut self.stage else {
                continue;
            };
            let found = VecDeque::from(std::mem::take(found));
            self.set_stage(Stage::Closed);
            if found.is_empty() {
                return Err(TransportError::HostNotFound);
            }
            return self.start_next(found);
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Stage::Connected { input, .. } = &self.stage else {
            return Err(io::Error::from(io::ErrorKind::NotConnected));
        };
        match input.read(buf.len() as u64) {
            Ok(data) if data.is_empty() => Err(io::Error::from(io::ErrorKind::WouldBlock)),
            Ok(data) => {
                let n = data.len().min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), data.get(..n)) {
                    dst.copy_from_slice(src);
                }
                Ok(n)
            }
            Err(StreamError::Closed) => Ok(0),
            Err(StreamError::LastOperationFailed(e)) => Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                e.to_debug_string(),
            )),
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Stage::Connected { output, .. } = &self.stage else {
            return Err(io::Error::from(io::ErrorKind::NotConnected));
        };
        let Some(output) = output else {
            return Err(io::Error::from(io::ErrorKind::BrokenPipe));
        };
        let budget = output.check_write().map_err(stream_error)?;
        let n = usize::try_from(budget).unwrap_or(usize::MAX).min(buf.len());
        if n == 0 {
            return Err(io::Error::from(io::ErrorKind::WouldBlock));
        }
        output
            .write(buf.get(..n).unwrap_or_default())
            .map_err(stream_error)?;
        Ok(n)
    }

    fn wait(&mut self, interest: Interest, timeout: Option<Duration>) {
        self.close_done_output();
        let mut pollables = Vec::with_capacity(2);
        match &self.stage {
            Stage::Lookup { stream, .. } => pollables.push(stream.subscribe()),
            Stage::Connecting { socket, .. } => pollables.push(socket.subscribe()),
            Stage::Connected { input, output, .. } => {
                if interest.readable {
                    pollables.push(input.subscribe());
                }
                if let (true, Some(output)) = (interest.writable, output) {
                    pollables.push(output.subscribe());
                }
            }
            Stage::Closed => {}
        }
        if pollables.is_empty() && timeout.is_none() {
            return;
        }
        Self::wait_any(&pollables, timeout);
    }

    fn pollable(&self, interest: Interest) -> Option<Pollable> {
        match &self.stage {
            Stage::Closed => None,
            _ => Some(self.pollable_for(interest)),
        }
    }

    fn wait_any(pollables: &[Pollable], timeout: Option<Duration>) {
        let timer = timeout.map(timer);
        let refs: Vec<&Pollable> = pollables.iter().chain(timer.as_ref()).collect();
        if !refs.is_empty() {
            poll::poll(&refs);
        }
    }

    fn shutdown(&mut self, timeout: Duration) {
        if let Stage::Connected { output, socket, .. } = &self.stage {
            if let Some(output) = output
                && !timeout.is_zero()
                && output.flush().is_ok()
            {
                let done = output.subscribe();
                let timer = timer(timeout);
                poll::poll(&[&done, &timer]);
            }
            if let Some(socket) = socket {
                let _ = socket.shutdown(ShutdownType::Both);
            }
        }
    }

    fn shutdown_write(&mut self) -> io::Result<bool> {
        let Stage::Connected {
            output,
            socket,
            flushing_for_fin,
            close_output,
            ..
        } = &mut self.stage
        else {
            return Err(io::Error::from(io::ErrorKind::NotConnected));
        };
        let Some(output) = output else {
            return Ok(true);
        };
        // The FIN must not overtake bytes still in the stream: flush, and while that flush runs
        // `check-write` answers 0 (wasi:io/streams), so a non-zero budget means it is done.
        if !*flushing_for_fin {
            output.flush().map_err(stream_error)?;
            *flushing_for_fin = true;
        }
        if output.check_write().map_err(stream_error)? == 0 {
            return Ok(false);
        }
        match socket {
            Some(socket) => socket
                .shutdown(ShutdownType::Send)
                .map_err(|e| io::Error::other(format!("shutdown: {e:?}")))?,
            None => *close_output = true,
        }
        Ok(true)
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        match &self.stage {
            Stage::Connected {
                socket: Some(socket),
                ..
            } => socket.remote_address().ok().map(std_address),
            Stage::Connected { socket: None, .. } => self.adopted_peer,
            _ => None,
        }
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        match &self.stage {
            Stage::Connected {
                socket: Some(socket),
                ..
            } => socket.local_address().ok().map(std_address),
            _ => None,
        }
    }

    fn set_option(&mut self, option: SocketOption, value: u64) -> Result<(), TransportError> {
        option.check(value)?;
        let socket = self.tcp_socket()?;
        let millis = || value.saturating_mul(1_000_000);
        let result = match option {
            SocketOption::KeepAlive => socket.set_keep_alive_enabled(value == 1),
            SocketOption::KeepAliveIdleTime => socket.set_keep_alive_idle_time(millis()),
            SocketOption::KeepAliveInterval => socket.set_keep_alive_interval(millis()),
            SocketOption::KeepAliveCount => {
                socket.set_keep_alive_count(u32::try_from(value).unwrap_or(u32::MAX))
            }
            SocketOption::HopLimit => socket.set_hop_limit(u8::try_from(value).unwrap_or(u8::MAX)),
            SocketOption::SendBufferSize => socket.set_send_buffer_size(value),
            SocketOption::ReceiveBufferSize => socket.set_receive_buffer_size(value),
            _ => return Err(TransportError::Unsupported),
        };
        result.map_err(map_error)
    }

    fn option(&self, option: SocketOption) -> Result<u64, TransportError> {
        let socket = self.tcp_socket()?;
        let result = match option {
            SocketOption::KeepAlive => socket.keep_alive_enabled().map(u64::from),
            SocketOption::KeepAliveIdleTime => {
                socket.keep_alive_idle_time().map(|ns| ns / 1_000_000)
            }
            SocketOption::KeepAliveInterval => {
                socket.keep_alive_interval().map(|ns| ns / 1_000_000)
            }
            SocketOption::KeepAliveCount => socket.keep_alive_count().map(u64::from),
            SocketOption::HopLimit => socket.hop_limit().map(u64::from),
            SocketOption::SendBufferSize => socket.send_buffer_size(),
            SocketOption::ReceiveBufferSize => socket.receive_buffer_size(),
            _ => return Err(TransportError::Unsupported),
        };
        result.map_err(map_error)
    }
}

impl WasiTransport {
    /// The TCP socket under a connection; `Unsupported` for streams the caller brought.
    fn tcp_socket(&self) -> Result<&TcpSocket, TransportError> {
        match &self.stage {
            Stage::Connected {
                socket: Some(socket),
                ..
            }
            | Stage::Connecting { socket, .. } => Ok(socket),
            _ => Err(TransportError::Unsupported),
        }
    }
}

/// The wake-up period of a connection that waits for nothing (an hour).
const IDLE_WAKE_NANOS: u64 = 3_600_000_000_000;

/// A pollable for "nothing to wait for": an hour-long timer (spurious wake-ups are allowed).
pub fn idle() -> Pollable {
    monotonic_clock::subscribe_duration(IDLE_WAKE_NANOS)
}

/// A pollable that is ready at once.
pub fn ready_now() -> Pollable {
    monotonic_clock::subscribe_duration(0)
}

/// A pollable that is ready once `d` has passed.
pub fn timer(d: Duration) -> Pollable {
    monotonic_clock::subscribe_duration(duration_nanos(d))
}

fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn map_error(e: ErrorCode) -> TransportError {
    match e {
        ErrorCode::AccessDenied => TransportError::AccessDenied,
        ErrorCode::ConnectionRefused => TransportError::ConnectionRefused,
        ErrorCode::ConnectionReset | ErrorCode::ConnectionAborted => {
            TransportError::ConnectionReset
        }
        ErrorCode::NameUnresolvable
        | ErrorCode::PermanentResolverFailure
        | ErrorCode::TemporaryResolverFailure => TransportError::HostNotFound,
        ErrorCode::Timeout => TransportError::TimedOut,
        ErrorCode::AddressInUse => TransportError::AddressInUse,
        ErrorCode::AddressNotBindable => TransportError::AddressNotAvailable,
        ErrorCode::NewSocketLimit | ErrorCode::OutOfMemory => TransportError::OutOfResources,
        ErrorCode::NotSupported => TransportError::Unsupported,
        ErrorCode::InvalidArgument => TransportError::InvalidInput("invalid socket address".into()),
        ErrorCode::RemoteUnreachable => TransportError::Network,
        other => TransportError::Other(format!("{other:?}")),
    }
}

fn ip_address(ip: IpAddr) -> IpAddress {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            IpAddress::Ipv4((a, b, c, d))
        }
        IpAddr::V6(v6) => {
            let [a, b, c, d, e, f, g, h] = v6.segments();
            IpAddress::Ipv6((a, b, c, d, e, f, g, h))
        }
    }
}

fn socket_address(address: IpAddress, port: u16) -> IpSocketAddress {
    match address {
        IpAddress::Ipv4(address) => IpSocketAddress::Ipv4(Ipv4SocketAddress { port, address }),
        IpAddress::Ipv6(address) => IpSocketAddress::Ipv6(Ipv6SocketAddress {
            port,
            flow_info: 0,
            address,
            scope_id: 0,
        }),
    }
}

fn std_address(address: IpSocketAddress) -> SocketAddr {
    match address {
        IpSocketAddress::Ipv4(Ipv4SocketAddress {
            port,
            address: (a, b, c, d),
        }) => SocketAddr::new(IpAddr::V4(Ipv4Addr::new(a, b, c, d)), port),
        IpSocketAddress::Ipv6(v6) => {
            let (a, b, c, d, e, f, g, h) = v6.address;
            SocketAddr::new(IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h)), v6.port)
        }
    }
}

/// A listening TCP socket over `wasi:sockets`.
pub struct WasiListener {
    socket: TcpSocket,
}

impl Listener for WasiListener {
    type Transport = WasiTransport;

    fn listen(address: &str, port: u16, backlog: u32) -> Result<Self, TransportError> {
        let network = instance_network();
        let address = address.trim_start_matches('[').trim_end_matches(']');
        let ip: IpAddr = address.parse().map_err(|_| {
            TransportError::InvalidInput(format!("`{address}` is not an IP address"))
        })?;
        let family = match ip {
            IpAddr::V4(_) => IpAddressFamily::Ipv4,
            IpAddr::V6(_) => IpAddressFamily::Ipv6,
        };
        let socket = create_tcp_socket(family).map_err(map_error)?;
        socket
            .start_bind(&network, socket_address(ip_address(ip), port))
            .map_err(map_error)?;
        finish(&socket, TcpSocket::finish_bind)?;
        // Not every host lets the backlog be changed; the default is fine then.
        let _ = socket.set_listen_backlog_size(u64::from(backlog.max(1)));
        socket.start_listen().map_err(map_error)?;
        finish(&socket, TcpSocket::finish_listen)?;
        Ok(Self { socket })
    }

    fn accept(&mut self) -> Result<Option<WasiTransport>, TransportError> {
        sweep_lingering();
        match self.socket.accept() {
            Ok((socket, input, output)) => {
                Ok(Some(WasiTransport::connected(input, output, Some(socket))))
            }
            Err(ErrorCode::WouldBlock) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    fn pollable(&self) -> Option<Pollable> {
        Some(self.socket.subscribe())
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        self.socket.local_address().ok().map(std_address)
    }
}

/// Completes a two-phase `wasi:sockets` operation, waiting on the socket's pollable.
fn finish(
    socket: &TcpSocket,
    step: impl Fn(&TcpSocket) -> Result<(), ErrorCode>,
) -> Result<(), TransportError> {
    loop {
        match step(socket) {
            Err(ErrorCode::WouldBlock) => socket.subscribe().block(),
            other => return other.map_err(map_error),
        }
    }
}

/// An output stream's error as an `io::Error`.
fn stream_error(error: StreamError) -> io::Error {
    match error {
        StreamError::Closed => io::Error::from(io::ErrorKind::BrokenPipe),
        StreamError::LastOperationFailed(e) => {
            io::Error::new(io::ErrorKind::ConnectionReset, e.to_debug_string())
        }
    }
}
