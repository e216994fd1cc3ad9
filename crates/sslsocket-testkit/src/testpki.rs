//! Throwaway certificates for demos and tests, made in memory with rcgen. Never use them for
//! anything real.

use anyhow::Context as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, date_time_ymd,
};

/// What a leaf certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    /// A TLS server (extended key usage `serverAuth`).
    Server,
    /// A TLS client (extended key usage `clientAuth`).
    Client,
}

/// A certificate with its private key.
#[derive(Clone, Debug)]
pub struct Identity {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// The private key, PKCS#8 PEM.
    pub key_pem: String,
    /// The private key, PKCS#8 DER.
    pub key_der: Vec<u8>,
}

/// A throwaway certificate authority.
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate, PEM.
    pub cert_pem: String,
    /// The CA certificate, DER.
    pub cert_der: Vec<u8>,
}

impl Authority {
    /// A new CA (ECDSA P-256) with subject `CN=<common_name>, O=sslsocket test`.
    pub fn new(common_name: &str) -> anyhow::Result<Self> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name = name(common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        validity(&mut params);
        let key = KeyPair::generate()?;
        let cert = params.self_signed(&key)?;
        Ok(Self {
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
            issuer: Issuer::new(params, key),
        })
    }

    /// Issues a leaf certificate with a new ECDSA P-256 key. `names` become subject alternative
    /// names (IP addresses when they parse as such, DNS names otherwise).
    pub fn issue(
        &self,
        common_name: &str,
        names: &[&str],
        usage: Usage,
    ) -> anyhow::Result<Identity> {
        self.issue_with_key(common_name, names, usage, KeyPair::generate()?)
    }

    /// Issues a leaf certificate for an existing key, e.g. an RSA key made by
    /// `openssl genpkey` and loaded with [`KeyPair::from_pem`].
    pub fn issue_with_key(
        &self,
        common_name: &str,
        names: &[&str],
        usage: Usage,
        key: KeyPair,
    ) -> anyhow::Result<Identity> {
        let params = leaf_params(common_name, names, usage)?;
        let cert = params
            .signed_by(&key, &self.issuer)
            .context("signing the certificate")?;
        Ok(Identity {
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
            key_pem: key.serialize_pem(),
            key_der: key.serialize_der(),
        })
    }
}

/// A self-signed server certificate (not a CA) with a new ECDSA P-256 key.
pub fn self_signed(common_name: &str, names: &[&str]) -> anyhow::Result<Identity> {
    let params = leaf_params(common_name, names, Usage::Server)?;
    let key = KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok(Identity {
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_pem: key.serialize_pem(),
        key_der: key.serialize_der(),
    })
}

fn leaf_params(
    common_name: &str,
    names: &[&str],
    usage: Usage,
) -> anyhow::Result<CertificateParams> {
    let sans: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(sans)?;
    params.distinguished_name = name(common_name);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![match usage {
        Usage::Server => ExtendedKeyUsagePurpose::ServerAuth,
        Usage::Client => ExtendedKeyUsagePurpose::ClientAuth,
    }];
    params.use_authority_key_identifier_extension = true;
    validity(&mut params);
    Ok(params)
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn.push(DnType::OrganizationName, "sslsocket test");
    dn
}

fn validity(params: &mut CertificateParams) {
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2045, 1, 1);
}
