//! [`Key`]: the `key` resource (`QSslKey`), every method of the WIT. Its static functions
//! (`private-from-data`, ...) are [`Session`] methods (`private_key_from_data`, ...).

use wasmtime::component::ResourceAny;

use crate::*;

/// A handle to a `key` resource in a [`Session`].
#[derive(Clone, Copy, Debug)]
pub struct Key(pub ResourceAny);

impl Key {
    forward! {
        via key_api;
        /// `algorithm`.
        fn algorithm => call_algorithm() -> KeyAlgorithm;
        /// `length` in bits.
        fn length => call_length() -> u32;
        /// `key-type`: private or public.
        fn key_type => call_key_type() -> KeyType;
        /// `to-pem`: PKCS#8 for private keys, SubjectPublicKeyInfo for public keys.
        fn to_pem => call_to_pem() -> String;
        /// `to-der`.
        fn to_der => call_to_der() -> Vec<u8>;
    }

    /// Drops the key resource.
    pub fn drop(self, session: &mut Session) -> wasmtime::Result<()> {
        session.drop_resource(self.0)
    }
}
