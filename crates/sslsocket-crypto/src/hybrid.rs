//! Post-quantum hybrid key exchange: `X25519MLKEM768`, `SecP256r1MLKEM768` and
//! `SecP384r1MLKEM1024` (draft-ietf-tls-ecdhe-mlkem), ML-KEM-768 or ML-KEM-1024 (FIPS 203,
//! `ml-kem`) combined with a classical ECDHE group from `kx`.
//!
//! Shares and secrets are the concatenation of the two parts: ML-KEM first for
//! `X25519MLKEM768`, the ECDHE part first for `SecP256r1MLKEM768` and `SecP384r1MLKEM1024`
//! (draft §4.1). A client's hybrid exchange also offers its classical half on its own (rustls's
//! `hybrid_component`), so a server without post-quantum groups answers without a
//! HelloRetryRequest.
//!
//! The pure ML-KEM groups `MLKEM768` and `MLKEM1024` (draft-connolly-tls-mlkem-key-agreement:
//! the share is the encapsulation key or the ciphertext, the secret the ML-KEM shared key) are
//! here too. They are off by default (no classical part to fall back on) and chosen by name.

use chacha20::rand_core::CryptoRng;
use ml_kem::kem::{Decapsulate, Encapsulate, KeyExport, TryKeyInit};
use ml_kem::{Kem, MlKem768, MlKem1024, SharedKey};
use rustls::crypto::{ActiveKeyExchange, CompletedKeyExchange, SharedSecret, SupportedKxGroup};
use rustls::{Error, NamedGroup, ProtocolVersion};
use zeroize::Zeroizing;

use super::kx::{
    self, INVALID_KEY_SHARE, SECP256R1_SHARE_LEN, SECP384R1_SHARE_LEN, X25519_SHARE_LEN,
};
use super::rng;

/// X25519MLKEM768 (codepoint 0x11ec).
pub(crate) static X25519MLKEM768: Hybrid = Hybrid {
    classical: &kx::X25519,
    kem: MlKemParams::MlKem768,
    name: NamedGroup::X25519MLKEM768,
    layout: Layout {
        classical_share_len: X25519_SHARE_LEN,
        post_quantum_first: true,
    },
};

/// SecP256r1MLKEM768 (codepoint 0x11eb).
pub(crate) static SECP256R1MLKEM768: Hybrid = Hybrid {
    classical: &kx::SECP256R1,
    kem: MlKemParams::MlKem768,
    name: NamedGroup::secp256r1MLKEM768,
    layout: Layout {
        classical_share_len: SECP256R1_SHARE_LEN,
        post_quantum_first: false,
    },
};

/// The code point of SecP384r1MLKEM1024, which rustls 0.23 does not name.
pub(crate) const SECP384R1_MLKEM1024_CODE: u16 = 0x11ed;

/// SecP384r1MLKEM1024 (codepoint 0x11ed): the P-384 part first, as for SecP256r1MLKEM768.
pub(crate) static SECP384R1MLKEM1024: Hybrid = Hybrid {
    classical: &kx::SECP384R1,
    kem: MlKemParams::MlKem1024,
    name: NamedGroup::Unknown(SECP384R1_MLKEM1024_CODE),
    layout: Layout {
        classical_share_len: SECP384R1_SHARE_LEN,
        post_quantum_first: false,
    },
};

/// MLKEM768 (codepoint 0x0201), off by default.
pub(crate) static MLKEM768: PureMlKem = PureMlKem {
    kem: MlKemParams::MlKem768,
    name: NamedGroup::MLKEM768,
};

/// MLKEM1024 (codepoint 0x0202), off by default.
pub(crate) static MLKEM1024: PureMlKem = PureMlKem {
    kem: MlKemParams::MlKem1024,
    name: NamedGroup::MLKEM1024,
};

/// The ML-KEM parameter set of a group.
#[derive(Clone, Copy, Debug)]
enum MlKemParams {
    MlKem768,
    MlKem1024,
}

impl MlKemParams {
    /// The length of an encapsulation key, as the client sends it.
    fn encapsulation_key_len(self) -> usize {
        match self {
            Self::MlKem768 => 1184,
            Self::MlKem1024 => 1568,
        }
    }

    /// The length of a ciphertext, as the server answers.
    fn ciphertext_len(self) -> usize {
        match self {
            Self::MlKem768 => 1088,
            Self::MlKem1024 => 1568,
        }
    }

    /// A fresh key pair: the decapsulation key and the encoded encapsulation key.
    fn generate(self) -> Result<(DecapsulationKey, Vec<u8>), Error> {
        let mut rng = rng::seeded()?;
        Ok(match self {
            Self::MlKem768 => {
                let (dk, ek) = MlKem768::generate_keypair_from_rng(&mut rng);
                (DecapsulationKey::MlKem768(dk), ek.to_bytes().to_vec())
            }
            Self::MlKem1024 => {
                let (dk, ek) = MlKem1024::generate_keypair_from_rng(&mut rng);
                (DecapsulationKey::MlKem1024(dk), ek.to_bytes().to_vec())
            }
        })
    }

    /// The ciphertext and shared key for a peer's encoded encapsulation key, with the
    /// encapsulation's randomness from `rng` (a seeded generator; known answers in tests).
    /// FIPS 203 §7.2: the key's type and modulus checks happen here; a key that fails them is an
    /// invalid share (an error, never a panic).
    fn encapsulate<R: CryptoRng + ?Sized>(
        self,
        encapsulation_key: &[u8],
        rng: &mut R,
    ) -> Result<(Vec<u8>, Zeroizing<SharedKey>), Error> {
        Ok(match self {
            Self::MlKem768 => {
                let ek = ml_kem::EncapsulationKey768::new_from_slice(encapsulation_key)
                    .map_err(|_| INVALID_KEY_SHARE)?;
                let (ciphertext, shared_key) = ek.encapsulate_with_rng(rng);
                (ciphertext.to_vec(), Zeroizing::new(shared_key))
            }
            Self::MlKem1024 => {
                let ek = ml_kem::EncapsulationKey1024::new_from_slice(encapsulation_key)
                    .map_err(|_| INVALID_KEY_SHARE)?;
                let (ciphertext, shared_key) = ek.encapsulate_with_rng(rng);
                (ciphertext.to_vec(), Zeroizing::new(shared_key))
            }
        })
    }
}

/// A client's ML-KEM decapsulation key.
enum DecapsulationKey {
    MlKem768(ml_kem::DecapsulationKey768),
    MlKem1024(ml_kem::DecapsulationKey1024),
}

impl DecapsulationKey {
    fn decapsulate(&self, ciphertext: &[u8]) -> Result<Zeroizing<SharedKey>, Error> {
        match self {
            Self::MlKem768(dk) => dk.decapsulate_slice(ciphertext),
            Self::MlKem1024(dk) => dk.decapsulate_slice(ciphertext),
        }
        .map(Zeroizing::new)
        .map_err(|_| INVALID_KEY_SHARE)
    }
}

/// A hybrid of ML-KEM and a classical group.
#[derive(Debug)]
pub(crate) struct Hybrid {
    classical: &'static dyn SupportedKxGroup,
    kem: MlKemParams,
    name: NamedGroup,
    layout: Layout,
}

impl SupportedKxGroup for Hybrid {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let classical = self.classical.start()?;
        let (decapsulation_key, encapsulation_key) = self.kem.generate()?;
        let share = self.layout.concat(&encapsulation_key, classical.pub_key());
        Ok(Box::new(ActiveHybrid {
            classical,
            decapsulation_key,
            kem: self.kem,
            name: self.name,
            layout: self.layout,
            share,
        }))
    }

    fn start_and_complete(&self, client_share: &[u8]) -> Result<CompletedKeyExchange, Error> {
        self.start_and_complete_with(client_share, &mut rng::seeded()?)
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

impl Hybrid {
    /// The server's side of the exchange, with the ML-KEM encapsulation's randomness from `rng`
    /// (the known-answer tests pass Wycheproof's).
    pub(crate) fn start_and_complete_with<R: CryptoRng + ?Sized>(
        &self,
        client_share: &[u8],
        rng: &mut R,
    ) -> Result<CompletedKeyExchange, Error> {
        let (post_quantum, classical) = self
            .layout
            .split(client_share, self.kem.encapsulation_key_len())
            .ok_or(INVALID_KEY_SHARE)?;
        let classical = self.classical.start_and_complete(classical)?;
        let (ciphertext, shared_key) = self.kem.encapsulate(post_quantum, rng)?;
        Ok(CompletedKeyExchange {
            group: self.name,
            pub_key: self.layout.concat(&ciphertext, &classical.pub_key),
            // The joined secret moves into rustls's `SharedSecret`, which wipes it.
            secret: SharedSecret::from(
                self.layout
                    .concat(&shared_key, classical.secret.secret_bytes()),
            ),
        })
    }
}

/// A client's hybrid exchange between ClientHello and ServerHello.
struct ActiveHybrid {
    classical: Box<dyn ActiveKeyExchange>,
    decapsulation_key: DecapsulationKey,
    kem: MlKemParams,
    name: NamedGroup,
    layout: Layout,
    share: Vec<u8>,
}

impl ActiveKeyExchange for ActiveHybrid {
    fn complete(self: Box<Self>, server_share: &[u8]) -> Result<SharedSecret, Error> {
        let (post_quantum, classical) = self
            .layout
            .split(server_share, self.kem.ciphertext_len())
            .ok_or(INVALID_KEY_SHARE)?;
        let shared_key = self.decapsulation_key.decapsulate(post_quantum)?;
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

/// ML-KEM on its own as a key exchange group.
#[derive(Debug)]
pub(crate) struct PureMlKem {
    kem: MlKemParams,
    name: NamedGroup,
}

impl SupportedKxGroup for PureMlKem {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let (decapsulation_key, share) = self.kem.generate()?;
        Ok(Box::new(ActivePureMlKem {
            decapsulation_key,
            kem: self.kem,
            name: self.name,
            share,
        }))
    }

    fn start_and_complete(&self, client_share: &[u8]) -> Result<CompletedKeyExchange, Error> {
        self.start_and_complete_with(client_share, &mut rng::seeded()?)
    }

    fn ffdhe_group(&self) -> Option<rustls::ffdhe_groups::FfdheGroup<'static>> {
        None
    }

    fn name(&self) -> NamedGroup {
        self.name
    }

    fn usable_for_version(&self, version: ProtocolVersion) -> bool {
        // Defined for TLS 1.3 only.
        version == ProtocolVersion::TLSv1_3
    }
}

impl PureMlKem {
    /// The server's side of the exchange, with the encapsulation's randomness from `rng`.
    pub(crate) fn start_and_complete_with<R: CryptoRng + ?Sized>(
        &self,
        client_share: &[u8],
        rng: &mut R,
    ) -> Result<CompletedKeyExchange, Error> {
        if client_share.len() != self.kem.encapsulation_key_len() {
            return Err(INVALID_KEY_SHARE);
        }
        let (ciphertext, shared_key) = self.kem.encapsulate(client_share, rng)?;
        Ok(CompletedKeyExchange {
            group: self.name,
            pub_key: ciphertext,
            secret: SharedSecret::from(&shared_key[..]),
        })
    }
}

/// A client's pure ML-KEM exchange between ClientHello and ServerHello.
struct ActivePureMlKem {
    decapsulation_key: DecapsulationKey,
    kem: MlKemParams,
    name: NamedGroup,
    share: Vec<u8>,
}

impl ActiveKeyExchange for ActivePureMlKem {
    fn complete(self: Box<Self>, server_share: &[u8]) -> Result<SharedSecret, Error> {
        if server_share.len() != self.kem.ciphertext_len() {
            return Err(INVALID_KEY_SHARE);
        }
        let shared_key = self.decapsulation_key.decapsulate(server_share)?;
        Ok(SharedSecret::from(&shared_key[..]))
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
