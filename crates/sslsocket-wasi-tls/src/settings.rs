//! `sslsocket:wasi-tls/settings`: the settings later connectors and acceptors start from, and
//! the roots of `SSL_CERT_FILE`.

use std::cell::RefCell;

use sslsocket::engine::{SslConfiguration, globals, tls_config};
use sslsocket::pki::{Certificate, EncodingFormat, Key};

use crate::Provider;
use crate::bindings::exports::sslsocket::wasi_tls::settings::Guest;

thread_local! {
    /// What every new connector's socket starts from.
    static TEMPLATE: RefCell<SslConfiguration> = RefCell::new(SslConfiguration::default());
    /// The chain and key acceptors present.
    static SERVER_IDENTITY: RefCell<Option<(Vec<Certificate>, Key)>> = const { RefCell::new(None) };
}

impl Guest for Provider {
    fn add_ca_certificates_pem(pem: String) -> Result<u32, String> {
        let certificates = certificates(pem.as_bytes())?;
        let count = u32::try_from(certificates.len()).unwrap_or(u32::MAX);
        globals::add_global_ca_certificates(certificates);
        Ok(count)
    }

    fn set_client_identity(chain_pem: String, key_pem: String) -> Result<(), String> {
        let chain = certificates(chain_pem.as_bytes())?;
        let key = Key::private_from_data(key_pem.as_bytes(), EncodingFormat::Pem)
            .map_err(|e| format!("the private key: {e}"))?;
        TEMPLATE.with(|t| {
            let mut template = t.borrow_mut();
            template.set_local_certificate_chain(chain);
            template.set_private_key(key).map_err(|e| e.to_string())
        })
    }

    fn set_server_identity(chain_pem: String, key_pem: String) -> Result<(), String> {
        let chain = certificates(chain_pem.as_bytes())?;
        let key = Key::private_from_data(key_pem.as_bytes(), EncodingFormat::Pem)
            .map_err(|e| format!("the private key: {e}"))?;
        tls_config::certified_key(&chain, &key).map_err(|e| e.to_string())?;
        SERVER_IDENTITY.with(|identity| *identity.borrow_mut() = Some((chain, key)));
        Ok(())
    }

    fn set_alpn_protocols(protocols: Vec<String>) -> Result<(), String> {
        let protocols = protocols.into_iter().map(String::into_bytes).collect();
        TEMPLATE
            .with(|t| t.borrow_mut().set_allowed_next_protocols(protocols))
            .map_err(|e| e.to_string())
    }
}

/// The settings a new connector starts from. Its CA database is the instance's global one:
/// Mozilla's roots, those of `SSL_CERT_FILE` (read at the first connector) and those
/// `add-ca-certificates-pem` added.
///
/// # Errors
/// `SSL_CERT_FILE` is set but cannot be read or holds no certificate.
pub(crate) fn connector_settings() -> Result<SslConfiguration, String> {
    load_cert_file_once()?;
    Ok(TEMPLATE.with(|t| t.borrow().clone()))
}

/// The settings a new acceptor starts from: the connector settings (CA database, ALPN) with
/// the server identity in place of the client's.
///
/// # Errors
/// No server identity was set, or as [`connector_settings`].
pub(crate) fn acceptor_settings() -> Result<SslConfiguration, String> {
    let mut settings = connector_settings()?;
    let (chain, key) = SERVER_IDENTITY
        .with(|identity| identity.borrow().clone())
        .ok_or("no server identity: call settings.set-server-identity first")?;
    settings.set_local_certificate_chain(chain);
    settings.set_private_key(key).map_err(|e| e.to_string())?;
    Ok(settings)
}

thread_local! {
    static CERT_FILE_LOADED: RefCell<bool> = const { RefCell::new(false) };
}

/// Adds the certificates of the file `SSL_CERT_FILE` names to the global CA database, once.
fn load_cert_file_once() -> Result<(), String> {
    if CERT_FILE_LOADED.with(|loaded| *loaded.borrow()) {
        return Ok(());
    }
    if let Some(path) = std::env::var_os("SSL_CERT_FILE") {
        let shown = path.to_string_lossy().into_owned();
        let pem = std::fs::read(&path).map_err(|e| format!("SSL_CERT_FILE={shown}: {e}"))?;
        let roots = certificates(&pem).map_err(|e| format!("SSL_CERT_FILE={shown}: {e}"))?;
        globals::add_global_ca_certificates(roots);
    }
    CERT_FILE_LOADED.with(|loaded| *loaded.borrow_mut() = true);
    Ok(())
}

/// Every certificate of a PEM text; at least one.
fn certificates(pem: &[u8]) -> Result<Vec<Certificate>, String> {
    let certificates =
        Certificate::from_data(pem, EncodingFormat::Pem).map_err(|e| e.to_string())?;
    if certificates.is_empty() {
        return Err("no PEM certificate found".into());
    }
    Ok(certificates)
}
