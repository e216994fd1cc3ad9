//! Conversions between the generated WIT types and the engine's types.

use crate::bindings::exports::sslsocket::tls::pki::Certificate as WitCertificate;
use crate::bindings::exports::sslsocket::tls::types as wit;
use crate::engine::{
    self, Cipher, Event, Mode, PeerVerifyMode, Protocol, SocketError, SocketState, SslError,
};
use crate::pki::{EncodingFormat, PkiError};

pub fn error_code(e: SocketError) -> wit::ErrorCode {
    use wit::ErrorCode as W;
    match e {
        SocketError::ConnectionRefused => W::ConnectionRefused,
        SocketError::RemoteHostClosed => W::RemoteHostClosed,
        SocketError::HostNotFound => W::HostNotFound,
        SocketError::SocketAccess => W::SocketAccess,
        SocketError::SocketResource => W::SocketResource,
        SocketError::SocketTimeout => W::SocketTimeout,
        SocketError::Network => W::Network,
        SocketError::AddressInUse => W::AddressInUse,
        SocketError::SocketAddressNotAvailable => W::SocketAddressNotAvailable,
        SocketError::UnsupportedSocketOperation => W::UnsupportedSocketOperation,
        SocketError::SslHandshakeFailed(m) => W::SslHandshakeFailed(m),
        SocketError::SslInternal(m) => W::SslInternal(m),
        SocketError::UnsupportedProtocol(m) => W::UnsupportedProtocol(m),
        SocketError::InvalidState(m) => W::InvalidState(m),
        SocketError::InvalidInput(m) => W::InvalidInput(m),
        SocketError::Unknown(m) => W::Unknown(m),
    }
}

pub fn pki_error(e: PkiError) -> wit::ErrorCode {
    wit::ErrorCode::InvalidInput(e.to_string())
}

pub fn mode(m: Mode) -> wit::Mode {
    match m {
        Mode::Plain => wit::Mode::Plain,
        Mode::SslClient => wit::Mode::SslClient,
        Mode::SslServer => wit::Mode::SslServer,
    }
}

pub fn state(s: SocketState) -> wit::SocketState {
    match s {
        SocketState::Unconnected => wit::SocketState::Unconnected,
        SocketState::HostLookup => wit::SocketState::HostLookup,
        SocketState::Connecting => wit::SocketState::Connecting,
        SocketState::Connected => wit::SocketState::Connected,
        SocketState::Closing => wit::SocketState::Closing,
    }
}

/// Maps one enum to another with the same case names, both ways.
macro_rules! same_cases {
    ($to:ident, $from:ident, $engine:ty, $wit:ty, [$($case:ident),* $(,)?]) => {
        pub fn $to(value: $engine) -> $wit {
            match value {
                $(<$engine>::$case => <$wit>::$case,)*
            }
        }

        pub fn $from(value: $wit) -> $engine {
            match value {
                $(<$wit>::$case => <$engine>::$case,)*
            }
        }
    };
}

same_cases!(
    protocol,
    protocol_from_wit,
    Protocol,
    wit::Protocol,
    [
        SslV3,
        SslV2,
        TlsV1,
        Compat,
        TlsV12,
        TlsV13,
        TlsV12OrLater,
        TlsV13OrLater,
        SecureProtocols,
    ]
);

same_cases!(
    ssl_error,
    ssl_error_from_wit,
    SslError,
    wit::SslError,
    [
        NoError,
        UnableToGetIssuerCertificate,
        UnableToDecryptCertificateSignature,
        UnableToDecodeIssuerPublicKey,
        CertificateSignatureFailed,
        CertificateNotYetValid,
        CertificateExpired,
        InvalidNotBeforeField,
        InvalidNotAfterField,
        SelfSignedCertificate,
        SelfSignedCertificateInChain,
        UnableToGetLocalIssuerCertificate,
        UnableToVerifyFirstCertificate,
        CertificateRevoked,
        InvalidCaCertificate,
        PathLengthExceeded,
        InvalidPurpose,
        CertificateUntrusted,
        CertificateRejected,
        SubjectIssuerMismatch,
        AuthorityIssuerSerialNumberMismatch,
        NoPeerCertificate,
        HostNameMismatch,
        NoSslSupport,
        CertificateBlacklisted,
        CertificateStatusUnknown,
        OcspNoResponseFound,
        OcspMalformedRequest,
        OcspMalformedResponse,
        OcspInternalError,
        OcspTryLater,
        OcspSigRequired,
        OcspUnauthorized,
        OcspResponseCannotBeTrusted,
        OcspResponseCertIdUnknown,
        OcspResponseExpired,
        OcspStatusUnknown,
        UnspecifiedError,
    ]
);

/// A checked OCSP response as its WIT record (`QOcspResponse`).
pub fn ocsp_response(status: engine::x509::OcspStatus) -> wit_socket::OcspResponse {
    use engine::x509::{OcspCertificateStatus as S, OcspRevocationReason as R};
    use wit_socket::{OcspCertificateStatus as WS, OcspRevocationReason as WR};
    wit_socket::OcspResponse {
        certificate_status: match status.certificate_status {
            S::Good => WS::Good,
            S::Revoked => WS::Revoked,
            S::Unknown => WS::Unknown,
        },
        revocation_reason: match status.revocation_reason {
            R::None => WR::None,
            R::Unspecified => WR::Unspecified,
            R::KeyCompromise => WR::KeyCompromise,
            R::CaCompromise => WR::CaCompromise,
            R::AffiliationChanged => WR::AffiliationChanged,
            R::Superseded => WR::Superseded,
            R::CessationOfOperation => WR::CessationOfOperation,
            R::CertificateHold => WR::CertificateHold,
            R::RemoveFromCrl => WR::RemoveFromCrl,
        },
        responder: status.responder.map(WitCertificate::new),
        subject: WitCertificate::new(status.subject),
    }
}

same_cases!(
    peer_verify_mode,
    peer_verify_mode_from_wit,
    PeerVerifyMode,
    wit_socket::PeerVerifyMode,
    [VerifyNone, QueryPeer, VerifyPeer, AutoVerifyPeer]
);

pub fn encoding(format: wit_pki::EncodingFormat) -> EncodingFormat {
    match format {
        wit_pki::EncodingFormat::Pem => EncodingFormat::Pem,
        wit_pki::EncodingFormat::Der => EncodingFormat::Der,
    }
}

use crate::bindings::exports::sslsocket::tls::pki as wit_pki;
use crate::bindings::exports::sslsocket::tls::socket as wit_socket;

pub fn cipher(c: &Cipher) -> wit::Cipher {
    wit::Cipher {
        name: c.name.to_string(),
        iana_name: c.iana_name.to_string(),
        protocol: protocol(c.protocol),
        protocol_string: c.protocol_string().to_string(),
        key_exchange_method: c.key_exchange_method.to_string(),
        authentication_method: c.authentication_method.to_string(),
        encryption_method: c.encryption_method.to_string(),
        used_bits: c.used_bits,
        supported_bits: c.supported_bits,
    }
}

/// Finds the supported ciphers named by WIT cipher records.
pub fn ciphers_from_wit(list: &[wit::Cipher]) -> Result<Vec<Cipher>, wit::ErrorCode> {
    let names: Vec<&str> = list.iter().map(|c| c.name.as_str()).collect();
    engine::cipher::parse_cipher_list(&names.join(":")).map_err(wit::ErrorCode::InvalidInput)
}

/// What one memory-mode `exchange` did, as WIT.
pub fn memory_turn(turn: engine::MemoryTurn) -> wit_socket::MemoryTurn {
    wit_socket::MemoryTurn {
        fed: turn.fed as u64,
        data: turn.data,
        outgoing: turn.outgoing,
        outgoing_at_end: turn.outgoing_at_end,
        at_end: turn.at_end,
        bytes_to_write: turn.bytes_to_write,
        events: turn.events.into_iter().map(event).collect(),
    }
}

pub fn event(e: Event) -> wit_socket::SocketEvent {
    use wit_socket::SocketEvent as W;
    match e {
        Event::HostFound => W::HostFound,
        Event::Connected(peer) => W::Connected(peer.map(|a| wit::Endpoint {
            address: a.ip().to_string(),
            port: a.port(),
        })),
        Event::Encrypted => W::Encrypted,
        Event::ModeChanged(m) => W::ModeChanged(mode(m)),
        Event::SslErrors(list) => W::SslErrors(list.into_iter().map(ssl_error).collect()),
        Event::HandshakeInterruptedOnError => W::HandshakeInterruptedOnError,
        Event::ReadyRead => W::ReadyRead,
        Event::BytesWritten(n) => W::BytesWritten(n),
        Event::StateChanged(s) => W::StateChanged(state(s)),
        Event::Disconnected => W::Disconnected,
        Event::Error(e) => W::Error(error_code(e)),
        Event::PeerVerifyError(entry) => W::PeerVerifyError(ssl_error_entry(entry)),
        Event::EncryptedBytesWritten(n) => W::EncryptedBytesWritten(n),
        Event::NewSessionTicketReceived => W::NewSessionTicketReceived,
        Event::AlertSent(a) => W::AlertSent(alert(a)),
        Event::AlertReceived(a) => W::AlertReceived(alert(a)),
        Event::KeyLogLine(line) => W::KeyLogLine(line),
    }
}

/// A certificate error with its certificate (`QSslError`).
pub fn ssl_error_entry(entry: engine::SslErrorEntry) -> wit_socket::SslErrorEntry {
    wit_socket::SslErrorEntry {
        error: ssl_error(entry.error),
        message: entry.error.message().to_string(),
        certificate: entry.certificate.map(WitCertificate::new),
    }
}

/// A TLS alert (Qt 6's `alertSent` / `alertReceived` arguments).
pub fn alert(a: engine::Alert) -> wit_socket::Alert {
    wit_socket::Alert {
        level: match a.level {
            engine::AlertLevel::Warning => wit_socket::AlertLevel::Warning,
            engine::AlertLevel::Fatal => wit_socket::AlertLevel::Fatal,
        },
        kind: alert_type(a.kind),
        description: a.description().to_string(),
    }
}

/// Maps one enum to another with the same case names, one way (`pub` first to export the
/// function).
macro_rules! same_cases_to {
    ($vis:vis $to:ident, $from:ty, $into:ty, [$($case:ident),* $(,)?]) => {
        $vis fn $to(value: $from) -> $into {
            match value {
                $(<$from>::$case => <$into>::$case,)*
            }
        }
    };
}

same_cases_to!(
    alert_type,
    engine::AlertType,
    wit_socket::AlertType,
    [
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
        UnknownAlertMessage,
    ]
);

same_cases_to!(
    supported_feature,
    engine::globals::SupportedFeature,
    wit_socket::SupportedFeature,
    [
        CertificateVerification,
        ClientSideAlpn,
        ServerSideAlpn,
        Ocsp,
        Psk,
        SessionTicket,
        Alerts,
    ]
);

same_cases_to!(
    pub socket_option,
    wit_socket::SocketOption,
    engine::SocketOption,
    [
        LowDelay,
        KeepAlive,
        MulticastTtl,
        MulticastLoopback,
        TypeOfService,
        SendBufferSize,
        ReceiveBufferSize,
        PathMtu,
        KeepAliveIdleTime,
        KeepAliveInterval,
        KeepAliveCount,
        HopLimit,
    ]
);

/// The features this build implements, as WIT values.
pub fn implemented_features() -> Vec<wit_socket::SupportedFeature> {
    engine::globals::implemented_features()
        .into_iter()
        .map(supported_feature)
        .collect()
}

/// ALPN protocol names as WIT strings (a name that is not UTF-8 is shown lossily).
pub fn protocol_names(protocols: &[Vec<u8>]) -> Vec<String> {
    protocols
        .iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}

/// A PKCS#12 bundle as its WIT record, its certificates and key as new resources.
pub fn pkcs12_bundle(bundle: crate::pki::Pkcs12Bundle) -> wit_pki::Pkcs12Bundle {
    wit_pki::Pkcs12Bundle {
        certificate: WitCertificate::new(bundle.certificate),
        private_key: wit_pki::Key::new(bundle.private_key),
        ca_certificates: bundle
            .ca_certificates
            .into_iter()
            .map(WitCertificate::new)
            .collect(),
    }
}

/// A certificate extension as its WIT record (`QSslCertificateExtension`).
pub fn certificate_extension(
    extension: crate::pki::CertificateExtension,
) -> wit_pki::CertificateExtension {
    wit_pki::CertificateExtension {
        oid: extension.oid,
        name: extension.name,
        critical: extension.critical,
        value: extension.value,
    }
}
