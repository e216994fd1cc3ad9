//! Classical key exchange: X25519 (RFC 7748, `x25519-dalek`), P-256, P-384 and P-521 ECDHE
//! (`p256` / `p384` / `p521`), with the checks RFC 8446 §4.2.8.2 asks of a peer's share.

use p256::elliptic_curve::Generate;
use p256::elliptic_curve::sec1::ToSec1Point;
use rustls::crypto::{ActiveKeyExchange, SharedSecret, SupportedKxGroup};
use rustls::{Error, NamedGroup, PeerMisbehaved};
use zeroize::Zeroizing;

use super::rng;

/// X25519.
pub(crate) static X25519: X25519Group = X25519Group;
/// secp256r1 (P-256) ECDHE.
pub(crate) static SECP256R1: P256Group = P256Group;
/// secp384r1 (P-384) ECDHE.
pub(crate) static SECP384R1: P384Group = P384Group;
/// secp521r1 (P-521) ECDHE.
pub(crate) static SECP521R1: P521Group = P521Group;

/// The length of an X25519 key share.
pub(crate) const X25519_SHARE_LEN: usize = 32;
/// The length of an uncompressed P-256 key share.
pub(crate) const SECP256R1_SHARE_LEN: usize = 65;
/// The length of an uncompressed P-384 key share.
pub(crate) const SECP384R1_SHARE_LEN: usize = 97;

/// The error for a peer key share that is malformed or not a valid public key.
pub(crate) const INVALID_KEY_SHARE: Error = Error::PeerMisbehaved(PeerMisbehaved::InvalidKeyShare);

/// X25519 (RFC 7748).
#[derive(Debug)]
pub(crate) struct X25519Group;

impl SupportedKxGroup for X25519Group {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let secret = x25519_dalek::StaticSecret::random_from_rng(&mut rng::seeded()?);
        let public = x25519_dalek::PublicKey::from(&secret);
        Ok(Box::new(X25519Exchange { secret, public }))
    }

    fn name(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

struct X25519Exchange {
    secret: x25519_dalek::StaticSecret,
    public: x25519_dalek::PublicKey,
}

impl ActiveKeyExchange for X25519Exchange {
    fn complete(self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, Error> {
        x25519_agree(&self.secret, peer)
    }

    fn pub_key(&self) -> &[u8] {
        self.public.as_bytes()
    }

    fn group(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

/// The X25519 shared secret with a peer's share (the only use of the secret: it lives for one
/// exchange, `StaticSecret` only so that known-answer tests can set it).
pub(crate) fn x25519_agree(
    secret: &x25519_dalek::StaticSecret,
    peer: &[u8],
) -> Result<SharedSecret, Error> {
    let peer: [u8; X25519_SHARE_LEN] = peer.try_into().map_err(|_| INVALID_KEY_SHARE)?;
    let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(peer));
    // RFC 8446 §7.4.2: an all-zero result (a small-order peer point) must be refused.
    if !shared.was_contributory() {
        return Err(INVALID_KEY_SHARE);
    }
    Ok(SharedSecret::from(&shared.as_bytes()[..]))
}

/// Defines an ECDHE group over one of the RustCrypto NIST curve crates.
macro_rules! nist_group {
    ($group:ident, $exchange:ident, $curve:ident, $name:expr) => {
        #[doc = concat!("ECDHE over ", stringify!($curve), " (uncompressed SEC1 shares).")]
        #[derive(Debug)]
        pub(crate) struct $group;

        impl SupportedKxGroup for $group {
            fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
                let secret = $curve::SecretKey::generate_from_rng(&mut rng::seeded()?);
                let public = secret.public_key().to_sec1_point(false).as_bytes().to_vec();
                Ok(Box::new($exchange { secret, public }))
            }

            fn name(&self) -> NamedGroup {
                $name
            }
        }

        pub(crate) struct $exchange {
            secret: $curve::SecretKey,
            public: Vec<u8>,
        }

        impl ActiveKeyExchange for $exchange {
            fn complete(self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, Error> {
                $exchange::agree(&self.secret, peer)
            }

            fn pub_key(&self) -> &[u8] {
                &self.public
            }

            fn group(&self) -> NamedGroup {
                $name
            }
        }

        impl $exchange {
            /// The shared secret (the x-coordinate) with a peer's share.
            pub(crate) fn agree(
                secret: &$curve::SecretKey,
                peer: &[u8],
            ) -> Result<SharedSecret, Error> {
                // TLS 1.3 allows only the uncompressed form (RFC 8446 §4.2.8.2); decoding
                // checks the point is on the curve and not the identity.
                if peer.first() != Some(&4) {
                    return Err(INVALID_KEY_SHARE);
                }
                let peer =
                    $curve::PublicKey::from_sec1_bytes(peer).map_err(|_| INVALID_KEY_SHARE)?;
                // The scalar copy is wiped when dropped (the `SecretKey` and the curve's
                // `SharedSecret` wipe themselves).
                let scalar = Zeroizing::new(secret.to_nonzero_scalar());
                let shared = p256::elliptic_curve::ecdh::diffie_hellman(&*scalar, peer.as_affine());
                Ok(SharedSecret::from(&shared.raw_secret_bytes()[..]))
            }
        }
    };
}

nist_group!(P256Group, P256Exchange, p256, NamedGroup::secp256r1);
nist_group!(P384Group, P384Exchange, p384, NamedGroup::secp384r1);
nist_group!(P521Group, P521Exchange, p521, NamedGroup::secp521r1);
