//! WIT (kebab-case) names of the component's enums, and conversions back from names.

use crate::{
    Alert, AlertLevel, AlternativeName, ErrorCode, KeyAlgorithm, KeyType, Mode,
    NextProtocolNegotiationStatus, OcspCertificateStatus, OcspRevocationReason, PeerVerifyMode,
    Protocol, ServerEvent, SocketEvent, SocketState, SslError,
};

/// Every `ssl-error` case with its WIT name, in WIT order.
pub const SSL_ERRORS: &[(SslError, &str)] = &[
    (SslError::NoError, "no-error"),
    (
        SslError::UnableToGetIssuerCertificate,
        "unable-to-get-issuer-certificate",
    ),
    (
        SslError::UnableToDecryptCertificateSignature,
        "unable-to-decrypt-certificate-signature",
    ),
    (
        SslError::UnableToDecodeIssuerPublicKey,
        "unable-to-decode-issuer-public-key",
    ),
    (
        SslError::CertificateSignatureFailed,
        "certificate-signature-failed",
    ),
    (
        SslError::CertificateNotYetValid,
        "certificate-not-yet-valid",
    ),
    (SslError::CertificateExpired, "certificate-expired"),
    (SslError::InvalidNotBeforeField, "invalid-not-before-field"),
    (SslError::InvalidNotAfterField, "invalid-not-after-field"),
    (SslError::SelfSignedCertificate, "self-signed-certificate"),
    (
        SslError::SelfSignedCertificateInChain,
        "self-signed-certificate-in-chain",
    ),
    (
        SslError::UnableToGetLocalIssuerCertificate,
        "unable-to-get-local-issuer-certificate",
    ),
    (
        SslError::UnableToVerifyFirstCertificate,
        "unable-to-verify-first-certificate",
    ),
    (SslError::CertificateRevoked, "certificate-revoked"),
    (SslError::InvalidCaCertificate, "invalid-ca-certificate"),
    (SslError::PathLengthExceeded, "path-length-exceeded"),
    (SslError::InvalidPurpose, "invalid-purpose"),
    (SslError::CertificateUntrusted, "certificate-untrusted"),
    (SslError::CertificateRejected, "certificate-rejected"),
    (SslError::SubjectIssuerMismatch, "subject-issuer-mismatch"),
    (
        SslError::AuthorityIssuerSerialNumberMismatch,
        "authority-issuer-serial-number-mismatch",
    ),
    (SslError::NoPeerCertificate, "no-peer-certificate"),
    (SslError::HostNameMismatch, "host-name-mismatch"),
    (SslError::NoSslSupport, "no-ssl-support"),
    (SslError::CertificateBlacklisted, "certificate-blacklisted"),
    (
        SslError::CertificateStatusUnknown,
        "certificate-status-unknown",
    ),
    (SslError::OcspNoResponseFound, "ocsp-no-response-found"),
    (SslError::OcspMalformedRequest, "ocsp-malformed-request"),
    (SslError::OcspMalformedResponse, "ocsp-malformed-response"),
    (SslError::OcspInternalError, "ocsp-internal-error"),
    (SslError::OcspTryLater, "ocsp-try-later"),
    (SslError::OcspSigRequired, "ocsp-sig-required"),
    (SslError::OcspUnauthorized, "ocsp-unauthorized"),
    (
        SslError::OcspResponseCannotBeTrusted,
        "ocsp-response-cannot-be-trusted",
    ),
    (
        SslError::OcspResponseCertIdUnknown,
        "ocsp-response-cert-id-unknown",
    ),
    (SslError::OcspResponseExpired, "ocsp-response-expired"),
    (SslError::OcspStatusUnknown, "ocsp-status-unknown"),
    (SslError::UnspecifiedError, "unspecified-error"),
];

/// Every `protocol` case with its WIT name, in WIT order.
pub const PROTOCOLS: &[(Protocol, &str)] = &[
    (Protocol::SslV3, "ssl-v3"),
    (Protocol::SslV2, "ssl-v2"),
    (Protocol::TlsV1, "tls-v1"),
    (Protocol::Compat, "compat"),
    (Protocol::TlsV12, "tls-v1-2"),
    (Protocol::TlsV13, "tls-v1-3"),
    (Protocol::TlsV12OrLater, "tls-v1-2-or-later"),
    (Protocol::TlsV13OrLater, "tls-v1-3-or-later"),
    (Protocol::SecureProtocols, "secure-protocols"),
];

/// The WIT name of an `ssl-error`, e.g. `self-signed-certificate`.
pub fn ssl_error(error: SslError) -> &'static str {
    SSL_ERRORS
        .iter()
        .find(|(e, _)| *e == error)
        .map_or("unspecified-error", |(_, name)| name)
}

/// The `ssl-error` with this WIT name.
pub fn parse_ssl_error(name: &str) -> Option<SslError> {
    SSL_ERRORS.iter().find(|(_, n)| *n == name).map(|(e, _)| *e)
}

/// The WIT name of a `protocol`, e.g. `tls-v1-3`.
pub fn protocol(protocol: Protocol) -> &'static str {
    PROTOCOLS
        .iter()
        .find(|(p, _)| *p == protocol)
        .map_or("secure-protocols", |(_, name)| name)
}

/// The `protocol` with this WIT name; also accepts OpenSSL's `TLSv1.2` / `TLSv1.3`.
pub fn parse_protocol(name: &str) -> Option<Protocol> {
    match name {
        "TLSv1.2" => Some(Protocol::TlsV12),
        "TLSv1.3" => Some(Protocol::TlsV13),
        _ => PROTOCOLS.iter().find(|(_, n)| *n == name).map(|(p, _)| *p),
    }
}

/// A negotiated protocol as OpenSSL and Qt print it (`TLSv1.2`, `TLSv1.3`); other settings by
/// their WIT name.
pub fn protocol_display(p: Protocol) -> &'static str {
    match p {
        Protocol::TlsV12 => "TLSv1.2",
        Protocol::TlsV13 => "TLSv1.3",
        other => protocol(other),
    }
}

/// Every `peer-verify-mode` case with its WIT name, in WIT order.
pub const PEER_VERIFY_MODES: &[(PeerVerifyMode, &str)] = &[
    (PeerVerifyMode::VerifyNone, "verify-none"),
    (PeerVerifyMode::QueryPeer, "query-peer"),
    (PeerVerifyMode::VerifyPeer, "verify-peer"),
    (PeerVerifyMode::AutoVerifyPeer, "auto-verify-peer"),
];

/// The WIT name of a `peer-verify-mode`, e.g. `query-peer`.
pub fn peer_verify_mode(mode: PeerVerifyMode) -> &'static str {
    PEER_VERIFY_MODES
        .iter()
        .find(|(m, _)| *m == mode)
        .map_or("auto-verify-peer", |(_, name)| name)
}

/// The `peer-verify-mode` with this WIT name; also accepts the short forms `none`, `query`,
/// `peer` and `auto` (Qt's `VerifyNone`, `QueryPeer`, `VerifyPeer`, `AutoVerifyPeer`).
pub fn parse_peer_verify_mode(name: &str) -> Option<PeerVerifyMode> {
    match name {
        "none" => Some(PeerVerifyMode::VerifyNone),
        "query" => Some(PeerVerifyMode::QueryPeer),
        "peer" => Some(PeerVerifyMode::VerifyPeer),
        "auto" => Some(PeerVerifyMode::AutoVerifyPeer),
        _ => PEER_VERIFY_MODES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(m, _)| *m),
    }
}

/// The WIT name of a `key-algorithm`.
pub fn key_algorithm(algorithm: KeyAlgorithm) -> &'static str {
    match algorithm {
        KeyAlgorithm::Rsa => "rsa",
        KeyAlgorithm::Ec => "ec",
        KeyAlgorithm::Ed25519 => "ed25519",
    }
}

/// The WIT name of a `key-type`.
pub fn key_type(kind: KeyType) -> &'static str {
    match kind {
        KeyType::PrivateKey => "private-key",
        KeyType::PublicKey => "public-key",
    }
}

/// The WIT name of an `ocsp-certificate-status`.
pub fn ocsp_certificate_status(status: OcspCertificateStatus) -> &'static str {
    match status {
        OcspCertificateStatus::Good => "good",
        OcspCertificateStatus::Revoked => "revoked",
        OcspCertificateStatus::Unknown => "unknown",
    }
}

/// The WIT name of an `ocsp-revocation-reason`.
pub fn ocsp_revocation_reason(reason: OcspRevocationReason) -> &'static str {
    use OcspRevocationReason as R;
    match reason {
        R::None => "none",
        R::Unspecified => "unspecified",
        R::KeyCompromise => "key-compromise",
        R::CaCompromise => "ca-compromise",
        R::AffiliationChanged => "affiliation-changed",
        R::Superseded => "superseded",
        R::CessationOfOperation => "cessation-of-operation",
        R::CertificateHold => "certificate-hold",
        R::RemoveFromCrl => "remove-from-crl",
    }
}

/// A subject alternative name as OpenSSL prints it: `DNS:example.com`, `IP Address:127.0.0.1`,
/// `email:a@b`, `URI:https://...`.
pub fn alternative_name(name: &AlternativeName) -> String {
    match name {
        AlternativeName::Dns(n) => format!("DNS:{n}"),
        AlternativeName::Email(n) => format!("email:{n}"),
        AlternativeName::IpAddress(n) => format!("IP Address:{n}"),
        AlternativeName::Uri(n) => format!("URI:{n}"),
    }
}

/// The WIT name of a `mode`.
pub fn mode(mode: Mode) -> &'static str {
    match mode {
        Mode::Plain => "plain",
        Mode::SslClient => "ssl-client",
        Mode::SslServer => "ssl-server",
    }
}

/// The WIT name of a `socket-state`.
pub fn socket_state(state: SocketState) -> &'static str {
    match state {
        SocketState::Unconnected => "unconnected",
        SocketState::HostLookup => "host-lookup",
        SocketState::Connecting => "connecting",
        SocketState::Connected => "connected",
        SocketState::Closing => "closing",
    }
}

/// The WIT case name of an `error-code` and its message, if it carries one.
pub fn error_code(code: &ErrorCode) -> (&'static str, Option<&str>) {
    match code {
        ErrorCode::ConnectionRefused => ("connection-refused", None),
        ErrorCode::RemoteHostClosed => ("remote-host-closed", None),
        ErrorCode::HostNotFound => ("host-not-found", None),
        ErrorCode::SocketAccess => ("socket-access", None),
        ErrorCode::SocketResource => ("socket-resource", None),
        ErrorCode::SocketTimeout => ("socket-timeout", None),
        ErrorCode::Network => ("network", None),
        ErrorCode::AddressInUse => ("address-in-use", None),
        ErrorCode::SocketAddressNotAvailable => ("socket-address-not-available", None),
        ErrorCode::UnsupportedSocketOperation => ("unsupported-socket-operation", None),
        ErrorCode::SslHandshakeFailed(m) => ("ssl-handshake-failed", Some(m)),
        ErrorCode::SslInternal(m) => ("ssl-internal", Some(m)),
        ErrorCode::UnsupportedProtocol(m) => ("unsupported-protocol", Some(m)),
        ErrorCode::InvalidState(m) => ("invalid-state", Some(m)),
        ErrorCode::InvalidInput(m) => ("invalid-input", Some(m)),
        ErrorCode::Unknown(m) => ("unknown", Some(m)),
    }
}

/// An `error-code` as one line of text, e.g. `ssl-handshake-failed: bad certificate`.
pub fn error_code_text(code: &ErrorCode) -> String {
    match error_code(code) {
        (name, Some(message)) if !message.is_empty() => format!("{name}: {message}"),
        (name, _) => name.to_owned(),
    }
}

/// The WIT case name of a `socket-event`.
pub fn event(event: &SocketEvent) -> &'static str {
    match event {
        SocketEvent::HostFound => "host-found",
        SocketEvent::Connected(_) => "connected",
        SocketEvent::Encrypted => "encrypted",
        SocketEvent::ModeChanged(_) => "mode-changed",
        SocketEvent::SslErrors(_) => "ssl-errors",
        SocketEvent::HandshakeInterruptedOnError => "handshake-interrupted-on-error",
        SocketEvent::ReadyRead => "ready-read",
        SocketEvent::BytesWritten(_) => "bytes-written",
        SocketEvent::StateChanged(_) => "state-changed",
        SocketEvent::Disconnected => "disconnected",
        SocketEvent::Error(_) => "error",
        SocketEvent::PeerVerifyError(_) => "peer-verify-error",
        SocketEvent::EncryptedBytesWritten(_) => "encrypted-bytes-written",
        SocketEvent::NewSessionTicketReceived => "new-session-ticket-received",
        SocketEvent::AlertSent(_) => "alert-sent",
        SocketEvent::AlertReceived(_) => "alert-received",
        SocketEvent::KeyLogLine(_) => "key-log-line",
    }
}

/// An alert as text, e.g. `fatal unknown_ca`.
pub fn alert_text(alert: &Alert) -> String {
    let level = match alert.level {
        AlertLevel::Warning => "warning",
        AlertLevel::Fatal => "fatal",
    };
    format!("{level} {}", alert.description)
}

/// A `socket-event` as one line of text, e.g. `state-changed(connected)`.
pub fn event_text(e: &SocketEvent) -> String {
    let name = event(e);
    match e {
        SocketEvent::ModeChanged(m) => format!("{name}({})", mode(*m)),
        SocketEvent::SslErrors(errors) => {
            let list: Vec<&str> = errors.iter().map(|e| ssl_error(*e)).collect();
            format!("{name}({})", list.join(", "))
        }
        SocketEvent::BytesWritten(n) => format!("{name}({n})"),
        SocketEvent::StateChanged(s) => format!("{name}({})", socket_state(*s)),
        SocketEvent::Error(code) => format!("{name}({})", error_code_text(code)),
        SocketEvent::PeerVerifyError(entry) => format!("{name}({})", ssl_error(entry.error)),
        SocketEvent::EncryptedBytesWritten(n) => format!("{name}({n})"),
        SocketEvent::AlertSent(alert) | SocketEvent::AlertReceived(alert) => {
            format!("{name}({})", alert_text(alert))
        }
        SocketEvent::KeyLogLine(line) => format!("{name}({line})"),
        _ => name.to_owned(),
    }
}

/// The WIT case name of a `server-event`.
pub fn server_event(event: &ServerEvent) -> &'static str {
    match event {
        ServerEvent::PendingConnectionAvailable => "pending-connection-available",
        ServerEvent::HandshakeFailed(_) => "handshake-failed",
        ServerEvent::HandshakeTimedOut(_) => "handshake-timed-out",
        ServerEvent::AcceptError(_) => "accept-error",
    }
}

/// A `server-event` as one line of text, e.g. `handshake-timed-out(127.0.0.1:5000)`.
pub fn server_event_text(e: &ServerEvent) -> String {
    let name = server_event(e);
    match e {
        ServerEvent::HandshakeFailed(failure) => {
            let mut text = format!(
                "{name}({}: {}",
                failure.peer_address.as_deref().unwrap_or("unknown peer"),
                error_code_text(&failure.error)
            );
            if !failure.ssl_errors.is_empty() {
                let list: Vec<&str> = failure.ssl_errors.iter().map(|e| ssl_error(*e)).collect();
                text.push_str(&format!(" [{}]", list.join(", ")));
            }
            text.push(')');
            text
        }
        ServerEvent::HandshakeTimedOut(peer) => {
            format!("{name}({})", peer.as_deref().unwrap_or("unknown peer"))
        }
        ServerEvent::AcceptError(code) => format!("{name}({})", error_code_text(code)),
        ServerEvent::PendingConnectionAvailable => name.to_owned(),
    }
}

/// The WIT name of a `next-protocol-negotiation-status`.
pub fn next_protocol_negotiation_status(status: NextProtocolNegotiationStatus) -> &'static str {
    match status {
        NextProtocolNegotiationStatus::None => "none",
        NextProtocolNegotiationStatus::Negotiated => "negotiated",
        NextProtocolNegotiationStatus::Unsupported => "unsupported",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (e, name) in SSL_ERRORS {
            assert_eq!(ssl_error(*e), *name);
            assert_eq!(parse_ssl_error(name), Some(*e));
        }
        for (p, name) in PROTOCOLS {
            assert_eq!(protocol(*p), *name);
            assert_eq!(parse_protocol(name), Some(*p));
        }
        for (m, name) in PEER_VERIFY_MODES {
            assert_eq!(peer_verify_mode(*m), *name);
            assert_eq!(parse_peer_verify_mode(name), Some(*m));
        }
        assert_eq!(
            parse_peer_verify_mode("none"),
            Some(PeerVerifyMode::VerifyNone)
        );
        assert_eq!(parse_peer_verify_mode("nonsense"), None);
        assert_eq!(parse_protocol("TLSv1.3"), Some(Protocol::TlsV13));
        assert_eq!(parse_ssl_error("nonsense"), None);
        assert_eq!(SSL_ERRORS.len(), 38);
        assert_eq!(PROTOCOLS.len(), 9);
    }
}
