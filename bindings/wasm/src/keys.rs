//! Signing keys: generation, import and export.

use crate::convert::{document, to_js, typed, KeyEntryObject};
use crate::error::{JsResult, OrThrow};
use tongban::crypto::{KeyEntry, KeyFile};
use tongban::{KeyId, NodeId};
use wasm_bindgen::prelude::*;

/// A signing key of one node, Ed25519 or SM2 (suite `sm2-sm3`). Export it with
/// `toKeyFile` to keep it; free it with `free()` when done (the secret is zeroed).
#[wasm_bindgen(js_name = KeyPair)]
pub struct JsKeyPair(pub(crate) tongban::KeyPair);

#[wasm_bindgen(js_class = KeyPair)]
impl JsKeyPair {
    /// A new key of suite `alg` (`ed25519`, the default, or `sm2-sm3`) for `node`, with
    /// key id `keyId` (default `<node>#` and 8 hex digits of the public key's SHA-256),
    /// from the platform's secure random source.
    pub fn generate(
        node: &str,
        key_id: Option<String>,
        alg: Option<String>,
    ) -> JsResult<JsKeyPair> {
        let algorithm = match alg.as_deref() {
            Some(name) => tongban::Algorithm::try_from(name).or_throw()?,
            None => tongban::Algorithm::Ed25519,
        };
        let owner = NodeId::parse(node).or_throw()?;
        let key_id = key_id.map(KeyId::parse).transpose().or_throw()?;
        Ok(JsKeyPair(
            tongban::KeyPair::generate_for(algorithm, owner, key_id).or_throw()?,
        ))
    }

    /// The sample key of a node of the sample registry (`huangshi.420200`,
    /// `jiujiang.360400`, …), with key id `<node>#sample`. Its secret is public (the
    /// SHA-256 of `tongban sample key <node>`): for examples and tests only.
    #[wasm_bindgen(js_name = sample)]
    pub fn sample(node: &str) -> JsResult<JsKeyPair> {
        Ok(JsKeyPair(tongban::sample::key(node).or_throw()?))
    }

    /// Imports a key file (the JSON text `tongban keygen` writes, or `toKeyFile` gave).
    #[wasm_bindgen(js_name = fromKeyFile)]
    pub fn from_key_file(text: &str) -> JsResult<JsKeyPair> {
        let file: KeyFile = typed(
            document(&text.into(), "key file")?,
            "key.malformed",
            "key file",
        )?;
        Ok(JsKeyPair(tongban::KeyPair::from_file(&file).or_throw()?))
    }

    /// The key file as JSON text. It holds the secret: store it as one.
    #[wasm_bindgen(js_name = toKeyFile)]
    pub fn to_key_file(&self) -> JsResult<String> {
        serde_json::to_string_pretty(&self.0.to_file()).map_err(crate::error::argument)
    }

    /// The public key entry, as a key set or a registry lists it.
    #[wasm_bindgen(js_name = publicKey)]
    pub fn public_key(&self) -> JsResult<KeyEntryObject> {
        Ok(to_js(&KeyEntry::from(&self.0.trusted_key()))?.unchecked_into())
    }

    /// The node the key belongs to.
    #[wasm_bindgen(getter)]
    pub fn node(&self) -> String {
        self.0.owner().to_string()
    }

    /// The key id (`kid`).
    #[wasm_bindgen(getter, js_name = keyId)]
    pub fn key_id(&self) -> String {
        self.0.key_id().to_string()
    }
}
