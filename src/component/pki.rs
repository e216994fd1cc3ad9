//! The `certificate` and `key` resources.

use super::Component;
use super::convert::{self, encoding, pki_error};
use crate::bindings::exports::sslsocket::tls::pki as wit;
use crate::bindings::exports::sslsocket::tls::types::ErrorCode;
use crate::pki::{
    AlternativeName, Certificate, DigestAlgorithm, EncodingFormat, Key, KeyAlgorithm, KeyType,
    Pkcs12Bundle, SubjectInfo,
};

impl wit::Guest for Component {
    type Certificate = Certificate;
    type Key = Key;
}

/// Wraps certificates as WIT resources.
pub fn certificates(list: impl IntoIterator<Item = Certificate>) -> Vec<wit::Certificate> {
    list.into_iter().map(wit::Certificate::new).collect()
}

/// Parses every certificate of a PEM text and gives them to `add` (the `add-ca-certificates-pem`
/// of sockets, servers and configurations); returns how many.
pub fn add_pem_certificates(
    pem: &str,
    add: impl FnOnce(Vec<Certificate>),
) -> Result<u32, ErrorCode> {
    let certs = Certificate::from_data(pem.as_bytes(), EncodingFormat::Pem).map_err(pki_error)?;
    let count = u32::try_from(certs.len()).unwrap_or(u32::MAX);
    add(certs);
    Ok(count)
}

/// The engine certificate behind a borrowed handle.
pub fn borrowed(certificate: &wit::CertificateBorrow<'_>) -> Certificate {
    certificate.get::<Certificate>().clone()
}

impl wit::GuestCertificate for Certificate {
    fn from_data(
        data: Vec<u8>,
        format: wit::EncodingFormat,
    ) -> Result<Vec<wit::Certificate>, ErrorCode> {
        Certificate::from_data(&data, encoding(format))
            .map(certificates)
            .map_err(pki_error)
    }

    fn from_pem(pem: String) -> Result<wit::Certificate, ErrorCode> {
        Certificate::from_pem(&pem)
            .map(wit::Certificate::new)
            .map_err(pki_error)
    }

    fn from_der(der: Vec<u8>) -> Result<wit::Certificate, ErrorCode> {
        Certificate::from_der(&der)
            .map(wit::Certificate::new)
            .map_err(pki_error)
    }

    fn from_path(path: String) -> Result<Vec<wit::Certificate>, ErrorCode> {
        Certificate::from_path(&path)
            .map(certificates)
            .map_err(pki_error)
    }

    fn import_pkcs12(data: Vec<u8>, passphrase: String) -> Result<wit::Pkcs12Bundle, ErrorCode> {
        Pkcs12Bundle::import(&data, &passphrase)
            .map(convert::pkcs12_bundle)
            .map_err(pki_error)
    }

    fn to_pem(&self) -> String {
        Certificate::to_pem(self)
    }

    fn to_der(&self) -> Vec<u8> {
        Certificate::to_der(self)
    }

    fn to_text(&self) -> String {
        Certificate::to_text(self)
    }

    fn subject_info(&self, attribute: wit::SubjectInfoAttribute) -> Vec<String> {
        Certificate::subject_info(self, subject_info(attribute))
    }

    fn issuer_info(&self, attribute: wit::SubjectInfoAttribute) -> Vec<String> {
        Certificate::issuer_info(self, subject_info(attribute))
    }

    fn subject(&self) -> String {
        Certificate::subject(self)
    }

    fn issuer(&self) -> String {
        Certificate::issuer(self)
    }

    fn subject_display_name(&self) -> String {
        Certificate::subject_display_name(self)
    }

    fn serial_number(&self) -> String {
        Certificate::serial_number(self)
    }

    fn version(&self) -> String {
        Certificate::version(self)
    }

    fn effective_date(&self) -> i64 {
        Certificate::effective_date(self)
    }

    fn expiry_date(&self) -> i64 {
        Certificate::expiry_date(self)
    }

    fn is_expired(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        self.is_expired_at(now)
    }

    fn digest(&self, algorithm: wit::DigestAlgorithm) -> Vec<u8> {
        Certificate::digest(
            self,
            match algorithm {
                wit::DigestAlgorithm::Md5 => DigestAlgorithm::Md5,
                wit::DigestAlgorithm::Sha1 => DigestAlgorithm::Sha1,
                wit::DigestAlgorithm::Sha256 => DigestAlgorithm::Sha256,
            },
        )
    }

    fn subject_alternative_names(&self) -> Vec<wit::AlternativeName> {
        Certificate::subject_alternative_names(self)
            .into_iter()
            .map(|name| match name {
                AlternativeName::Dns(v) => wit::AlternativeName::Dns(v),
                AlternativeName::Email(v) => wit::AlternativeName::Email(v),
                AlternativeName::IpAddress(v) => wit::AlternativeName::IpAddress(v),
                AlternativeName::Uri(v) => wit::AlternativeName::Uri(v),
            })
            .collect()
    }

    fn is_self_signed(&self) -> bool {
        Certificate::is_self_signed(self)
    }

    fn is_ca(&self) -> bool {
        Certificate::is_ca(self)
    }

    fn public_key(&self) -> Result<wit::Key, ErrorCode> {
        Certificate::public_key(self)
            .map(wit::Key::new)
            .map_err(pki_error)
    }

    fn equals(&self, other: wit::CertificateBorrow<'_>) -> bool {
        self == other.get::<Certificate>()
    }

    fn extensions(&self) -> Vec<wit::CertificateExtension> {
        Certificate::extensions(self)
            .into_iter()
            .map(convert::certificate_extension)
            .collect()
    }
}

impl wit::GuestKey for Key {
    fn private_from_data(
        data: Vec<u8>,
        format: wit::EncodingFormat,
    ) -> Result<wit::Key, ErrorCode> {
        Key::private_from_data(&data, encoding(format))
            .map(wit::Key::new)
            .map_err(pki_error)
    }

    fn private_from_data_with_passphrase(
        data: Vec<u8>,
        format: wit::EncodingFormat,
        passphrase: Vec<u8>,
    ) -> Result<wit::Key, ErrorCode> {
        Key::private_from_data_with_passphrase(&data, encoding(format), &passphrase)
            .map(wit::Key::new)
            .map_err(pki_error)
    }

    fn public_from_data(data: Vec<u8>, format: wit::EncodingFormat) -> Result<wit::Key, ErrorCode> {
        Key::public_from_data(&data, encoding(format))
            .map(wit::Key::new)
            .map_err(pki_error)
    }

    fn algorithm(&self) -> wit::KeyAlgorithm {
        match Key::algorithm(self) {
            KeyAlgorithm::Rsa => wit::KeyAlgorithm::Rsa,
            KeyAlgorithm::Ec => wit::KeyAlgorithm::Ec,
            KeyAlgorithm::Ed25519 => wit::KeyAlgorithm::Ed25519,
        }
    }

    fn key_type(&self) -> wit::KeyType {
        match Key::key_type(self) {
            KeyType::PrivateKey => wit::KeyType::PrivateKey,
            KeyType::PublicKey => wit::KeyType::PublicKey,
        }
    }

    fn length(&self) -> u32 {
        Key::length(self)
    }

    fn to_pem(&self) -> String {
        Key::to_pem(self)
    }

    fn to_der(&self) -> Vec<u8> {
        Key::to_der(self)
    }
}

fn subject_info(attribute: wit::SubjectInfoAttribute) -> SubjectInfo {
    use wit::SubjectInfoAttribute as W;
    match attribute {
        W::Organization => SubjectInfo::Organization,
        W::CommonName => SubjectInfo::CommonName,
        W::LocalityName => SubjectInfo::LocalityName,
        W::OrganizationalUnitName => SubjectInfo::OrganizationalUnitName,
        W::CountryName => SubjectInfo::CountryName,
        W::StateOrProvinceName => SubjectInfo::StateOrProvinceName,
        W::EmailAddress => SubjectInfo::EmailAddress,
    }
}
