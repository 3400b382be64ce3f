//! (1.1) A message body sealed to the receiver (§24.5): every member of the body in one
//! box that only the receiver opens, except the few that every hop reads (a transfer's
//! `item` and `theme`).

use super::{Body, Envelope, MessageType};
use crate::error::{Error, MessageError};
use crate::id::{ItemCode, KeyId};
use crate::message::decode_error::invalid;
use crate::message::FileRef;
use crate::seal::{
    FileKey, FileOpener, FileSealer, SealContext, SealedBox, SealingKeyPair, SealingPublicKey,
};
use crate::version::ProtocolVersion;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

/// The `part` of the context a sealed body is bound to (§24.3).
pub const BODY_PART: &str = "body";

/// The members of a sealed body of type `message_type` that stay readable: a
/// transfer's `item` and `theme`, which hops route and count by; none of any other type.
pub fn readable_members(message_type: MessageType) -> &'static [&'static str] {
    match message_type {
        MessageType::Transfer => &["item", "theme"],
        _ => &[],
    }
}

/// A body as it travels sealed: its readable members and the box holding the others.
/// The body inside, once opened, is checked as any body of its type. Which readable
/// members a type has (a transfer's `item`, required, and `theme`; none for another
/// type) is the envelope's rule (`schemas/v1/envelope.json`), not this structure's.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SealedBody {
    /// The type of the body inside (the envelope's `type`).
    #[serde(skip)]
    pub message_type: MessageType,
    /// A transfer's service item, readable at every hop (transfers only, required there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemCode>,
    /// A transfer's theme (一事联办), readable at every hop (transfers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<ItemCode>,
    /// Every other member of the body, sealed to the receiver with part `body`.
    pub sealed: SealedBox,
}

impl SealedBody {
    /// The rules of §24.5 that the structure alone does not express (`message.invalid`):
    /// a type that is sealed, in a message of 1.1 or later, with the readable members
    /// of its type (a transfer's `item`).
    pub(crate) fn check(&self, protocol: ProtocolVersion) -> Result<(), Error> {
        let transfer = self.message_type == MessageType::Transfer;
        if protocol < ProtocolVersion::V1_1 {
            Err(invalid("/body/sealed: a member of protocol 1.1"))
        } else if !self.message_type.is_sealable() {
            Err(invalid(
                "/body/sealed: a receipt, files_received or protocol_error is never sealed",
            ))
        } else if transfer != self.item.is_some() || (!transfer && self.theme.is_some()) {
            Err(invalid(
                "/body: a sealed transfer keeps its item and theme readable, other types nothing",
            ))
        } else {
            Ok(())
        }
    }

    /// Opens the box of `envelope`'s sealed body with the receiver's `key` and gives
    /// the body inside, checked as a body of its type is when it is read (`message.*`
    /// codes, naming the member under `/body`). Refused: a box that does not open
    /// (`seal.*`), contents that are not a JSON object of the body's members (sealed
    /// members only: no readable member, no `sealed`).
    pub(crate) fn open(&self, envelope: &Envelope, key: &SealingKeyPair) -> Result<Body, Error> {
        let plaintext = key.open(&self.sealed, &envelope.seal_context(BODY_PART))?;
        // The members are a body's, one level below the message: as deep as in clear.
        let limits = crate::json::Limits {
            max_depth: crate::json::Limits::PROTOCOL.max_depth - 1,
            ..crate::json::Limits::PROTOCOL
        };
        let Value::Object(mut members) = crate::json::parse_with_limits(&plaintext, limits)? else {
            return Err(invalid(
                "/body/sealed: the sealed members are not a JSON object",
            ));
        };
        let readable = readable_members(self.message_type);
        if let Some(name) =
            (members.keys()).find(|k| *k == "sealed" || readable.contains(&k.as_str()))
        {
            return Err(invalid(&format!(
                "/body/sealed: the sealed members hold {name}, which is never sealed"
            )));
        }
        for (name, value) in [("item", &self.item), ("theme", &self.theme)] {
            if let Some(code) = value {
                members.insert(name.to_string(), Value::String(code.to_string()));
            }
        }
        Body::from_json(self.message_type, &Value::Object(members))
    }
}

impl Envelope {
    /// The context that a box or sealed file of this message in `part` is bound to
    /// (§24.3): the message's sender, receiver and id. A sealed body's part is
    /// [`BODY_PART`], a sealed file's [`crate::seal::file_part`] of its SHA-256.
    pub fn seal_context<'a>(&'a self, part: &'a str) -> SealContext<'a> {
        SealContext {
            from: &self.from,
            to: &self.to,
            id: &self.id,
            part,
        }
    }

    /// (1.1) Opens this message's sealed body, in place, with the one of the receiver's
    /// `keys` that its box names, and gives that key's id; `None`, and nothing changes,
    /// for a body in clear. For a message verified and opened before
    /// ([`crate::Verifier::verify_and_open`]) and kept as it arrived, sealed (a node's
    /// inbox): only the box is opened again, since its key, the body inside and its
    /// files were checked then. Verify a message that was not. Refused: no key of
    /// `keys` is the one named (`seal.unknown_key`), a box that does not open
    /// (`seal.*`), contents that are not the body's members (`message.*`).
    pub fn reopen_body(&mut self, keys: &[SealingKeyPair]) -> Result<Option<KeyId>, Error> {
        let Body::Sealed(sealed) = &self.body else {
            return Ok(None);
        };
        let key = keys
            .iter()
            .find(|key| key.key_id() == &sealed.sealed.kid && key.owner() == &self.to)
            .ok_or_else(|| crate::error::SealError::UnknownKey {
                key_id: sealed.sealed.kid.to_string(),
            })?;
        self.body = sealed.open(self, key)?;
        Ok(Some(key.key_id().clone()))
    }

    /// (1.1) A sealer of the file that `reference` (one of this message's) names, for a
    /// body sealed to the receiver's key `key` (id `kid`) (§24.6): feed it the file, then
    /// set the reference's `sealed` to what [`FileSealer::finish`] gives, for every
    /// reference, before [`Envelope::seal_body`]. The file is bound to this message's
    /// sender, receiver and id and to its own SHA-256, under a fresh key.
    pub fn file_sealer(
        &self,
        kid: &KeyId,
        key: &SealingPublicKey,
        reference: &FileRef,
    ) -> FileSealer {
        let part = crate::seal::file_part(&reference.sha256);
        FileSealer::new(key.suite(), kid, &self.seal_context(&part))
    }

    /// (1.1) An opener of the sealed bytes of the file that `reference` (one of this
    /// message's, its body opened) names, with the receiver's `key`, the key the body
    /// was sealed to (§24.6): feed it the bytes fetched (checked first against
    /// [`crate::file::fetched`]), then check what it gives against the reference
    /// ([`crate::file::FileCheck`]). For a message verified and opened now, use
    /// [`crate::Verified::file_opener`]; this one serves a message kept opened, whose
    /// files are kept sealed until they are read: keep the id of the key it was opened
    /// with ([`crate::Verified::opened_with`]) beside it, since another key of the
    /// receiver's (of the other suite, or rotated) is accepted here and opens nothing
    /// (`seal.open_failed`, as for altered bytes). Refused: `key` not the receiver's
    /// (`seal.unknown_key`), a reference without `sealed` (`message.invalid`), a file
    /// key that is not 16 bytes (`seal.malformed`).
    pub fn file_opener(
        &self,
        reference: &FileRef,
        key: &SealingKeyPair,
    ) -> Result<FileOpener, Error> {
        if key.owner() != &self.to {
            return Err(crate::error::SealError::UnknownKey {
                key_id: key.key_id().to_string(),
            }
            .into());
        }
        let Some(sealed) = &reference.sealed else {
            return Err(invalid(&format!(
                "/body/…/sealed: the file {} is not sealed",
                reference.sha256
            )));
        };
        let file_key = FileKey::from_base64url(&sealed.key)?;
        let part = crate::seal::file_part(&reference.sha256);
        Ok(FileOpener::new(
            key.suite(),
            key.key_id(),
            &self.seal_context(&part),
            &file_key,
            reference.size,
        ))
    }

    /// (1.1) Seals this message's body to the receiver's sealing key `key` (id `kid`,
    /// from [`crate::registry::Registry::sealing_key`]) before it is signed (§24.5):
    /// every member but the readable ones goes into one box bound to the sender,
    /// receiver, message id and part `body`. Refused: a message of 1.0, of a type that
    /// is never sealed (a receipt, `files_received`, `protocol_error`), already signed
    /// or sealed, or referencing a file not sealed yet (§24.6, [`Envelope::file_sealer`])
    /// (`message.invalid`).
    pub fn seal_body(&mut self, kid: &KeyId, key: &SealingPublicKey) -> Result<(), Error> {
        self.seal_body_with(kid, key, None)
    }

    /// Seals as [`Envelope::seal_body`] does, with the given ephemeral secret instead
    /// of a fresh one. For reproducing test vectors only (see
    /// [`SealingPublicKey::seal_with_ephemeral`]).
    pub fn seal_body_with_ephemeral(
        &mut self,
        kid: &KeyId,
        key: &SealingPublicKey,
        ephemeral: &[u8],
    ) -> Result<(), Error> {
        self.seal_body_with(kid, key, Some(ephemeral))
    }

    fn seal_body_with(
        &mut self,
        kid: &KeyId,
        key: &SealingPublicKey,
        ephemeral: Option<&[u8]>,
    ) -> Result<(), Error> {
        let message_type = self.message_type();
        let refuse = |why: &str| Err(invalid(&format!("/body: {why}")));
        if matches!(self.body, Body::Sealed(_)) {
            return refuse("already sealed");
        }
        if !self.signatures.is_empty() {
            return refuse("a body is sealed before the message is signed");
        }
        if self.protocol < ProtocolVersion::V1_1 || !message_type.is_sealable() {
            return refuse(&format!(
                "a {message_type} of protocol {} is never sealed",
                self.protocol
            ));
        }
        if let Some(file) = crate::file::references(&self.body)
            .into_iter()
            .find(|reference| reference.sealed.is_none())
        {
            return refuse(&format!(
                "the file {} is not sealed: seal every file first (Envelope::file_sealer)",
                file.sha256
            ));
        }
        let Value::Object(mut members) = body_value(&self.body)? else {
            return refuse("not a JSON object");
        };
        let mut readable = Map::new();
        for name in readable_members(message_type) {
            if let Some(value) = members.remove(*name) {
                readable.insert((*name).to_string(), value);
            }
        }
        let plaintext = zeroize::Zeroizing::new(crate::canonical::to_canonical_bytes(
            &Value::Object(members),
        ));
        let context = self.seal_context(BODY_PART);
        let sealed = match ephemeral {
            None => key.seal(kid, &context, &plaintext)?,
            Some(ephemeral) => key.seal_with_ephemeral(kid, &context, &plaintext, ephemeral)?,
        };
        let code = |name: &str| {
            readable
                .get(name)
                .and_then(Value::as_str)
                .map(ItemCode::parse)
                .transpose()
        };
        self.body = Body::Sealed(SealedBody {
            message_type,
            item: code("item")?,
            theme: code("theme")?,
            sealed,
        });
        Ok(())
    }
}

/// A body's members as JSON (`{"type", "body"}` serialized, the body taken out).
fn body_value(body: &Body) -> Result<Value, Error> {
    let typed = serde_json::to_value(body).map_err(|e| MessageError::Invalid {
        reason: e.to_string(),
    })?;
    Ok(match typed {
        Value::Object(mut members) => members.remove("body").unwrap_or_default(),
        other => other,
    })
}

/// Reads a sealed body of type `message_type` from its JSON (§24.5's structure: `sealed`
/// a box of exactly the strings `alg`, `kid` (a key id), `enc` and `ct`; `item` and
/// `theme` service item codes; nothing else), naming the member at fault under `/body`.
/// Read by hand rather than through serde: the WASM package's size.
pub(crate) fn sealed_from_value(
    message_type: MessageType,
    value: &Value,
) -> Result<SealedBody, Error> {
    let Value::Object(members) = value else {
        return Err(invalid("/body: an object is required"));
    };
    if let Some(name) =
        (members.keys()).find(|k| !["item", "theme", "sealed"].contains(&k.as_str()))
    {
        return Err(invalid(&format!(
            "/body/{name}: a sealed body holds its box and its readable members only"
        )));
    }
    let code = |name: &str| match members.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(code)) => Ok(Some(ItemCode::parse(code.as_str())?)),
        Some(_) => Err(invalid(&format!("/body/{name}: a string is required"))),
    };
    let (item, theme) = (code("item")?, code("theme")?);
    let Some(Value::Object(sealed)) = members.get("sealed") else {
        return Err(invalid("/body/sealed: an object is required"));
    };
    if let Some(name) = (sealed.keys()).find(|k| !["alg", "kid", "enc", "ct"].contains(&k.as_str()))
    {
        return Err(invalid(&format!("/body/sealed/{name}: unknown member")));
    }
    let string = |name: &str| match sealed.get(name) {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(invalid(&format!(
            "/body/sealed/{name}: a string is required"
        ))),
        None => Err(invalid(&format!("/body/sealed: missing field `{name}`"))),
    };
    Ok(SealedBody {
        message_type,
        item,
        theme,
        sealed: SealedBox {
            alg: string("alg")?,
            kid: KeyId::parse(string("kid")?.as_str())?,
            enc: string("enc")?,
            ct: string("ct")?,
        },
    })
}
