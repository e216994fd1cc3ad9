//! Runs a WASI command component (one that exports `wasi:cli/run`), such as a plugin composed
//! with sslsocket by `sslsocket plug`, in this host's engine: what `wasmtime run` does, with the
//! session's network policy (loopback only unless the config says otherwise).

use anyhow::Context as _;
use wasmtime::Store;
use wasmtime::component::Linker;
use wasmtime_wasi::I32Exit;
use wasmtime_wasi::p2::bindings::sync::Command;

use crate::runtime::runtime;
use crate::{HostState, SessionConfig, cache};

/// Runs the command component `wasm` with `args` (`args[0]` is the program name it sees) and this
/// process's stdin, stdout, stderr and environment-free WASI context, under `config`'s network
/// policy, memory cap and read-only preopened directory. Returns its exit status: 0, or the
/// status it passed to `exit` (a `wasi:cli/run` that returns an error is 1).
///
/// The compiled machine code is cached on disk like the embedded component's.
///
/// # Errors
/// `wasm` is not a component, does not compile, imports something other than WASI 0.2 (for
/// example a plugin that was not composed with sslsocket: its `sslsocket:tls` imports are
/// unsatisfied), or traps.
pub fn run_command(wasm: &[u8], args: &[String], config: &SessionConfig) -> anyhow::Result<i32> {
    let engine = &runtime()?.engine;
    let component = cache::load(engine, wasm)?;
    let mut linker = Linker::<HostState>::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    let pre = linker
        .instantiate_pre(&component)
        .map_err(anyhow::Error::from)
        .context("the component imports more than WASI (was it composed with `sslsocket plug`?)")?;

    let mut wasi = config.wasi_builder()?;
    wasi.args(args)
        .inherit_stdin()
        .inherit_stdout()
        .inherit_stderr();
    let mut store = Store::new(engine, config.host_state(wasi.build()));
    store.limiter(|state| state as &mut dyn wasmtime::ResourceLimiter);
    let instance = pre.instantiate(&mut store)?;
    let command = Command::new(&mut store, &instance)
        .map_err(anyhow::Error::from)
        .context("the component is not a command (it does not export wasi:cli/run)")?;
    match command.wasi_cli_run().call_run(&mut store) {
        Ok(Ok(())) => Ok(0),
        Ok(Err(())) => Ok(1),
        Err(trap) => match trap.downcast_ref::<I32Exit>() {
            Some(exit) => Ok(exit.0),
            None => Err(trap.into()),
        },
    }
}
