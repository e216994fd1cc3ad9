//! Certificate scenarios made at test time with rcgen (and `openssl` for RSA keys): roots,
//! intermediates with any basic constraints, leaves with explicit validity, EKUs, serials and
//! subject alternative names, CRLs, and the `openssl s_server` that serves a chain.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    PublicKeyData, RevocationReason, RevokedCertParams, SerialNumber, SignatureAlgorithm,
    date_time_ymd,
};

use crate::{Peer, TempDir, openssl_s_server};

/// The subject the guest reports for a certificate made here with common name `cn`.
pub fn subject(cn: &str) -> String {
    format!("CN={cn}, O=sslsocket test")
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn.push(DnType::OrganizationName, "sslsocket test");
    dn
}

/// A certificate with its private key.
#[derive(Clone, Debug)]
pub struct Cert {
    /// The common name of its subject (`CN=<cn>, O=sslsocket test`).
    pub cn: String,
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// The private key, PKCS#8 PEM.
    pub key_pem: String,
}

impl Cert {
    /// The subject as the guest reports it.
    pub fn subject(&self) -> String {
        subject(&self.cn)
    }
}

/// A certificate that can sign others (whatever its basic constraints say).
pub struct Ca {
    /// Its certificate and key.
    pub cert: Cert,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    /// The subject as the guest reports it.
    pub fn subject(&self) -> String {
        self.cert.subject()
    }

    /// The certificate, PEM.
    pub fn pem(&self) -> &str {
        &self.cert.cert_pem
    }
}

/// Parameters of a CA certificate valid 2020–2045.
pub fn ca_params(cn: &str, constraints: IsCa) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = dn(cn);
    params.is_ca = constraints;
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.use_authority_key_identifier_extension = true;
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2045, 1, 1);
    params
}

/// Parameters of a TLS server leaf valid 2020–2045 for `sans` (IP addresses when they parse as
/// such), extended key usage serverAuth.
pub fn leaf_params(cn: &str, sans: &[&str]) -> CertificateParams {
    let sans: Vec<String> = sans.iter().map(|s| (*s).to_owned()).collect();
    let mut params = CertificateParams::new(sans).expect("valid SANs");
    params.distinguished_name = dn(cn);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2045, 1, 1);
    params
}

/// A self-signed root CA (P-256, no path length limit).
pub fn root(cn: &str) -> Ca {
    root_with(cn, ca_params(cn, IsCa::Ca(BasicConstraints::Unconstrained)))
}

/// A self-signed root CA (P-256) with these `params`.
pub fn root_with(cn: &str, params: CertificateParams) -> Ca {
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("self-sign");
    let cert = Cert {
        cn: cn.to_owned(),
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_pem: key.serialize_pem(),
    };
    Ca {
        cert,
        issuer: Issuer::new(params, key),
    }
}

/// A certificate with these `params` and a new P-256 key, signed by `parent`, usable as an issuer
/// (even when its params say CA:FALSE).
pub fn sub_ca(cn: &str, params: CertificateParams, parent: &Ca) -> Ca {
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, &parent.issuer).expect("sign");
    let cert = Cert {
        cn: cn.to_owned(),
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_pem: key.serialize_pem(),
    };
    Ca {
        cert,
        issuer: Issuer::new(params, key),
    }
}

/// A certificate with these `params` and a new P-256 key, signed by `parent`.
pub fn issue(cn: &str, params: &CertificateParams, parent: &Ca) -> Cert {
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, &parent.issuer).expect("sign");
    Cert {
        cn: cn.to_owned(),
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_pem: key.serialize_pem(),
    }
}

/// A self-signed certificate with these `params` and a new P-256 key.
pub fn self_signed(cn: &str, params: &CertificateParams) -> Cert {
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("self-sign");
    Cert {
        cn: cn.to_owned(),
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_pem: key.serialize_pem(),
    }
}

/// A self-signed RSA certificate made the way users make one, `openssl req -x509` (CN `cn`,
/// O `sslsocket test`), with `extensions` (`-addext` values) and `key` (`-newkey`).
pub fn openssl_self_signed(dir: &TempDir, cn: &str, key: &str, extensions: &[&str]) -> Cert {
    let (key_file, cert_file) = (format!("{cn}-req.key"), format!("{cn}-req.pem"));
    let subject = format!("/CN={cn}/O=sslsocket test");
    let mut args = vec![
        "req", "-x509", "-newkey", key, "-nodes", "-days", "365", "-subj", &subject, "-keyout",
        &key_file, "-out", &cert_file,
    ];
    for extension in extensions {
        args.extend(["-addext", extension]);
    }
    openssl(dir, &args);
    openssl_cert(dir, cn, &cert_file, &key_file)
}

/// `cert` with the last byte of its signature changed (so it no longer verifies), as PEM and DER;
/// the same key.
pub fn tampered(dir: &TempDir, cert: &Cert) -> Cert {
    let mut der = cert.cert_der.clone();
    if let Some(last) = der.last_mut() {
        *last ^= 0x01;
    }
    as_cert(dir, cert, der, "tampered")
}

/// `der` as a [`Cert`] with the name and key of `cert` (the PEM made by `openssl x509`, via
/// files tagged `tag`).
fn as_cert(dir: &TempDir, cert: &Cert, der: Vec<u8>, tag: &str) -> Cert {
    let der_file = format!("{}-{tag}.der", cert.cn);
    let pem_file = format!("{}-{tag}.pem", cert.cn);
    dir.write(&der_file, &der);
    openssl(
        dir,
        &[
            "x509", "-inform", "DER", "-in", &der_file, "-out", &pem_file,
        ],
    );
    let pem = std::fs::read_to_string(dir.path().join(&pem_file)).expect("PEM");
    Cert {
        cn: cert.cn.clone(),
        cert_pem: pem,
        cert_der: der,
        key_pem: cert.key_pem.clone(),
    }
}

/// `cert` re-signed by `issuer` (an RSA key: `openssl dgst -sha256 -sign`) with its signature
/// algorithm, sha256WithRSAEncryption, written without the NULL parameter (in the TBS and outside
/// it): an encoding RFC 4055 asks verifiers to accept and some CAs produce.
pub fn without_null_parameters(dir: &TempDir, cert: &Cert, issuer: &Cert) -> Cert {
    use der::{Decode as _, Encode as _};
    let mut parsed = x509_cert::Certificate::from_der(&cert.cert_der).expect("a certificate");
    let rsa_sha256 = der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
    assert_eq!(parsed.signature_algorithm.oid, rsa_sha256, "{}", cert.cn);
    assert!(
        parsed.signature_algorithm.parameters.is_some(),
        "already without NULL"
    );
    parsed.tbs_certificate.signature.parameters = None;
    parsed.signature_algorithm.parameters = None;
    let tbs = parsed.tbs_certificate.to_der().expect("TBS DER");
    let tbs_file = format!("{}-tbs.der", cert.cn);
    dir.write(&tbs_file, &tbs);
    let key_file = dir.write(&format!("{}-issuer.key", cert.cn), &issuer.key_pem);
    let key_file = key_file.to_str().expect("utf-8 path");
    let signature = openssl_bytes(dir, &["dgst", "-sha256", "-sign", key_file, &tbs_file]);
    parsed.signature = der::asn1::BitString::from_bytes(&signature).expect("signature");
    let der = parsed.to_der().expect("certificate DER");
    as_cert(dir, cert, der, "no-null")
}

/// A root whose key is a `bits`-bit RSA key (any size, also 1024: made by `openssl req`) and a
/// P-256 leaf for `localhost` it signs with `openssl x509 -req`; for keys ring cannot sign with.
pub fn openssl_rsa_root_and_leaf(dir: &TempDir, bits: u32) -> (Cert, Cert) {
    let root = openssl_self_signed(
        dir,
        "root1",
        &format!("rsa:{bits}"),
        &[
            "basicConstraints=critical,CA:TRUE",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "leaf.key",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            "leaf.key",
            "-subj",
            "/CN=leaf/O=sslsocket test",
            "-out",
            "leaf.csr",
        ],
    );
    dir.write(
        "leaf.ext",
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "root1-req.pem",
            "-CAkey",
            "root1-req.key",
            "-CAcreateserial",
            "-days",
            "365",
            "-sha256",
            "-extfile",
            "leaf.ext",
            "-out",
            "leaf.pem",
        ],
    );
    (root, openssl_cert(dir, "leaf", "leaf.pem", "leaf.key"))
}

/// A [`Cert`] from the PEM certificate and key files `openssl` wrote in `dir`.
fn openssl_cert(dir: &TempDir, cn: &str, cert_file: &str, key_file: &str) -> Cert {
    let der_file = format!("{cert_file}.der");
    openssl(
        dir,
        &[
            "x509", "-in", cert_file, "-outform", "DER", "-out", &der_file,
        ],
    );
    let read = |file: &str| std::fs::read(dir.path().join(file)).expect("openssl output");
    Cert {
        cn: cn.to_owned(),
        cert_pem: String::from_utf8(read(cert_file)).expect("PEM"),
        cert_der: read(&der_file),
        key_pem: String::from_utf8(read(key_file)).expect("PEM"),
    }
}

/// An RSA public key as rcgen wants it (PKCS#1 `RSAPublicKey` DER), for keys ring cannot load
/// (under 2048 bits).
struct RsaPublicKey(Vec<u8>);

impl PublicKeyData for RsaPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

fn openssl(dir: &TempDir, args: &[&str]) {
    openssl_output(dir, args);
}

/// Runs `openssl` in `dir`, which must succeed (the test fails with its standard error
/// otherwise); returns its standard output as text.
pub fn openssl_output(dir: &TempDir, args: &[&str]) -> String {
    String::from_utf8_lossy(&openssl_bytes(dir, args)).into_owned()
}

/// As [`openssl_output`], the standard output as bytes (DER, say).
pub fn openssl_bytes(dir: &TempDir, args: &[&str]) -> Vec<u8> {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// A certificate for a new `bits`-bit RSA key made by `openssl genpkey` (any size, also 1024),
/// signed by `parent`.
pub fn issue_rsa(
    dir: &TempDir,
    cn: &str,
    params: &CertificateParams,
    parent: &Ca,
    bits: u32,
) -> Cert {
    let key_file = format!("{cn}-rsa{bits}.key");
    let pub_file = format!("{cn}-rsa{bits}.pub.der");
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            &format!("rsa_keygen_bits:{bits}"),
            "-out",
            &key_file,
        ],
    );
    openssl(
        dir,
        &[
            "rsa",
            "-in",
            &key_file,
            "-RSAPublicKey_out",
            "-outform",
            "DER",
            "-out",
            &pub_file,
        ],
    );
    let public = RsaPublicKey(std::fs::read(dir.path().join(&pub_file)).expect("public key"));
    let cert = params.signed_by(&public, &parent.issuer).expect("sign");
    Cert {
        cn: cn.to_owned(),
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_pem: std::fs::read_to_string(dir.path().join(&key_file)).expect("key"),
    }
}

/// A CRL signed by `ca` revoking these serial numbers (valid 2024–2044), PEM.
pub fn crl_pem(ca: &Ca, revoked: &[u64]) -> String {
    let params = CertificateRevocationListParams {
        this_update: date_time_ymd(2024, 1, 1),
        next_update: date_time_ymd(2044, 1, 1),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|serial| RevokedCertParams {
                serial_number: SerialNumber::from(*serial),
                revocation_time: date_time_ymd(2024, 1, 1),
                reason_code: Some(RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::Sha256,
    };
    params
        .signed_by(&ca.issuer)
        .expect("sign CRL")
        .pem()
        .expect("CRL PEM")
}

/// `openssl s_server` on 127.0.0.1 presenting `leaf` and sending `chain` after it
/// (`-cert_chain`); `extra` are more s_server arguments.
pub fn serve(dir: &TempDir, leaf: &Cert, chain: &[&Cert], extra: &[&str]) -> Peer {
    let cert = dir.write(&format!("{}.pem", leaf.cn), &leaf.cert_pem);
    let key = dir.write(&format!("{}.key", leaf.cn), &leaf.key_pem);
    let mut args: Vec<String> = Vec::new();
    if !chain.is_empty() {
        let pem: String = chain.iter().map(|c| c.cert_pem.as_str()).collect();
        let path: PathBuf = dir.write(&format!("{}-chain.pem", leaf.cn), pem);
        args.push("-cert_chain".to_owned());
        args.push(path.to_str().expect("utf-8 path").to_owned());
    }
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    openssl_s_server(&cert, &key, &args)
}

/// What the OCSP responder's index says of a leaf.
#[derive(Clone, Copy, Debug)]
pub enum OcspStatus {
    /// Listed as valid.
    Good,
    /// Listed as revoked (keyCompromise, 2024-01-01).
    Revoked,
    /// Not listed.
    Unknown,
}

/// A DER OCSP response about `leaf_pem` issued by `issuer_pem`, made by `openssl ocsp` acting as
/// the responder over an index file (request with `-reqout`, answer with `-reqin -respout`),
/// signed by `signer` (certificate and key PEM); `extra` are more responder arguments (e.g.
/// `-ndays 1`).
pub fn ocsp_response(
    dir: &TempDir,
    issuer_pem: &str,
    signer: (&str, &str),
    leaf_pem: &str,
    status: OcspStatus,
    extra: &[&str],
) -> Vec<u8> {
    let file = |name: &str, contents: &str| {
        dir.write(name, contents)
            .to_str()
            .expect("utf-8 path")
            .to_owned()
    };
    let issuer = file("ocsp-issuer.pem", issuer_pem);
    let leaf = file("ocsp-leaf.pem", leaf_pem);
    let signer_cert = file("ocsp-signer.pem", signer.0);
    let signer_key = file("ocsp-signer.key", signer.1);
    let serial = openssl_output(dir, &["x509", "-noout", "-serial", "-in", &leaf]);
    let serial = serial.trim().trim_start_matches("serial=");
    let line = match status {
        OcspStatus::Good => format!("V\t450101000000Z\t\t{serial}\tunknown\t/CN=leaf\n"),
        OcspStatus::Revoked => {
            format!("R\t450101000000Z\t240101000000Z,keyCompromise\t{serial}\tunknown\t/CN=leaf\n")
        }
        OcspStatus::Unknown => "V\t450101000000Z\t\t0BAD\tunknown\t/CN=other\n".to_owned(),
    };
    let index = file("ocsp-index.txt", &line);
    let (request, response) = ("ocsp-request.der", "ocsp-response.der");
    openssl(
        dir,
        &[
            "ocsp",
            "-issuer",
            &issuer,
            "-cert",
            &leaf,
            "-no_nonce",
            "-reqout",
            request,
        ],
    );
    let mut args = vec![
        "ocsp",
        "-index",
        &index,
        "-rsigner",
        &signer_cert,
        "-rkey",
        &signer_key,
        "-CA",
        &issuer,
        "-reqin",
        request,
        "-respout",
        response,
    ];
    args.extend(extra);
    openssl(dir, &args);
    std::fs::read(dir.path().join(response)).expect("OCSP response")
}
