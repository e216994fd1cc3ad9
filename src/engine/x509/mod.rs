//! Certificate verification as Qt does it with OpenSSL, below the socket: it takes a narrow
//! [`VerifyPolicy`] (trust store, CRLs, verify mode, OCSP) and returns its findings
//! ([`SharedVerifyLog`]); it never reads the socket's settings.
//!
//! - [`verify`]: one chain against a [`TrustStore`], every `QSslError` in Qt's order (host name,
//!   then OpenSSL's steps in [`chain`], then webpki's verdict).
//! - [`verifier`]: the rustls verifier of a socket ([`PeerVerifier`]) and the log it fills.
//! - [`chain`]: OpenSSL's `X509_verify_cert` steps; [`facts`]: what they read off a certificate.
//! - [`revocation`]: CRLs; [`ocsp`]: stapled OCSP responses.
//! - [`trust_store`]: the CA database; [`policy`]: what a verification checks and how it decides.

pub mod chain;
pub mod facts;
pub mod ocsp;
pub mod policy;
pub mod revocation;
pub mod trust_store;
pub mod verifier;
pub mod verify;

pub use ocsp::{OcspCertificateStatus, OcspRevocationReason, OcspStatus};
pub use policy::{PeerVerifyMode, Purpose, VerifyPolicy};
pub use revocation::{Crl, parse_crls};
pub use trust_store::TrustStore;
pub use verifier::{PeerVerifier, SharedVerifyLog};
pub use verify::{Context, verify_chain};
