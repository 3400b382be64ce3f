//! Verifying messages against a registry or a key set.

use crate::convert::{
    bytes, document, timestamp, to_js, typed, Bytes, EnvelopeObject, FileRefList, KeySetInput,
    ReceiverInput,
};
use crate::error::{argument, JsResult, OrThrow};
use crate::registry::JsRegistry;
use std::rc::Rc;
use tongban::crypto::KeySetFile;
use tongban::registry::Registry;
use tongban::{KeySet, NodeId, Unverified};
use wasm_bindgen::prelude::*;

/// The source of trust a verifier resolves keys with.
enum Trust {
    Registry(tongban::Verifier<Rc<Registry>>),
    Keys(tongban::Verifier<KeySet>),
}

/// Verifies messages (§8): structure, receiver, sender, signatures, registry checks,
/// validity window and replay. One verifier remembers the messages it accepted, so the
/// same message twice is refused as `replay.duplicate`.
#[wasm_bindgen]
pub struct Verifier(Trust);

#[wasm_bindgen]
impl Verifier {
    /// A verifier trusting the members of `registry`, applying its checks (§17), for
    /// messages addressed to `receiver` (a node id), or to any node when `receiver` is
    /// `null`. The argument is required: a node verifying its inbox passes its own id.
    #[wasm_bindgen(js_name = withRegistry)]
    pub fn with_registry(registry: &JsRegistry, receiver: &ReceiverInput) -> JsResult<Verifier> {
        let receiver = chosen_receiver(receiver)?;
        let verifier = tongban::Verifier::new(Rc::clone(&registry.0)).for_receiver_or_any(receiver);
        Ok(Verifier(Trust::Registry(verifier)))
    }

    /// A verifier trusting the keys of a key set (signatures only; no registry checks),
    /// for messages addressed to `receiver`, or to any node when it is `null`.
    #[wasm_bindgen(js_name = withKeys)]
    pub fn with_keys(key_set: &KeySetInput, receiver: &ReceiverInput) -> JsResult<Verifier> {
        let receiver = chosen_receiver(receiver)?;
        let file: KeySetFile = typed(document(key_set, "key set")?, "key.malformed", "key set")?;
        let keys = KeySet::from_file(&file).or_throw()?;
        Ok(Verifier(Trust::Keys(
            tongban::Verifier::new(keys).for_receiver_or_any(receiver),
        )))
    }

    /// Verifies message bytes at `now` (default now); throws a `TongbanError` with the
    /// code of the first check that fails.
    pub fn verify(&self, message: &Bytes, now: Option<String>) -> JsResult<VerifiedMessage> {
        let now = timestamp(now)?;
        let message = Unverified::parse(&bytes(message, "message")?).or_throw()?;
        let verified = match &self.0 {
            Trust::Registry(verifier) => verifier.verify(message, &now),
            Trust::Keys(verifier) => verifier.verify(message, &now),
        };
        Ok(VerifiedMessage(verified.or_throw()?))
    }

    /// Forgets a message this verifier accepted that the receiver then refused (its case
    /// did not take it: `Case.apply` threw), so that the same bytes may be sent again: a
    /// refused message enters no replay record (§8 step 5).
    pub fn forget(&self, message: &VerifiedMessage) {
        match &self.0 {
            Trust::Registry(verifier) => verifier.forget(&message.0),
            Trust::Keys(verifier) => verifier.forget(&message.0),
        }
    }
}

/// The receiver a verifier was given: a node id, or `null` for any node. Anything else,
/// a forgotten argument (`undefined`) included, is a `wasm.argument` error.
fn chosen_receiver(receiver: &ReceiverInput) -> JsResult<Option<NodeId>> {
    let value: &JsValue = receiver.as_ref();
    if value.is_null() {
        return Ok(None);
    }
    match value.as_string() {
        Some(node) => NodeId::parse(node).map(Some).or_throw(),
        None => Err(argument(
            "receiver: pass the node whose mail this verifier accepts (\"jiujiang.360400\"), or null to accept mail for any node",
        )),
    }
}

/// A message that passed verification. Only `Verifier.verify` makes one.
#[wasm_bindgen]
pub struct VerifiedMessage(pub(crate) tongban::Verified);

#[wasm_bindgen]
impl VerifiedMessage {
    /// The message, unknown members included.
    #[wasm_bindgen(getter)]
    pub fn envelope(&self) -> JsResult<EnvelopeObject> {
        Ok(to_js(self.0.document())?.unchecked_into())
    }

    /// The message type, e.g. `transfer`.
    #[wasm_bindgen(getter, js_name = type)]
    pub fn message_type(&self) -> String {
        self.0.envelope().message_type().as_str().to_string()
    }

    /// The message id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.0.envelope().id.to_string()
    }

    /// SHA-256 of the message's canonical bytes (what a receipt binds, §9).
    #[wasm_bindgen(getter)]
    pub fn sha256(&self) -> String {
        self.0.digest().to_string()
    }

    /// (1.1) SM3 of the same bytes: what a receipt's `answers_sm3` binds under an
    /// agreement on `sm2-sm3` (§9).
    #[wasm_bindgen(getter)]
    pub fn sm3(&self) -> String {
        self.0.sm3_digest().to_string()
    }

    /// The files the message references, in its order (a transfer's materials and
    /// its agent's power of attorney, a supplement's materials, a decision's
    /// documents): what its receiver fetches and names in `files_received` (§23).
    #[wasm_bindgen(getter)]
    pub fn files(&self) -> JsResult<FileRefList> {
        let files = tongban::file::references(&self.0.envelope().body);
        Ok(to_js(&files)?.unchecked_into())
    }

    /// The key ids whose signatures verified.
    #[wasm_bindgen(getter)]
    pub fn signers(&self) -> Vec<String> {
        self.0.signers().iter().map(|k| k.to_string()).collect()
    }

    /// Codes of what was tolerated while parsing (empty with the default options).
    #[wasm_bindgen(getter)]
    pub fn warnings(&self) -> Vec<String> {
        self.0
            .warnings()
            .iter()
            .map(|w| w.code.to_string())
            .collect()
    }

    /// The canonical text of the message.
    pub fn canonical(&self) -> JsResult<String> {
        String::from_utf8(self.0.canonical_bytes()).map_err(crate::error::argument)
    }

    /// Checks that this receipt answers `answered` (§9): it names its id, goes back
    /// from its receiver to its sender, and binds its exact bytes.
    #[wasm_bindgen(js_name = checkReceiptFor)]
    pub fn check_receipt_for(&self, answered: &VerifiedMessage) -> JsResult<()> {
        self.0.check_receipt_for(&answered.0).or_throw()
    }
}
