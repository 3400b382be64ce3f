//! The verification fast path against its floor and its peers, in one run.
//!
//! `cargo bench -p tongban --bench verify` measures, on the same signed 3 KB transfer
//! with Chinese content ([`tongban::sample::benchmark_transfer`], written by `examples/bench_fixture.rs` for the JavaScript side):
//! - the floor: `verify_strict` and `sign` alone over the same signing input;
//! - the national suite: the same transfer signed with SM2 instead, the `sm2` crate's
//!   verify and sign alone (its floor) and tongban's full paths with it;
//! - tongban's full verify path (parse, canonicalize, verify, registry checks, form
//!   schema, typed decode) and its sign path;
//! - peers doing the same job on the same document;
//! - sealing (§24) the transfer's personal data and a 10 MiB file in both suites, against
//!   the signature floors and the AEAD alone (AES-128-GCM, SM4-GCM) over the same bytes;
//! - batch verification of 64 messages from different senders against one by one;
//! - a registry at the alliance's full scale ([`tongban::sample::alliance_registry_bytes`]):
//!   reloading a stored copy, accepting it first, and compiling every form schema;
//!
//! then prints every figure as a ratio to the floor or peer measured in the same run.
//! `BENCHMARKS.md` explains the method.

use criterion::{BatchSize, Criterion, Throughput};
use ed25519_dalek::{Signer, SigningKey};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::SystemTime;
use tongban::registry::Registry;
use tongban::sample::{self, HUANGSHI};
use tongban::*;

/// Everything a benchmark needs, built once.
struct Fixture {
    registry: Registry,
    message: Envelope,
    bytes: Vec<u8>,
    now: Timestamp,
    signing_input: Vec<u8>,
    signature: ed25519_dalek::Signature,
    signing_key: SigningKey,
    key: KeyPair,
    sm2: Sm2Fixture,
}

/// The benchmark transfer signed with Huangshi's SM2 key, and a registry that puts its
/// agreement on `sm2-sm3`.
struct Sm2Fixture {
    registry: Registry,
    unsigned: Envelope,
    bytes: Vec<u8>,
    signing_input: Vec<u8>,
    signature: sm2::dsa::Signature,
    verifying_key: sm2::dsa::VerifyingKey,
    signing_key: sm2::dsa::SigningKey,
    key: KeyPair,
}

fn sm2_fixture(message: &Envelope) -> Sm2Fixture {
    let key = sample::sm2_key(HUANGSHI).expect("SM2 key");
    let mut unsigned = message.clone();
    unsigned.signatures.clear();
    let bytes = unsigned.clone().sign_to_bytes(&key).expect("signed");
    let document: serde_json::Value = serde_json::from_slice(&bytes).expect("document");
    let entry = &document["signatures"][0];
    let text = |member: &str| entry[member].as_str().expect("signature entry");
    let signing_input = tongban::signing::signing_input(&document, text("alg"), text("kid"));
    let signature_bytes = tongban::crypto::from_base64url(text("sig")).expect("base64url");
    let secret = sample::seed(&format!("{HUANGSHI}#sm2"));
    let secret = sm2::SecretKey::from_slice(&secret).expect("scalar");
    let signing_key =
        sm2::dsa::SigningKey::new(tongban::crypto::SM2_DISTINGUISHING_ID, &secret).expect("key");
    let registry = sample::registry_bytes_with_cross_river_on_sm2().expect("registry");
    Sm2Fixture {
        registry: Registry::load_trusted(&registry).expect("registry"),
        unsigned,
        bytes,
        signing_input,
        signature: sm2::dsa::Signature::from_slice(&signature_bytes).expect("r‖s"),
        verifying_key: signing_key.verifying_key().clone(),
        signing_key,
        key,
    }
}

fn fixture() -> Fixture {
    let created = Timestamp::parse(sample::CREATED).expect("sample time");
    let message = sample::benchmark_transfer(0, &created).expect("benchmark transfer");
    let bytes = message.to_canonical_bytes().expect("canonical bytes");
    let document = message.to_value().expect("document");
    let entry = &message.signatures[0];
    let signing_input =
        tongban::signing::signing_input(&document, &entry.algorithm, entry.key_id.as_str());
    let signature_bytes = tongban::crypto::from_base64url(&entry.signature).expect("base64url");
    let signature = ed25519_dalek::Signature::from_slice(&signature_bytes).expect("64 bytes");
    let signing_key = SigningKey::from_bytes(&sample::seed(HUANGSHI));
    Fixture {
        registry: sample::registry().expect("sample registry"),
        now: message.created.plus_seconds(30).expect("time"),
        bytes,
        signing_input,
        signature,
        signing_key,
        key: sample::key(HUANGSHI).expect("sample key"),
        sm2: sm2_fixture(&message),
        message,
    }
}

fn verify_group(c: &mut Criterion, f: &Fixture) {
    let verifying_key = f.signing_key.verifying_key();
    assert!(verifying_key
        .verify_strict(&f.signing_input, &f.signature)
        .is_ok());
    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Bytes(f.bytes.len() as u64));
    group.bench_function("floor", |b| {
        b.iter(|| verifying_key.verify_strict(black_box(&f.signing_input), black_box(&f.signature)))
    });
    // A fresh verifier each time, or the second round would be a replay.
    let tongban = |bytes: &[u8]| {
        Verifier::new(&f.registry)
            .any_receiver()
            .verify(Unverified::parse(bytes)?, &f.now)
    };
    assert_real_check("tongban", &f.bytes, |bytes| tongban(bytes).is_ok());
    group.bench_function("tongban", |b| b.iter(|| tongban(black_box(&f.bytes))));
    // The same message with a space in front is not canonical: the strict path, as for a
    // sender that does not write canonical bytes.
    let spaced = [b" ".as_slice(), &f.bytes].concat();
    assert_real_check("tongban-strict", &spaced, |bytes| tongban(bytes).is_ok());
    group.bench_function("tongban-strict", |b| b.iter(|| tongban(black_box(&spaced))));
    let naive = NaivePeer::new(f);
    assert_real_check("naive", &f.bytes, |bytes| naive.verify(bytes).is_some());
    group.bench_function("naive", |b| b.iter(|| naive.verify(black_box(&f.bytes))));
    let jws = JwsPeer::new(f, &naive);
    assert_real_check("jws", &jws.token, |token| jws.verify(token).is_some());
    group.bench_function("jws", |b| b.iter(|| jws.verify(black_box(&jws.token))));
    let matrix = MatrixPeer::new(f, &naive);
    assert_real_check("matrix", &matrix.bytes, |bytes| {
        matrix.verify(bytes).is_some()
    });
    group.bench_function("matrix", |b| {
        b.iter(|| matrix.verify(black_box(&matrix.bytes)))
    });
    group.finish();
}

/// Checks that a verifier accepts `input` and refuses it with one signed character
/// changed, so that every pipeline measured does the real work.
fn assert_real_check(name: &str, input: &[u8], accepts: impl Fn(&[u8]) -> bool) {
    assert!(accepts(input), "{name} must accept its input");
    let text = String::from_utf8(input.to_vec()).expect("UTF-8");
    let tampered = if text.contains("陈丽华") {
        text.replacen("陈丽华", "陈丽娟", 1)
    } else {
        // A JWS: change one character of the payload (the middle part).
        let middle = text.find('.').expect("a compact JWS") + text.len() / 3;
        let replacement = if &text[middle..=middle] == "A" {
            "B"
        } else {
            "A"
        };
        format!("{}{replacement}{}", &text[..middle], &text[middle + 1..])
    };
    assert!(
        !accepts(tampered.as_bytes()),
        "{name} must refuse a changed input"
    );
}

/// What every peer checks after the signature, as tongban does: the item's form schema
/// (compiled once) and the typed decode into tongban's types, which checks the
/// envelope's structure.
struct Schemas {
    form: jsonschema::Validator,
}

impl Schemas {
    fn new(f: &Fixture) -> Schemas {
        let Body::Transfer(transfer) = &f.message.body else {
            panic!("the benchmark message is a transfer");
        };
        let form = f
            .registry
            .document()
            .agreements
            .iter()
            .flat_map(|agreement| &agreement.items)
            .find(|item| item.code == transfer.item)
            .map(|item| serde_json::Value::Object(item.form_schema.clone()))
            .expect("the item is in the catalogue");
        Schemas {
            form: jsonschema::validator_for(&form).expect("form schema compiles"),
        }
    }

    /// Checks the form against its schema and decodes the document into tongban's
    /// types; `None` if either fails.
    fn check_and_decode(&self, document: serde_json::Value) -> Option<Envelope> {
        let valid = self.form.is_valid(document.get("body")?.get("form")?);
        valid.then(|| serde_json::from_value(document).ok())?
    }
}

/// serde_json + serde_jcs + ed25519-dalek + jsonschema: the pipeline one writes
/// without tongban. No duplicate-key check, no registry, validity or replay checks.
struct NaivePeer {
    key: ed25519_dalek::VerifyingKey,
    schemas: Schemas,
}

impl NaivePeer {
    fn new(f: &Fixture) -> NaivePeer {
        NaivePeer {
            key: f.signing_key.verifying_key(),
            schemas: Schemas::new(f),
        }
    }

    fn verify(&self, bytes: &[u8]) -> Option<Envelope> {
        let document: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        let mut unsigned = document.clone();
        let signatures = unsigned.as_object_mut()?.remove("signatures")?;
        let entry = signatures.get(0)?;
        let (alg, kid, sig) = (entry.get("alg")?, entry.get("kid")?, entry.get("sig")?);
        let input = serde_jcs::to_vec(&serde_json::json!({
            "alg": alg, "kid": kid, "signed": unsigned,
        }))
        .ok()?;
        let signature = tongban::crypto::from_base64url(sig.as_str()?)?;
        let signature = ed25519_dalek::Signature::from_slice(&signature).ok()?;
        self.key.verify_strict(&input, &signature).ok()?;
        self.schemas.check_and_decode(document)
    }
}

/// The same document as the payload of a compact JWS (EdDSA) from jsonwebtoken.
struct JwsPeer {
    token: Vec<u8>,
    key: jsonwebtoken::DecodingKey,
    validation: jsonwebtoken::Validation,
    schemas: Schemas,
}

impl JwsPeer {
    fn new(f: &Fixture, naive: &NaivePeer) -> JwsPeer {
        let unsigned = unsigned_document(f);
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        let secret = jsonwebtoken::EncodingKey::from_ed_der(&pkcs8(&sample::seed(HUANGSHI)));
        let token = jsonwebtoken::encode(&header, &unsigned, &secret).expect("JWS");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        JwsPeer {
            token: token.into_bytes(),
            key: jsonwebtoken::DecodingKey::from_ed_der(naive.key.as_bytes()),
            validation,
            schemas: Schemas::new(f),
        }
    }

    fn verify(&self, token: &[u8]) -> Option<Envelope> {
        let token = std::str::from_utf8(token).ok()?;
        let data =
            jsonwebtoken::decode::<serde_json::Value>(token, &self.key, &self.validation).ok()?;
        self.schemas.check_and_decode(data.claims)
    }
}

/// The same document signed as Matrix signs JSON (ruma-signatures: canonical JSON,
/// signatures by entity and key id).
struct MatrixPeer {
    bytes: Vec<u8>,
    keys: ruma_signatures::PublicKeyMap,
    schemas: Schemas,
}

impl MatrixPeer {
    fn new(f: &Fixture, naive: &NaivePeer) -> MatrixPeer {
        let unsigned = unsigned_document(f);
        let mut object: ruma_common::CanonicalJsonObject =
            serde_json::from_value(unsigned).expect("canonical JSON object");
        let pair = ruma_signatures::Ed25519KeyPair::from_der(
            &pkcs8(&sample::seed(HUANGSHI)),
            "sample".into(),
        )
        .expect("key pair");
        ruma_signatures::sign_json(HUANGSHI, &pair, &mut object).expect("signed");
        let key_set = [(
            "ed25519:sample".to_string(),
            ruma_common::serde::Base64::new(naive.key.as_bytes().to_vec()),
        )];
        MatrixPeer {
            bytes: serde_json::to_vec(&object).expect("bytes"),
            keys: [(HUANGSHI.to_string(), key_set.into_iter().collect())]
                .into_iter()
                .collect(),
            schemas: Schemas::new(f),
        }
    }

    fn verify(&self, bytes: &[u8]) -> Option<Envelope> {
        let object: ruma_common::CanonicalJsonObject = serde_json::from_slice(bytes).ok()?;
        ruma_signatures::verify_json(&self.keys, &object).ok()?;
        let mut document = serde_json::to_value(object).ok()?;
        document.as_object_mut()?.remove("signatures");
        self.schemas.check_and_decode(document)
    }
}

/// The benchmark message as a JSON value without its `signatures`: what the JWS and
/// Matrix peers sign their own way.
fn unsigned_document(f: &Fixture) -> serde_json::Value {
    let mut unsigned = f.message.to_value().expect("document");
    unsigned
        .as_object_mut()
        .map(|members| members.remove("signatures"));
    unsigned
}

/// A PKCS#8 (v1) document holding an Ed25519 seed, the form the JOSE and Matrix
/// crates load secret keys from.
fn pkcs8(seed: &[u8; 32]) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(seed);
    der
}

fn sign_group(c: &mut Criterion, f: &Fixture) {
    let mut unsigned = f.message.clone();
    unsigned.signatures.clear();
    let signed = unsigned.clone().sign_to_bytes(&f.key).expect("signed");
    assert_eq!(
        signed, f.bytes,
        "the sign path must give the sample's bytes"
    );
    let mut group = c.benchmark_group("sign");
    group.bench_function("floor", |b| {
        b.iter(|| f.signing_key.sign(black_box(&f.signing_input)))
    });
    // The signed message is returned with its bytes, so that criterion drops both
    // outside the timing, as the floor's key and input are never dropped.
    group.bench_function("tongban", |b| {
        b.iter_batched(
            || unsigned.clone(),
            |mut message| {
                let bytes = message.sign_to_bytes(&f.key);
                (message, bytes)
            },
            BatchSize::SmallInput,
        )
    });
    // A party's own message (a node's receipt), signed and then checked as its receiver
    // will check it: in full, or without verifying the signature just made. A verifier
    // of its own each time, as the reference node makes for each receipt (its replay
    // record would otherwise refuse the same message id twice).
    let sign_then_verify = |mut message: Envelope| {
        let bytes = message.sign_to_bytes(&f.key).expect("signed");
        let verified = Verifier::new(&f.registry)
            .any_receiver()
            .verify(Unverified::parse(&bytes).expect("parsed"), &f.now)
            .expect("verified");
        (bytes, verified)
    };
    let sign_and_check = |mut message: Envelope| {
        Verifier::new(&f.registry)
            .any_receiver()
            .sign_and_check(&mut message, &f.key, &f.now)
            .expect("checked")
    };
    assert_eq!(
        sign_then_verify(unsigned.clone()).1.digest(),
        sign_and_check(unsigned.clone()).1.digest(),
        "both give the same message"
    );
    group.bench_function("own-sign-then-verify", |b| {
        b.iter_batched(|| unsigned.clone(), sign_then_verify, BatchSize::SmallInput)
    });
    group.bench_function("own-sign-and-check", |b| {
        b.iter_batched(|| unsigned.clone(), sign_and_check, BatchSize::SmallInput)
    });
    group.finish();
}

/// The national suite on the same transfer: the `sm2` crate's verify and sign alone over
/// the signing input (the floor, Z computed once with the key, as tongban does), and
/// tongban's full verify and sign paths with SM2.
fn sm2_group(c: &mut Criterion, f: &Fixture) {
    use sm2::dsa::signature::{Signer as _, Verifier as _};
    let s = &f.sm2;
    assert!(s
        .verifying_key
        .verify(&s.signing_input, &s.signature)
        .is_ok());
    let mut group = c.benchmark_group("sm2");
    group.bench_function("verify-floor", |b| {
        b.iter(|| {
            s.verifying_key
                .verify(black_box(&s.signing_input), black_box(&s.signature))
        })
    });
    let tongban = |bytes: &[u8]| {
        Verifier::new(&s.registry)
            .any_receiver()
            .verify(Unverified::parse(bytes)?, &f.now)
    };
    assert_real_check("sm2-tongban", &s.bytes, |bytes| tongban(bytes).is_ok());
    // The Ed25519 message under the SM2 agreement is refused (agreement.wrong_suite).
    assert_eq!(
        tongban(&f.bytes).map(|_| ()).map_err(|e| e.code()),
        Err("agreement.wrong_suite")
    );
    group.bench_function("verify-tongban", |b| {
        b.iter(|| tongban(black_box(&s.bytes)))
    });
    group.bench_function("sign-floor", |b| {
        b.iter(|| -> sm2::dsa::Signature { s.signing_key.sign(black_box(&s.signing_input)) })
    });
    group.bench_function("sign-tongban", |b| {
        b.iter_batched(
            || s.unsigned.clone(),
            |mut message| {
                let bytes = message.sign_to_bytes(&s.key);
                (message, bytes)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// 64 transfers, each signed by a different sender: their signatures checked one by
/// one with `verify_strict` against ed25519-dalek's batch verification.
fn batch_group(c: &mut Criterion, f: &Fixture) {
    const SENDERS: usize = 64;
    let mut inputs = Vec::new();
    let mut signatures = Vec::new();
    let mut keys = Vec::new();
    for index in 0..SENDERS {
        let key = SigningKey::from_bytes(&sample::seed(&format!("sender-{index:02}.420200")));
        let message = sample::benchmark_transfer(index as u32, &f.message.created)
            .expect("benchmark transfer");
        let input = tongban::signing::signing_input(
            &message.to_value().expect("document"),
            "ed25519",
            &format!("sender-{index:02}.420200#1"),
        );
        signatures.push(key.sign(&input));
        keys.push(key.verifying_key());
        inputs.push(input);
    }
    let messages: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
    let one_by_one = || {
        keys.iter()
            .zip(&messages)
            .zip(&signatures)
            .all(|((key, message), signature)| key.verify_strict(message, signature).is_ok())
    };
    assert!(one_by_one());
    assert!(ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok());
    let mut wrong = signatures.clone();
    wrong.swap(0, 1);
    assert!(ed25519_dalek::verify_batch(&messages, &wrong, &keys).is_err());
    let mut group = c.benchmark_group("batch64");
    group.throughput(Throughput::Elements(SENDERS as u64));
    group.bench_function("one-by-one", |b| b.iter(|| black_box(one_by_one())));
    group.bench_function("batch", |b| {
        b.iter(|| ed25519_dalek::verify_batch(black_box(&messages), &signatures, &keys))
    });
    group.finish();
}

fn stages_group(c: &mut Criterion, f: &Fixture) {
    let spaced = [b" ".as_slice(), &f.bytes].concat();
    let mut group = c.benchmark_group("stages");
    group.bench_function("parse", |b| {
        b.iter(|| Unverified::parse(black_box(&f.bytes)))
    });
    group.bench_function("parse-strict", |b| {
        b.iter(|| Unverified::parse(black_box(&spaced)))
    });
    group.bench_function("json", |b| {
        b.iter(|| tongban::json::parse(black_box(&f.bytes)))
    });
    let document = tongban::json::parse(&f.bytes).expect("parse");
    group.bench_function("canonicalize", |b| {
        b.iter(|| tongban::canonical::to_canonical_bytes(black_box(&document)))
    });
    group.finish();
}

/// The full-scale synthetic registry (295 members, 753 items with form schemas):
/// reloading a stored copy (keys checked on first use, schemas compiled on first use)
/// against accepting it for the first time (every key checked) and against compiling
/// every form schema, which loading did before schemas were compiled on first use.
fn alliance_group(c: &mut Criterion) {
    let bytes = sample::alliance_registry_bytes().expect("alliance registry");
    let issued = Timestamp::parse(sample::REGISTRY_ISSUED).expect("time");
    let mut group = c.benchmark_group("alliance");
    group.sample_size(10);
    group.bench_function("load-stored", |b| {
        b.iter(|| Registry::load_trusted(black_box(&bytes)).expect("loads"))
    });
    group.bench_function("bootstrap", |b| {
        b.iter(|| Registry::bootstrap(black_box(&bytes), &issued).expect("accepted"))
    });
    group.bench_function("compile-every-form", |b| {
        b.iter_batched(
            || Registry::load_trusted(&bytes).expect("loads"),
            |registry| registry.compile_forms().expect("compiles"),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// Sealing (§24): the benchmark transfer's personal data (its applicant, form and notes,
/// in canonical JSON) and a 10 MiB file, sealed and opened in both suites, beside the
/// AEAD alone over the same 10 MiB (AES-128-GCM, and SM4-GCM through the same generic
/// GCM) and the signature floors measured above.
fn seal_group(c: &mut Criterion, f: &Fixture) {
    use aes_gcm::aead::{consts::U12, Aead, KeyInit, Payload};
    use tongban::seal::{file_part, FileKey, FileOpener, FileSealer, SealContext, SealingSuite};
    let document = f.message.to_value().expect("document");
    let personal: serde_json::Map<String, serde_json::Value> = ["applicant", "form", "notes"]
        .into_iter()
        .filter_map(|member| Some((member.to_string(), document["body"].get(member)?.clone())))
        .collect();
    let body = tongban::canonical::to_canonical_bytes(&serde_json::Value::Object(personal));
    let file = vec![0x5au8; 10 * 1024 * 1024];
    let (from, to) = (&f.message.from, &f.message.to);
    let context = SealContext {
        from,
        to,
        id: &f.message.id,
        part: "body",
    };
    let file_part = file_part(&Sha256Digest::of(&file));
    let file_context = SealContext {
        from,
        to,
        id: &f.message.id,
        part: &file_part,
    };
    let (key, nonce) = ([7u8; 16], [9u8; 12]);
    let mut group = c.benchmark_group("seal");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(file.len() as u64));
    let aes = aes_gcm::Aes128Gcm::new_from_slice(&key).expect("key");
    group.bench_function("aes128gcm-10mib", |b| {
        b.iter(|| {
            aes.encrypt(
                black_box(&nonce).into(),
                Payload {
                    msg: &file,
                    aad: b"",
                },
            )
        })
    });
    let sm4 = aes_gcm::AesGcm::<sm4::Sm4, U12>::new_from_slice(&key).expect("key");
    group.bench_function("sm4gcm-10mib", |b| {
        b.iter(|| {
            sm4.encrypt(
                black_box(&nonce).into(),
                Payload {
                    msg: &file,
                    aad: b"",
                },
            )
        })
    });
    for suite in SealingSuite::ALL {
        let name = match suite {
            SealingSuite::HpkeX25519Aes128Gcm => "hpke",
            SealingSuite::Sm2Sm4Gcm => "sm2",
        };
        let receiver = sample::sealing_key(sample::JIUJIANG, suite).expect("sealing key");
        let public = receiver.public_key();
        group.throughput(Throughput::Bytes(body.len() as u64));
        let sealed = public
            .seal(receiver.key_id(), &context, &body)
            .expect("sealed");
        group.bench_function(format!("{name}-body-seal"), |b| {
            b.iter(|| public.seal(receiver.key_id(), &context, black_box(&body)))
        });
        group.bench_function(format!("{name}-body-open"), |b| {
            b.iter(|| receiver.open(black_box(&sealed), &context))
        });
        // A file is sealed in records under its own key (§24.6), streamed in the 64 KiB
        // pieces a fetch reads.
        group.throughput(Throughput::Bytes(file.len() as u64));
        let kid = receiver.key_id();
        let seal_file = || {
            let mut sealer = FileSealer::new(suite, kid, &file_context);
            let mut sealed = Vec::with_capacity(file.len() + file.len() / 1000);
            for piece in file.chunks(65_536) {
                sealed.extend(sealer.update(black_box(piece))?);
            }
            let (last, members) = sealer.finish()?;
            sealed.extend(last);
            Ok::<_, tongban::error::SealError>((sealed, members))
        };
        let (sealed_file, members) = seal_file().expect("sealed");
        let file_key = FileKey::from_base64url(&members.key).expect("key");
        group.bench_function(format!("{name}-10mib-seal"), |b| b.iter(seal_file));
        group.bench_function(format!("{name}-10mib-open"), |b| {
            b.iter(|| {
                let mut opener =
                    FileOpener::new(suite, kid, &file_context, &file_key, file.len() as u64);
                let mut opened = 0;
                for piece in sealed_file.chunks(65_536) {
                    opened += opener.update(black_box(piece))?.len();
                }
                opener.finish().map(|()| opened)
            })
        });
    }
    group.finish();
    println!("sealed body: {} bytes of personal data", body.len());
}

/// Receiving and sending the benchmark transfer with its body sealed (§24.5), against
/// the same transfer in clear, in the same run: what a hop pays (verify without
/// opening), what the receiver pays (verify and open, the body inside checked), what the
/// sender pays (seal and sign).
fn sealed_body_group(c: &mut Criterion, f: &Fixture) {
    use tongban::seal::SealingSuite;
    let issued = Timestamp::parse(sample::REGISTRY_ISSUED).expect("time");
    let sealing = Registry::bootstrap(
        &sample::registry_bytes_with_sealing_keys().expect("registry"),
        &issued,
    )
    .expect("registry");
    let mut unsigned = f
        .message
        .clone()
        .with_protocol(tongban::ProtocolVersion::V1_1);
    unsigned.signatures.clear();
    let clear = unsigned.clone().sign_to_bytes(&f.key).expect("signed");
    // Its files sealed too (§24.6): each reference carries its key and sealed digest.
    let mut files_sealed = unsigned.clone();
    sample::mark_files_sealed(&mut files_sealed.body);
    let mut sealed = files_sealed.clone();
    assert!(sealing.seal_body(&mut sealed).expect("sealed"));
    let sealed = sealed.sign_to_bytes(&f.key).expect("signed");
    let keys = [
        sample::sealing_key(sample::JIUJIANG, SealingSuite::HpkeX25519Aes128Gcm)
            .expect("sealing key"),
    ];
    let receive_clear = |bytes: &[u8]| {
        Verifier::new(&f.registry)
            .any_receiver()
            .verify(Unverified::parse(bytes)?, &f.now)
    };
    let hop = |bytes: &[u8]| {
        Verifier::new(&sealing)
            .any_receiver()
            .verify(Unverified::parse(bytes)?, &f.now)
    };
    let receive_sealed = |bytes: &[u8]| {
        Verifier::new(&sealing).any_receiver().verify_and_open(
            Unverified::parse(bytes)?,
            &keys,
            &f.now,
        )
    };
    assert_real_check("receive-clear", &clear, |bytes| {
        receive_clear(bytes).is_ok()
    });
    assert_real_check("receive-sealed-hop", &sealed, |bytes| hop(bytes).is_ok());
    assert_real_check("receive-sealed-open", &sealed, |bytes| {
        receive_sealed(bytes).is_ok_and(|v| v.envelope().body == files_sealed.body)
    });
    let mut group = c.benchmark_group("sealed-body");
    group.bench_function("receive-clear", |b| {
        b.iter(|| receive_clear(black_box(&clear)))
    });
    group.bench_function("receive-sealed-hop", |b| b.iter(|| hop(black_box(&sealed))));
    group.bench_function("receive-sealed-open", |b| {
        b.iter(|| receive_sealed(black_box(&sealed)))
    });
    group.bench_function("send-clear", |b| {
        b.iter_batched(
            || unsigned.clone(),
            |mut message| message.sign_to_bytes(&f.key),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("send-sealed", |b| {
        b.iter_batched(
            || files_sealed.clone(),
            |mut message| {
                sealing.seal_body(&mut message)?;
                message.sign_to_bytes(&f.key)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
    println!(
        "sealed-body: the transfer is {} bytes in clear, {} sealed",
        clear.len(),
        sealed.len()
    );
}

fn main() {
    let started = SystemTime::now();
    let f = fixture();
    let mut c = Criterion::default()
        .output_directory(&criterion_dir())
        .configure_from_args();
    verify_group(&mut c, &f);
    sign_group(&mut c, &f);
    sm2_group(&mut c, &f);
    seal_group(&mut c, &f);
    sealed_body_group(&mut c, &f);
    batch_group(&mut c, &f);
    stages_group(&mut c, &f);
    alliance_group(&mut c);
    c.final_summary();
    // `cargo bench` passes `--bench`; `cargo test --benches` runs each function once
    // as a smoke test and measures nothing.
    if std::env::args().any(|arg| arg == "--bench") {
        print_table(&f, started);
    }
}

/// The median of benchmark `id` (`group/function`) of this run, started at `started`,
/// in nanoseconds, from criterion's estimates; `None` when it did not run in this run
/// (under `--test`, or left out by a filter: criterion keeps older runs' files).
fn median_ns(id: &str, started: SystemTime) -> Option<f64> {
    let path = criterion_dir().join(id).join("new/estimates.json");
    if std::fs::metadata(&path).ok()?.modified().ok()? < started {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    let estimates: serde_json::Value = serde_json::from_str(&text).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}

/// Prints the results as the Markdown table of `BENCHMARKS.md`: every figure with its
/// ratio to the floor or peer measured in the same run.
fn print_table(f: &Fixture, started: SystemTime) {
    // (benchmark, the one it is compared with, label)
    let rows = [
        ("verify/floor", "", "`verify_strict` alone (floor)"),
        (
            "verify/tongban",
            "verify/floor",
            "tongban full verify, canonical input",
        ),
        (
            "verify/tongban-strict",
            "verify/floor",
            "tongban full verify, input not canonical",
        ),
        (
            "verify/naive",
            "verify/tongban",
            "naive: serde_json + serde_jcs + dalek + jsonschema",
        ),
        (
            "verify/jws",
            "verify/tongban",
            "JWS EdDSA (jsonwebtoken) + jsonschema",
        ),
        (
            "verify/matrix",
            "verify/tongban",
            "Matrix signed JSON (ruma-signatures) + jsonschema",
        ),
        ("sign/floor", "", "`sign` alone (floor)"),
        (
            "sign/tongban",
            "sign/floor",
            "tongban sign path (`sign_to_bytes`)",
        ),
        (
            "sm2/verify-floor",
            "verify/floor",
            "SM2: the `sm2` crate's verify alone (SM2 floor), against Ed25519's",
        ),
        (
            "sm2/verify-tongban",
            "sm2/verify-floor",
            "SM2: tongban full verify (agreement on sm2-sm3)",
        ),
        (
            "sm2/sign-floor",
            "sign/floor",
            "SM2: the `sm2` crate's sign alone, against Ed25519's",
        ),
        (
            "sm2/sign-tongban",
            "sm2/sign-floor",
            "SM2: tongban sign path (`sign_to_bytes`)",
        ),
        (
            "seal/hpke-body-seal",
            "sign/floor",
            "HPKE: seal the transfer's personal data, against Ed25519's `sign`",
        ),
        (
            "seal/hpke-body-open",
            "verify/floor",
            "HPKE: open it, against `verify_strict`",
        ),
        (
            "seal/sm2-body-seal",
            "sm2/sign-floor",
            "SM2 and SM4-GCM: seal the transfer's personal data, against SM2's sign",
        ),
        (
            "seal/sm2-body-open",
            "sm2/verify-floor",
            "SM2 and SM4-GCM: open it, against SM2's verify",
        ),
        ("seal/aes128gcm-10mib", "", "AES-128-GCM alone over 10 MiB"),
        (
            "seal/hpke-10mib-seal",
            "seal/aes128gcm-10mib",
            "HPKE suite: seal a 10 MiB file (§24.6: AES-128-GCM records)",
        ),
        (
            "seal/hpke-10mib-open",
            "seal/aes128gcm-10mib",
            "HPKE suite: open a 10 MiB file",
        ),
        (
            "seal/sm4gcm-10mib",
            "seal/aes128gcm-10mib",
            "SM4-GCM alone over 10 MiB, against AES-128-GCM",
        ),
        (
            "seal/sm2-10mib-seal",
            "seal/sm4gcm-10mib",
            "national suite: seal a 10 MiB file (§24.6: SM4-GCM records)",
        ),
        (
            "seal/sm2-10mib-open",
            "seal/sm4gcm-10mib",
            "national suite: open a 10 MiB file",
        ),
        (
            "batch64/one-by-one",
            "",
            "64 keys, `verify_strict` one by one, per message",
        ),
        (
            "batch64/batch",
            "batch64/one-by-one",
            "64 keys, `verify_batch`, per message",
        ),
        (
            "stages/parse",
            "",
            "stage: `Unverified::parse`, canonical input",
        ),
        (
            "stages/parse-strict",
            "",
            "stage: `Unverified::parse`, input not canonical",
        ),
        (
            "alliance/load-stored",
            "alliance/bootstrap",
            "full-scale registry (1 MB): reload a stored copy",
        ),
        (
            "alliance/bootstrap",
            "",
            "full-scale registry: accept it first (every key checked)",
        ),
        (
            "alliance/compile-every-form",
            "alliance/load-stored",
            "full-scale registry: compile all 753 form schemas",
        ),
    ];
    let mut lines = vec![
        format!(
            "Message: the benchmark transfer, {} bytes ({} with its SM2 signature instead); medians of this run.",
            f.bytes.len(),
            f.sm2.bytes.len()
        ),
        String::new(),
        "| measurement | median | ratio in this run |".to_string(),
        "|---|---:|---|".to_string(),
    ];
    for (id, base, label) in rows {
        let Some(ns) = median_ns(id, started) else {
            continue;
        };
        let per = if id.starts_with("batch64/") {
            ns / 64.0
        } else {
            ns
        };
        let ratio = match median_ns(base, started) {
            Some(base_ns) => format!("{:.2}× {base}", ns / base_ns),
            None => "—".to_string(),
        };
        lines.push(format!("| {label} | {:.1} µs | {ratio} |", per / 1000.0));
    }
    if lines.len() > 4 {
        println!("\n{}", lines.join("\n"));
    }
}

/// Where criterion keeps its estimates: `target/criterion` of the workspace.
fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("criterion")
}
