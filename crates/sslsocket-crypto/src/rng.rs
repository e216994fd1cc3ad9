//! Randomness: the operating system's generator through `getrandom` (`wasi:random` inside the
//! component, `getrandom(2)` natively).
//!
//! rustls draws nonces and session ids through [`OsRandom`]. Key generation in the RustCrypto
//! crates wants an infallible `CryptoRng`; rather than panic when the OS generator fails, each
//! operation gets its own ChaCha20 generator seeded with 32 fresh bytes from the OS
//! ([`seeded`]), and a failure becomes a TLS error.

use chacha20::ChaCha20Rng;
use chacha20::rand_core::SeedableRng;
use rustls::crypto::{GetRandomFailed, SecureRandom};
use zeroize::Zeroizing;

/// The operating system's random generator, for rustls.
#[derive(Debug)]
pub(crate) struct OsRandom;

impl SecureRandom for OsRandom {
    fn fill(&self, bytes: &mut [u8]) -> Result<(), GetRandomFailed> {
        getrandom::fill(bytes).map_err(|_| GetRandomFailed)
    }
}

/// A generator for one key generation or signature, seeded from the operating system.
pub(crate) fn seeded() -> Result<ChaCha20Rng, rustls::Error> {
    // `Zeroizing` wipes the seed when it goes out of scope, with writes the compiler keeps (a
    // plain `fill(0)` of a variable never read again may be optimised away). The generator
    // itself wipes its state when dropped (chacha20's `zeroize` feature).
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut *seed).map_err(|_| rustls::Error::FailedToGetRandomBytes)?;
    Ok(ChaCha20Rng::from_seed(*seed))
}
