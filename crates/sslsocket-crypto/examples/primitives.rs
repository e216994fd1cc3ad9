//! Measures the provider's primitives (`sslsocket_crypto::bench::run`) and prints one row per
//! line on stdout: name, unit, value and note separated by tabs (`Row::to_line`).
//!
//! ```sh
//! cargo run --release -p sslsocket-crypto --features bench --example primitives -- [MILLISECONDS]
//! ```
//!
//! `MILLISECONDS` is the time each primitive is measured for (300 by default). Compiled for
//! `wasm32-wasip2` this is a WASI command component: `sslsocket bench` builds it with the
//! sslsocket guest's flags (host-examples/cli/build.rs) and runs it in wasmtime, beside the same
//! function called natively. Exits with 1 and a message on stderr when a primitive fails, 2 on a
//! bad argument.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use sslsocket_crypto::bench;

/// The time each primitive is measured for without an argument.
const DEFAULT_MS: u64 = 300;

fn main() -> ExitCode {
    let ms = match std::env::args().nth(1).map(|arg| arg.parse::<u64>()) {
        None => DEFAULT_MS,
        Some(Ok(ms)) => ms,
        Some(Err(_)) => {
            eprintln!("usage: primitives [MILLISECONDS]");
            return ExitCode::from(2);
        }
    };
    match bench::run(Duration::from_millis(ms)) {
        Ok(rows) => {
            let mut out = std::io::stdout().lock();
            for row in rows {
                if writeln!(out, "{}", row.to_line()).is_err() {
                    return ExitCode::FAILURE;
                }
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("primitives: {error}");
            ExitCode::FAILURE
        }
    }
}
