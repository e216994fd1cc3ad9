//! A list of certificates shared without copying: the CA databases of settings, of the instance
//! and of the system.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use crate::pki::Certificate;

/// An immutable list of certificates, cheap to clone and to compare. Its hash is computed from
/// the certificates once, when the list is made, so a configuration holding a CA database of
/// hundreds of roots is hashed (as a cache key) in constant time; equality compares the
/// certificates themselves unless both sides are the same list.
#[derive(Debug, Clone)]
pub struct CertificateList {
    certificates: Arc<[Certificate]>,
    digest: u64,
}

impl CertificateList {
    /// A list of `certificates`, in order.
    pub fn new(certificates: Vec<Certificate>) -> Self {
        let mut hasher = DefaultHasher::new();
        certificates.hash(&mut hasher);
        Self {
            certificates: certificates.into(),
            digest: hasher.finish(),
        }
    }

    /// The certificates, in order.
    pub fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// The list with `more` appended, skipping certificates already there.
    #[must_use]
    pub fn extended(&self, more: impl IntoIterator<Item = Certificate>) -> Self {
        let mut list = self.certificates.to_vec();
        for certificate in more {
            if !list.contains(&certificate) {
                list.push(certificate);
            }
        }
        Self::new(list)
    }
}

impl PartialEq for CertificateList {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.certificates, &other.certificates)
            || (self.digest == other.digest && self.certificates == other.certificates)
    }
}

impl Eq for CertificateList {}

impl Hash for CertificateList {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The digest is a function of the certificates, which equality compares: equal lists
        // have equal digests.
        state.write_u64(self.digest);
    }
}

impl From<Vec<Certificate>> for CertificateList {
    fn from(certificates: Vec<Certificate>) -> Self {
        Self::new(certificates)
    }
}
