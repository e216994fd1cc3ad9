//! `sslsocket`: runs the sslsocket WebAssembly component in wasmtime, like `openssl s_client`.
//!
//! - `sslsocket connect HOST PORT ...` connects to a TLS server and prints what happens.
//! - `sslsocket cert FILE` prints certificate details, like `openssl x509 -noout -text` (also the
//!   contents of a PKCS#12 bundle, like `openssl pkcs12 -info`).
//! - `sslsocket verify CHAIN --ca FILE --host NAME` verifies a chain without a connection, like
//!   `openssl verify`, with the ssl-errors a connection would report.
//! - `sslsocket serve --port P --cert FILE --key FILE ...` runs a TLS server inside the component,
//!   like `openssl s_server`.
//! - `sslsocket load --port P --ca-file FILE` holds many TLS connections open from one instance.
//! - `sslsocket bench` measures the component against the same engine natively (and openssl).
//! - `sslsocket demo` runs the component against a throwaway TLS server on loopback.
//! - `sslsocket component --out FILE` writes the embedded component (for jco, wac, other hosts).
//! - `sslsocket plug PLUGIN.wasm --out FILE` composes a plugin that imports `sslsocket:tls` with it.
//! - `sslsocket run COMMAND.wasm ARGS...` runs a composed plugin (a WASI command), like `wasmtime run`.

#![warn(unused_crate_dependencies)]

mod commands;
mod key_log;
mod progress;
mod report;

use commands::{bench, cert, component, connect, demo, load, plug, run, serve, verify};

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The sslsocket component (QSslSocket in WebAssembly) on the command line.
#[derive(Parser, Debug)]
#[command(name = "sslsocket", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Connects to HOST:PORT with TLS, prints the handshake result and exchanges data.
    Connect(Box<connect::ConnectArgs>),
    /// Runs a TLS server inside the component, like `openssl s_server`; prints one line per event.
    Serve(Box<serve::ServeArgs>),
    /// Prints every certificate in FILE (PEM, DER, or a PKCS#12 bundle), like `openssl x509 -noout -text`.
    Cert(cert::CertArgs),
    /// Verifies a certificate chain without connecting; prints the ssl-errors a connection would.
    Verify(verify::VerifyArgs),
    /// Shows the component at work against a throwaway TLS server on 127.0.0.1.
    Demo(demo::DemoArgs),
    /// Many TLS clients in one instance against an echo server: open time, echo time, memory.
    Load(load::LoadArgs),
    /// Throughput, handshakes/s, cold start, scale and crypto primitives: the component vs native.
    Bench(bench::BenchArgs),
    /// Writes the sslsocket component this binary embeds, for other hosts (jco, wac, wasmtime).
    Component(component::ComponentArgs),
    /// Composes a plugin component that imports `sslsocket:tls` with the embedded component.
    Plug(plug::PlugArgs),
    /// Runs a WASI command component (a composed plugin), like `wasmtime run`; loopback only.
    Run(run::RunArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Connect(args) => connect::run(&args),
        Command::Cert(args) => cert::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Load(args) => load::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Component(args) => component::run(&args),
        Command::Plug(args) => plug::run(&args),
        Command::Run(args) => run::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("sslsocket: {error:#}");
            ExitCode::from(2)
        }
    }
}
