//! The CA database as verification uses it (OpenSSL's `X509_STORE`, Qt's `caCertificates`).

use rustls_pki_types::TrustAnchor;

use super::facts::Facts;
use crate::pki::Certificate;

/// The CA database, with each certificate's facts read once, and the same certificates as
/// webpki trust anchors (those that can be).
#[derive(Debug, Default)]
pub struct TrustStore {
    entries: Vec<(Certificate, Facts)>,
    anchors: Vec<TrustAnchor<'static>>,
}

impl TrustStore {
    /// A store of `certificates`.
    pub fn new(certificates: &[Certificate]) -> Self {
        Self {
            entries: certificates
                .iter()
                .map(|c| (c.clone(), Facts::of(c)))
                .collect(),
            anchors: certificates
                .iter()
                .filter_map(|c| {
                    webpki::anchor_from_trusted_cert(c.der())
                        .ok()
                        .map(|a| a.to_owned())
                })
                .collect(),
        }
    }

    /// The certificates that can be webpki trust anchors, as anchors.
    pub fn anchors(&self) -> &[TrustAnchor<'static>] {
        &self.anchors
    }

    /// Whether `certificate` itself is in the store.
    pub fn contains(&self, certificate: &Certificate) -> bool {
        self.entries.iter().any(|(c, _)| c == certificate)
    }

    /// The certificates of the store with their facts.
    pub(crate) fn candidates(&self) -> impl Iterator<Item = (&Certificate, &Facts)> {
        self.entries.iter().map(|(c, f)| (c, f))
    }
}
