//! The operations of the adapter protocol, implemented with the Rust SDK in-process.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use tongban::calendar::CalendarDate;
use tongban::crypto::{KeyFile, KeySetFile};
use tongban::lifecycle::Case;
use tongban::registry::Registry;
use tongban::seal::{
    FileKey, FileOpener, FileSealer, SealContext, SealedBox, SealingKeyPair, SealingPublicKey,
    SealingSuite,
};
use tongban::*;

/// An outcome object: `{"outcome": "accepted", …}` or `{"outcome": "refused", "code"}`.
fn refused(error: &Error) -> Value {
    json!({"outcome": "refused", "code": error.code(), "message": error.to_string()})
}

fn accepted(mut fields: Value) -> Value {
    if let Value::Object(members) = &mut fields {
        members.insert("outcome".into(), json!("accepted"));
    }
    fields
}

fn text<'a>(input: &'a Value, field: &str) -> Result<&'a str, String> {
    input[field]
        .as_str()
        .ok_or_else(|| format!("input.{field} must be a string"))
}

/// The bytes of `{"text": …}`, `{"base64": …}`, `{"fill": {"byte", "count"}}` or
/// `{"concat": [bytes, …]}`.
pub fn bytes_of(input: &Value) -> Result<Vec<u8>, String> {
    if let Some(parts) = input["concat"].as_array() {
        let mut bytes = Vec::new();
        for part in parts {
            bytes.extend(bytes_of(part)?);
        }
        return Ok(bytes);
    }
    if let Some(text) = input["text"].as_str() {
        return Ok(text.as_bytes().to_vec());
    }
    if let Some(b64) = input["base64"].as_str() {
        return STANDARD.decode(b64).map_err(|e| format!("base64: {e}"));
    }
    let fill = &input["fill"];
    match (
        fill["byte"].as_u64().and_then(|b| u8::try_from(b).ok()),
        fill["count"].as_u64(),
    ) {
        (Some(byte), Some(count)) if count <= 64 * 1024 * 1024 => {
            Ok(vec![byte; usize::try_from(count).unwrap_or(0)])
        }
        _ => Err("give text, base64, fill {byte, count} or concat [bytes, …]".into()),
    }
}

fn time(input: &Value, field: &str) -> Result<Timestamp, String> {
    Timestamp::parse(text(input, field)?).map_err(|e| e.to_string())
}

/// Runs one operation. `Err` means the input itself is malformed (a broken vector),
/// not that the implementation refused it.
pub fn execute(operation: &str, input: &Value) -> Result<Value, String> {
    match operation {
        "canonicalize" => Ok(match tongban::canonical::canonicalize(&bytes_of(input)?) {
            Ok(canonical) => accepted(json!({"canonical": String::from_utf8_lossy(&canonical)})),
            Err(e) => refused(&e),
        }),
        "identifier" => Ok(
            match tongban::id::check_identifier(text(input, "kind")?, text(input, "value")?) {
                Some(Ok(())) => accepted(json!({})),
                Some(Err(e)) => refused(&e),
                None => return Err(format!("unknown identifier kind {}", input["kind"])),
            },
        ),
        "verify" => verify(input),
        "registry" => Ok(match registry(input)? {
            Ok(registry) => accepted(json!({"version": registry.version()})),
            Err(e) => refused(&e),
        }),
        "lifecycle" => lifecycle(input),
        "file_check" => file_check(input),
        "file_request" => file_request(input),
        "digest" => {
            let name = text(input, "alg")?;
            let algorithm = tongban::DigestAlgorithm::from_name(name)
                .ok_or_else(|| format!("unknown digest algorithm {name}"))?;
            Ok(accepted(
                json!({"digest": algorithm.hex_of(&bytes_of(&input["bytes"])?)}),
            ))
        }
        "signature" => signature(input),
        "decrypt" => decrypt(input),
        "seal" => seal(input),
        "open" => open(input),
        "seal_file" => seal_file(input),
        "open_file" => open_file(input),
        "sealing_key" => sealing_key(input),
        "sealed_to" => sealed_to(input),
        "deadline" => Ok(match deadline(input)? {
            Ok(due) => accepted(json!({"due": due.to_string()})),
            Err(e) => refused(&e),
        }),
        other => {
            Ok(json!({"outcome": "unsupported", "message": format!("unknown operation {other}")}))
        }
    }
}

/// The source of trust of a verify or lifecycle vector.
enum Trust {
    Registry(Box<Registry>),
    Keys(KeySet),
}

fn trust(input: &Value) -> Result<Result<Trust, Error>, String> {
    if let Some(registry) = input["registry"].as_str() {
        return Ok(
            Registry::load_trusted(registry.as_bytes()).map(|r| Trust::Registry(Box::new(r)))
        );
    }
    let keys = text(input, "keys")?;
    let parsed = tongban::json::parse(keys.as_bytes()).map_err(|e| e.to_string())?;
    let file: KeySetFile = tongban::shape::from_value(&parsed).map_err(|e| e.to_string())?;
    Ok(KeySet::from_file(&file)
        .map(Trust::Keys)
        .map_err(Error::from))
}

fn messages(input: &Value) -> Result<&Vec<Value>, String> {
    input["messages"]
        .as_array()
        .ok_or_else(|| "input.messages must be an array".to_string())
}

fn verify(input: &Value) -> Result<Value, String> {
    let trust = match trust(input)? {
        Ok(trust) => trust,
        Err(e) => return Ok(refused(&e)),
    };
    let receiver = match input["receiver"].as_str().map(NodeId::parse).transpose() {
        Ok(receiver) => receiver,
        Err(e) => return Ok(refused(&e.into())),
    };
    // (1.1) The receiver's sealing keys: a sealed body is opened, and every accepted
    // message's body given (§24.5).
    let opening = match sealing_keys(input)? {
        Ok(keys) => keys,
        Err(e) => return Ok(refused(&e)),
    };
    let results = match &trust {
        Trust::Registry(registry) => verify_all(
            // A vector without a receiver verifies for any.
            &Verifier::new(registry.as_ref()).for_receiver_or_any(receiver),
            input,
            opening.as_deref(),
        )?,
        Trust::Keys(keys) => verify_all(
            &Verifier::new(keys).for_receiver_or_any(receiver),
            input,
            opening.as_deref(),
        )?,
    };
    Ok(json!({"outcome": "accepted", "results": results}))
}

/// The key files of `input.sealing_keys`, if given.
fn sealing_keys(input: &Value) -> Result<Result<Option<Vec<SealingKeyPair>>, Error>, String> {
    let Some(files) = input.get("sealing_keys") else {
        return Ok(Ok(None));
    };
    let files: Vec<KeyFile> =
        serde_json::from_value(files.clone()).map_err(|e| format!("input.sealing_keys: {e}"))?;
    let keys: Result<Vec<SealingKeyPair>, Error> = (files.iter())
        .map(|file| SealingKeyPair::from_file(file).map_err(Error::from))
        .collect();
    Ok(keys.map(Some))
}

/// Verifies the input's messages in order with one verifier, opening sealed bodies
/// with `opening` when given.
fn verify_all<R: KeyResolver>(
    verifier: &Verifier<R>,
    input: &Value,
    opening: Option<&[SealingKeyPair]>,
) -> Result<Vec<Value>, String> {
    messages(input)?
        .iter()
        .map(|message| verify_one(verifier, message, opening))
        .collect()
}

fn verify_one<R: KeyResolver>(
    verifier: &Verifier<R>,
    message: &Value,
    opening: Option<&[SealingKeyPair]>,
) -> Result<Value, String> {
    let now = time(message, "now")?;
    let bytes = bytes_of(message)?;
    let verified = Unverified::parse(&bytes).and_then(|m| match opening {
        Some(keys) => verifier.verify_and_open(m, keys, &now),
        None => verifier.verify(m, &now),
    });
    Ok(match verified {
        Ok(verified) => {
            let mut result = json!({
                "type": verified.envelope().message_type().as_str(),
                "id": verified.envelope().id,
                "sha256": verified.digest(),
            });
            if opening.is_some() {
                let typed =
                    serde_json::to_value(&verified.envelope().body).map_err(|e| e.to_string())?;
                result["body"] = typed["body"].clone();
            }
            accepted(result)
        }
        Err(e) => refused(&e),
    })
}

fn registry(input: &Value) -> Result<Result<Registry, Error>, String> {
    let now = time(input, "now")?;
    let offered = text(input, "registry")?.as_bytes();
    Ok(match input["trusted"].as_str() {
        None => Registry::bootstrap(offered, &now),
        Some(trusted) => {
            Registry::load_trusted(trusted.as_bytes()).and_then(|t| t.update(offered, &now))
        }
    })
}

fn lifecycle(input: &Value) -> Result<Value, String> {
    let registry = match Registry::load_trusted(text(input, "registry")?.as_bytes()) {
        Ok(registry) => registry,
        Err(e) => return Ok(refused(&e)),
    };
    let case_id = CaseId::parse(text(input, "case")?).map_err(|e| e.to_string())?;
    let mut case = Case::new(case_id);
    let verifier = Verifier::new(&registry).any_receiver();
    // (1.1) With the receivers' sealing keys, sealed bodies are opened (§24.5).
    let keys = match sealing_keys(input)? {
        Ok(keys) => keys,
        Err(e) => return Ok(refused(&e)),
    };
    let mut results = Vec::new();
    for message in messages(input)? {
        let now = time(message, "now")?;
        // Only a message the case takes enters the replay record (§8 step 5).
        let apply = |v: &Verified| case.apply(v, &registry);
        let outcome = Unverified::parse(&bytes_of(message)?)
            .and_then(|m| match &keys {
                None => verifier.verify_and_apply(m, &now, apply),
                Some(keys) => verifier.verify_open_and_apply(m, keys, &now, apply),
            })
            .map(|(_, state)| state);
        results.push(match outcome {
            Ok(state) => {
                // The day the time limit of the message's track runs from (§19).
                let id = Unverified::parse(&bytes_of(message)?).map(|m| m.envelope().id.clone());
                let track = id
                    .ok()
                    .and_then(|id| case.tracks().iter().find(|t| t.messages.contains(&id)));
                let starts = track.and_then(|t| t.clock_starts_on());
                // The last day of the statutory, (1.1) committed and theme limits, unless a
                // 补正 stops the clock, and of the rectification a poor grade opened
                // (§19).
                let calendar = registry.calendar();
                let day = |due: Option<Result<Option<CalendarDate>, Error>>| match due {
                    Some(Ok(Some(due))) => json!(due.to_string()),
                    Some(Err(e)) => json!({"error": e.code()}),
                    _ => Value::Null,
                };
                accepted(json!({
                    "state": state.as_str(),
                    "clock_starts_on": starts.map(|d| d.to_string()),
                    "due": day(track.map(|t| t.due(calendar))),
                    "committed_due": day(track.map(|t| t.committed_due(calendar))),
                    "theme_due": day(track.map(|t| t.theme_due(calendar))),
                    "rectification_due": day(track.map(|t| t.rectification_due(calendar))),
                    // (1.1) The deferred materials not handed in yet (容缺).
                    "outstanding": track.map(|t| {
                        let names = t.outstanding_materials.iter().map(|d| &d.material);
                        names.collect::<Vec<_>>()
                    }),
                }))
            }
            Err(e) => refused(&e),
        });
    }
    Ok(json!({"outcome": "accepted", "results": results}))
}

fn deadline(input: &Value) -> Result<Result<CalendarDate, Error>, String> {
    let registry = match Registry::load_trusted(text(input, "registry")?.as_bytes()) {
        Ok(registry) => registry,
        Err(e) => return Ok(Err(e)),
    };
    let days = input["working_days"]
        .as_u64()
        .and_then(|d| u32::try_from(d).ok())
        .ok_or("input.working_days must be a small integer")?;
    Ok(CalendarDate::parse(text(input, "received_on")?)
        .map_err(Error::from)
        .and_then(|day| Ok(registry.calendar().add_working_days(day, days)?)))
}

/// One signature of a suite over raw bytes (§7): the public key loaded as a key set
/// would load it, then the signature checked as §8 step 2.4 checks it.
fn signature(input: &Value) -> Result<Value, String> {
    let Ok(algorithm) = tongban::crypto::Algorithm::try_from(text(input, "alg")?) else {
        return Err(format!("unknown suite {}", input["alg"]));
    };
    let key =
        match tongban::crypto::PublicKey::from_base64url(algorithm, text(input, "public_key")?) {
            Ok(key) => key,
            Err(e) => return Ok(refused(&Error::from(e))),
        };
    let message = bytes_of(&input["message"])?;
    Ok(
        match key.check_signature("the vector's key", &message, text(input, "sig")?) {
            Ok(()) => accepted(json!({})),
            Err(e) => refused(&Error::from(e)),
        },
    )
}

/// A sealing suite's primitive alone, on its standard's example (§24.1): HPKE's base-mode
/// open with `info` and `aad`, SM2 decryption (C1‖C3‖C2), SM4-GCM decryption. Any
/// failure to decrypt is `seal.open_failed`.
fn decrypt(input: &Value) -> Result<Value, String> {
    use aes_gcm::aead::{consts::U12, Aead, KeyInit, Payload};
    use hpke::{aead::AesGcm128, kdf::HkdfSha256, kem::X25519HkdfSha256, Deserializable};
    let b64 = |field: &str| {
        tongban::crypto::from_base64url(text(input, field)?)
            .ok_or_else(|| format!("input.{field} must be base64url"))
    };
    let ct = b64("ct")?;
    let plaintext = match text(input, "alg")? {
        "hpke-x25519-sha256-aes128gcm" => {
            let secret =
                <X25519HkdfSha256 as hpke::Kem>::PrivateKey::from_bytes(&b64("secret_key")?)
                    .map_err(|e| e.to_string())?;
            let enc = <X25519HkdfSha256 as hpke::Kem>::EncappedKey::from_bytes(&b64("enc")?)
                .map_err(|e| e.to_string())?;
            hpke::single_shot_open::<AesGcm128, HkdfSha256, X25519HkdfSha256>(
                &hpke::OpModeR::Base,
                &secret,
                &enc,
                &bytes_of(&input["info"])?,
                &ct,
                &bytes_of(&input["aad"])?,
            )
            .ok()
        }
        "sm2-encryption" => sm2_pke::pke::DecryptingKey::from_slice(&b64("secret_key")?)
            .map_err(|e| e.to_string())?
            .decrypt(&ct)
            .ok(),
        "sm4-gcm" => aes_gcm::AesGcm::<sm4::Sm4, U12>::new_from_slice(&b64("key")?)
            .map_err(|e| e.to_string())?
            .decrypt(
                <[u8; 12]>::try_from(b64("nonce")?)
                    .map_err(|_| "input.nonce must be 12 bytes")?
                    .as_slice()
                    .into(),
                Payload {
                    msg: &ct,
                    aad: &bytes_of(&input["aad"])?,
                },
            )
            .ok(),
        other => return Err(format!("unknown primitive {other}")),
    };
    Ok(match plaintext {
        Some(plaintext) => accepted(json!({"plaintext": tongban::crypto::base64url(&plaintext)})),
        None => refused(&Error::from(tongban::error::SealError::OpenFailed {
            key_id: "the vector's key".into(),
        })),
    })
}

/// The context of a sealing vector: `{"from", "to", "id", "part"}`.
struct Context {
    from: NodeId,
    to: NodeId,
    id: MessageId,
    part: String,
}

impl Context {
    fn of(input: &Value) -> Result<Context, String> {
        let context = &input["context"];
        Ok(Context {
            from: NodeId::parse(text(context, "from")?).map_err(|e| e.to_string())?,
            to: NodeId::parse(text(context, "to")?).map_err(|e| e.to_string())?,
            id: MessageId::parse(text(context, "id")?).map_err(|e| e.to_string())?,
            part: text(context, "part")?.to_string(),
        })
    }

    fn as_seal(&self) -> SealContext<'_> {
        SealContext {
            from: &self.from,
            to: &self.to,
            id: &self.id,
            part: &self.part,
        }
    }
}

fn sealing_suite(input: &Value) -> Result<SealingSuite, String> {
    SealingSuite::from_name(text(input, "suite")?).map_err(|e| e.to_string())
}

fn sealed_box(input: &Value) -> Result<SealedBox, String> {
    serde_json::from_value(input["box"].clone()).map_err(|e| format!("input.box: {e}"))
}

/// Seals `plaintext` to `public_key` (id `kid`) under `context`, with the vector's
/// ephemeral secret (§24.4).
fn seal(input: &Value) -> Result<Value, String> {
    let suite = match SealingSuite::from_name(text(input, "suite")?) {
        Ok(suite) => suite,
        Err(e) => return Ok(refused(&e.into())),
    };
    let kid = KeyId::parse(text(input, "kid")?).map_err(|e| e.to_string())?;
    let ephemeral = tongban::crypto::from_base64url(text(input, "ephemeral")?)
        .ok_or("input.ephemeral must be base64url")?;
    let context = Context::of(input)?;
    let plaintext = bytes_of(&input["plaintext"])?;
    let sealed = SealingPublicKey::from_base64url(suite, text(input, "public_key")?)
        .map_err(Error::from)
        .and_then(|key| {
            Ok(key.seal_with_ephemeral(&kid, &context.as_seal(), &plaintext, &ephemeral)?)
        });
    Ok(match sealed {
        Ok(sealed) => accepted(json!({"box": sealed})),
        Err(e) => refused(&e),
    })
}

/// Opens `box` with the key file `key` under `context` (§24.4).
fn open(input: &Value) -> Result<Value, String> {
    let file: KeyFile =
        serde_json::from_value(input["key"].clone()).map_err(|e| format!("input.key: {e}"))?;
    let sealed = sealed_box(input)?;
    let context = Context::of(input)?;
    let opened = SealingKeyPair::from_file(&file)
        .map_err(Error::from)
        .and_then(|key| Ok(key.open(&sealed, &context.as_seal())?));
    Ok(match opened {
        Ok(plaintext) => accepted(json!({"plaintext": tongban::crypto::base64url(&plaintext)})),
        Err(e) => refused(&e),
    })
}

/// A sealed file's suite, receiver key id, context and file key (§24.6); a key that is
/// not 16 bytes of base64url is the implementation's refusal, not a broken vector.
fn file_sealing(
    input: &Value,
) -> Result<(SealingSuite, KeyId, Context, Result<FileKey, Error>), String> {
    Ok((
        sealing_suite(input)?,
        KeyId::parse(text(input, "kid")?).map_err(|e| e.to_string())?,
        Context::of(input)?,
        FileKey::from_base64url(text(input, "key")?).map_err(Error::from),
    ))
}

/// Seals the file `plaintext` under `key` (§24.6): the reference's `sealed` members and
/// the sealed length.
fn seal_file(input: &Value) -> Result<Value, String> {
    let (suite, kid, context, key) = file_sealing(input)?;
    let plaintext = bytes_of(&input["plaintext"])?;
    let sealed = key.and_then(|key| {
        let mut sealer = FileSealer::with_key(suite, &kid, &context.as_seal(), key);
        let mut length = sealer.update(&plaintext)?.len();
        let (last, sealed) = sealer.finish()?;
        length += last.len();
        Ok((sealed, length))
    });
    Ok(match sealed {
        Ok((sealed, length)) => accepted(json!({"sealed": sealed, "length": length})),
        Err(e) => refused(&e),
    })
}

/// Opens the sealed bytes `sealed` of a file of `size` bytes under `key` (§24.6): the
/// SHA-256 and length of the file read.
fn open_file(input: &Value) -> Result<Value, String> {
    let (suite, kid, context, key) = file_sealing(input)?;
    let sealed = bytes_of(&input["sealed"])?;
    let size = input["size"]
        .as_u64()
        .ok_or("input.size must be an integer")?;
    let opened = key.and_then(|key| {
        // The length first, as a receiver checks it before opening (§24.6).
        if sealed.len() as u64 != tongban::seal::sealed_size(size) {
            return Err(tongban::error::SealError::Malformed {
                member: "file".into(),
                reason: format!("{} sealed bytes for a file of {size}", sealed.len()),
            }
            .into());
        }
        let mut opener = FileOpener::new(suite, &kid, &context.as_seal(), &key, size);
        let file = opener.update(&sealed)?;
        opener.finish()?;
        Ok(file)
    });
    Ok(match opened {
        Ok(file) => accepted(json!({"sha256": Sha256Digest::of(&file), "size": file.len()})),
        Err(e) => refused(&e),
    })
}

/// The key a sender seals to `receiver` with in `suite` at `created` (§24.2).
fn sealing_key(input: &Value) -> Result<Value, String> {
    let suite = sealing_suite(input)?;
    let receiver = NodeId::parse(text(input, "receiver")?).map_err(|e| e.to_string())?;
    let created = time(input, "created")?;
    let chosen =
        registry(input)?.and_then(|registry| registry.sealing_key(&receiver, suite, &created));
    Ok(match chosen {
        Ok((kid, _)) => accepted(json!({"kid": kid})),
        Err(e) => refused(&e),
    })
}

/// Whether `receiver` opens `box`, of a message created at `created` under an agreement
/// of `suite`, at `now` (§24.2).
fn sealed_to(input: &Value) -> Result<Value, String> {
    let suite = sealing_suite(input)?;
    let receiver = NodeId::parse(text(input, "receiver")?).map_err(|e| e.to_string())?;
    let sealed = sealed_box(input)?;
    let (created, now) = (time(input, "created")?, time(input, "now")?);
    let checked = registry(input)?
        .and_then(|registry| registry.check_sealed_to(&receiver, &sealed, suite, &created, &now));
    Ok(match checked {
        Ok(()) => accepted(json!({})),
        Err(e) => refused(&e),
    })
}

/// A file's bytes and the media type it was served as, checked against a reference
/// (§23.4): the media type, then the size, then the digest; for a sealed file (§24.6),
/// its sealed bytes.
fn file_check(input: &Value) -> Result<Value, String> {
    let reference: FileRef =
        serde_json::from_value(input["reference"].clone()).map_err(|e| e.to_string())?;
    let reference = tongban::file::fetched(&reference);
    let bytes = bytes_of(&input["bytes"])?;
    let served = text(input, "media_type")?;
    let outcome = tongban::file::check_media_type(&reference, served).and_then(|()| {
        let mut check = tongban::file::FileCheck::new(&reference);
        check.update(&bytes)?;
        check.finish()
    });
    Ok(match outcome {
        Ok(()) => accepted(json!({})),
        Err(e) => refused(&Error::from(e)),
    })
}

/// File requests to one holder for one file (§23.3), checked in order with one replay
/// record: each accepted one gives its requester and id.
fn file_request(input: &Value) -> Result<Value, String> {
    let keys = match trust(input)? {
        Ok(Trust::Keys(keys)) => keys,
        Ok(Trust::Registry(_)) => return Err("file_request takes keys".into()),
        Err(e) => return Ok(refused(&e)),
    };
    let holder = NodeId::parse(text(input, "holder")?).map_err(|e| e.to_string())?;
    let sha256 = Sha256Digest::parse(text(input, "sha256")?).map_err(|e| e.to_string())?;
    let target = tongban::file::RequestTarget {
        method: text(input, "method")?,
        path: text(input, "path")?,
        sha256: &sha256,
        holder: &holder,
    };
    let replay = MemoryReplayGuard::new();
    let requests = input["requests"]
        .as_array()
        .ok_or("input.requests must be an array")?;
    let mut results = Vec::new();
    for request in requests {
        let now = time(request, "now")?;
        let header = request["header"].as_str();
        results.push(
            match tongban::file::FileRequest::verify(header, &target, &keys, &replay, &now) {
                Ok(verified) => accepted(json!({"from": verified.from, "id": verified.id})),
                Err(e) => refused(&e),
            },
        );
    }
    Ok(json!({"outcome": "accepted", "results": results}))
}
