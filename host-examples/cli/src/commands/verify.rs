//! `sslsocket verify CHAIN --ca FILE --host NAME`: verifies a certificate chain without a
//! connection (`verify-certificate-chain`, `QSslCertificate::verify`), like `openssl verify`,
//! and prints the ssl-errors a client connection to NAME would report, in the same order.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::json;
use sslsocket_host::{NetworkPolicy, Session, SessionConfig};

use crate::commands::connect::load_certificates;
use crate::report::{ssl_error_line, ssl_error_values};

/// `println!` that ignores write errors (a closed pipe).
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Arguments of `sslsocket verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The chain to verify, leaf first, as a server sends it: PEM (one or many certificates) or
    /// DER (one).
    chain: PathBuf,
    /// Trust the CA certificates in FILE (PEM or DER), in addition to the built-in Mozilla roots
    /// (as `connect --ca`: they are added to the global CA database); may be repeated.
    #[arg(long = "ca", value_name = "FILE")]
    ca: Vec<PathBuf>,
    /// Check the leaf against this host name or IP address, as a connection to it would; without
    /// it the name is not checked.
    #[arg(long, value_name = "NAME")]
    host: Option<String>,
    /// One JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `verify`: exit code 0 when the chain verifies without errors, 1 when errors were found.
pub fn run(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let mut session = Session::new(SessionConfig::new().network(NetworkPolicy::deny_all()))?;
    let chain = load_certificates(&mut session, &args.chain)?;
    if !args.ca.is_empty() {
        let mut cas = Vec::new();
        for file in &args.ca {
            cas.extend(load_certificates(&mut session, file)?);
        }
        let refs: Vec<_> = cas.iter().collect();
        session.add_global_ca_certificates(&refs)?;
        for ca in cas {
            ca.drop(&mut session)?;
        }
    }
    let refs: Vec<_> = chain.iter().collect();
    let report = session.verify_certificate_chain_report(&refs, args.host.as_deref())?;
    let length = chain.len();
    for certificate in chain {
        certificate.drop(&mut session)?;
    }
    if args.json {
        say!(
            "{}",
            json!({
                "chain": args.chain.display().to_string(),
                "length": length,
                "host": args.host,
                "ok": report.is_empty(),
                "errors": ssl_error_values(&report),
            })
        );
    } else if report.is_empty() {
        say!("{}: OK", args.chain.display());
    } else {
        for r in &report {
            say!("{}", ssl_error_line(r));
        }
        say!(
            "{}: verification failed: {} error{}",
            args.chain.display(),
            report.len(),
            if report.len() == 1 { "" } else { "s" }
        );
    }
    Ok(if report.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
