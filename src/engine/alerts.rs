//! TLS alerts as Qt 6 reports them (`QSslSocket::alertSent` / `alertReceived`, with
//! `QSsl::AlertLevel` and `QSsl::AlertType`).

use rustls::AlertDescription as D;

/// How serious an alert is. Mirrors `QSsl::AlertLevel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertLevel {
    /// `Warning`: only `close_notify` (and `user_canceled`) in TLS 1.3.
    Warning,
    /// `Fatal`: the connection ends.
    Fatal,
}

/// Which alert. Mirrors `QSsl::AlertType` (RFC 8446 §6 and RFC 5246 §7.2 descriptions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // each is the TLS alert of the same name
pub enum AlertType {
    CloseNotify,
    UnexpectedMessage,
    BadRecordMac,
    RecordOverflow,
    DecompressionFailure,
    HandshakeFailure,
    NoCertificate,
    BadCertificate,
    UnsupportedCertificate,
    CertificateRevoked,
    CertificateExpired,
    CertificateUnknown,
    IllegalParameter,
    UnknownCa,
    AccessDenied,
    DecodeError,
    DecryptError,
    ExportRestriction,
    ProtocolVersion,
    InsufficientSecurity,
    InternalError,
    InappropriateFallback,
    UserCancelled,
    NoRenegotiation,
    MissingExtension,
    UnsupportedExtension,
    CertificateUnobtainable,
    UnrecognizedName,
    BadCertificateStatusResponse,
    BadCertificateHashValue,
    UnknownPskIdentity,
    CertificateRequired,
    NoApplicationProtocol,
    /// A description this library does not know (`UnknownAlertMessage`).
    UnknownAlertMessage,
}

/// One alert sent or received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// Its level.
    pub level: AlertLevel,
    /// Its description.
    pub kind: AlertType,
}

impl Alert {
    /// `close_notify`, the warning that ends a connection cleanly.
    pub const CLOSE_NOTIFY: Self = Self {
        level: AlertLevel::Warning,
        kind: AlertType::CloseNotify,
    };

    /// A fatal alert of rustls' description.
    pub(crate) fn fatal(description: D) -> Self {
        Self {
            level: AlertLevel::Fatal,
            kind: AlertType::from(description),
        }
    }

    /// The alert in an unencrypted alert record's two bytes (level, description).
    pub(crate) fn from_wire(level: u8, description: u8) -> Self {
        Self {
            level: if level == 1 {
                AlertLevel::Warning
            } else {
                AlertLevel::Fatal
            },
            kind: AlertType::from(D::from(description)),
        }
    }

    /// The description as the TLS specifications name it, e.g. `unknown_ca` (the text of
    /// Qt's `alertSent(level, type, description)`).
    pub fn description(&self) -> &'static str {
        use AlertType as A;
        match self.kind {
            A::CloseNotify => "close_notify",
            A::UnexpectedMessage => "unexpected_message",
            A::BadRecordMac => "bad_record_mac",
            A::RecordOverflow => "record_overflow",
            A::DecompressionFailure => "decompression_failure",
            A::HandshakeFailure => "handshake_failure",
            A::NoCertificate => "no_certificate",
            A::BadCertificate => "bad_certificate",
            A::UnsupportedCertificate => "unsupported_certificate",
            A::CertificateRevoked => "certificate_revoked",
            A::CertificateExpired => "certificate_expired",
            A::CertificateUnknown => "certificate_unknown",
            A::IllegalParameter => "illegal_parameter",
            A::UnknownCa => "unknown_ca",
            A::AccessDenied => "access_denied",
            A::DecodeError => "decode_error",
            A::DecryptError => "decrypt_error",
            A::ExportRestriction => "export_restriction",
            A::ProtocolVersion => "protocol_version",
            A::InsufficientSecurity => "insufficient_security",
            A::InternalError => "internal_error",
            A::InappropriateFallback => "inappropriate_fallback",
            A::UserCancelled => "user_canceled",
            A::NoRenegotiation => "no_renegotiation",
            A::MissingExtension => "missing_extension",
            A::UnsupportedExtension => "unsupported_extension",
            A::CertificateUnobtainable => "certificate_unobtainable",
            A::UnrecognizedName => "unrecognized_name",
            A::BadCertificateStatusResponse => "bad_certificate_status_response",
            A::BadCertificateHashValue => "bad_certificate_hash_value",
            A::UnknownPskIdentity => "unknown_psk_identity",
            A::CertificateRequired => "certificate_required",
            A::NoApplicationProtocol => "no_application_protocol",
            A::UnknownAlertMessage => "unknown alert",
        }
    }
}

impl From<D> for AlertType {
    fn from(d: D) -> Self {
        match d {
            D::CloseNotify => Self::CloseNotify,
            D::UnexpectedMessage => Self::UnexpectedMessage,
            D::BadRecordMac => Self::BadRecordMac,
            D::RecordOverflow => Self::RecordOverflow,
            D::DecompressionFailure => Self::DecompressionFailure,
            D::HandshakeFailure => Self::HandshakeFailure,
            D::NoCertificate => Self::NoCertificate,
            D::BadCertificate => Self::BadCertificate,
            D::UnsupportedCertificate => Self::UnsupportedCertificate,
            D::CertificateRevoked => Self::CertificateRevoked,
            D::CertificateExpired => Self::CertificateExpired,
            D::CertificateUnknown => Self::CertificateUnknown,
            D::IllegalParameter => Self::IllegalParameter,
            D::UnknownCA => Self::UnknownCa,
            D::AccessDenied => Self::AccessDenied,
            D::DecodeError => Self::DecodeError,
            D::DecryptError => Self::DecryptError,
            D::ExportRestriction => Self::ExportRestriction,
            D::ProtocolVersion => Self::ProtocolVersion,
            D::InsufficientSecurity => Self::InsufficientSecurity,
            D::InternalError => Self::InternalError,
            D::InappropriateFallback => Self::InappropriateFallback,
            D::UserCanceled => Self::UserCancelled,
            D::NoRenegotiation => Self::NoRenegotiation,
            D::MissingExtension => Self::MissingExtension,
            D::UnsupportedExtension => Self::UnsupportedExtension,
            D::CertificateUnobtainable => Self::CertificateUnobtainable,
            D::UnrecognisedName => Self::UnrecognizedName,
            D::BadCertificateStatusResponse => Self::BadCertificateStatusResponse,
            D::BadCertificateHashValue => Self::BadCertificateHashValue,
            D::UnknownPSKIdentity => Self::UnknownPskIdentity,
            D::CertificateRequired => Self::CertificateRequired,
            D::NoApplicationProtocol => Self::NoApplicationProtocol,
            _ => Self::UnknownAlertMessage,
        }
    }
}

/// The alert rustls sends for `error` when the record carrying it is encrypted (so it cannot be
/// read back): rustls' own choice for each kind of error (`send_fatal_alert` calls in rustls
/// 0.23); `None` for an alert received, which rustls does not answer.
pub(crate) fn sent_for(error: &rustls::Error) -> Option<Alert> {
    use rustls::Error as E;
    let description = match error {
        E::AlertReceived(_) => return None,
        E::InvalidCertificate(e) => D::from(e.clone()),
        E::InvalidMessage(e) => D::from(*e),
        E::InappropriateMessage { .. } | E::InappropriateHandshakeMessage { .. } => {
            D::UnexpectedMessage
        }
        E::DecryptError => D::BadRecordMac,
        E::PeerSentOversizedRecord => D::RecordOverflow,
        E::NoApplicationProtocol => D::NoApplicationProtocol,
        E::NoCertificatesPresented => D::CertificateRequired,
        E::PeerMisbehaved(_) => D::IllegalParameter,
        E::InvalidCertRevocationList(_) => D::BadCertificate,
        _ => D::HandshakeFailure,
    };
    Some(Alert::fatal(description))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_read_as_the_specifications_name_them() {
        let names: Vec<&str> = [
            AlertType::CloseNotify,
            AlertType::UnknownCa,
            AlertType::BadRecordMac,
            AlertType::UnknownPskIdentity,
            AlertType::NoApplicationProtocol,
        ]
        .iter()
        .map(|&kind| {
            Alert {
                level: AlertLevel::Fatal,
                kind,
            }
            .description()
        })
        .collect();
        assert_eq!(
            names,
            [
                "close_notify",
                "unknown_ca",
                "bad_record_mac",
                "unknown_psk_identity",
                "no_application_protocol"
            ]
        );
    }

    #[test]
    fn wire_bytes_map_both_ways() {
        let alert = Alert::from_wire(2, 48);
        assert_eq!(alert.level, AlertLevel::Fatal);
        assert_eq!(alert.kind, AlertType::UnknownCa);
        assert_eq!(Alert::from_wire(1, 0), Alert::CLOSE_NOTIFY);
        assert_eq!(
            Alert::from_wire(2, 250).kind,
            AlertType::UnknownAlertMessage
        );
    }
}
