//! The identities the bench servers present: an ECDSA P-256 leaf (in [`super::run`]) and an
//! RSA-2048 one made with `openssl`, under one throwaway CA.

use std::process::{Command, Stdio};

use anyhow::Context as _;
use sslsocket_testkit::testpki::{Authority, Identity, Usage};

/// A leaf certificate with an RSA-2048 key made by `openssl genpkey`; `None` without openssl.
pub(super) fn rsa_identity(ca: &Authority) -> anyhow::Result<Option<Identity>> {
    let output = match Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .stderr(Stdio::null())
        .output()
    {
        Ok(output) if output.status.success() => output,
        _ => return Ok(None),
    };
    let pem = String::from_utf8(output.stdout).context("openssl genpkey output")?;
    let key = rcgen::KeyPair::from_pem(&pem).context("the RSA key")?;
    Ok(Some(ca.issue_with_key(
        "localhost",
        &["localhost", "127.0.0.1"],
        Usage::Server,
        key,
    )?))
}

/// The chain a server presents: the leaf, then the CA.
pub(super) fn chain(ca: &Authority, leaf: &Identity) -> Vec<Vec<u8>> {
    vec![leaf.cert_der.clone(), ca.cert_der.clone()]
}
