//! Signature suites, keys, key files and key resolution.
//!
//! An [`Algorithm`] names a suite; each suite implements the small [`SignatureSuite`]
//! trait, and a key is loaded once into its suite's own type ([`PublicKey`], [`KeyPair`]).
//! Ed25519 verification uses `verify_strict`; a public key that is not canonically
//! encoded or has a small-order component is refused when it is loaded. The national
//! suite `sm2-sm3` (SM2 with SM3) is in the module `sm2` of this one.

pub(crate) mod sm2;

pub use self::sm2::SM2_DISTINGUISHING_ID;
use self::sm2::{
    sm2_public_bytes, sm2_public_key, sm2_sign, sm2_signing_key, sm2_verify, Sm2Suite,
};

use crate::error::{KeyError, SignatureError};
use crate::id::{KeyId, NodeId};
use crate::time::Timestamp;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// A signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// Ed25519 (RFC 8032), verified with `verify_strict`.
    Ed25519,
    /// SM2 signatures with SM3 (GB/T 32918.2, GB/T 32905), the national suite (国密).
    Sm2Sm3,
}

impl Algorithm {
    /// The name used on the wire, e.g. `ed25519`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "ed25519",
            Algorithm::Sm2Sm3 => "sm2-sm3",
        }
    }

    /// The suite implementing this algorithm.
    pub fn suite(self) -> &'static dyn SignatureSuite {
        match self {
            Algorithm::Ed25519 => &Ed25519Suite,
            Algorithm::Sm2Sm3 => &Sm2Suite,
        }
    }
}

impl TryFrom<&str> for Algorithm {
    type Error = SignatureError;
    fn try_from(name: &str) -> Result<Self, Self::Error> {
        match name {
            "ed25519" => Ok(Algorithm::Ed25519),
            "sm2-sm3" => Ok(Algorithm::Sm2Sm3),
            other => Err(SignatureError::UnsupportedAlgorithm {
                algorithm: other.to_string(),
            }),
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One signature algorithm: key checks, signing and strict verification over raw bytes.
pub trait SignatureSuite: Sync {
    /// The algorithm this suite implements.
    fn algorithm(&self) -> Algorithm;
    /// Checks an encoded public key, refusing malformed and weak keys.
    fn check_public_key(&self, public_key: &[u8]) -> Result<(), KeyError>;
    /// Derives the encoded public key from an encoded secret key.
    fn public_key_of(&self, secret_key: &[u8]) -> Result<Vec<u8>, KeyError>;
    /// Signs `message` with an encoded secret key.
    fn sign(&self, secret_key: &[u8], message: &[u8]) -> Result<Vec<u8>, KeyError>;
    /// The length of a signature in bytes.
    fn signature_length(&self) -> usize;
    /// Whether `signature` is a valid signature of `message` by `public_key`.
    fn verify(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> bool;
}

/// Ed25519 through ed25519-dalek.
struct Ed25519Suite;

pub(crate) fn array<const N: usize>(bytes: &[u8], what: &str) -> Result<[u8; N], KeyError> {
    bytes.try_into().map_err(|_| KeyError::Malformed {
        reason: format!("{what} must be {N} bytes, not {}", bytes.len()),
    })
}

impl SignatureSuite for Ed25519Suite {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Ed25519
    }

    fn check_public_key(&self, public_key: &[u8]) -> Result<(), KeyError> {
        ed25519_public_key(public_key).map(|_| ())
    }

    fn public_key_of(&self, secret_key: &[u8]) -> Result<Vec<u8>, KeyError> {
        let key = ed25519_dalek::SigningKey::from_bytes(&array(secret_key, "Ed25519 secret key")?);
        Ok(key.verifying_key().to_bytes().to_vec())
    }

    fn sign(&self, secret_key: &[u8], message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let key = ed25519_dalek::SigningKey::from_bytes(&array(secret_key, "Ed25519 secret key")?);
        Ok(ed25519_sign(&key, message))
    }

    fn signature_length(&self) -> usize {
        ed25519_dalek::SIGNATURE_LENGTH
    }

    fn verify(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
        let (Ok(public), Ok(signature)) = (
            array::<32>(public_key, "public key"),
            array::<64>(signature, "signature"),
        ) else {
            return false;
        };
        let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&public) else {
            return false;
        };
        ed25519_verify(&key, message, &signature)
    }
}

/// Decodes an Ed25519 public key. Refused: a point off the curve or not in its canonical
/// encoding (`key.malformed`), and a point with a small-order component, of small or of
/// mixed order (`key.weak`). Honest keys are never refused; the refused ones are where
/// strict, cofactored and cofactorless verifiers disagree (ed25519-speccheck).
fn ed25519_public_key(public_key: &[u8]) -> Result<ed25519_dalek::VerifyingKey, KeyError> {
    let bytes = array(public_key, "Ed25519 public key")?;
    let point = curve25519_dalek::edwards::CompressedEdwardsY(bytes)
        .decompress()
        .ok_or_else(|| KeyError::Malformed {
            reason: "not a point on the Ed25519 curve".into(),
        })?;
    if point.compress().to_bytes() != bytes {
        return Err(KeyError::Malformed {
            reason: "not the canonical encoding of its point".into(),
        });
    }
    if point.is_small_order() || !point.is_torsion_free() {
        return Err(KeyError::Weak);
    }
    ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::Malformed {
        reason: "not a point on the Ed25519 curve".into(),
    })
}

/// An Ed25519 signature of `message`.
fn ed25519_sign(key: &ed25519_dalek::SigningKey, message: &[u8]) -> Vec<u8> {
    use ed25519_dalek::Signer;
    key.sign(message).to_bytes().to_vec()
}

/// Whether `signature` is a valid Ed25519 signature of `message` under `key`, by
/// `verify_strict` (the only way tongban checks an Ed25519 signature).
fn ed25519_verify(key: &ed25519_dalek::VerifyingKey, message: &[u8], signature: &[u8; 64]) -> bool {
    key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
        .is_ok()
}

/// The id a generated key gets when none is given: `<owner>#<first 8 hex digits of
/// SHA-256(public key)>`.
pub(crate) fn default_key_id(owner: &NodeId, public: &[u8]) -> Result<KeyId, KeyError> {
    let fingerprint = crate::digest::Sha256Digest::of(public);
    KeyId::parse(format!("{owner}#{}", &fingerprint.as_str()[..8])).map_err(|e| {
        KeyError::Malformed {
            reason: e.to_string(),
        }
    })
}

/// The bytes of hexadecimal `text`, whitespace ignored: the standards' examples in tests.
#[cfg(test)]
pub(crate) fn from_hex(text: &str) -> Vec<u8> {
    let text: String = text.split_whitespace().collect();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Encodes bytes as unpadded base64url (RFC 4648 §5), the protocol's binary encoding.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes canonical unpadded base64url: padding and non-zero trailing bits are refused.
pub fn from_base64url(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// A checked public key of some algorithm, decoded once. Two keys are equal when their
/// algorithm and encoding are.
#[derive(Clone)]
pub struct PublicKey {
    algorithm: Algorithm,
    bytes: Vec<u8>,
    decoded: DecodedPublicKey,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.algorithm == other.algorithm && self.bytes == other.bytes
    }
}

impl Eq for PublicKey {}

/// A public key decoded for its algorithm's arithmetic, so that verifying a signature
/// does not decode (decompress) the key again, nor (SM2) compute its Z value again.
#[derive(Clone)]
enum DecodedPublicKey {
    Ed25519(ed25519_dalek::VerifyingKey),
    Sm2(Box<::sm2::dsa::VerifyingKey>),
}

impl PublicKey {
    /// Checks and wraps an encoded public key; weak keys are refused with `key.weak`.
    pub fn from_bytes(algorithm: Algorithm, bytes: &[u8]) -> Result<PublicKey, KeyError> {
        let decoded = match algorithm {
            Algorithm::Ed25519 => DecodedPublicKey::Ed25519(ed25519_public_key(bytes)?),
            Algorithm::Sm2Sm3 => DecodedPublicKey::Sm2(Box::new(sm2_public_key(bytes)?)),
        };
        Ok(PublicKey {
            algorithm,
            bytes: bytes.to_vec(),
            decoded,
        })
    }

    /// Decodes and checks a base64url public key.
    pub fn from_base64url(algorithm: Algorithm, text: &str) -> Result<PublicKey, KeyError> {
        let bytes = from_base64url(text).ok_or_else(|| KeyError::Malformed {
            reason: "public key is not unpadded base64url".into(),
        })?;
        PublicKey::from_bytes(algorithm, &bytes)
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The encoded key.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Checks a signature as it travels, unpadded base64url, over `message` (§8 step
    /// 2.4): `signature.malformed` when it is not base64url or not the suite's length
    /// (an SM2 signature in DER, say), `signature.invalid` when it does not verify.
    /// `key_id` names the key in the error.
    pub fn check_signature(
        &self,
        key_id: &str,
        message: &[u8],
        signature: &str,
    ) -> Result<(), SignatureError> {
        let malformed = |reason: String| SignatureError::Malformed {
            key_id: key_id.to_string(),
            reason,
        };
        let signature =
            from_base64url(signature).ok_or_else(|| malformed("not unpadded base64url".into()))?;
        let expected = self.algorithm.suite().signature_length();
        if signature.len() != expected {
            return Err(malformed(format!(
                "{} bytes, expected {expected}",
                signature.len()
            )));
        }
        if !self.verify(message, &signature) {
            return Err(SignatureError::Invalid {
                key_id: key_id.to_string(),
            });
        }
        Ok(())
    }

    /// Whether `signature` over `message` verifies under this key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.decoded {
            DecodedPublicKey::Ed25519(key) => signature
                .try_into()
                .is_ok_and(|signature| ed25519_verify(key, message, signature)),
            DecodedPublicKey::Sm2(key) => sm2_verify(key, message, signature),
        }
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PublicKey({}:{})",
            self.algorithm,
            base64url(&self.bytes)
        )
    }
}

/// A public key the verifier trusts, and the node it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// The key id signatures name.
    pub key_id: KeyId,
    /// The node the key belongs to.
    pub owner: NodeId,
    /// The key itself.
    pub public_key: PublicKey,
}

/// Finds the trusted key a signature names, and says what else a message must satisfy.
/// A [`KeySet`] only knows keys; the trust registry also knows members and agreements.
pub trait KeyResolver {
    /// The key with id `key_id` for a message created at `created` and verified at
    /// `now`, or the reason it may not be used (`signature.unknown_key` when there is
    /// none).
    fn resolve(
        &self,
        key_id: &KeyId,
        created: &Timestamp,
        now: &Timestamp,
    ) -> Result<TrustedKey, crate::Error>;

    /// Checks, before any signature, that sender and receiver are known (and that the
    /// source of trust is itself still valid at `now`). Accepts everything by default.
    fn check_parties(
        &self,
        _envelope: &crate::Envelope,
        _now: &Timestamp,
    ) -> Result<(), crate::Error> {
        Ok(())
    }

    /// Checks, after the signatures verified, that the message fits what the source of
    /// trust allows (agreement, catalogue, mode, form, materials). Accepts everything
    /// by default.
    fn check_message(&self, _envelope: &crate::Envelope) -> Result<(), crate::Error> {
        Ok(())
    }

    /// [`KeyResolver::check_message`] on a message the caller owns, given back as it
    /// came: a resolver may move parts of it out to check them without a copy (the
    /// registry moves a transfer's form into the JSON value its schema check reads).
    /// [`crate::Verifier`] calls this one. By default it lends the message.
    fn check_owned_message(&self, envelope: &mut crate::Envelope) -> Result<(), crate::Error> {
        self.check_message(envelope)
    }

    /// (1.1) Checks, before a verified message's sealed body is opened at `now`, that
    /// its box is sealed to a key of the receiver it may be opened with (§24.2: suite,
    /// key, revocation, window, grace). Accepts everything by default: a resolver that
    /// knows no sealing keys leaves it to the box, which opens only with its key.
    fn check_sealed(
        &self,
        _envelope: &crate::Envelope,
        _sealed: &crate::seal::SealedBox,
        _now: &Timestamp,
    ) -> Result<(), crate::Error> {
        Ok(())
    }

    /// (1.1) Checks, after [`KeyResolver::check_owned_message`], a message as it
    /// travelled: a body in clear that must be sealed is refused (`seal.required`,
    /// §24.5). [`crate::Verifier`] calls it before opening a sealed body, never after.
    /// Accepts everything by default.
    fn check_in_clear(&self, _envelope: &crate::Envelope) -> Result<(), crate::Error> {
        Ok(())
    }
}

/// Implements [`KeyResolver`] for a pointer type by delegating to the value it points
/// at.
macro_rules! delegate_key_resolver {
    ($($pointer:ty),*) => {$(
        impl<T: KeyResolver + ?Sized> KeyResolver for $pointer {
            fn resolve(
                &self,
                key_id: &KeyId,
                created: &Timestamp,
                now: &Timestamp,
            ) -> Result<TrustedKey, crate::Error> {
                (**self).resolve(key_id, created, now)
            }
            fn check_parties(
                &self,
                envelope: &crate::Envelope,
                now: &Timestamp,
            ) -> Result<(), crate::Error> {
                (**self).check_parties(envelope, now)
            }
            fn check_message(&self, envelope: &crate::Envelope) -> Result<(), crate::Error> {
                (**self).check_message(envelope)
            }
            fn check_owned_message(
                &self,
                envelope: &mut crate::Envelope,
            ) -> Result<(), crate::Error> {
                (**self).check_owned_message(envelope)
            }
            fn check_sealed(
                &self,
                envelope: &crate::Envelope,
                sealed: &crate::seal::SealedBox,
                now: &Timestamp,
            ) -> Result<(), crate::Error> {
                (**self).check_sealed(envelope, sealed, now)
            }
            fn check_in_clear(&self, envelope: &crate::Envelope) -> Result<(), crate::Error> {
                (**self).check_in_clear(envelope)
            }
        }
    )*};
}

// A shared reference, `Rc` or `Arc` resolves as the value does, so one registry can
// serve many verifiers.
delegate_key_resolver!(&T, std::rc::Rc<T>, std::sync::Arc<T>);

/// What signs a document (a message, a registry, a file request): a key that names
/// itself, its owner and its suite, and signs the signing input (§7). [`KeyPair`] holds
/// its secret in memory; a key held in a hardware security module or a signing service
/// implements this trait to sign without its secret entering the process. Its signature
/// must be in the suite's one encoding (`r‖s` for SM2, not DER): the document is not
/// signed otherwise (`key.malformed`).
pub trait DocumentSigner {
    /// The key id that names the key in the registry.
    fn key_id(&self) -> &KeyId;
    /// The node it signs for.
    fn owner(&self) -> &NodeId;
    /// Its suite.
    fn algorithm(&self) -> Algorithm;
    /// Signs `message`, the signing input of §7 step 3.
    fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
}

impl DocumentSigner for KeyPair {
    fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    fn owner(&self) -> &NodeId {
        &self.owner
    }

    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        KeyPair::sign_bytes(self, message)
    }
}

/// A signing key: id, owner, algorithm and secret. Its `Debug` form hides the secret.
pub struct KeyPair {
    key_id: KeyId,
    owner: NodeId,
    algorithm: Algorithm,
    secret: SecretKey,
    public_key: PublicKey,
}

/// A secret key decoded once with its public key, so that signing does not derive the
/// public key again. The key is wiped from memory when dropped.
enum SecretKey {
    Ed25519(ed25519_dalek::SigningKey),
    Sm2(::sm2::dsa::SigningKey),
}

impl KeyPair {
    /// Wraps an encoded secret key.
    pub fn from_secret(
        key_id: KeyId,
        owner: NodeId,
        algorithm: Algorithm,
        secret: &[u8],
    ) -> Result<KeyPair, KeyError> {
        let (secret, public) = match algorithm {
            Algorithm::Ed25519 => {
                let seed = Zeroizing::new(array::<32>(secret, "Ed25519 secret key")?);
                let key = ed25519_dalek::SigningKey::from_bytes(&seed);
                let public = key.verifying_key().to_bytes().to_vec();
                (SecretKey::Ed25519(key), public)
            }
            Algorithm::Sm2Sm3 => {
                let key = sm2_signing_key(secret)?;
                let public = sm2_public_bytes(&key);
                (SecretKey::Sm2(key), public)
            }
        };
        Ok(KeyPair {
            key_id,
            owner,
            algorithm,
            secret,
            public_key: PublicKey::from_bytes(algorithm, &public)?,
        })
    }

    /// A fresh Ed25519 key for `owner` from the system's random source. Without a
    /// `key_id` the id is `<owner>#<first 8 hex digits of SHA-256(public key)>`.
    pub fn generate(owner: NodeId, key_id: Option<KeyId>) -> Result<KeyPair, KeyError> {
        KeyPair::generate_for(Algorithm::Ed25519, owner, key_id)
    }

    /// A fresh key of `algorithm` for `owner`, as [`KeyPair::generate`]. (An SM2 secret
    /// is drawn again in the rare case, about 2⁻³², that 32 random bytes are no valid
    /// scalar.)
    pub fn generate_for(
        algorithm: Algorithm,
        owner: NodeId,
        key_id: Option<KeyId>,
    ) -> Result<KeyPair, KeyError> {
        let mut secret = Zeroizing::new([0u8; 32]);
        let public = loop {
            crate::random::fill_random(secret.as_mut());
            match algorithm.suite().public_key_of(secret.as_ref()) {
                Ok(public) => break public,
                Err(_) if algorithm == Algorithm::Sm2Sm3 => continue,
                Err(e) => return Err(e),
            }
        };
        let key_id = match key_id {
            Some(id) => id,
            None => default_key_id(&owner, &public)?,
        };
        KeyPair::from_secret(key_id, owner, algorithm, secret.as_ref())
    }

    /// The key id.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The node this key signs for.
    pub fn owner(&self) -> &NodeId {
        &self.owner
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The public half as a [`TrustedKey`] entry.
    pub fn trusted_key(&self) -> TrustedKey {
        TrustedKey {
            key_id: self.key_id.clone(),
            owner: self.owner.clone(),
            public_key: self.public_key.clone(),
        }
    }

    /// Signs raw bytes.
    pub fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.secret {
            SecretKey::Ed25519(key) => Ok(ed25519_sign(key, message)),
            SecretKey::Sm2(key) => sm2_sign(key, message),
        }
    }

    /// The key file form, secret included.
    pub fn to_file(&self) -> KeyFile {
        KeyFile {
            entry: KeyEntry::from(&self.trusted_key()),
            secret_key: match &self.secret {
                SecretKey::Ed25519(key) => base64url(Zeroizing::new(key.to_bytes()).as_ref()),
                SecretKey::Sm2(key) => base64url(Zeroizing::new(key.to_bytes()).as_ref()),
            },
        }
    }

    /// Reads a key file's JSON text (strict parser: `json.*` codes) and loads its key
    /// (`key.malformed` when the document is not a key file).
    pub fn from_key_file_json(bytes: &[u8]) -> Result<KeyPair, crate::Error> {
        Ok(KeyPair::from_file(&KeyFile::from_json(bytes)?)?)
    }

    /// Loads a key file.
    pub fn from_file(file: &KeyFile) -> Result<KeyPair, KeyError> {
        let algorithm = Algorithm::try_from(file.entry.algorithm.as_str()).map_err(|e| {
            KeyError::Malformed {
                reason: e.to_string(),
            }
        })?;
        let pair = KeyPair::from_secret(
            file.entry.key_id.clone(),
            file.entry.owner.clone(),
            algorithm,
            &file.secret()?,
        )?;
        file.check_public_key(pair.public_key.as_bytes())?;
        Ok(pair)
    }
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("key_id", &self.key_id)
            .field("owner", &self.owner)
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

/// A public key as written in files and documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KeyEntry {
    /// The key id.
    #[serde(rename = "kid")]
    pub key_id: KeyId,
    /// The node the key belongs to.
    pub owner: NodeId,
    /// The algorithm name, e.g. `ed25519`.
    #[serde(rename = "alg")]
    pub algorithm: String,
    /// The public key, unpadded base64url.
    pub public_key: String,
}

impl From<&TrustedKey> for KeyEntry {
    fn from(key: &TrustedKey) -> Self {
        KeyEntry {
            key_id: key.key_id.clone(),
            owner: key.owner.clone(),
            algorithm: key.public_key.algorithm().as_str().to_string(),
            public_key: base64url(key.public_key.as_bytes()),
        }
    }
}

impl TryFrom<&KeyEntry> for TrustedKey {
    type Error = KeyError;
    fn try_from(entry: &KeyEntry) -> Result<Self, Self::Error> {
        let algorithm =
            Algorithm::try_from(entry.algorithm.as_str()).map_err(|e| KeyError::Malformed {
                reason: e.to_string(),
            })?;
        Ok(TrustedKey {
            key_id: entry.key_id.clone(),
            owner: entry.owner.clone(),
            public_key: PublicKey::from_base64url(algorithm, &entry.public_key)?,
        })
    }
}

/// A key file as `tongban keygen` writes it: the public entry plus the secret key. The
/// secret is wiped from memory when the value is dropped.
#[derive(Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KeyFile {
    /// The public part.
    // Flattened: serde reads it from its own buffer, out of `shape::Strict`'s reach,
    // so `KeyEntry` must keep only strings and string-like fields.
    #[serde(flatten)]
    pub entry: KeyEntry,
    /// The secret key (for Ed25519, the 32-byte seed), unpadded base64url.
    pub secret_key: String,
}

impl KeyFile {
    /// Reads a key file's JSON text (strict parser: `json.*` codes; `key.malformed`
    /// when the document is not a key file). Its key is not loaded yet.
    pub fn from_json(bytes: &[u8]) -> Result<KeyFile, crate::Error> {
        Ok(
            crate::shape::from_value(&crate::json::parse(bytes)?).map_err(|e| {
                KeyError::Malformed {
                    reason: format!("not a key file: {e}"),
                }
            })?,
        )
    }

    /// The decoded secret key, wiped when dropped.
    pub(crate) fn secret(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        from_base64url(&self.secret_key)
            .map(Zeroizing::new)
            .ok_or_else(|| KeyError::Malformed {
                reason: "secret key is not unpadded base64url".into(),
            })
    }

    /// Refuses a file whose public key is not `public`, the secret key's.
    pub(crate) fn check_public_key(&self, public: &[u8]) -> Result<(), KeyError> {
        if base64url(public) != self.entry.public_key {
            return Err(KeyError::Malformed {
                reason: "public key does not match the secret key".into(),
            });
        }
        Ok(())
    }
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret_key);
    }
}

/// A set of trusted public keys, the simplest [`KeyResolver`]. The trust registry
/// replaces it for members of the alliance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeySet {
    keys: BTreeMap<KeyId, TrustedKey>,
}

/// The file form of a [`KeySet`]: `{"keys": [KeyEntry, …]}`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KeySetFile {
    /// The trusted keys.
    pub keys: Vec<KeyEntry>,
}

impl KeySet {
    /// An empty set.
    pub fn new() -> KeySet {
        KeySet::default()
    }

    /// Adds (or replaces) a key.
    pub fn insert(&mut self, key: TrustedKey) {
        self.keys.insert(key.key_id.clone(), key);
    }

    /// Checks every entry of a key-set file; a key id listed twice is refused.
    pub fn from_file(file: &KeySetFile) -> Result<KeySet, KeyError> {
        let mut set = KeySet::new();
        for entry in &file.keys {
            if set.keys.contains_key(&entry.key_id) {
                return Err(KeyError::Malformed {
                    reason: format!("key id {} is listed twice", entry.key_id),
                });
            }
            set.insert(TrustedKey::try_from(entry)?);
        }
        Ok(set)
    }

    /// The file form.
    pub fn to_file(&self) -> KeySetFile {
        KeySetFile {
            keys: self.keys.values().map(KeyEntry::from).collect(),
        }
    }
}

impl KeyResolver for KeySet {
    fn resolve(
        &self,
        key_id: &KeyId,
        _created: &Timestamp,
        _now: &Timestamp,
    ) -> Result<TrustedKey, crate::Error> {
        self.keys.get(key_id).cloned().ok_or_else(|| {
            SignatureError::UnknownKey {
                key_id: key_id.to_string(),
            }
            .into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> NodeId {
        NodeId::parse("huangshi.420200").expect("valid")
    }

    #[test]
    fn generated_keys_sign_and_verify_strictly() {
        let pair = KeyPair::generate(node(), None).expect("key");
        assert!(pair.key_id().as_str().starts_with("huangshi.420200#"));
        let sig = pair.sign_bytes(b"message").expect("sign");
        assert!(pair.public_key().verify(b"message", &sig));
        assert!(!pair.public_key().verify(b"messagf", &sig));
        assert!(!pair.public_key().verify(b"message", &sig[..63]));
    }

    #[test]
    fn key_files_round_trip_and_hide_the_secret_in_debug() {
        let pair = KeyPair::generate(node(), None).expect("key");
        let file = pair.to_file();
        let again = KeyPair::from_file(&file).expect("load");
        assert_eq!(again.public_key(), pair.public_key());
        assert!(!format!("{pair:?}").contains(&file.secret_key));
    }

    #[test]
    fn key_file_json_is_read_strictly() {
        let pair = KeyPair::generate(node(), None).expect("key");
        let text = serde_json::to_vec(&pair.to_file()).expect("json");
        let again = KeyPair::from_key_file_json(&text).expect("load");
        assert_eq!(again.public_key(), pair.public_key());
        let code = |bytes: &[u8]| {
            KeyPair::from_key_file_json(bytes)
                .expect_err("refused")
                .code()
        };
        assert_eq!(code(br#"{"a":1,"a":1}"#), "json.duplicate_key");
        assert_eq!(code(br#"{"keys":[]}"#), "key.malformed");
    }

    #[test]
    fn a_key_set_refuses_a_key_id_listed_twice() {
        let pair = KeyPair::generate(node(), None).expect("key");
        let entry = KeyEntry::from(&pair.trusted_key());
        let file = KeySetFile {
            keys: vec![entry.clone(), entry],
        };
        let err = KeySet::from_file(&file).expect_err("duplicate");
        assert_eq!(err.code(), "key.malformed");
    }

    #[test]
    fn small_order_keys_are_weak() {
        // The identity point (y = 1) has order 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            PublicKey::from_bytes(Algorithm::Ed25519, &identity),
            Err(KeyError::Weak)
        );
        let err = PublicKey::from_bytes(Algorithm::Ed25519, &[1, 2, 3]).expect_err("short");
        assert_eq!(err.code(), "key.malformed");
    }

    #[test]
    fn mixed_order_and_non_canonical_keys_are_refused() {
        use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
        let honest = KeyPair::generate(node(), None).expect("key");
        let honest = curve25519_dalek::edwards::CompressedEdwardsY(
            array(honest.public_key().as_bytes(), "key").expect("32 bytes"),
        )
        .decompress()
        .expect("point");
        // An honest key plus a point of order 2, 4 or 8 still decodes, and is weak.
        for torsion in [EIGHT_TORSION[4], EIGHT_TORSION[2], EIGHT_TORSION[1]] {
            let mixed = (honest + torsion).compress().to_bytes();
            assert_eq!(
                PublicKey::from_bytes(Algorithm::Ed25519, &mixed),
                Err(KeyError::Weak)
            );
        }
        // The base point with its x sign bit flipped is -B: fine. The identity (x = 0)
        // with the sign bit set is a second, non-canonical encoding of the identity.
        let mut negated = ED25519_BASEPOINT_POINT.compress().to_bytes();
        negated[31] ^= 0x80;
        assert!(PublicKey::from_bytes(Algorithm::Ed25519, &negated).is_ok());
        let mut identity = [0u8; 32];
        identity[0] = 1;
        identity[31] = 0x80;
        let err = PublicKey::from_bytes(Algorithm::Ed25519, &identity).expect_err("-0");
        assert_eq!(err.code(), "key.malformed");
    }

    #[test]
    fn padded_or_non_canonical_base64_is_refused() {
        assert_eq!(from_base64url("AQ"), Some(vec![1]));
        assert_eq!(from_base64url("AQ=="), None);
        assert_eq!(from_base64url("AR"), None);
        assert_eq!(from_base64url("A+"), None);
    }
}
