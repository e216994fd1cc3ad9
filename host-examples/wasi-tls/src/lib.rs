//! Runs WASI 0.3 (p3) command components that import `wasi:tls@0.3.0-draft`, two ways:
//!
//! - with the host's `wasi:tls`: wasmtime's own implementation (`wasmtime-wasi-tls`, rustls on
//!   ring, in the host);
//! - composed with [`PROVIDER`], sslsocket's in-guest `wasi:tls` ([`plug`]): TLS runs inside the
//!   component, and the host gives it no `wasi:tls` at all.
//!
//! [`TEST_CLIENT`] is a command that makes one HTTPS request through `wasi:tls`; the tests run it
//! both ways against the same `openssl s_server` and compare. The `wasi-tls-run` binary does the
//! same from the command line.
//!
//! Both sides trust the roots of one PEM file when given ([`RunOptions::ca_file`]): the host's
//! rustls directly, the in-guest provider through `SSL_CERT_FILE` (its directory preopened).
//! The network is loopback only.

#![deny(unsafe_code)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_tls::{
    TlsProvider, TlsStream, TlsTransport, WasiTlsCtx, WasiTlsCtxBuilder, WasiTlsCtxView,
    WasiTlsView,
};

/// sslsocket's `wasi:tls` provider component (`crates/sslsocket-wasi-tls`): exports
/// `wasi:tls/client@0.3.0-draft`, `wasi:tls/types` and `sslsocket:wasi-tls/settings`.
pub const PROVIDER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/sslsocket_wasi_tls.wasm"));

/// The test command (`host-examples/wasi-tls/client`): one `GET /` over `wasi:sockets@0.3.0` and
/// `wasi:tls@0.3.0-draft` to `127.0.0.1:$TLS_PORT`, verifying the name `$TLS_NAME`.
pub const TEST_CLIENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/wasi_tls_client.wasm"));

/// The test command built with its `settings` feature: before connecting it calls
/// `sslsocket:wasi-tls/settings` (so it runs only composed with [`PROVIDER`]) with `$CA_PEM`,
/// `$CLIENT_CERT_PEM` and `$CLIENT_KEY_PEM`, and `$ALPN` (`a,b`) when set.
pub const TEST_CLIENT_WITH_SETTINGS: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/wasi_tls_client_settings.wasm"));

/// Where the directory of [`RunOptions::ca_file`] appears in the guest.
const GUEST_CA_DIR: &str = "/sslsocket-ca";

/// How to run a command.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Give the component the host's `wasi:tls` (false: a composed component brings its own).
    pub host_tls: bool,
    /// A PEM file of CA certificates both sides trust instead of (host) or beside (guest)
    /// Mozilla's roots.
    pub ca_file: Option<PathBuf>,
    /// Environment variables for the command.
    pub env: Vec<(String, String)>,
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// What `wasi:cli/run` returned.
    pub success: bool,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
}

/// Plugs `provider`'s exports into `plugin`'s imports of the same names (`wac plug`), giving one
/// component that no longer imports `wasi:tls`.
///
/// # Errors
/// Either is not a component, nothing matched, or the result still imports `wasi:tls`.
pub fn plug(plugin: &[u8], provider: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut graph = CompositionGraph::new();
    let provider = Package::from_bytes("sslsocket:wasi-tls", None, provider, graph.types_mut())?;
    let provider = graph.register_package(provider)?;
    let plugin = Package::from_bytes("plugin", None, plugin, graph.types_mut())?;
    let plugin = graph.register_package(plugin)?;
    wac_graph::plug(&mut graph, vec![provider], plugin)?;
    let composed = graph.encode(EncodeOptions::default())?;
    let mut check = CompositionGraph::new();
    let package = Package::from_bytes("composed", None, composed.clone(), check.types_mut())?;
    if let Some(left) = check.types()[package.ty()]
        .imports
        .keys()
        .find(|name| name.starts_with("wasi:tls/"))
    {
        bail!("the composition still imports {left}");
    }
    Ok(composed)
}

/// Runs a WASI 0.3 command component to its end (`wasi:cli/run`), with loopback-only TCP.
///
/// # Errors
/// The component cannot be compiled or instantiated (e.g. it imports `wasi:tls` and
/// `host_tls` is false), the CA file cannot be read, or it trapped.
pub fn run_command(component: &[u8], options: &RunOptions) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(component, options))
}

async fn run(component: &[u8], options: &RunOptions) -> anyhow::Result<Outcome> {
    let mut config = Config::new();
    config.wasm_component_model_async(true);
    let engine = Engine::new(&config)?;
    let component = Component::new(&engine, component)?;

    let (stdout, stderr) = (
        MemoryOutputPipe::new(1 << 20),
        MemoryOutputPipe::new(1 << 20),
    );
    let mut wasi = WasiCtx::builder();
    wasi.stdout(stdout.clone())
        .stderr(stderr.clone())
        .envs(&options.env)
        .allow_tcp(true)
        .socket_addr_check(|addr, usage| {
            // A connect without a bind first checks an implicit bind to the unspecified address.
            Box::pin(async move {
                addr.ip().is_loopback()
                    || (matches!(usage, SocketAddrUse::TcpBind) && addr.ip().is_unspecified())
            })
        });
    let mut tls = WasiTlsCtxBuilder::new();
    if let Some(ca_file) = &options.ca_file {
        let dir = ca_file.parent().unwrap_or(Path::new("."));
        let name = ca_file
            .file_name()
            .context("the CA file has no file name")?
            .to_string_lossy();
        wasi.preopened_dir(dir, GUEST_CA_DIR, FsPerms::ReadOnly)?
            .env("SSL_CERT_FILE", format!("{GUEST_CA_DIR}/{name}"));
        tls = tls.provider(Box::new(RootsProvider(Arc::new(client_config(ca_file)?))));
    }
    let mut store = Store::new(
        &engine,
        Host {
            table: ResourceTable::new(),
            wasi: wasi.build(),
            tls: tls.build(),
        },
    );
    let mut linker = Linker::new(&engine);
    // Rust's std for wasm32-wasip2 (and so both guests) also imports WASI 0.2.
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi::p3::add_to_linker(&mut linker)?;
    if options.host_tls {
        wasmtime_wasi_tls::p3::add_to_linker(&mut linker)?;
    }
    let command =
        wasmtime_wasi::p3::bindings::Command::instantiate_async(&mut store, &component, &linker)
            .await?;
    let result = store
        .run_concurrent(async move |store| command.wasi_cli_run().call_run(store).await)
        .await??;
    Ok(Outcome {
        success: result.is_ok(),
        stdout: String::from_utf8_lossy(&stdout.contents()).into_owned(),
        stderr: String::from_utf8_lossy(&stderr.contents()).into_owned(),
    })
}

/// The store's data: WASI 0.2/0.3 and `wasi:tls` over one resource table.
struct Host {
    table: ResourceTable,
    wasi: WasiCtx,
    tls: WasiTlsCtx,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiTlsView for Host {
    fn tls(&mut self) -> WasiTlsCtxView<'_> {
        WasiTlsCtxView {
            ctx: &mut self.tls,
            table: &mut self.table,
        }
    }
}

/// The host's `wasi:tls` with our roots (wasmtime's default provider trusts Mozilla's only).
struct RootsProvider(Arc<rustls::ClientConfig>);

impl TlsProvider for RootsProvider {
    fn connect(
        &self,
        server_name: String,
        transport: Box<dyn TlsTransport>,
    ) -> Pin<Box<dyn Future<Output = Result<Box<dyn TlsStream>, wasmtime_wasi_tls::Error>> + Send>>
    {
        let config = Arc::clone(&self.0);
        Box::pin(async move {
            let name = rustls::pki_types::ServerName::try_from(server_name)
                .map_err(|_| wasmtime_wasi_tls::Error::msg("invalid server name"))?;
            let stream = tokio_rustls::TlsConnector::from(config)
                .connect(name, transport)
                .await
                .map_err(wasmtime_wasi_tls::Error::msg)?;
            Ok(Box::new(stream) as Box<dyn TlsStream>)
        })
    }
}

/// A rustls (ring) client configuration trusting the certificates of `ca_file` only.
fn client_config(ca_file: &Path) -> anyhow::Result<rustls::ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(ca_file)
        .with_context(|| format!("cannot read {}", ca_file.display()))?
    {
        roots.add(certificate?)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
