//! The WIT functions that are not methods of a resource, as [`Session`] methods: the resources'
//! constructors (`new_socket`, `new_server`), their static functions (`certificate.from-pem` is
//! [`Session::certificate_from_pem`], `key.private-from-data` is
//! [`Session::private_key_from_data`], ...) and the free functions of the `socket` interface
//! (Qt's static members: `supported-ciphers`, `global-ca-certificates`, ...).

use crate::*;

/// Constructors.
impl Session {
    /// Creates a new unconnected socket (`ssl-socket` constructor).
    pub fn new_socket(&mut self) -> wasmtime::Result<SslSocket> {
        let (api, store) = self.ssl_socket_api();
        api.call_constructor(store).map(SslSocket)
    }

    /// Creates a configuration with the library defaults (`ssl-configuration` constructor).
    pub fn new_ssl_configuration(&mut self) -> wasmtime::Result<SslConfiguration> {
        let (api, store) = self.ssl_configuration_api();
        api.call_constructor(store).map(SslConfiguration)
    }

    /// Creates a new server that does not listen yet (`ssl-server` constructor), with the
    /// session's handshake deadline ([`SessionConfig::handshake_timeout`]).
    pub fn new_server(&mut self) -> wasmtime::Result<SslServer> {
        let (api, store) = self.ssl_server_api();
        let server = api.call_constructor(store).map(SslServer)?;
        let msecs = u32::try_from(self.handshake_timeout().as_millis()).unwrap_or(u32::MAX);
        server.set_handshake_timeout(self, msecs)?;
        Ok(server)
    }
}

/// Static functions of `certificate` and `key`.
impl Session {
    /// Parses every certificate in `data` (`certificate.from-data`).
    pub fn certificates_from_data(
        &mut self,
        data: &[u8],
        format: EncodingFormat,
    ) -> CallResult<Vec<Certificate>> {
        let (api, store) = self.certificate_api();
        Ok(api
            .call_from_data(store, data, format)?
            .map(Certificate::typed))
    }

    /// Parses every certificate in PEM text (`certificate.from-data`, PEM).
    pub fn certificates_from_pem(&mut self, pem: &str) -> CallResult<Vec<Certificate>> {
        self.certificates_from_data(pem.as_bytes(), EncodingFormat::Pem)
    }

    /// Parses one PEM certificate (`certificate.from-pem`).
    pub fn certificate_from_pem(&mut self, pem: &str) -> CallResult<Certificate> {
        let (api, store) = self.certificate_api();
        Ok(api.call_from_pem(store, pem)?.map(Certificate))
    }

    /// Parses one DER certificate (`certificate.from-der`).
    pub fn certificate_from_der(&mut self, der: &[u8]) -> CallResult<Certificate> {
        let (api, store) = self.certificate_api();
        Ok(api.call_from_der(store, der)?.map(Certificate))
    }

    /// Loads every certificate in `path`, a file or a directory whose last component may hold `*`
    /// and `?` wildcards, under a directory preopened with [`SessionConfig::preopen_read_only`]
    /// (`certificate.from-path`).
    pub fn certificates_from_path(&mut self, path: &str) -> CallResult<Vec<Certificate>> {
        let (api, store) = self.certificate_api();
        Ok(api.call_from_path(store, path)?.map(Certificate::typed))
    }

    /// Decodes a DER PKCS#12 bundle (`.p12`, `.pfx`) protected by `passphrase`
    /// (`certificate.import-pkcs12`, `QSslCertificate::importPkcs12`). The handles are the
    /// caller's to drop ([`Pkcs12Bundle::drop`]).
    pub fn import_pkcs12(&mut self, data: &[u8], passphrase: &str) -> CallResult<Pkcs12Bundle> {
        let (api, store) = self.certificate_api();
        Ok(api
            .call_import_pkcs12(store, data, passphrase)?
            .map(Pkcs12Bundle::from_wit))
    }

    /// Parses a private key, PEM or DER (`key.private-from-data`).
    pub fn private_key_from_data(
        &mut self,
        data: &[u8],
        format: EncodingFormat,
    ) -> CallResult<Key> {
        let (api, store) = self.key_api();
        Ok(api.call_private_from_data(store, data, format)?.map(Key))
    }

    /// Parses a private key protected by a passphrase, PEM or DER
    /// (`key.private-from-data-with-passphrase`); unencrypted keys are accepted too.
    pub fn private_key_from_data_with_passphrase(
        &mut self,
        data: &[u8],
        format: EncodingFormat,
        passphrase: &[u8],
    ) -> CallResult<Key> {
        let (api, store) = self.key_api();
        Ok(api
            .call_private_from_data_with_passphrase(store, data, format, passphrase)?
            .map(Key))
    }

    /// Parses a public key (SubjectPublicKeyInfo), PEM or DER (`key.public-from-data`).
    pub fn public_key_from_data(&mut self, data: &[u8], format: EncodingFormat) -> CallResult<Key> {
        let (api, store) = self.key_api();
        Ok(api.call_public_from_data(store, data, format)?.map(Key))
    }
}

/// Free functions of the `socket` interface.
impl Session {
    /// The features this build implements (`implemented-features`).
    pub fn implemented_features(&mut self) -> wasmtime::Result<Vec<SupportedFeature>> {
        let (api, store) = self.socket_interface();
        api.call_implemented_features(store)
    }

    /// Whether TLS is available (`supports-ssl`).
    pub fn supports_ssl(&mut self) -> wasmtime::Result<bool> {
        let (api, store) = self.socket_interface();
        api.call_supports_ssl(store)
    }

    /// The configuration new sockets and servers start with (`default-configuration`).
    pub fn default_configuration(&mut self) -> wasmtime::Result<SslConfiguration> {
        let (api, store) = self.socket_interface();
        api.call_default_configuration(store).map(SslConfiguration)
    }

    /// Sets the configuration new sockets and servers start with
    /// (`set-default-configuration`); those made before keep theirs.
    pub fn set_default_configuration(
        &mut self,
        configuration: &SslConfiguration,
    ) -> wasmtime::Result<()> {
        let (api, store) = self.socket_interface();
        api.call_set_default_configuration(store, configuration.0)
    }

    /// The TLS library version string (`ssl-library-version-string`).
    pub fn ssl_library_version_string(&mut self) -> wasmtime::Result<String> {
        let (api, store) = self.socket_interface();
        api.call_ssl_library_version_string(store)
    }

    /// Every cipher the component can negotiate (`supported-ciphers`).
    pub fn supported_ciphers(&mut self) -> wasmtime::Result<Vec<Cipher>> {
        let (api, store) = self.socket_interface();
        api.call_supported_ciphers(store)
    }

    /// Every key exchange group the component can negotiate, most preferred first
    /// (`supported-key-exchange-groups`).
    pub fn supported_key_exchange_groups(&mut self) -> wasmtime::Result<Vec<String>> {
        let (api, store) = self.socket_interface();
        api.call_supported_key_exchange_groups(store)
    }

    /// The default cipher list of new sockets (`global-ciphers`).
    pub fn global_ciphers(&mut self) -> wasmtime::Result<Vec<Cipher>> {
        let (api, store) = self.socket_interface();
        api.call_global_ciphers(store)
    }

    /// Sets the default cipher list of new sockets (`set-global-ciphers`).
    pub fn set_global_ciphers(&mut self, ciphers: &[Cipher]) -> CallResult<()> {
        let (api, store) = self.socket_interface();
        api.call_set_global_ciphers(store, ciphers)
    }

    /// Goes back to the supported ciphers as the default (`reset-global-ciphers`).
    pub fn reset_global_ciphers(&mut self) -> wasmtime::Result<()> {
        let (api, store) = self.socket_interface();
        api.call_reset_global_ciphers(store)
    }

    /// Adds a certificate to the global CA database (`add-global-ca-certificate`).
    pub fn add_global_ca_certificate(&mut self, certificate: &Certificate) -> wasmtime::Result<()> {
        let (api, store) = self.socket_interface();
        api.call_add_global_ca_certificate(store, certificate.0)
    }

    /// Adds certificates to the global CA database (`add-global-ca-certificates`).
    pub fn add_global_ca_certificates(
        &mut self,
        certificates: &[&Certificate],
    ) -> wasmtime::Result<()> {
        let list = Certificate::handles(certificates);
        let (api, store) = self.socket_interface();
        api.call_add_global_ca_certificates(store, &list)
    }

    /// Adds every certificate in `path` (a file or a directory with wildcards, under a preopened
    /// directory) to the global CA database; returns how many were added
    /// (`add-global-ca-certificates-from-path`).
    pub fn add_global_ca_certificates_from_path(&mut self, path: &str) -> CallResult<u32> {
        let (api, store) = self.socket_interface();
        api.call_add_global_ca_certificates_from_path(store, path)
    }

    /// Replaces the global CA database (`set-global-ca-certificates`).
    pub fn set_global_ca_certificates(
        &mut self,
        certificates: &[&Certificate],
    ) -> wasmtime::Result<()> {
        let list = Certificate::handles(certificates);
        let (api, store) = self.socket_interface();
        api.call_set_global_ca_certificates(store, &list)
    }

    /// The global CA database, the one new sockets start with: the system CAs until changed
    /// (`global-ca-certificates`). The handles are the caller's to drop.
    pub fn global_ca_certificates(&mut self) -> wasmtime::Result<Vec<Certificate>> {
        let (api, store) = self.socket_interface();
        Ok(Certificate::typed(api.call_global_ca_certificates(store)?))
    }

    /// The system CA database: Mozilla's roots, built into the guest (`system-ca-certificates`).
    /// The handles are the caller's to drop.
    pub fn system_ca_certificates(&mut self) -> wasmtime::Result<Vec<Certificate>> {
        let (api, store) = self.socket_interface();
        Ok(Certificate::typed(api.call_system_ca_certificates(store)?))
    }

    /// Sets the guest's memory budget for socket buffers (`set-memory-budget`); a new session
    /// sets it to a quarter of its memory cap.
    pub fn set_memory_budget(&mut self, bytes: u64) -> wasmtime::Result<()> {
        let (api, store) = self.socket_interface();
        api.call_set_memory_budget(store, bytes)
    }

    /// The guest's memory budget for socket buffers (`memory-budget`).
    pub fn memory_budget(&mut self) -> wasmtime::Result<u64> {
        let (api, store) = self.socket_interface();
        api.call_memory_budget(store)
    }

    /// The bytes the guest's sockets buffer now (`buffered-bytes`).
    pub fn buffered_bytes(&mut self) -> wasmtime::Result<u64> {
        let (api, store) = self.socket_interface();
        api.call_buffered_bytes(store)
    }

    /// The description of an ssl-error value (`ssl-error-string`).
    pub fn ssl_error_string(&mut self, error: SslError) -> wasmtime::Result<String> {
        let (api, store) = self.socket_interface();
        api.call_ssl_error_string(store, error)
    }

    /// Verifies `chain` (leaf first) with the default configuration's CA database (the global one
    /// unless set otherwise) as a client connection to `host_name` would, without connecting
    /// (`verify-certificate-chain`, `QSslCertificate::verify`): the errors in the connection's
    /// order. The certificates in the entries are the caller's;
    /// [`Session::verify_certificate_chain_report`] is the convenient form.
    pub fn verify_certificate_chain(
        &mut self,
        chain: &[&Certificate],
        host_name: Option<&str>,
    ) -> wasmtime::Result<Vec<SslErrorEntry>> {
        let list = Certificate::handles(chain);
        let (api, store) = self.socket_interface();
        api.call_verify_certificate_chain(store, &list, host_name)
    }

    /// [`Session::verify_certificate_chain`] as plain data: each error with the subject of its
    /// certificate (the certificate handles are dropped).
    pub fn verify_certificate_chain_report(
        &mut self,
        chain: &[&Certificate],
        host_name: Option<&str>,
    ) -> wasmtime::Result<Vec<SslErrorReport>> {
        let entries = self.verify_certificate_chain(chain, host_name)?;
        let mut report = Vec::with_capacity(entries.len());
        for entry in entries {
            report.push(SslErrorReport {
                error: entry.error,
                message: entry.message,
                certificate: entry
                    .certificate
                    .map(|handle| Certificate(handle).into_subject(self))
                    .transpose()?,
            });
        }
        Ok(report)
    }
}
