//! The crypto provider's primitives on their own, without TLS around them: each AEAD sealing
//! 16 KiB records, X25519 / P-256 / X25519MLKEM768 / ML-KEM-768 key exchange, ECDSA P-256 and
//! RSA-2048 (PKCS#1 v1.5, PSS) signing and verifying (`sslsocket_crypto::bench`, whose docs say
//! what each row counts).
//!
//! The guest rows run the provider's `primitives` example, built for wasm32-wasip2 with the
//! sslsocket guest's flags by this crate's build.rs and embedded, as a WASI command in wasmtime
//! (stdout captured, one `Row::to_line` per line); the native rows call the same function in this
//! process. Then one ratio row per primitive, guest over native.

use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use sslsocket_crypto::bench::{self as crypto_bench, Row as PrimitiveRow};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::report::{Row, ratio_row};

/// The `primitives` example for wasm32-wasip2 (empty when the build skipped it:
/// `SSLSOCKET_PRIMITIVES_WASM=`).
const PRIMITIVES_WASM: &[u8] = include_bytes!(env!("SSLSOCKET_PRIMITIVES_COMPONENT"));

/// The most output the example may write (its rows are a few kilobytes).
const OUTPUT_CAP: usize = 1 << 20;

/// Measures every primitive for `budget` each in the guest, then natively, and adds the guest,
/// native and ratio rows (the guest rows are left out, with a message on stderr, when the
/// example was not built into this binary).
pub(super) fn primitives(rows: &mut Vec<Row>, budget: Duration) -> anyhow::Result<()> {
    let guest = if PRIMITIVES_WASM.is_empty() {
        eprintln!(
            "sslsocket bench: built with SSLSOCKET_PRIMITIVES_WASM= (empty), guest primitives rows skipped"
        );
        Vec::new()
    } else {
        run_in_guest(PRIMITIVES_WASM, budget)?
    };
    let native = crypto_bench::run(budget).map_err(|e| anyhow!("native primitives: {e}"))?;
    for native in native {
        let guest = guest.iter().find(|g| g.name == native.name);
        if let Some(guest) = guest {
            rows.push(row(guest, "guest", "in wasmtime"));
        }
        rows.push(row(&native, "native", "native"));
        if let Some(guest) = guest {
            rows.push(ratio_row(
                "primitives",
                native.name.clone(),
                guest.value / native.value,
            ));
        }
    }
    Ok(())
}

/// A `primitives` row of the report.
fn row(measured: &PrimitiveRow, client: &'static str, where_: &str) -> Row {
    Row {
        bench: "primitives",
        case: measured.name.clone(),
        client,
        value: measured.value,
        unit: unit(&measured.unit),
        note: format!("{where_}: {}", measured.note),
    }
}

/// The report's unit for a primitive's unit.
fn unit(unit: &str) -> &'static str {
    match unit {
        "MiB/s" => "MiB/s",
        "ops/s" => "ops/s",
        _ => "(unknown)",
    }
}

/// WASI state of the command.
struct Host {
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Runs the example component with `budget` in milliseconds as its argument, in an engine
/// configured as the sslsocket host's (Cranelift, component model), with no network, files or
/// environment; returns its rows.
fn run_in_guest(wasm: &[u8], budget: Duration) -> anyhow::Result<Vec<PrimitiveRow>> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    // As the sslsocket host's engine (host-examples/rust/src/runtime.rs).
    config.wasm_wide_arithmetic(true);
    let engine = Engine::new(&config)?;
    let component = Component::new(&engine, wasm)
        .map_err(anyhow::Error::from)
        .context("compiling the primitives example component")?;
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    let stdout = MemoryOutputPipe::new(OUTPUT_CAP);
    let stderr = MemoryOutputPipe::new(OUTPUT_CAP);
    let wasi = WasiCtxBuilder::new()
        .args(&["primitives", &budget.as_millis().to_string()])
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .build();
    let mut store = Store::new(
        &engine,
        Host {
            wasi,
            table: ResourceTable::new(),
        },
    );
    let command = Command::instantiate(&mut store, &component, &linker)
        .map_err(anyhow::Error::from)
        .context("instantiating the primitives example component")?;
    let outcome = command.wasi_cli_run().call_run(&mut store);
    let out = String::from_utf8_lossy(&stdout.contents()).into_owned();
    let err = String::from_utf8_lossy(&stderr.contents()).into_owned();
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(())) => bail!("the primitives example failed in the guest: {}", err.trim()),
        Err(trap) => {
            return Err(anyhow::Error::from(trap).context(format!(
                "the primitives example trapped in the guest: {}",
                err.trim()
            )));
        }
    }
    let rows: Vec<PrimitiveRow> = out.lines().filter_map(PrimitiveRow::from_line).collect();
    if rows.is_empty() {
        bail!(
            "the primitives example printed no rows: {out:?} {}",
            err.trim()
        );
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_survives_its_line() {
        let row = PrimitiveRow {
            name: "AES-128-GCM\tseal".into(),
            unit: "MiB/s".into(),
            value: 123.5,
            note: "a note\nwith a break".into(),
        };
        let parsed = PrimitiveRow::from_line(&row.to_line());
        assert_eq!(
            parsed,
            Some(PrimitiveRow {
                name: "AES-128-GCM seal".into(),
                unit: "MiB/s".into(),
                value: 123.5,
                note: "a note with a break".into(),
            })
        );
        assert_eq!(PrimitiveRow::from_line("no tabs"), None);
        assert_eq!(unit(row.unit.as_str()), "MiB/s");
    }
}
