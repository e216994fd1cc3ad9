//! The standard test PKI written to disk: a CA, a server identity (`localhost` + 127.0.0.1) and a
//! client identity, as PEM files for peer processes (`openssl`, Python) and as PEM text for the
//! component.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::TempDir;
use crate::testpki::{Authority, Identity, Usage};

/// A CA with a server identity (`localhost` + 127.0.0.1) and a client identity, all on disk.
pub struct TestPki {
    /// The directory holding the files (removed with it).
    pub dir: TempDir,
    /// The CA (`CN=sslsocket test CA`).
    pub ca: Authority,
    /// The server identity (`CN=localhost`), issued by [`TestPki::ca`].
    pub server: Identity,
    /// The client identity (`CN=sslsocket client`), issued by [`TestPki::ca`].
    pub client: Identity,
    /// The CA certificate, PEM file.
    pub ca_pem: PathBuf,
    /// The server certificate, PEM file.
    pub server_cert: PathBuf,
    /// The server key, PKCS#8 PEM file.
    pub server_key: PathBuf,
    /// The client certificate, PEM file.
    pub client_cert: PathBuf,
    /// The client key, PKCS#8 PEM file.
    pub client_key: PathBuf,
}

/// The subject the guest reports for the test server certificate.
pub const SERVER_SUBJECT: &str = "CN=localhost, O=sslsocket test";
/// The subject of the test CA.
pub const CA_SUBJECT: &str = "CN=sslsocket test CA, O=sslsocket test";
/// The subject of the test client certificate.
pub const CLIENT_SUBJECT: &str = "CN=sslsocket client, O=sslsocket test";

/// The kind of key of the test server identity.
pub enum KeyKind {
    /// ECDSA P-256, made by rcgen.
    EcdsaP256,
    /// RSA 2048, made by `openssl genpkey` (ring cannot generate RSA keys).
    Rsa2048,
}

impl TestPki {
    /// A new CA and identities, written to a new [`TempDir`] named after `tag`.
    pub fn new(tag: &str, kind: KeyKind) -> Self {
        let dir = TempDir::new(tag);
        let ca = Authority::new("sslsocket test CA").unwrap();
        let names = ["localhost", "127.0.0.1"];
        let server = match kind {
            KeyKind::EcdsaP256 => ca.issue("localhost", &names, Usage::Server).unwrap(),
            KeyKind::Rsa2048 => {
                let key = openssl_rsa_key(&dir, 2048);
                ca.issue_with_key("localhost", &names, Usage::Server, key)
                    .unwrap()
            }
        };
        let client = ca.issue("sslsocket client", &[], Usage::Client).unwrap();
        Self {
            ca_pem: dir.write("ca.pem", &ca.cert_pem),
            server_cert: dir.write("server.pem", &server.cert_pem),
            server_key: dir.write("server.key", &server.key_pem),
            client_cert: dir.write("client.pem", &client.cert_pem),
            client_key: dir.write("client.key", &client.key_pem),
            dir,
            ca,
            server,
            client,
        }
    }
}

impl TestPki {
    /// `openssl pkcs12 -export` (with `flags`, e.g. `-legacy`) of the server identity with the
    /// CA certificate, encrypted with `passout` (`pass:...`), written as `name` in the PKI's
    /// directory; returns its path.
    pub fn pkcs12(&self, flags: &[&str], passout: &str, name: &str) -> PathBuf {
        let mut args = vec!["pkcs12", "-export"];
        args.extend_from_slice(flags);
        let (key, cert, ca) = (
            text(&self.server_key),
            text(&self.server_cert),
            text(&self.ca_pem),
        );
        args.extend_from_slice(&[
            "-inkey",
            key,
            "-in",
            cert,
            "-certfile",
            ca,
            "-passout",
            passout,
            "-out",
            name,
        ]);
        crate::scenarios::openssl_bytes(&self.dir, &args);
        self.dir.path().join(name)
    }
}

/// The NSS key-log lines of a file (`SSLKEYLOGFILE`, `openssl -keylogfile`), lower case, as a
/// set: two ends of a connection may log them in another order. Comments and blank lines are
/// left out.
pub fn key_log_lines(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// A path as a command-line argument (the tests' temporary paths are UTF-8).
fn text(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// An RSA key made by `openssl genpkey` (ring cannot generate RSA keys), loaded into rcgen.
pub fn openssl_rsa_key(dir: &TempDir, bits: u32) -> rcgen::KeyPair {
    rcgen::KeyPair::from_pem(&openssl_rsa_key_pem(dir, bits)).unwrap()
}

/// An RSA private key (PKCS#8 PEM) made by `openssl genpkey`.
pub fn openssl_rsa_key_pem(dir: &TempDir, bits: u32) -> String {
    let path = dir.path().join(format!("rsa{bits}.key"));
    let status = Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt"])
        .arg(format!("rsa_keygen_bits:{bits}"))
        .arg("-out")
        .arg(&path)
        .stderr(Stdio::null())
        .status()
        .expect("openssl genpkey");
    assert!(status.success(), "openssl genpkey failed");
    std::fs::read_to_string(&path).unwrap()
}
