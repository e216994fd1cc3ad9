//! Which socket addresses a component instance may use.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

pub use wasmtime_wasi::sockets::SocketAddrUse;

/// The network a session may use. TCP only; UDP is always denied. Name lookups are allowed (they
/// grant nothing by themselves): the check is on the address the guest then connects to.
///
/// The implicit client-side bind that precedes every TCP connect (unspecified address, port 0) is
/// always allowed; it grants nothing without a matching connect rule (a server listening on the
/// unspecified address is still refused at `listen`, which checks the bound address).
///
/// Servers: [`NetworkPolicy::loopback_only`] lets the guest bind and listen on 127.0.0.0/8 and ::1
/// (any port) and accept the loopback clients that reach it; [`NetworkPolicy::allow_listen`] grants
/// exactly one listening address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkPolicy {
    loopback: bool,
    any: bool,
    connect: Vec<SocketAddr>,
    listen: Vec<SocketAddr>,
}

impl NetworkPolicy {
    /// Any TCP use (connect, bind, listen, accept) of loopback addresses (127.0.0.0/8, ::1), on any
    /// port. The default of [`crate::SessionConfig`].
    pub fn loopback_only() -> Self {
        Self {
            loopback: true,
            ..Self::default()
        }
    }

    /// Nothing at all; add rules with [`NetworkPolicy::allow_connect`] and friends.
    pub fn deny_all() -> Self {
        Self::default()
    }

    /// Any address, any port: the guest may connect to any host it can name.
    pub fn allow_all() -> Self {
        Self {
            any: true,
            ..Self::default()
        }
    }

    /// Also allows TCP connections to exactly `addr`.
    pub fn allow_connect(mut self, addr: SocketAddr) -> Self {
        let addr = canonical(addr);
        if !self.connect.contains(&addr) {
            self.connect.push(addr);
        }
        self
    }

    /// Also allows TCP connections to `host:port`: `host` is resolved here, on the host, and every
    /// address it resolves to is allowed on that port (so the guest's own lookup of the same name
    /// is covered). Errors: the name cannot be resolved.
    pub fn allow_host_port(mut self, host: &str, port: u16) -> io::Result<Self> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        for addr in (host, port).to_socket_addrs()? {
            self = self.allow_connect(addr);
        }
        Ok(self)
    }

    /// Also allows the guest to bind and listen on exactly `addr` and to accept any client there.
    /// Port 0 in `addr` means the port the system picks (the guest binds port 0, then listens on
    /// the port it got); any other port must match exactly.
    pub fn allow_listen(mut self, addr: SocketAddr) -> Self {
        let addr = canonical(addr);
        if !self.listen.contains(&addr) {
            self.listen.push(addr);
        }
        self
    }

    /// Also allows every use of loopback addresses.
    pub fn allow_loopback(mut self) -> Self {
        self.loopback = true;
        self
    }

    /// Whether `usage` of `addr` is allowed.
    pub fn permits(&self, addr: SocketAddr, usage: SocketAddrUse) -> bool {
        let addr = canonical(addr);
        let tcp = matches!(
            usage,
            SocketAddrUse::TcpBind
                | SocketAddrUse::TcpConnect
                | SocketAddrUse::TcpListen
                | SocketAddrUse::TcpAccept
        );
        if !tcp {
            return false;
        }
        if self.any {
            return true;
        }
        if matches!(usage, SocketAddrUse::TcpBind) && addr.ip().is_unspecified() && addr.port() == 0
        {
            return true;
        }
        if self.loopback && addr.ip().is_loopback() {
            return true;
        }
        match usage {
            SocketAddrUse::TcpConnect => self.connect.contains(&addr),
            SocketAddrUse::TcpBind => self.listen.contains(&addr),
            SocketAddrUse::TcpListen => self.listen.iter().any(|rule| {
                rule.ip() == addr.ip() && (rule.port() == 0 || rule.port() == addr.port())
            }),
            // The remote address of a client: whoever reaches a granted listener may connect.
            SocketAddrUse::TcpAccept => !self.listen.is_empty(),
            _ => false,
        }
    }
}

/// Maps IPv4-mapped IPv6 addresses to IPv4 so that both spellings match the same rule.
fn canonical(addr: SocketAddr) -> SocketAddr {
    let ip: IpAddr = addr.ip().to_canonical();
    SocketAddr::new(ip, addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(text: &str) -> SocketAddr {
        text.parse()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 1)))
    }

    #[test]
    fn loopback_only_allows_loopback_and_nothing_else() {
        let p = NetworkPolicy::loopback_only();
        assert!(p.permits(sa("127.0.0.1:443"), SocketAddrUse::TcpConnect));
        assert!(p.permits(sa("[::1]:443"), SocketAddrUse::TcpConnect));
        assert!(p.permits(sa("[::ffff:127.0.0.1]:443"), SocketAddrUse::TcpConnect));
        assert!(!p.permits(sa("192.0.2.1:443"), SocketAddrUse::TcpConnect));
        assert!(!p.permits(sa("127.0.0.1:53"), SocketAddrUse::UdpSend));
    }

    #[test]
    fn loopback_only_lets_servers_listen_on_loopback_only() {
        let p = NetworkPolicy::loopback_only();
        assert!(p.permits(sa("127.0.0.1:0"), SocketAddrUse::TcpBind));
        assert!(p.permits(sa("127.0.0.1:40000"), SocketAddrUse::TcpListen));
        assert!(p.permits(sa("[::1]:0"), SocketAddrUse::TcpBind));
        assert!(p.permits(sa("[::1]:40000"), SocketAddrUse::TcpListen));
        assert!(p.permits(sa("127.0.0.1:50000"), SocketAddrUse::TcpAccept));
        // The unspecified address may be bound (the implicit bind of connect) but not listened on.
        assert!(!p.permits(sa("0.0.0.0:40000"), SocketAddrUse::TcpListen));
        assert!(!p.permits(sa("[::]:40000"), SocketAddrUse::TcpListen));
        assert!(!p.permits(sa("0.0.0.0:4433"), SocketAddrUse::TcpBind));
        assert!(!p.permits(sa("192.0.2.1:0"), SocketAddrUse::TcpBind));
        assert!(!p.permits(sa("192.0.2.1:4433"), SocketAddrUse::TcpListen));
        assert!(!p.permits(sa("192.0.2.1:50000"), SocketAddrUse::TcpAccept));
    }

    #[test]
    fn listen_rules_grant_one_address() {
        let p = NetworkPolicy::deny_all().allow_listen(sa("127.0.0.1:0"));
        assert!(p.permits(sa("127.0.0.1:0"), SocketAddrUse::TcpBind));
        assert!(p.permits(sa("127.0.0.1:40000"), SocketAddrUse::TcpListen));
        assert!(p.permits(sa("127.0.0.1:50000"), SocketAddrUse::TcpAccept));
        assert!(!p.permits(sa("[::1]:0"), SocketAddrUse::TcpBind));
        assert!(!p.permits(sa("127.0.0.2:40000"), SocketAddrUse::TcpListen));
        assert!(!p.permits(sa("127.0.0.1:443"), SocketAddrUse::TcpConnect));

        let p = NetworkPolicy::deny_all().allow_listen(sa("127.0.0.1:4433"));
        assert!(p.permits(sa("127.0.0.1:4433"), SocketAddrUse::TcpBind));
        assert!(p.permits(sa("127.0.0.1:4433"), SocketAddrUse::TcpListen));
        assert!(!p.permits(sa("127.0.0.1:4434"), SocketAddrUse::TcpBind));
        assert!(!p.permits(sa("127.0.0.1:4434"), SocketAddrUse::TcpListen));
        assert!(!NetworkPolicy::deny_all().permits(sa("127.0.0.1:1"), SocketAddrUse::TcpAccept));
    }

    #[test]
    fn exact_rules_grant_one_port() {
        let p = NetworkPolicy::deny_all().allow_connect(sa("127.0.0.1:4433"));
        assert!(p.permits(sa("0.0.0.0:0"), SocketAddrUse::TcpBind));
        assert!(p.permits(sa("127.0.0.1:4433"), SocketAddrUse::TcpConnect));
        assert!(!p.permits(sa("127.0.0.1:4434"), SocketAddrUse::TcpConnect));
        assert!(!p.permits(sa("127.0.0.1:4433"), SocketAddrUse::TcpListen));
        assert!(!NetworkPolicy::deny_all().permits(sa("127.0.0.1:1"), SocketAddrUse::TcpConnect));
    }
}
