//! A [`Session`]: one instance of the component with its own store, WASI context (network
//! policy, preopened directories) and memory limits, waiting on pollables. The WIT calls that are
//! not methods of a handle (constructors, static and free functions) are `Session` methods too,
//! in `handles/functions.rs`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use wasmtime::component::{Resource, ResourceAny, ResourceTable};
use wasmtime::{ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::clocks::WasiClocksView as _;
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::p2::bindings::sync::clocks::monotonic_clock::Host as _;
use wasmtime_wasi::p2::bindings::sync::io::poll::{Host as _, HostPollable as _};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::runtime::runtime;
use crate::*;

/// The default cap on a session's guest memory ([`SessionConfig::memory_limit`]).
pub const DEFAULT_MEMORY_LIMIT: usize = 1 << 30;
/// The default handshake deadline of servers ([`SessionConfig::handshake_timeout`]).
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How a [`Session`] is set up: its network policy, resource limits, an optional read-only
/// directory and stdio.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    network: NetworkPolicy,
    memory_limit: usize,
    handshake_timeout: Duration,
    preopen: Option<(PathBuf, String)>,
    inherit_stdout: bool,
    inherit_stderr: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionConfig {
    /// Loopback-only network, guest memory capped at [`DEFAULT_MEMORY_LIMIT`], servers with a
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`], no files, the guest's stderr (panic messages, logs)
    /// inherited.
    pub fn new() -> Self {
        Self {
            network: NetworkPolicy::loopback_only(),
            memory_limit: DEFAULT_MEMORY_LIMIT,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            preopen: None,
            inherit_stdout: false,
            inherit_stderr: true,
        }
    }

    /// Sets the network policy.
    pub fn network(mut self, policy: NetworkPolicy) -> Self {
        self.network = policy;
        self
    }

    /// Caps the guest's linear memory (wasmtime `StoreLimits`). A guest that needs more traps
    /// with an error naming the limit, and the session is then dead: size it for the number of
    /// connections (see BENCHMARKS.md for the memory per connection).
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// The handshake deadline given to every server made by [`Session::new_server`]: a client
    /// that does not finish its handshake in time is dropped, so slow clients cannot tie a server
    /// up. Servers can change it with `set-handshake-timeout`.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Makes `host_dir` readable by the guest as `guest_dir` (read only), e.g. for
    /// `certificate.from-path`.
    pub fn preopen_read_only(mut self, host_dir: impl Into<PathBuf>, guest_dir: &str) -> Self {
        self.preopen = Some((host_dir.into(), guest_dir.to_owned()));
        self
    }

    /// Whether the guest's stdout goes to this process's stdout (default: discarded).
    pub fn inherit_stdout(mut self, inherit: bool) -> Self {
        self.inherit_stdout = inherit;
        self
    }

    /// Whether the guest's stderr goes to this process's stderr (default: yes).
    pub fn inherit_stderr(mut self, inherit: bool) -> Self {
        self.inherit_stderr = inherit;
        self
    }

    fn wasi_ctx(&self) -> anyhow::Result<WasiCtx> {
        Ok(self.wasi_builder()?.build())
    }

    /// The WASI context of this configuration, for a caller to add to (a command's arguments).
    pub(crate) fn wasi_builder(&self) -> anyhow::Result<WasiCtxBuilder> {
        let mut builder = WasiCtxBuilder::new();
        if self.inherit_stdout {
            builder.inherit_stdout();
        }
        if self.inherit_stderr {
            builder.inherit_stderr();
        }
        let policy = self.network.clone();
        builder
            .allow_tcp(true)
            .allow_udp(false)
            .allow_ip_name_lookup(true)
            .socket_addr_check(move |addr, usage| {
                let allowed = policy.permits(addr, usage);
                Box::pin(async move { allowed })
            });
        if let Some((host_dir, guest_dir)) = &self.preopen {
            builder
                .preopened_dir(host_dir, guest_dir, FsPerms::ReadOnly)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("cannot open {}", host_dir.display()))?;
        }
        Ok(builder)
    }

    /// The store data of a new instance with this configuration's memory cap.
    pub(crate) fn host_state(&self, ctx: WasiCtx) -> HostState {
        HostState {
            ctx,
            table: ResourceTable::new(),
            limits: memory_limits(self.memory_limit),
            memory: 0,
        }
    }
}

/// Limits capping the guest's memory at `bytes`; growing past it traps.
fn memory_limits(bytes: usize) -> StoreLimits {
    StoreLimitsBuilder::new()
        .memory_size(bytes)
        .trap_on_grow_failure(true)
        .build()
}

/// The store data of a session: the WASI context, the resource table and the memory limits.
pub struct HostState {
    ctx: WasiCtx,
    pub(crate) table: ResourceTable,
    limits: StoreLimits,
    /// Bytes of linear memory the guest holds (memories only grow).
    memory: usize,
}

impl ResourceLimiter for HostState {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        if allowed {
            self.memory = self.memory.saturating_sub(current).saturating_add(desired);
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// One instance of the component with its own store. Not shareable between threads at once, but
/// `Send`: create one per thread.
pub struct Session {
    pub(crate) store: Store<HostState>,
    bindings: Sslsocket,
    handshake_timeout: Duration,
}

impl Session {
    /// Instantiates the component (compiling it first if this is the first session of the process).
    pub fn new(config: SessionConfig) -> anyhow::Result<Self> {
        let runtime = runtime()?;
        let state = config.host_state(config.wasi_ctx()?);
        let mut store = Store::new(&runtime.engine, state);
        store.limiter(|state| state as &mut dyn ResourceLimiter);
        let bindings = runtime.pre.instantiate(&mut store)?;
        let mut session = Self {
            store,
            bindings,
            handshake_timeout: config.handshake_timeout,
        };
        // Socket buffers stay well under the memory cap, so a peer cannot make the guest trap.
        session.set_memory_budget(config.memory_limit as u64 / 4)?;
        Ok(session)
    }

    /// Bytes of linear memory the guest holds now. WebAssembly memory only grows, so this is the
    /// high-water mark of the guest's heap, in 64 KiB pages.
    pub fn guest_memory(&self) -> usize {
        self.store.data().memory
    }

    /// Changes the cap on the guest's linear memory for the growth to come (as
    /// [`SessionConfig::memory_limit`]). A cap below what the guest holds takes nothing away;
    /// the guest's next growth then traps. The socket buffer budget stays as it was.
    pub fn set_memory_limit(&mut self, bytes: usize) {
        self.store.data_mut().limits = memory_limits(bytes);
    }

    /// The handshake deadline given to the servers this session makes
    /// ([`SessionConfig::handshake_timeout`]).
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// The store, for calling the generated bindings directly.
    pub fn store(&mut self) -> &mut Store<HostState> {
        &mut self.store
    }

    /// The generated bindings of this instance.
    pub fn bindings(&self) -> &Sslsocket {
        &self.bindings
    }

    /// The `socket` interface (free functions such as `supported-ciphers`) and the store.
    pub fn socket_interface(
        &mut self,
    ) -> (
        &bindings::exports::sslsocket::tls::socket::Guest,
        &mut Store<HostState>,
    ) {
        (self.bindings.sslsocket_tls_socket(), &mut self.store)
    }

    /// The `ssl-socket` resource's functions and the store.
    pub fn ssl_socket_api(
        &mut self,
    ) -> (
        bindings::exports::sslsocket::tls::socket::GuestSslSocket<'_>,
        &mut Store<HostState>,
    ) {
        (
            self.bindings.sslsocket_tls_socket().ssl_socket(),
            &mut self.store,
        )
    }

    /// The `certificate` resource's functions and the store.
    pub fn certificate_api(
        &mut self,
    ) -> (
        bindings::exports::sslsocket::tls::pki::GuestCertificate<'_>,
        &mut Store<HostState>,
    ) {
        (
            self.bindings.sslsocket_tls_pki().certificate(),
            &mut self.store,
        )
    }

    /// The `key` resource's functions and the store.
    pub fn key_api(
        &mut self,
    ) -> (
        bindings::exports::sslsocket::tls::pki::GuestKey<'_>,
        &mut Store<HostState>,
    ) {
        (self.bindings.sslsocket_tls_pki().key(), &mut self.store)
    }

    /// The `ssl-configuration` resource's functions and the store.
    pub fn ssl_configuration_api(
        &mut self,
    ) -> (
        bindings::exports::sslsocket::tls::socket::GuestSslConfiguration<'_>,
        &mut Store<HostState>,
    ) {
        (
            self.bindings.sslsocket_tls_socket().ssl_configuration(),
            &mut self.store,
        )
    }

    /// The `ssl-server` resource's functions and the store.
    pub fn ssl_server_api(
        &mut self,
    ) -> (
        bindings::exports::sslsocket::tls::socket::GuestSslServer<'_>,
        &mut Store<HostState>,
    ) {
        (
            self.bindings.sslsocket_tls_socket().ssl_server(),
            &mut self.store,
        )
    }

    /// Waits until at least one of `pollables` is ready (`wasi:io/poll.poll` done by the host), or
    /// until `timeout` has passed (`None`: no time-out). Returns the indices of the ready ones;
    /// empty when the time-out expired first. An empty list just sleeps for `timeout`.
    pub fn poll(
        &mut self,
        pollables: &[&Pollable],
        timeout: Option<Duration>,
    ) -> wasmtime::Result<Vec<usize>> {
        let mut list: Vec<Resource<DynPollable>> = pollables
            .iter()
            .map(|p| Resource::new_borrow(p.0.rep()))
            .collect();
        let timer = match timeout {
            Some(timeout) => {
                let nanos = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
                let timer = self.store.data_mut().clocks().subscribe_duration(nanos)?;
                list.push(Resource::new_borrow(timer.rep()));
                Some(timer)
            }
            None if list.is_empty() => return Ok(Vec::new()),
            None => None,
        };
        let ready = self.store.data_mut().table.poll(list);
        if let Some(timer) = timer {
            self.store.data_mut().table.drop(timer)?;
        }
        Ok(ready?
            .into_iter()
            .filter_map(|i| usize::try_from(i).ok())
            .filter(|&i| i < pollables.len())
            .collect())
    }

    /// Drops a resource handle owned by the host (a socket, certificate or key).
    pub fn drop_resource(&mut self, resource: ResourceAny) -> wasmtime::Result<()> {
        resource.resource_drop(&mut self.store)
    }
}
