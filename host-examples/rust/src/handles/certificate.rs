//! [`Certificate`]: the `certificate` resource (`QSslCertificate`), every method of the WIT. Its
//! static functions (`from-pem`, ...) are [`Session`] methods (`certificate_from_pem`, ...).

use wasmtime::component::ResourceAny;

use crate::*;

/// A handle to a `certificate` resource in a [`Session`].
#[derive(Clone, Copy, Debug)]
pub struct Certificate(pub ResourceAny);

impl Certificate {
    /// The handles of `certificates`, as a WIT `list<borrow<certificate>>` takes them.
    pub(crate) fn handles(certificates: &[&Certificate]) -> Vec<ResourceAny> {
        certificates.iter().map(|c| c.0).collect()
    }

    /// Typed handles for a WIT `list<certificate>` the component returned.
    pub(crate) fn typed(handles: Vec<ResourceAny>) -> Vec<Certificate> {
        handles.into_iter().map(Certificate).collect()
    }

    /// `subject`, then drops the handle (for certificates the caller got only to read).
    pub fn into_subject(self, session: &mut Session) -> wasmtime::Result<String> {
        let subject = self.subject(session)?;
        self.drop(session)?;
        Ok(subject)
    }

    forward! {
        via certificate_api;
        /// `subject`: the RFC 4514 subject name.
        fn subject => call_subject() -> String;
        /// `issuer`: the RFC 4514 issuer name.
        fn issuer => call_issuer() -> String;
        /// `subject-info(attribute)`.
        fn subject_info => call_subject_info(attribute: SubjectInfoAttribute) -> Vec<String>;
        /// `issuer-info(attribute)`.
        fn issuer_info => call_issuer_info(attribute: SubjectInfoAttribute) -> Vec<String>;
        /// `subject-display-name`.
        fn subject_display_name => call_subject_display_name() -> String;
        /// `to-der`.
        fn to_der => call_to_der() -> Vec<u8>;
        /// `to-pem`.
        fn to_pem => call_to_pem() -> String;
        /// `to-text`: a description like `openssl x509 -noout -text`.
        fn to_text => call_to_text() -> String;
        /// `serial-number`: colon-separated lower-case hex bytes.
        fn serial_number => call_serial_number() -> String;
        /// `version`: "1" to "3".
        fn version => call_version() -> String;
        /// `effective-date`: seconds since the Unix epoch.
        fn effective_date => call_effective_date() -> i64;
        /// `expiry-date`: seconds since the Unix epoch.
        fn expiry_date => call_expiry_date() -> i64;
        /// `is-expired`.
        fn is_expired => call_is_expired() -> bool;
        /// `digest(algorithm)` of the DER encoding.
        fn digest => call_digest(algorithm: DigestAlgorithm) -> Vec<u8>;
        /// `subject-alternative-names`.
        fn subject_alternative_names => call_subject_alternative_names() -> Vec<AlternativeName>;
        /// `is-self-signed`.
        fn is_self_signed => call_is_self_signed() -> bool;
        /// `is-ca`: basicConstraints CA:TRUE.
        fn is_ca => call_is_ca() -> bool;
    }

    /// `public-key`.
    pub fn public_key(&self, session: &mut Session) -> CallResult<Key> {
        let (api, store) = session.certificate_api();
        Ok(api.call_public_key(store, self.0)?.map(Key))
    }

    /// `extensions`: the X.509v3 extensions, in the certificate's order.
    pub fn extensions(&self, session: &mut Session) -> wasmtime::Result<Vec<CertificateExtension>> {
        let (api, store) = session.certificate_api();
        api.call_extensions(store, self.0)
    }

    /// `equals`: same DER encoding.
    pub fn equals(&self, session: &mut Session, other: &Certificate) -> wasmtime::Result<bool> {
        let (api, store) = session.certificate_api();
        api.call_equals(store, self.0, other.0)
    }

    /// Drops the certificate resource.
    pub fn drop(self, session: &mut Session) -> wasmtime::Result<()> {
        session.drop_resource(self.0)
    }
}
