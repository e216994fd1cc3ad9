//! The record ciphers: AES-128-GCM, AES-256-GCM (`aes-gcm`; in a wasm32 `simd128` build our
//! own, `aes_gcm_simd::Aes128GcmSimd` / `Aes256GcmSimd`) and ChaCha20-Poly1305
//! (`chacha20poly1305`; in a wasm32 `simd128` build our own four-way one,
//! `chacha_simd::ChaCha20Poly1305Simd`), framed as TLS 1.3 (RFC 8446 §5.2) and TLS 1.2
//! (RFC 5288, RFC 7905) records.
//!
//! One [`RecordCipher`] seals and opens every layout; the algorithms below only say which AEAD,
//! which record layout and how the keys are exported.

use std::marker::PhantomData;

use aes_gcm::aead::{self, AeadCore, AeadInOut, KeyInit};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use chacha20poly1305::ChaCha20Poly1305;
use rustls::crypto::cipher::{
    self, AeadKey, InboundOpaqueMessage, InboundPlainMessage, Iv, KeyBlockShape, MessageDecrypter,
    MessageEncrypter, NONCE_LEN, OutboundOpaqueMessage, OutboundPlainMessage, PrefixedPayload,
    Tls12AeadAlgorithm, Tls13AeadAlgorithm, UnsupportedOperationError,
};
use rustls::{ConnectionTrafficSecrets, ContentType, Error, ProtocolVersion};

/// The ChaCha20-Poly1305 of the record layer: our `simd128` one in a wasm32 build with SIMD
/// (about twice as fast there; RustCrypto's crates have no wasm SIMD code).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type ChaChaPoly = crate::chacha_simd::ChaCha20Poly1305Simd;
/// The ChaCha20-Poly1305 of the record layer: RustCrypto's (with its own SIMD backends on x86
/// and Arm).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
type ChaChaPoly = ChaCha20Poly1305;

/// The AES-128-GCM of the record layer: our `simd128` one in a wasm32 build with SIMD
/// (vector-permute AES and 64-bit GHASH; RustCrypto's crates have no wasm SIMD code).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type AesGcm128 = crate::aes_gcm_simd::Aes128GcmSimd;
/// The AES-128-GCM of the record layer: RustCrypto's (AES-NI / Arm AES and CLMUL where the CPU
/// has them).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
type AesGcm128 = Aes128Gcm;
/// The AES-256-GCM of the record layer, chosen as [`AesGcm128`].
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type AesGcm256 = crate::aes_gcm_simd::Aes256GcmSimd;
/// The AES-256-GCM of the record layer, chosen as [`AesGcm128`].
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
type AesGcm256 = Aes256Gcm;

/// TLS 1.3 AES-128-GCM records.
pub(crate) static TLS13_AES_128_GCM: Tls13Aead<AesGcm128> = Tls13Aead::new(aes_128_gcm_secrets);
/// TLS 1.3 AES-256-GCM records.
pub(crate) static TLS13_AES_256_GCM: Tls13Aead<AesGcm256> = Tls13Aead::new(aes_256_gcm_secrets);
/// TLS 1.3 ChaCha20-Poly1305 records.
pub(crate) static TLS13_CHACHA20_POLY1305: Tls13Aead<ChaChaPoly> =
    Tls13Aead::new(chacha20_poly1305_secrets);
/// TLS 1.2 AES-128-GCM records (RFC 5288: 4-byte salt, 8-byte explicit nonce in each record).
pub(crate) static TLS12_AES_128_GCM: Tls12Aead<AesGcm128> =
    Tls12Aead::new(Layout::Tls12ExplicitNonce, aes_128_gcm_secrets);
/// TLS 1.2 AES-256-GCM records.
pub(crate) static TLS12_AES_256_GCM: Tls12Aead<AesGcm256> =
    Tls12Aead::new(Layout::Tls12ExplicitNonce, aes_256_gcm_secrets);
/// TLS 1.2 ChaCha20-Poly1305 records (RFC 7905: 12-byte IV XORed with the sequence number).
pub(crate) static TLS12_CHACHA20_POLY1305: Tls12Aead<ChaChaPoly> =
    Tls12Aead::new(Layout::Tls12, chacha20_poly1305_secrets);

/// The authentication tag of every AEAD here.
const TAG_LEN: usize = 16;
/// The explicit nonce a TLS 1.2 AES-GCM record carries.
const EXPLICIT_NONCE_LEN: usize = 8;
/// The fixed part of a TLS 1.2 AES-GCM nonce.
const SALT_LEN: usize = 4;

/// How a record is framed and its nonce formed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Layout {
    /// TLS 1.3: the content type is encrypted with the data, nonce = IV ^ sequence number.
    Tls13,
    /// TLS 1.2 AES-GCM: nonce = salt || explicit nonce, the explicit nonce leads the record.
    Tls12ExplicitNonce,
    /// TLS 1.2 ChaCha20-Poly1305: nonce = IV ^ sequence number, nothing extra in the record.
    Tls12,
}

/// How the keys of a connection are exported (`extract_keys`, for kTLS and the like).
type Secrets = fn(AeadKey, Iv) -> ConnectionTrafficSecrets;

/// A TLS 1.3 record protection algorithm.
pub(crate) struct Tls13Aead<A> {
    secrets: Secrets,
    aead: PhantomData<fn() -> A>,
}

impl<A> Tls13Aead<A> {
    const fn new(secrets: Secrets) -> Self {
        Self {
            secrets,
            aead: PhantomData,
        }
    }
}

impl<A> Tls13AeadAlgorithm for Tls13Aead<A>
where
    A: AeadInOut + KeyInit + Send + Sync + 'static,
{
    fn encrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageEncrypter> {
        RecordCipher::<A>::boxed(&key, iv, Layout::Tls13)
    }

    fn decrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageDecrypter> {
        RecordCipher::<A>::boxed(&key, iv, Layout::Tls13)
    }

    fn key_len(&self) -> usize {
        A::key_size()
    }

    fn extract_keys(
        &self,
        key: AeadKey,
        iv: Iv,
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        Ok((self.secrets)(key, iv))
    }
}

/// A TLS 1.2 record protection algorithm.
pub(crate) struct Tls12Aead<A> {
    layout: Layout,
    secrets: Secrets,
    aead: PhantomData<fn() -> A>,
}

impl<A> Tls12Aead<A> {
    const fn new(layout: Layout, secrets: Secrets) -> Self {
        Self {
            layout,
            secrets,
            aead: PhantomData,
        }
    }
}

impl<A> Tls12AeadAlgorithm for Tls12Aead<A>
where
    A: AeadInOut + KeyInit + Send + Sync + 'static,
{
    fn encrypter(&self, key: AeadKey, iv: &[u8], extra: &[u8]) -> Box<dyn MessageEncrypter> {
        RecordCipher::<A>::boxed(&key, joined_iv(iv, extra), self.layout)
    }

    fn decrypter(&self, key: AeadKey, iv: &[u8]) -> Box<dyn MessageDecrypter> {
        RecordCipher::<A>::boxed(&key, joined_iv(iv, &[]), self.layout)
    }

    fn key_block_shape(&self) -> KeyBlockShape {
        let (fixed_iv_len, explicit_nonce_len) = match self.layout {
            Layout::Tls12ExplicitNonce => (SALT_LEN, EXPLICIT_NONCE_LEN),
            Layout::Tls12 | Layout::Tls13 => (NONCE_LEN, 0),
        };
        KeyBlockShape {
            enc_key_len: A::key_size(),
            fixed_iv_len,
            explicit_nonce_len,
        }
    }

    fn extract_keys(
        &self,
        key: AeadKey,
        iv: &[u8],
        explicit: &[u8],
    ) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        Ok((self.secrets)(key, joined_iv(iv, explicit)))
    }
}

/// One direction of a connection: the keyed AEAD, its IV and the record layout.
struct RecordCipher<A> {
    /// `None` if rustls ever handed over a key of the wrong length (it does not: the length
    /// comes from `key_len` / `key_block_shape`); every record is then refused.
    aead: Option<A>,
    iv: Iv,
    layout: Layout,
}

impl<A> RecordCipher<A>
where
    A: AeadInOut + KeyInit + Send + Sync + 'static,
{
    fn boxed(key: &AeadKey, iv: Iv, layout: Layout) -> Box<Self> {
        Box::new(Self {
            aead: A::new_from_slice(key.as_ref()).ok(),
            iv,
            layout,
        })
    }

    /// The nonce of record `seq`; a TLS 1.2 AES-GCM record brings its own explicit part.
    fn nonce(&self, seq: u64, explicit: Option<&[u8]>) -> Option<aead::Nonce<A>> {
        let mut nonce = match explicit {
            None => cipher::Nonce::new(&self.iv, seq).0,
            Some(explicit) => {
                let mut nonce = [0u8; NONCE_LEN];
                let salt = self.iv.as_ref().get(..SALT_LEN)?;
                nonce.get_mut(..SALT_LEN)?.copy_from_slice(salt);
                nonce.get_mut(SALT_LEN..)?.copy_from_slice(explicit);
                nonce
            }
        };
        let result = aead::Nonce::<A>::try_from(&nonce[..]).ok();
        nonce.fill(0);
        result
    }
}

impl<A> MessageEncrypter for RecordCipher<A>
where
    A: AeadInOut + KeyInit + Send + Sync + 'static,
{
    fn encrypt(
        &mut self,
        msg: OutboundPlainMessage<'_>,
        seq: u64,
    ) -> Result<OutboundOpaqueMessage, Error> {
        let (Some(aead), Some(nonce)) = (&self.aead, self.nonce(seq, None)) else {
            return Err(Error::EncryptError);
        };
        let total_len = self.encrypted_payload_len(msg.payload.len());
        let mut payload = PrefixedPayload::with_capacity(total_len);
        let (tls13_aad, tls12_aad);
        let (aad, typ, version, start): (&[u8], _, _, _) = match self.layout {
            Layout::Tls13 => {
                tls13_aad = cipher::make_tls13_aad(total_len);
                (
                    &tls13_aad,
                    ContentType::ApplicationData,
                    ProtocolVersion::TLSv1_2,
                    0,
                )
            }
            Layout::Tls12ExplicitNonce | Layout::Tls12 => {
                tls12_aad = cipher::make_tls12_aad(seq, msg.typ, msg.version, msg.payload.len());
                let start = if self.layout == Layout::Tls12ExplicitNonce {
                    payload.extend_from_slice(nonce.get(SALT_LEN..).unwrap_or_default());
                    EXPLICIT_NONCE_LEN
                } else {
                    0
                };
                (&tls12_aad, msg.typ, msg.version, start)
            }
        };
        payload.extend_from_chunks(&msg.payload);
        if self.layout == Layout::Tls13 {
            payload.extend_from_slice(&msg.typ.to_array());
        }
        let body = payload
            .as_mut()
            .get_mut(start..)
            .ok_or(Error::EncryptError)?;
        let tag = aead
            .encrypt_inout_detached(&nonce, aad, body.into())
            .map_err(|_| Error::EncryptError)?;
        payload.extend_from_slice(&tag);
        Ok(OutboundOpaqueMessage::new(typ, version, payload))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        match self.layout {
            Layout::Tls13 => payload_len + 1 + TAG_LEN,
            Layout::Tls12ExplicitNonce => payload_len + EXPLICIT_NONCE_LEN + TAG_LEN,
            Layout::Tls12 => payload_len + TAG_LEN,
        }
    }
}

impl<A> MessageDecrypter for RecordCipher<A>
where
    A: AeadInOut + KeyInit + Send + Sync + 'static,
{
    fn decrypt<'a>(
        &mut self,
        mut msg: InboundOpaqueMessage<'a>,
        seq: u64,
    ) -> Result<InboundPlainMessage<'a>, Error> {
        let len = msg.payload.len();
        let explicit_nonce = match self.layout {
            Layout::Tls12ExplicitNonce => Some(
                msg.payload
                    .get(..EXPLICIT_NONCE_LEN)
                    .ok_or(Error::DecryptError)?,
            ),
            Layout::Tls13 | Layout::Tls12 => None,
        };
        let explicit = explicit_nonce.map_or(0, <[u8]>::len);
        let body_len = len
            .checked_sub(explicit + TAG_LEN)
            .ok_or(Error::DecryptError)?;
        let (Some(aead), Some(nonce)) = (&self.aead, self.nonce(seq, explicit_nonce)) else {
            return Err(Error::DecryptError);
        };
        let (tls13_aad, tls12_aad);
        let aad: &[u8] = match self.layout {
            Layout::Tls13 => {
                tls13_aad = cipher::make_tls13_aad(len);
                &tls13_aad
            }
            Layout::Tls12ExplicitNonce | Layout::Tls12 => {
                tls12_aad = cipher::make_tls12_aad(seq, msg.typ, msg.version, body_len);
                &tls12_aad
            }
        };
        let sealed = msg.payload.get_mut(explicit..).ok_or(Error::DecryptError)?;
        let (body, tag) = sealed
            .split_at_mut_checked(body_len)
            .ok_or(Error::DecryptError)?;
        let tag = aead::Tag::<A>::try_from(&*tag).map_err(|_| Error::DecryptError)?;
        aead.decrypt_inout_detached(&nonce, aad, body.into(), &tag)
            .map_err(|_| Error::DecryptError)?;
        match self.layout {
            Layout::Tls13 => {
                msg.payload.truncate(body_len);
                msg.into_tls13_unpadded_message()
            }
            Layout::Tls12ExplicitNonce | Layout::Tls12 => {
                Ok(msg.into_plain_message_range(explicit..explicit + body_len))
            }
        }
    }
}

/// The 12-byte IV of a TLS 1.2 connection: the key block's IV followed by its explicit part,
/// zero-padded (a decrypter's AES-GCM IV is only the 4-byte salt).
fn joined_iv(iv: &[u8], extra: &[u8]) -> Iv {
    let mut joined = [0u8; NONCE_LEN];
    for (dst, src) in joined.iter_mut().zip(iv.iter().chain(extra)) {
        *dst = *src;
    }
    Iv::new(joined)
}

fn aes_128_gcm_secrets(key: AeadKey, iv: Iv) -> ConnectionTrafficSecrets {
    ConnectionTrafficSecrets::Aes128Gcm { key, iv }
}

fn aes_256_gcm_secrets(key: AeadKey, iv: Iv) -> ConnectionTrafficSecrets {
    ConnectionTrafficSecrets::Aes256Gcm { key, iv }
}

fn chacha20_poly1305_secrets(key: AeadKey, iv: Iv) -> ConnectionTrafficSecrets {
    ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv }
}

/// Compile-time check that every AEAD here has the 16-byte tag `TAG_LEN` assumes.
const _: () = {
    use aead::array::typenum::Unsigned;
    assert!(<Aes128Gcm as AeadCore>::TagSize::USIZE == TAG_LEN);
    assert!(<Aes256Gcm as AeadCore>::TagSize::USIZE == TAG_LEN);
    assert!(<AesGcm128 as AeadCore>::TagSize::USIZE == TAG_LEN);
    assert!(<AesGcm256 as AeadCore>::TagSize::USIZE == TAG_LEN);
    assert!(<ChaCha20Poly1305 as AeadCore>::TagSize::USIZE == TAG_LEN);
    assert!(<ChaChaPoly as AeadCore>::TagSize::USIZE == TAG_LEN);
};
