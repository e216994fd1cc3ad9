//! SHA-256 / SHA-384 and their HMACs for rustls (`sha2` and `hmac` crates).
//!
//! rustls builds the TLS 1.3 HKDF and the TLS 1.2 PRF from these (`HkdfUsingHmac`,
//! `PrfUsingHmac`), so this file is all the hashing the protocol needs.

use std::marker::PhantomData;

use hmac::{KeyInit, Mac};
use rustls::crypto::hash::{self, HashAlgorithm};
use rustls::crypto::hmac as rustls_hmac;
use sha2::digest::block_api::EagerHash;
use sha2::{Digest, Sha256, Sha384};

/// SHA-256 (FIPS 180-4).
pub(crate) static SHA256: Hash<Sha256> = Hash::new(HashAlgorithm::SHA256);
/// SHA-384 (FIPS 180-4).
pub(crate) static SHA384: Hash<Sha384> = Hash::new(HashAlgorithm::SHA384);
/// HMAC-SHA-256 (RFC 2104).
pub(crate) static HMAC_SHA256: Hmac<Sha256> = Hmac(PhantomData);
/// HMAC-SHA-384 (RFC 2104).
pub(crate) static HMAC_SHA384: Hmac<Sha384> = Hmac(PhantomData);

/// A hash function of the `sha2` crate as a rustls [`hash::Hash`].
pub(crate) struct Hash<D> {
    algorithm: HashAlgorithm,
    digest: PhantomData<fn() -> D>,
}

impl<D> Hash<D> {
    const fn new(algorithm: HashAlgorithm) -> Self {
        Self {
            algorithm,
            digest: PhantomData,
        }
    }
}

impl<D: Digest + Clone + Send + Sync + 'static> hash::Hash for Hash<D> {
    fn start(&self) -> Box<dyn hash::Context> {
        Box::new(Context(D::new()))
    }

    fn hash(&self, data: &[u8]) -> hash::Output {
        hash::Output::new(&D::digest(data))
    }

    fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    fn output_len(&self) -> usize {
        <D as Digest>::output_size()
    }
}

/// A running hash.
struct Context<D>(D);

impl<D: Digest + Clone + Send + Sync + 'static> hash::Context for Context<D> {
    fn fork_finish(&self) -> hash::Output {
        hash::Output::new(&self.0.clone().finalize())
    }

    fn fork(&self) -> Box<dyn hash::Context> {
        Box::new(Context(self.0.clone()))
    }

    fn finish(self: Box<Self>) -> hash::Output {
        hash::Output::new(&self.0.finalize())
    }

    fn update(&mut self, data: &[u8]) {
        Digest::update(&mut self.0, data);
    }
}

/// HMAC over a hash function of the `sha2` crate as a rustls [`rustls_hmac::Hmac`].
pub(crate) struct Hmac<D>(PhantomData<fn() -> D>);

impl<D> rustls_hmac::Hmac for Hmac<D>
where
    D: EagerHash + Digest + Clone + Send + Sync + 'static,
    hmac::Hmac<D>: Send + Sync,
{
    fn with_key(&self, key: &[u8]) -> Box<dyn rustls_hmac::Key> {
        // HMAC takes keys of any length (RFC 2104: longer ones are hashed first), so
        // `new_from_slice` cannot fail; were it ever to, the empty key's tags match nothing and
        // the handshake fails instead of the instance trapping.
        Box::new(HmacKey(hmac::Hmac::<D>::new_from_slice(key).ok()))
    }

    fn hash_output_len(&self) -> usize {
        <D as Digest>::output_size()
    }
}

/// An HMAC key, ready to sign.
struct HmacKey<D: EagerHash>(Option<hmac::Hmac<D>>);

impl<D> rustls_hmac::Key for HmacKey<D>
where
    D: EagerHash + Digest + Clone + Send + Sync + 'static,
    hmac::Hmac<D>: Send + Sync,
{
    fn sign_concat(&self, first: &[u8], middle: &[&[u8]], last: &[u8]) -> rustls_hmac::Tag {
        let Some(mac) = &self.0 else {
            return rustls_hmac::Tag::new(&[]);
        };
        let mut mac = mac.clone();
        mac.update(first);
        for part in middle {
            mac.update(part);
        }
        mac.update(last);
        rustls_hmac::Tag::new(&mac.finalize().into_bytes())
    }

    fn tag_len(&self) -> usize {
        <D as Digest>::output_size()
    }
}
