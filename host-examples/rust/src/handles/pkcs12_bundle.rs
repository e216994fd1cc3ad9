//! [`Pkcs12Bundle`]: the `pkcs12-bundle` record (`QSslCertificate::importPkcs12`'s
//! out-parameters) with typed handles, as [`Session::import_pkcs12`] returns it.

use crate::*;

/// What a PKCS#12 bundle holds, as handles the caller owns (drop them with [`Self::drop`]).
#[derive(Clone, Debug)]
pub struct Pkcs12Bundle {
    /// The certificate of the private key.
    pub certificate: Certificate,
    /// The private key.
    pub private_key: Key,
    /// Every other certificate of the bundle, in its order (usually the CA chain).
    pub ca_certificates: Vec<Certificate>,
}

impl Pkcs12Bundle {
    /// Wraps the record the guest returned.
    pub(crate) fn from_wit(bundle: bindings::exports::sslsocket::tls::pki::Pkcs12Bundle) -> Self {
        Self {
            certificate: Certificate(bundle.certificate),
            private_key: Key(bundle.private_key),
            ca_certificates: Certificate::typed(bundle.ca_certificates),
        }
    }

    /// Drops every handle of the bundle.
    pub fn drop(self, session: &mut Session) -> wasmtime::Result<()> {
        self.certificate.drop(session)?;
        self.private_key.drop(session)?;
        for certificate in self.ca_certificates {
            certificate.drop(session)?;
        }
        Ok(())
    }
}
