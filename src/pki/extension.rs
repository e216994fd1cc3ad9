//! One X.509v3 extension of a certificate. Mirrors `QSslCertificateExtension`.

use x509_parser::extensions::X509Extension;

/// One extension of a certificate, as it is encoded. Mirrors `QSslCertificateExtension`.
///
/// Qt's `value()` is a `QVariant`: decoded for a few extensions (basicConstraints,
/// authorityInfoAccess...) and otherwise the text OpenSSL prints for it; here `value` is always
/// the extension's DER, for the caller to decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateExtension {
    /// The OID in dotted form, e.g. `2.5.29.19` (`oid()`).
    pub oid: String,
    /// OpenSSL's short name, e.g. `basicConstraints` (`name()`); empty when unknown.
    pub name: String,
    /// Whether the extension is marked critical (`isCritical()`).
    pub critical: bool,
    /// The DER of the extension's value: the contents of its `extnValue` OCTET STRING.
    pub value: Vec<u8>,
}

impl CertificateExtension {
    /// The extension as x509-parser read it.
    pub(crate) fn of(extension: &X509Extension<'_>) -> Self {
        let oid = extension.oid.to_id_string();
        Self {
            name: short_name(&oid).to_owned(),
            oid,
            critical: extension.critical,
            value: extension.value.to_vec(),
        }
    }
}

/// OpenSSL's short name (`OBJ_nid2sn`) of a certificate extension's OID; empty when OpenSSL
/// has none (it then prints the OID).
fn short_name(oid: &str) -> &'static str {
    match oid {
        "2.5.29.9" => "subjectDirectoryAttributes",
        "2.5.29.14" => "subjectKeyIdentifier",
        "2.5.29.15" => "keyUsage",
        "2.5.29.16" => "privateKeyUsagePeriod",
        "2.5.29.17" => "subjectAltName",
        "2.5.29.18" => "issuerAltName",
        "2.5.29.19" => "basicConstraints",
        "2.5.29.30" => "nameConstraints",
        "2.5.29.31" => "crlDistributionPoints",
        "2.5.29.32" => "certificatePolicies",
        "2.5.29.33" => "policyMappings",
        "2.5.29.35" => "authorityKeyIdentifier",
        "2.5.29.36" => "policyConstraints",
        "2.5.29.37" => "extendedKeyUsage",
        "2.5.29.46" => "freshestCRL",
        "2.5.29.54" => "inhibitAnyPolicy",
        "1.3.6.1.5.5.7.1.1" => "authorityInfoAccess",
        "1.3.6.1.5.5.7.1.3" => "qcStatements",
        "1.3.6.1.5.5.7.1.11" => "subjectInfoAccess",
        "1.3.6.1.5.5.7.1.24" => "tlsfeature",
        "1.3.6.1.5.5.7.48.1.5" => "noCheck",
        "1.3.6.1.4.1.11129.2.4.2" => "ct_precert_scts",
        "1.3.6.1.4.1.11129.2.4.3" => "ct_precert_poison",
        "2.16.840.1.113730.1.1" => "nsCertType",
        "2.16.840.1.113730.1.13" => "nsComment",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_openssl_short_names() {
        assert_eq!(short_name("2.5.29.19"), "basicConstraints");
        assert_eq!(short_name("1.3.6.1.5.5.7.1.1"), "authorityInfoAccess");
        assert_eq!(short_name("1.2.3.4"), "");
    }
}
