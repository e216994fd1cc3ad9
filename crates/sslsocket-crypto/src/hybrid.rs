//! Post-quantum hybrid key exchange: `X25519MLKEM768` and `SecP256r1MLKEM768`
//! (draft-ietf-tls-ecdhe-mlkem), ML-KEM-768 (FIPS 203, `ml-kem`) combined with a classical
//! ECDHE group from `kx`.
//!
//! Shares and secrets are the concatenation of the two parts: ML-KEM first for
//! `X25519MLKEM768`, the ECDHE part first for `SecP256r1MLKEM768` (draft §4.1). A client's
//! hybrid exchange also offers its classical half on its own (rustls's `hybrid_component`), so a
//! server without post-quantum groups answers without a HelloRetryRequest.

use ml_kem::kem::{Decapsulate, Encapsulate, KeyExport, TryKeyInit};
use ml_kem::{Kem, MlKem768};
use rustls::crypto::{ActiveKeyExchange, CompletedKeyExchange, SharedSecret, SupportedKxGroup};
use rustls::{Error, NamedGroup, ProtocolVersion};

use super::kx::{self, INVALID_KEY_SHARE, SECP256R1_SHARE_LEN, X25519_SHARE_LEN};
use super::rng;

/// X25519MLKEM768 (codepoint 0x11ec).
pub(crate) static X25519MLKEM768: Hybrid = Hybrid {
    classical: &kx::X25519,
    name: NamedGroup::X25519MLKEM768,
    layout: Layout {
        classical_share_len: X25519_SHARE_LEN,
        post_quantum_first: true,
    },
};

/// SecP256r1MLKEM768 (codepoint 0x11eb).
pub(crate) static SECP256R1MLKEM768: Hybrid = Hybrid {
    classical: &kx::SECP256R1,
    name: NamedGroup::secp256r1MLKEM768,
    layout: Layout {
        classical_share_len: SECP256R1_SHARE_LEN,
        post_quantum_first: false,
    },
};

/// An ML-KEM-768 encapsulation key, as the client sends it.
const MLKEM768_ENCAPSULATION_KEY_LEN: usize = 1184;
/// An ML-KEM-768 ciphertext, as the server answers.
const MLKEM768_CIPHERTEXT_LEN: usize = 1088;

/// A hybrid of ML-KEM-768 and a classical group.
#[derive(Debug)]
pub(crate) struct Hybrid {
    classical: &'static dyn SupportedKxGroup,
    name: NamedGroup,
    layout: Layout,
}

impl SupportedKxGroup for Hybrid {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let classical = self.classical.start()?;
        let (decapsulation_key, encapsulation_key) =
            MlKem768::generate_keypair_from_rng(&mut rng::seeded()?);
        let share = self
            .layout
            .concat(&encapsulation_key.to_bytes(), classical.pub_key());
        Ok(Box::new(ActiveHybrid {
            classical,
            decapsulation_key,
            name: self.name,
            layout: self.layout,
            share,
        }))
    }

    fn start_and_complete(&self, client_share: &[u8]) -> Result<CompletedKeyExchange, Error> {
        let (post_quantum, classical) = self
            .layout
            .split(client_share, MLKEM768_ENCAPSULATION_KEY_LEN)
            .ok_or(INVALID_KEY_SHARE)?;
        // FIPS 203 §7.2: the encapsulation key's type and modulus checks happen here.
        let encapsulation_key = ml_kem::EncapsulationKey768::new_from_slice(post_quantum)
            .map_err(|_| INVALID_KEY_SHARE)?;
        let classical = self.classical.start_and_complete(classical)?;
        let (ciphertext, shared_key) = encapsulation_key.encapsulate_with_rng(&mut rng::seeded()?);
        Ok(CompletedKeyExchange {
            group: self.name,
            pub_key: self.layout.concat(&ciphertext, &classical.pub_key),
            secret: SharedSecret::from(
                self.layout
                    .concat(&shared_key, classical.secret.secret_bytes()),
            ),
        })
    }

    fn ffdhe_group(&self) -> Option<rustls::ffdhe_groups::FfdheGroup<'static>> {
        None
    }

    fn name(&self) -> NamedGroup {
        self.name
    }

    fn usable_for_version(&self, version: ProtocolVersion) -> bool {
        // The hybrids are defined for TLS 1.3 only.
        version == ProtocolVersion::TLSv1_3
    }
}

/// A client's hybrid exchange between ClientHello and ServerHello.
struct ActiveHybrid {
    classical: Box<dyn ActiveKeyExchange>,
    decapsulation_key: ml_kem::DecapsulationKey768,
    name: NamedGroup,
    layout: Layout,
    share: Vec<u8>,
}

impl ActiveKeyExchange for ActiveHybrid {
    fn complete(self: Box<Self>, server_share: &[u8]) -> Result<SharedSecret, Error> {
        let (post_quantum, classical) = self
            .layout
            .split(server_share, MLKEM768_CIPHERTEXT_LEN)
            .ok_or(INVALID_KEY_SHARE)?;
        let shared_key = self
            .decapsulation_key
            .decapsulate_slice(post_quantum)
            .map_err(|_| INVALID_KEY_SHARE)?;
        let classical = self.classical.complete(classical)?;
        Ok(SharedSecret::from(
            self.layout.concat(&shared_key, classical.secret_bytes()),
        ))
    }

    fn hybrid_component(&self) -> Option<(NamedGroup, &[u8])> {
        Some((self.classical.group(), self.classical.pub_key()))
    }

    fn complete_hybrid_component(
        self: Box<Self>,
        server_share: &[u8],
    ) -> Result<SharedSecret, Error> {
        self.classical.complete(server_share)
    }

    fn pub_key(&self) -> &[u8] {
        &self.share
    }

    fn ffdhe_group(&self) -> Option<rustls::ffdhe_groups::FfdheGroup<'static>> {
        None
    }

    fn group(&self) -> NamedGroup {
        self.name
    }
}

/// Where each part sits in a hybrid share or secret.
#[derive(Clone, Copy, Debug)]
struct Layout {
    classical_share_len: usize,
    post_quantum_first: bool,
}

impl Layout {
    /// The (post-quantum, classical) parts of a share whose post-quantum part is
    /// `post_quantum_len` bytes, or `None` if its length is wrong.
    fn split<'a>(&self, share: &'a [u8], post_quantum_len: usize) -> Option<(&'a [u8], &'a [u8])> {
        if share.len() != post_quantum_len + self.classical_share_len {
            return None;
        }
        if self.post_quantum_first {
            share.split_at_checked(post_quantum_len)
        } else {
            let (classical, post_quantum) = share.split_at_checked(self.classical_share_len)?;
            Some((post_quantum, classical))
        }
    }

    /// The post-quantum and classical parts joined in this layout's order.
    fn concat(&self, post_quantum: &[u8], classical: &[u8]) -> Vec<u8> {
        let (first, second) = if self.post_quantum_first {
            (post_quantum, classical)
        } else {
            (classical, post_quantum)
        };
        [first, second].concat()
    }
}
