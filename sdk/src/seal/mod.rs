//! Sealing to the receiver (§24, 1.1): bytes that say something about a person are
//! encrypted to a public key the receiving member publishes in the registry, so that a
//! hop between the two parties (an exchange platform, a gateway between networks, a
//! proxy, a log) can carry them but not read them.
//!
//! - A [`SealingSuite`] goes with the agreement's signature suite: `ed25519` agreements
//!   seal with HPKE ([`SealingSuite::HpkeX25519Aes128Gcm`]), `sm2-sm3` agreements with
//!   SM2 and SM4-GCM ([`SealingSuite::Sm2Sm4Gcm`]).
//! - What travels is a [`SealedBox`]: the suite, the receiver's key id, the encapsulated
//!   key and the ciphertext, all of which the sender's signature covers.
//! - The box is bound to its [`SealContext`] (sender, receiver, message id and the part
//!   of the message it holds): it opens only under the same context, so it cannot be
//!   lifted into another message, claimed by another sender, or re-addressed.
//! - A receiver holds its secret keys as [`SealingKeyPair`]s and opens boxes with
//!   [`SealingKeyPair::open`].
//! - (§24.6) A file that a sealed body references is sealed in records under a fresh
//!   [`FileKey`] that the body carries ([`FileSealer`], [`FileOpener`]).

mod ephemeral;
mod file;
mod gm;
mod hpke;

pub(crate) use self::file::read_sealed_file;
pub use self::file::{
    file_part, sealed_size, FileKey, FileOpener, FileSealer, SealedFile, FILE_KEY_LENGTH,
    FILE_RECORD_SIZE,
};

use self::ephemeral::Ephemeral;
use crate::crypto::{default_key_id, from_base64url, Algorithm, KeyEntry, KeyFile};
use crate::error::{KeyError, SealError};
use crate::id::{KeyId, MessageId, NodeId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// How long after a sealing key's `valid_until` its receiver still opens boxes sealed to
/// it: 7 days (604,800 s), the longest an envelope may live (§2, `expires`), to which a
/// receiver adds the clock-skew allowance it gives `expires` (300 s). A message sealed
/// while the key was valid can still arrive; after this, `seal.key_retired`, and the
/// receiver may destroy the secret key.
pub const SEAL_GRACE_SECONDS: i64 = 604_800;

/// The `v` member of every context: the version of this construction.
pub const SEAL_CONTEXT_VERSION: &str = "tongban-seal/1";

crate::shape::string_enum! {
    /// A sealing suite: how a box is encrypted to its receiver.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
    pub enum SealingSuite {
        /// HPKE (RFC 9180) base mode: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
        /// AES-128-GCM. The suite of `ed25519` agreements.
        HpkeX25519Aes128Gcm = "hpke-x25519-sha256-aes128gcm",
        /// SM2 public-key encryption (GB/T 32918.4) of an SM4 key and nonce, and SM4-GCM
        /// (GB/T 32907, RFC 8998) of the data. The suite of `sm2-sm3` agreements.
        Sm2Sm4Gcm = "sm2-sm4-gcm",
    }
}

impl SealingSuite {
    /// The sealing suite of agreements signed with `algorithm`.
    pub fn for_signatures(algorithm: Algorithm) -> SealingSuite {
        match algorithm {
            Algorithm::Ed25519 => SealingSuite::HpkeX25519Aes128Gcm,
            Algorithm::Sm2Sm3 => SealingSuite::Sm2Sm4Gcm,
        }
    }

    /// Every sealing suite.
    pub const ALL: [SealingSuite; 2] = [SealingSuite::HpkeX25519Aes128Gcm, SealingSuite::Sm2Sm4Gcm];

    /// The suite named `name`, or `seal.unsupported_suite`.
    pub fn from_name(name: &str) -> Result<SealingSuite, SealError> {
        SealingSuite::ALL
            .into_iter()
            .find(|suite| suite.as_str() == name)
            .ok_or_else(|| SealError::UnsupportedSuite {
                suite: name.to_string(),
            })
    }

    /// How many bytes of ephemeral secret one sealing draws: 32 for HPKE (`ikmE`), 60
    /// for SM2 and SM4-GCM (SM4 key, nonce and SM2's `k`).
    pub fn ephemeral_length(self) -> usize {
        match self {
            SealingSuite::HpkeX25519Aes128Gcm => hpke::KEY_LENGTH,
            SealingSuite::Sm2Sm4Gcm => gm::EPHEMERAL_LENGTH,
        }
    }
}

/// A box sealed to one key of the receiver, as it travels: every member is a string, so
/// that the sender's signature covers it as it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SealedBox {
    /// The sealing suite, e.g. `hpke-x25519-sha256-aes128gcm`.
    pub alg: String,
    /// The id of the receiver's sealing key the box is sealed to.
    pub kid: KeyId,
    /// The encapsulated key, unpadded base64url: HPKE's `enc` (32 bytes), or the SM2
    /// ciphertext of the SM4 key and nonce (125 bytes).
    pub enc: String,
    /// The AEAD ciphertext with its 16-byte tag, unpadded base64url.
    pub ct: String,
}

/// What a box is bound to: it opens only under the context it was sealed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealContext<'a> {
    /// The sending member.
    pub from: &'a NodeId,
    /// The receiving member, whose key the box is sealed to.
    pub to: &'a NodeId,
    /// The id of the message that carries the box (or references the sealed file).
    pub id: &'a MessageId,
    /// Which part of the message the box holds, e.g. `body`.
    pub part: &'a str,
}

impl SealContext<'_> {
    /// The bytes bound into a box of `suite` sealed to `kid` (HPKE's `info`, SM4-GCM's
    /// associated data): the canonical JSON (RFC 8785) of `{"alg", "from", "id", "kid",
    /// "part", "to", "v": "tongban-seal/1"}`.
    pub fn bytes(&self, suite: SealingSuite, kid: &KeyId) -> Vec<u8> {
        crate::canonical::to_canonical_bytes(&serde_json::json!({
            "alg": suite.as_str(),
            "from": self.from,
            "id": self.id,
            "kid": kid,
            "part": self.part,
            "to": self.to,
            "v": SEAL_CONTEXT_VERSION,
        }))
    }
}

/// A receiver's public sealing key, checked when it is loaded: malformed and weak keys
/// are refused (`key.malformed`, `key.weak`).
#[derive(Clone, PartialEq, Eq)]
pub struct SealingPublicKey {
    suite: SealingSuite,
    bytes: Vec<u8>,
}

impl SealingPublicKey {
    /// Decodes and checks a public key of `suite`: for HPKE the 32-byte X25519
    /// u-coordinate, canonical and not of small order; for SM2 the uncompressed point
    /// `04‖x‖y` on the curve.
    pub fn from_bytes(suite: SealingSuite, bytes: &[u8]) -> Result<SealingPublicKey, KeyError> {
        match suite {
            SealingSuite::HpkeX25519Aes128Gcm => hpke::check_public_key(bytes)?,
            SealingSuite::Sm2Sm4Gcm => gm::check_public_key(bytes)?,
        }
        Ok(SealingPublicKey {
            suite,
            bytes: bytes.to_vec(),
        })
    }

    /// Decodes an unpadded base64url public key of `suite`, as [`Self::from_bytes`].
    pub fn from_base64url(suite: SealingSuite, text: &str) -> Result<SealingPublicKey, KeyError> {
        let bytes = from_base64url(text).ok_or_else(|| KeyError::Malformed {
            reason: "a public key must be unpadded base64url".into(),
        })?;
        SealingPublicKey::from_bytes(suite, &bytes)
    }

    /// The key's suite.
    pub fn suite(&self) -> SealingSuite {
        self.suite
    }

    /// The encoded key.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Seals `plaintext` to this key (id `kid`) under `context`, with a fresh ephemeral
    /// secret from the system's random source.
    pub fn seal(
        &self,
        kid: &KeyId,
        context: &SealContext<'_>,
        plaintext: &[u8],
    ) -> Result<SealedBox, SealError> {
        let mut secret = Zeroizing::new(vec![0u8; self.suite.ephemeral_length()]);
        loop {
            crate::random::fill_random(&mut secret);
            // SM2's k must be below n: about one draw in 2³² is not, and is drawn again.
            if self.suite != SealingSuite::Sm2Sm4Gcm || gm::valid_k(&secret[28..]) {
                break;
            }
        }
        self.seal_with_ephemeral(kid, context, plaintext, &secret)
    }

    /// Seals as [`Self::seal`] does, but with the given ephemeral secret (of
    /// [`SealingSuite::ephemeral_length`] bytes) instead of a fresh one. For reproducing
    /// test vectors only: two boxes sealed with one ephemeral secret give each other's
    /// plaintext away.
    pub fn seal_with_ephemeral(
        &self,
        kid: &KeyId,
        context: &SealContext<'_>,
        plaintext: &[u8],
        ephemeral: &[u8],
    ) -> Result<SealedBox, SealError> {
        let info = context.bytes(self.suite, kid);
        let mut source = Ephemeral::new(ephemeral);
        let sealed = match self.suite {
            SealingSuite::HpkeX25519Aes128Gcm => {
                hpke::seal(&self.bytes, &info, plaintext, &mut source)
            }
            SealingSuite::Sm2Sm4Gcm => gm::seal(&self.bytes, &info, plaintext, &mut source),
        };
        let (enc, ct) = sealed.ok_or_else(|| SealError::Ephemeral {
            suite: self.suite.as_str().to_string(),
            expected: self.suite.ephemeral_length(),
            given: ephemeral.len(),
        })?;
        Ok(SealedBox {
            alg: self.suite.as_str().to_string(),
            kid: kid.clone(),
            enc: crate::crypto::base64url(&enc),
            ct: crate::crypto::base64url(&ct),
        })
    }
}

impl std::fmt::Debug for SealingPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealingPublicKey")
            .field("suite", &self.suite)
            .field("bytes", &crate::crypto::base64url(&self.bytes))
            .finish()
    }
}

/// A receiver's sealing key: id, owner, suite and secret. Its `Debug` form hides the
/// secret. An X25519 secret is wiped from memory when dropped (x25519-dalek's
/// `zeroize`), as are the ephemeral secret, the SM4 key and nonce and the plaintext that
/// [`SealingKeyPair::open`] returns;
/// an SM2 secret is not: RustCrypto's `sm2` 0.14 keeps it in a `Copy` scalar that it
/// does not wipe.
pub struct SealingKeyPair {
    key_id: KeyId,
    owner: NodeId,
    secret: SecretKeyOf,
    public_key: SealingPublicKey,
}

enum SecretKeyOf {
    Hpke(Box<<::hpke::kem::X25519HkdfSha256 as ::hpke::Kem>::PrivateKey>),
    Sm2(Box<sm2_pke::pke::DecryptingKey>),
}

impl SecretKeyOf {
    /// Decodes an encoded secret key of `suite`, with its public key.
    fn decode(
        suite: SealingSuite,
        secret: &[u8],
    ) -> Result<(SecretKeyOf, SealingPublicKey), KeyError> {
        let (secret, public) = match suite {
            SealingSuite::HpkeX25519Aes128Gcm => {
                let (secret, public) = hpke::secret_key(secret)?;
                (SecretKeyOf::Hpke(Box::new(secret)), public)
            }
            SealingSuite::Sm2Sm4Gcm => {
                let (secret, public) = gm::secret_key(secret)?;
                (SecretKeyOf::Sm2(Box::new(secret)), public)
            }
        };
        Ok((secret, SealingPublicKey::from_bytes(suite, &public)?))
    }
}

impl SealingKeyPair {
    /// Wraps an encoded secret key of `suite`: 32 bytes for HPKE (X25519), the 32-byte
    /// scalar `d` (1 ≤ d ≤ n − 1) for SM2.
    pub fn from_secret(
        key_id: KeyId,
        owner: NodeId,
        suite: SealingSuite,
        secret: &[u8],
    ) -> Result<SealingKeyPair, KeyError> {
        let (secret, public_key) = SecretKeyOf::decode(suite, secret)?;
        Ok(SealingKeyPair {
            key_id,
            owner,
            secret,
            public_key,
        })
    }

    /// A fresh key of `suite` for `owner` from the system's random source. Without a
    /// `key_id` the id is `<owner>#<first 8 hex digits of SHA-256(public key)>`.
    pub fn generate(
        suite: SealingSuite,
        owner: NodeId,
        key_id: Option<KeyId>,
    ) -> Result<SealingKeyPair, KeyError> {
        let mut secret = Zeroizing::new([0u8; 32]);
        loop {
            crate::random::fill_random(secret.as_mut());
            // An SM2 scalar of 32 random bytes is out of range about once in 2³².
            if suite != SealingSuite::Sm2Sm4Gcm || gm::valid_k(secret.as_ref()) {
                break;
            }
        }
        let (secret, public_key) = SecretKeyOf::decode(suite, secret.as_ref())?;
        let key_id = match key_id {
            Some(id) => id,
            None => default_key_id(&owner, public_key.as_bytes())?,
        };
        Ok(SealingKeyPair {
            key_id,
            owner,
            secret,
            public_key,
        })
    }

    /// Loads a key file whose `alg` is a sealing suite.
    pub fn from_file(file: &KeyFile) -> Result<SealingKeyPair, KeyError> {
        let suite =
            SealingSuite::from_name(&file.entry.algorithm).map_err(|e| KeyError::Malformed {
                reason: e.to_string(),
            })?;
        let pair = SealingKeyPair::from_secret(
            file.entry.key_id.clone(),
            file.entry.owner.clone(),
            suite,
            &file.secret()?,
        )?;
        file.check_public_key(pair.public_key.as_bytes())?;
        Ok(pair)
    }

    /// The key file: the public entry and the secret key.
    pub fn to_file(&self) -> KeyFile {
        let secret = Zeroizing::new(match &self.secret {
            SecretKeyOf::Hpke(key) => ::hpke::Serializable::to_bytes(key.as_ref()).to_vec(),
            SecretKeyOf::Sm2(key) => key.to_bytes().to_vec(),
        });
        KeyFile {
            entry: KeyEntry {
                key_id: self.key_id.clone(),
                owner: self.owner.clone(),
                algorithm: self.suite().as_str().to_string(),
                public_key: crate::crypto::base64url(self.public_key.as_bytes()),
            },
            secret_key: crate::crypto::base64url(&secret),
        }
    }

    /// The key id.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The member the key belongs to.
    pub fn owner(&self) -> &NodeId {
        &self.owner
    }

    /// The key's suite.
    pub fn suite(&self) -> SealingSuite {
        self.public_key.suite
    }

    /// The public key.
    pub fn public_key(&self) -> &SealingPublicKey {
        &self.public_key
    }

    /// Opens `sealed` under `context`. Refused: a box of another suite than this key's
    /// (`seal.wrong_suite`) or sealed to another key (`seal.unknown_key`), one that
    /// cannot be decoded (`seal.malformed`), and one that does not open: altered, or
    /// sealed under another context, so lifted from another message, claimed by another
    /// sender or re-addressed (`seal.open_failed`).
    pub fn open(
        &self,
        sealed: &SealedBox,
        context: &SealContext<'_>,
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let suite = SealingSuite::from_name(&sealed.alg)?;
        if suite != self.suite() {
            return Err(SealError::WrongSuite {
                suite: sealed.alg.clone(),
                expected: self.suite().as_str().to_string(),
            });
        }
        if sealed.kid != self.key_id {
            return Err(SealError::UnknownKey {
                key_id: sealed.kid.to_string(),
            });
        }
        let malformed = |member: &str, reason: &str| SealError::Malformed {
            member: member.to_string(),
            reason: reason.to_string(),
        };
        let enc = from_base64url(&sealed.enc).ok_or_else(|| malformed("enc", "not base64url"))?;
        let ct = from_base64url(&sealed.ct).ok_or_else(|| malformed("ct", "not base64url"))?;
        let enc_length = match suite {
            SealingSuite::HpkeX25519Aes128Gcm => hpke::KEY_LENGTH,
            SealingSuite::Sm2Sm4Gcm => gm::ENC_LENGTH,
        };
        if enc.len() != enc_length {
            return Err(malformed(
                "enc",
                &format!("must be {enc_length} bytes, not {}", enc.len()),
            ));
        }
        if suite == SealingSuite::Sm2Sm4Gcm && enc[0] != 0x04 {
            return Err(malformed(
                "enc",
                "C1 must be an uncompressed point (04‖x‖y)",
            ));
        }
        if ct.len() < TAG_LENGTH {
            return Err(malformed("ct", "shorter than the 16-byte tag"));
        }
        let info = context.bytes(suite, &self.key_id);
        let opened = match &self.secret {
            SecretKeyOf::Hpke(secret) => hpke::open(secret, &info, &enc, &ct),
            SecretKeyOf::Sm2(secret) => gm::open(secret, &info, &enc, &ct),
        };
        opened
            .map(Zeroizing::new)
            .ok_or_else(|| SealError::OpenFailed {
                key_id: self.key_id.to_string(),
            })
    }
}

/// The length of the AEAD tag of both suites.
pub(super) const TAG_LENGTH: usize = 16;

impl std::fmt::Debug for SealingKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealingKeyPair")
            .field("key_id", &self.key_id)
            .field("owner", &self.owner)
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod file_tests;
