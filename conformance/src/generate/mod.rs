//! The seeded program that writes the vectors. Everything is derived from fixed seeds
//! (the SDK's sample keys and a splitmix64 sequence for message ids), so running it
//! again gives the same bytes; CI regenerates and fails on any difference.

mod canonicalization;
mod clock;
mod deferral;
mod evaluation;
mod files;
mod hostile;
mod hpke_zero;
mod identifiers;
mod licence;
mod lifecycle;
mod messages;
mod post;
mod primitives;
mod registry;
mod sealed_files;
mod sealed_messages;
mod sealing;
mod settled;
mod sm2;
mod sm3_digests;
mod suites;
mod themes;
mod window;

use crate::vector::Vector;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tongban::registry::{RegistryDocument, Role};
use tongban::sample::{self, HUANGSHI, JIUJIANG};
use tongban::*;

/// The seed of the message-id sequence.
pub const SEED: u64 = 0x7012_6ba4_2026_1128;

/// What the generator produces: vectors and the fixtures they refer to.
pub struct Generated {
    /// The vectors, in generation order.
    pub vectors: Vec<Vector>,
    /// Fixture name → canonical JSON text.
    pub fixtures: BTreeMap<String, String>,
}

/// splitmix64: a tiny, well-known PRNG, so other languages can reproduce the ids.
struct Ids(u64);

impl Ids {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn message_id(&mut self, created: &Timestamp) -> MessageId {
        let mut random = [0u8; 10];
        random[..8].copy_from_slice(&self.next().to_be_bytes());
        random[8..].copy_from_slice(&self.next().to_be_bytes()[..2]);
        MessageId::from_parts(created.unix_millis(), random)
    }
}

fn ts(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap_or_else(|e| panic!("generator timestamp {text}: {e}"))
}

fn must<T, E: std::fmt::Display>(what: &str, result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| panic!("generator: {what}: {e}"))
}

/// The time all message vectors are created at (and verified a minute later).
const T0: &str = "2026-11-28T10:00:00+08:00";
const T1: &str = "2026-11-28T10:01:00+08:00";

struct Gen {
    ids: Ids,
    out: Generated,
}

impl Gen {
    fn push(
        &mut self,
        id: &str,
        description: &str,
        operation: &str,
        input: Value,
        expected: Value,
    ) {
        assert!(
            self.out.vectors.iter().all(|v| v.id != id),
            "generator: two vectors named {id}"
        );
        self.out.vectors.push(Vector {
            id: id.to_string(),
            description: description.to_string(),
            operation: operation.to_string(),
            input,
            expected,
        });
    }

    fn fixture(&mut self, name: &str, text: String) -> String {
        self.out.fixtures.insert(name.to_string(), text);
        format!("fixture:{name}")
    }

    /// An unsigned envelope with a deterministic id.
    fn envelope(
        &mut self,
        from: &str,
        to: &str,
        agreement: &str,
        body: Body,
        created: &str,
    ) -> Envelope {
        let created = ts(created);
        let route = Route {
            from: must("node", NodeId::parse(from)),
            to: must("node", NodeId::parse(to)),
            agreement: must("agreement", AgreementId::parse(agreement)),
            case: must("case", CaseId::parse(sample::CASE)),
        };
        let mut envelope = must(
            "envelope",
            Envelope::new(route, body, created.clone(), 3600),
        );
        envelope.id = self.ids.message_id(&created);
        envelope
    }

    /// The sample transfer from Huangshi to Jiujiang, created at `created`.
    fn transfer(&mut self, created: &str) -> Envelope {
        let body = Body::Transfer(must("transfer", sample::transfer_body()));
        self.envelope(HUANGSHI, JIUJIANG, sample::AGREEMENT, body, created)
    }
}

/// Signs with the sample key of `signer` for the envelope's agreement (SM2 under the
/// Wuhan circle) and returns the canonical text.
fn signed(mut envelope: Envelope, signer: &str) -> String {
    let key = sample::key_for(signer, envelope.agreement.as_str());
    must("sign", envelope.sign(&must("key", key)));
    text(&must("value", envelope.to_value()))
}

/// Signs a raw document with the sample key of `signer`, whatever it carries (so that
/// vectors can hold numbers the SDK would refuse to sign).
fn signed_value(mut document: Value, signer: &str) -> String {
    let key = must("key", sample::key(signer));
    let input = tongban::signing::signing_input(&document, "ed25519", key.key_id().as_str());
    let signature = tongban::crypto::base64url(&must("sign", key.sign_bytes(&input)));
    if let Value::Object(members) = &mut document {
        members.insert(
            "signatures".into(),
            json!([{"alg": "ed25519", "kid": key.key_id(), "sig": signature}]),
        );
    }
    text(&document)
}

/// The document with `edit` applied, re-signed by Huangshi's sample key.
fn resigned(document: &Value, edit: &dyn Fn(&mut Value)) -> String {
    let mut edited = document.clone();
    edit(&mut edited);
    signed_value(edited, HUANGSHI)
}

/// A change to a document.
type Edit = Box<dyn Fn(&mut Value)>;

/// A case of an `envelope/<name>` vector: name, description, signer, base document, its
/// edit, the expected outcome.
type EditedCase<'a> = (&'a str, &'a str, &'a str, &'a Value, Edit, Value);

/// One `envelope/<name>` vector per case: the base document edited and signed by the
/// case's signer, verified against the key set `keys` at T1.
fn edited_envelope_vectors(g: &mut Gen, keys: &str, cases: Vec<EditedCase>) {
    for (name, description, signer, base, edit, expected) in cases {
        let mut edited = base.clone();
        edit(&mut edited);
        verify_vector(
            g,
            &format!("envelope/{name}"),
            description,
            ("keys", keys),
            vec![at(signed_value(edited, signer), T1)],
            vec![expected],
        );
    }
}

/// A 1.1 message from `from` to the other sample node with `body`, created at T0 and
/// answering a message, as a JSON document: the base of the body vectors of 1.1's
/// message types.
fn answer_1_1(g: &mut Gen, from: &str, body: Body) -> Value {
    let to = if from == HUANGSHI { JIUJIANG } else { HUANGSHI };
    let mut envelope = g.envelope(from, to, sample::AGREEMENT, body, T0);
    envelope.protocol = ProtocolVersion::V1_1;
    envelope.in_reply_to = Some(MessageId::from_parts(ts(T0).unix_millis(), [9; 10]));
    must("value", envelope.to_value())
}

fn text(value: &Value) -> String {
    String::from_utf8_lossy(&tongban::canonical::to_canonical_bytes(value)).into_owned()
}

fn accepted() -> Value {
    json!({"outcome": "accepted"})
}

fn refused(code: &str) -> Value {
    json!({"outcome": "refused", "code": code})
}

fn at(message: String, now: &str) -> Value {
    json!({"text": message, "now": now})
}

/// Generates every vector.
pub fn generate() -> Generated {
    let mut g = Gen {
        ids: Ids(SEED),
        out: Generated {
            vectors: Vec::new(),
            fixtures: BTreeMap::new(),
        },
    };
    canonicalization::canonicalization(&mut g);
    identifiers::identifiers(&mut g);
    let keys = messages::keys_fixture(&mut g);
    messages::signatures(&mut g, &keys);
    messages::envelope(&mut g, &keys);
    let registry = registry::registries(&mut g);
    registry::checks(&mut g, &registry);
    lifecycle::lifecycle(&mut g, &registry);
    lifecycle::deadlines(&mut g, &registry);
    hostile::hostile(&mut g, &keys, &registry);
    lifecycle::case_ownership(&mut g, &registry);
    registry::agreement_end(&mut g);
    registry::form_schema_references(&mut g);
    files::files(&mut g, &keys, &registry);
    settled::settled(&mut g, &keys, &registry);
    window::window(&mut g, &keys, &registry);
    post::post(&mut g, &keys, &registry);
    evaluation::evaluation(&mut g, &keys, &registry);
    clock::clock(&mut g, &registry);
    deferral::deferral(&mut g, &keys, &registry);
    licence::licence(&mut g, &keys);
    themes::themes(&mut g, &keys, &registry);
    suites::suites(&mut g, &keys);
    sm2::sm2(&mut g);
    primitives::primitives(&mut g);
    sm3_digests::sm3_digests(&mut g, &keys);
    registry::tls_keys(&mut g);
    sealing::sealing(&mut g);
    sealed_messages::sealed_messages(&mut g, &keys);
    sealed_messages::sealed_checks(&mut g);
    sealed_files::sealed_files(&mut g);
    sealed_files::sealed_lifecycle(&mut g);
    g.out
}

/// One `<category>/<name>` verify vector per case (name, description, message text,
/// expected outcome): the message verified at T1 against `trust`.
fn message_vectors(
    g: &mut Gen,
    category: &str,
    trust: (&str, &str),
    cases: Vec<(&str, &str, String, Value)>,
) {
    for (name, description, message, expected) in cases {
        let id = format!("{category}/{name}");
        verify_vector(
            g,
            &id,
            description,
            trust,
            vec![at(message, T1)],
            vec![expected],
        );
    }
}

fn verify_vector(
    g: &mut Gen,
    id: &str,
    description: &str,
    trust: (&str, &str),
    messages: Vec<Value>,
    results: Vec<Value>,
) {
    g.push(
        id,
        description,
        "verify",
        json!({trust.0: trust.1, "messages": messages}),
        json!({"outcome": "accepted", "results": results}),
    );
}
