//! The seeded program that writes the vectors. Everything is derived from fixed seeds
//! (the SDK's sample keys and a splitmix64 sequence for message ids), so running it
//! again gives the same bytes; CI regenerates and fails on any difference.

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

/// Signs with the sample key of `signer` and returns the canonical text.
fn signed(mut envelope: Envelope, signer: &str) -> String {
    must("sign", envelope.sign(&must("key", sample::key(signer))));
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
    canonicalization(&mut g);
    identifiers(&mut g);
    let keys = keys_fixture(&mut g);
    signatures(&mut g, &keys);
    envelope(&mut g, &keys);
    let registry = registries(&mut g);
    checks(&mut g, &registry);
    lifecycle(&mut g, &registry);
    deadlines(&mut g, &registry);
    g.out
}

fn canonicalization(g: &mut Gen) {
    let canon = |g: &mut Gen, name: &str, description: &str, input: &str, output: &str| {
        g.push(
            &format!("canonicalization/{name}"),
            description,
            "canonicalize",
            json!({"text": input}),
            json!({"outcome": "accepted", "canonical": output}),
        );
    };
    canon(
        g,
        "rfc8785-3.2.2",
        "RFC 8785 §3.2.2: numbers, escapes and literals",
        "{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n  \"literals\": [null, true, false]\n}",
        "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}",
    );
    canon(
        g,
        "rfc8785-3.2.3-sorting",
        "RFC 8785 §3.2.3: members sorted by UTF-16 code units",
        "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\",\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}",
        "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}",
    );
    let numbers: &[(u64, &str)] = &[
        (0x0000000000000000, "0"),
        (0x8000000000000000, "0"),
        (0x0000000000000001, "5e-324"),
        (0x8000000000000001, "-5e-324"),
        (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0xffefffffffffffff, "-1.7976931348623157e+308"),
        (0x4340000000000000, "9007199254740992"),
        (0xc340000000000000, "-9007199254740992"),
        (0x4430000000000000, "295147905179352830000"),
        (0x44b52d02c7e14af5, "9.999999999999997e+22"),
        (0x44b52d02c7e14af6, "1e+23"),
        (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
        (0x444b1ae4d6e2ef4e, "999999999999999700000"),
        (0x444b1ae4d6e2ef4f, "999999999999999900000"),
        (0x444b1ae4d6e2ef50, "1e+21"),
        (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
        (0x3eb0c6f7a0b5ed8d, "0.000001"),
        (0x41b3de4355555553, "333333333.3333332"),
        (0x41b3de4355555554, "333333333.33333325"),
        (0x41b3de4355555555, "333333333.3333333"),
        (0x41b3de4355555556, "333333333.3333334"),
        (0x41b3de4355555557, "333333333.33333343"),
        (0xbecbf647612f3696, "-0.0000033333333333333333"),
        (0x43143ff3c1cb0959, "1424953923781206.2"),
    ];
    for (bits, es) in numbers {
        let x = f64::from_bits(*bits);
        // Rust's shortest round-trip form parses back to exactly these bits.
        let literal = if x == 0.0 && x.is_sign_negative() {
            "-0.0".to_string()
        } else {
            format!("{x:e}")
        };
        canon(
            g,
            &format!("number-{bits:016x}"),
            &format!("RFC 8785 Appendix B: IEEE 754 {bits:#018x} is written {es}"),
            &format!("[{literal}]"),
            &format!("[{es}]"),
        );
    }
    canon(
        g,
        "chinese-unescaped",
        "Chinese text is written as UTF-8, not escaped",
        "{\"名称\":\"黄石市民之家\",\"b\":\"\\u4e5d\\u6c5f\"}",
        "{\"b\":\"九江\",\"名称\":\"黄石市民之家\"}",
    );
    canon(
        g,
        "control-characters",
        "control characters use short escapes or lower-case \\u00xx",
        "[\"\\u0001\\u001f\\b\\f\\n\\r\\t\"]",
        "[\"\\u0001\\u001f\\b\\f\\n\\r\\t\"]",
    );
    canon(
        g,
        "no-slash-escape",
        "the solidus and U+2028 are not escaped",
        "[\"a\\/b\\u2028\"]",
        "[\"a/b\u{2028}\"]",
    );
    canon(
        g,
        "nested-sorting",
        "members are sorted at every depth",
        "{\"b\":{\"z\":1,\"a\":[{\"y\":2,\"x\":1}]},\"a\":0}",
        "{\"a\":0,\"b\":{\"a\":[{\"x\":1,\"y\":2}],\"z\":1}}",
    );
    canon(
        g,
        "large-integers",
        "integers beyond 2^53 are written as doubles",
        "[18446744073709551615,-9223372036854775808,9007199254740993]",
        "[18446744073709552000,-9223372036854776000,9007199254740992]",
    );
    canon(
        g,
        "empty-containers",
        "empty objects and arrays, whitespace removed",
        " { \"a\" : [ ] , \"b\" : { } } ",
        "{\"a\":[],\"b\":{}}",
    );
    canon(
        g,
        "surrogate-pair",
        "a surrogate-pair escape becomes the character",
        "[\"\\ud83d\\ude00\"]",
        "[\"😀\"]",
    );

    let refuse = |g: &mut Gen, name: &str, description: &str, input: Value, code: &str| {
        g.push(
            &format!("canonicalization/refuse-{name}"),
            description,
            "canonicalize",
            input,
            refused(code),
        );
    };
    refuse(
        g,
        "duplicate-key",
        "two members with the same name",
        json!({"text": "{\"a\":1,\"a\":2}"}),
        "json.duplicate_key",
    );
    refuse(
        g,
        "duplicate-key-escaped",
        "\"a\" and \"\\u0061\" are the same name",
        json!({"text": "{\"x\":{\"a\":1,\"\\u0061\":2}}"}),
        "json.duplicate_key",
    );
    refuse(
        g,
        "duplicate-key-deep",
        "a duplicate deep inside arrays",
        json!({"text": "[[{\"k\":[{\"k\":1,\"k\":1}]}]]"}),
        "json.duplicate_key",
    );
    refuse(
        g,
        "lone-high-surrogate",
        "an unpaired high surrogate escape",
        json!({"text": "[\"\\ud800\"]"}),
        "json.lone_surrogate",
    );
    refuse(
        g,
        "lone-low-surrogate",
        "an unpaired low surrogate escape",
        json!({"text": "[\"\\udc00\\ud800\"]"}),
        "json.lone_surrogate",
    );
    refuse(
        g,
        "invalid-utf8",
        "a byte that is not UTF-8",
        json!({"base64": STANDARD.encode(b"[\"\xff\"]")}),
        "json.invalid_utf8",
    );
    refuse(
        g,
        "invalid-utf8-outside-string",
        "invalid UTF-8 outside strings",
        json!({"base64": STANDARD.encode(b"[1]\xc3")}),
        "json.invalid_utf8",
    );
    refuse(
        g,
        "bom",
        "a leading byte order mark",
        json!({"base64": STANDARD.encode(b"\xef\xbb\xbf{}")}),
        "json.bom",
    );
    refuse(
        g,
        "trailing-data",
        "a second value after the first",
        json!({"text": "{} []"}),
        "json.trailing_data",
    );
    refuse(
        g,
        "number-overflow",
        "1e400 is not a finite double",
        json!({"text": "[1e400]"}),
        "json.number_out_of_range",
    );
    refuse(
        g,
        "negative-overflow",
        "-1e999 is not a finite double",
        json!({"text": "[-1e999]"}),
        "json.number_out_of_range",
    );
    refuse(
        g,
        "too-deep",
        "33 levels of nesting, one past the limit",
        json!({"text": format!("{}{}", "[".repeat(33), "]".repeat(33))}),
        "json.too_deep",
    );
    g.push("canonicalization/depth-limit", "32 levels of nesting, exactly the limit", "canonicalize", json!({"text": format!("{}{}", "[".repeat(32), "]".repeat(32))}), json!({"outcome": "accepted", "canonical": format!("{}{}", "[".repeat(32), "]".repeat(32))}));
    refuse(
        g,
        "too-large",
        "1,048,577 bytes, one past the size limit",
        json!({"fill": {"byte": 32, "count": 1_048_577}}),
        "json.too_large",
    );
    refuse(
        g,
        "leading-zero",
        "numbers have no leading zeros",
        json!({"text": "[01]"}),
        "json.syntax",
    );
    refuse(
        g,
        "trailing-comma",
        "no trailing commas",
        json!({"text": "[1,]"}),
        "json.syntax",
    );
    refuse(
        g,
        "raw-control-character",
        "control characters in strings must be escaped",
        json!({"text": "[\"a\u{1}b\"]"}),
        "json.syntax",
    );
    refuse(
        g,
        "single-quotes",
        "strings use double quotes",
        json!({"text": "['a']"}),
        "json.syntax",
    );
}

fn identifiers(g: &mut Gen) {
    let cases: &[(&str, &str, Option<&str>, &str)] = &[
        (
            "region",
            "420200",
            None,
            "Huangshi, a prefecture-level city",
        ),
        (
            "region",
            "429004",
            None,
            "Xiantao, a county-level city the province administers",
        ),
        ("region", "110000", None, "Beijing, a province-level code"),
        ("region", "4202", Some("id.region_format"), "four digits"),
        ("region", "42020a", Some("id.region_format"), "a letter"),
        (
            "region",
            "990000",
            Some("id.region_structure"),
            "no province 99",
        ),
        (
            "region",
            "420012",
            Some("id.region_structure"),
            "a county under a 00 prefecture",
        ),
        (
            "citizen_id",
            "11010519491231002X",
            None,
            "GB 11643's own example, check character X",
        ),
        (
            "citizen_id",
            "440524188001010014",
            None,
            "GB 11643's second example, born 1880",
        ),
        (
            "citizen_id",
            "420202200002291234",
            None,
            "born on 29 February of the leap year 2000",
        ),
        (
            "citizen_id",
            "110105194912310021",
            Some("id.citizen_checksum"),
            "wrong check digit",
        ),
        (
            "citizen_id",
            "11010519491231002x",
            Some("id.citizen_format"),
            "lower-case x",
        ),
        (
            "citizen_id",
            "1101051949123100",
            Some("id.citizen_format"),
            "16 characters",
        ),
        (
            "citizen_id",
            "110105194902300020",
            Some("id.citizen_birth_date"),
            "30 February",
        ),
        (
            "citizen_id",
            "420202190002291238",
            Some("id.citizen_birth_date"),
            "29 February 1900, not a leap year",
        ),
        ("credit_code", "9144030071526726XG", None, "a real code"),
        (
            "credit_code",
            "91350100M000100Y43",
            None,
            "a real code with letters in the organization part",
        ),
        (
            "credit_code",
            "91360400MA35G1234N",
            Some("id.credit_checksum"),
            "wrong check character",
        ),
        (
            "credit_code",
            "91420200MA4F0IIIII",
            Some("id.credit_format"),
            "I is not in the alphabet",
        ),
        (
            "credit_code",
            "91A60400MA35G1234M",
            Some("id.credit_format"),
            "a letter in the region part",
        ),
        ("message_id", "01JDQ6ZK8V3YH2X0R5M7N9P4QT", None, "a ULID"),
        (
            "message_id",
            "019373d2-6a00-7c3e-9b1a-2f4d5e6a7b8c",
            None,
            "a UUIDv7",
        ),
        (
            "message_id",
            "019373d2-6a00-4c3e-9b1a-2f4d5e6a7b8c",
            Some("id.message_format"),
            "a UUIDv4",
        ),
        (
            "message_id",
            "019373D2-6A00-7C3E-9B1A-2F4D5E6A7B8C",
            Some("id.message_format"),
            "upper-case UUID",
        ),
        (
            "message_id",
            "81JDQ6ZK8V3YH2X0R5M7N9P4QT",
            Some("id.message_format"),
            "ULID beyond its range",
        ),
        ("node", "huangshi.420200", None, "a node id"),
        ("node", "Huangshi", Some("id.node_format"), "upper case"),
        ("case", "HS-2026-000123", None, "a case id"),
        ("case", "案件1", Some("id.case_format"), "non-ASCII"),
        ("agreement", "hs-jj.cross-river", None, "an agreement id"),
        ("agreement", "HS JJ", Some("id.agreement_format"), "a space"),
        ("item", "HB-JX-0042", None, "a service item code"),
        ("item", "", Some("id.item_format"), "empty"),
        ("key_id", "huangshi.420200#2026", None, "a key id"),
        ("key_id", "k/1", Some("id.key_format"), "a slash"),
        (
            "digest",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            None,
            "SHA-256 of abc",
        ),
        (
            "digest",
            "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
            Some("id.digest_format"),
            "upper case",
        ),
        (
            "timestamp",
            "2026-11-28T09:30:00+08:00",
            None,
            "Beijing time",
        ),
        (
            "timestamp",
            "2026-11-28T01:30:00.5Z",
            None,
            "UTC with a fraction",
        ),
        (
            "timestamp",
            "2026-11-28t01:30:00Z",
            Some("time.format"),
            "lower-case t",
        ),
        (
            "timestamp",
            "2026-02-30T00:00:00Z",
            Some("time.format"),
            "30 February",
        ),
        ("protocol_version", "1.0", None, "version 1.0"),
        (
            "protocol_version",
            "1.7",
            None,
            "a newer minor version of major 1",
        ),
        (
            "protocol_version",
            "01.0",
            Some("version.format"),
            "a leading zero",
        ),
        (
            "protocol_version",
            "2.0",
            Some("version.unsupported_major"),
            "major version 2",
        ),
    ];
    for (kind, value, code, why) in cases {
        let verdict = if code.is_some() {
            "refused"
        } else {
            "accepted"
        };
        g.push(
            &format!("identifiers/{kind}-{verdict}-{}", slug(value)),
            &format!("{kind} {value:?}: {why}"),
            "identifier",
            json!({"kind": kind, "value": value}),
            code.map_or_else(accepted, refused),
        );
    }
}

/// A file-name-safe, stable form of a value: letters and digits kept, the rest `-`.
fn slug(value: &str) -> String {
    let slug: String = value
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    if slug.is_empty() {
        "empty".to_string()
    } else {
        slug
    }
}

fn keys_fixture(g: &mut Gen) -> String {
    let keys = must("keys", sample::key_set()).to_file();
    g.fixture(
        "keys-sample",
        text(&must("keys", serde_json::to_value(keys))),
    )
}

/// Adds the Ed25519 group order L to a 32-byte little-endian scalar.
fn add_group_order(scalar: &mut [u8]) {
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for (byte, l) in scalar.iter_mut().zip(L) {
        let sum = u16::from(*byte) + u16::from(l) + carry;
        *byte = (sum & 0xff) as u8;
        carry = sum >> 8;
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

fn signatures(g: &mut Gen, keys: &str) {
    let trust = ("keys", keys);
    let transfer = g.transfer(T0);
    let good = signed(transfer.clone(), HUANGSHI);
    let digest = Sha256Digest::of(good.as_bytes());
    verify_vector(
        g,
        "signatures/valid-transfer",
        "a transfer signed by the sender's key verifies",
        trust,
        vec![at(good.clone(), T1)],
        vec![json!({"outcome": "accepted", "type": "transfer", "sha256": digest})],
    );
    let doc: Value = must("json", serde_json::from_str(&good));
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut d = doc.clone();
        f(&mut d);
        text(&d)
    };
    let cases: Vec<(&str, &str, String, &str)> = vec![
        (
            "tampered-body",
            "the applicant's name changed after signing",
            edit(&|d| d["body"]["applicant"]["name"] = json!("王丽华")),
            "signature.invalid",
        ),
        (
            "tampered-header",
            "the expiry changed after signing",
            edit(&|d| d["expires"] = json!("2026-11-28T10:30:00+08:00")),
            "signature.invalid",
        ),
        (
            "kid-swapped",
            "the key id names the receiver's key",
            edit(&|d| d["signatures"][0]["kid"] = json!("jiujiang.360400#sample")),
            "signature.invalid",
        ),
        (
            "alg-unknown",
            "an algorithm the protocol does not define",
            edit(&|d| d["signatures"][0]["alg"] = json!("sm2-sm3")),
            "signature.unsupported_algorithm",
        ),
        (
            "kid-unknown",
            "a key id nobody trusts",
            edit(&|d| d["signatures"][0]["kid"] = json!("wuhan.420100#1")),
            "signature.unknown_key",
        ),
        (
            "stripped",
            "the signatures member removed",
            edit(&|d| {
                d.as_object_mut().map(|m| m.remove("signatures"));
            }),
            "signature.missing",
        ),
        (
            "empty",
            "an empty signatures array",
            edit(&|d| d["signatures"] = json!([])),
            "signature.missing",
        ),
        (
            "not-base64url",
            "standard base64 with padding",
            edit(&|d| d["signatures"][0]["sig"] = json!("c2lnbmF0dXJl==")),
            "signature.malformed",
        ),
        (
            "truncated",
            "a 63-byte signature",
            edit(&|d| {
                let sig = d["signatures"][0]["sig"]
                    .as_str()
                    .map(|s| s[..84].to_string())
                    .unwrap_or_default();
                d["signatures"][0]["sig"] = json!(sig);
            }),
            "signature.malformed",
        ),
        (
            "duplicated",
            "the same signature twice",
            edit(&|d| {
                let first = d["signatures"][0].clone();
                if let Some(list) = d["signatures"].as_array_mut() {
                    list.push(first);
                }
            }),
            "signature.malformed",
        ),
        (
            "extra-member",
            "a signature entry with an extra member",
            edit(&|d| d["signatures"][0]["note"] = json!("x")),
            "message.invalid",
        ),
        (
            "moved",
            "signatures moved into the body",
            edit(&|d| {
                let sigs = d["signatures"].clone();
                d["body"]["signatures"] = sigs;
                d.as_object_mut().map(|m| m.remove("signatures"));
            }),
            "signature.missing",
        ),
        (
            "by-receiver",
            "signed by the receiver's key, not the sender's",
            signed(transfer.clone(), JIUJIANG),
            "signature.key_not_sender",
        ),
    ];
    for (name, description, message, code) in cases {
        verify_vector(
            g,
            &format!("signatures/{name}"),
            description,
            trust,
            vec![at(message, T1)],
            vec![refused(code)],
        );
    }
    // A signature over a non-canonical serialization (members in insertion order).
    let mut unsigned = doc.clone();
    unsigned.as_object_mut().map(|m| m.remove("signatures"));
    let key = must("key", sample::key(HUANGSHI));
    let wrong_bytes = format!(
        "{{\"alg\":\"ed25519\",\"kid\":\"{}\",\"signed\":{}}}",
        key.key_id(),
        must("json", serde_json::to_string_pretty(&unsigned))
    );
    let sig = tongban::crypto::base64url(&must("sign", key.sign_bytes(wrong_bytes.as_bytes())));
    let other = edit(&|d| d["signatures"][0]["sig"] = json!(sig));
    verify_vector(
        g,
        "signatures/non-canonical-input",
        "signed over pretty-printed, not canonical, bytes",
        trust,
        vec![at(other, T1)],
        vec![refused("signature.invalid")],
    );
    // Strict Ed25519: the same signature with S + L (the group order) in place of S.
    let sig_text = doc["signatures"][0]["sig"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut sig_bytes = tongban::crypto::from_base64url(&sig_text).unwrap_or_default();
    add_group_order(&mut sig_bytes[32..]);
    let malleated = tongban::crypto::base64url(&sig_bytes);
    let non_canonical_s = edit(&|d| d["signatures"][0]["sig"] = json!(malleated));
    verify_vector(
        g,
        "signatures/non-canonical-s",
        "S + L instead of S: a malleated signature strict verification refuses",
        trust,
        vec![at(non_canonical_s, T1)],
        vec![refused("signature.invalid")],
    );
    // Base64url whose unused trailing bits are not zero decodes to the same bytes in a
    // lax decoder; the protocol refuses it.
    let last = sig_text.chars().last().unwrap_or('A');
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = alphabet.find(last).unwrap_or(0);
    let dirty = alphabet
        .chars()
        .nth((index & 0b11_0000) | 0b0001)
        .unwrap_or('B');
    let trailing = format!("{}{dirty}", &sig_text[..sig_text.len() - 1]);
    let trailing = edit(&|d| d["signatures"][0]["sig"] = json!(trailing));
    verify_vector(
        g,
        "signatures/base64url-trailing-bits",
        "non-zero unused bits in the last base64url character",
        trust,
        vec![at(trailing, T1)],
        vec![refused("signature.malformed")],
    );
    // Two valid signatures: the sender's and a countersignature.
    let mut both = transfer.clone();
    must("sign", both.sign(&must("key", sample::key(HUANGSHI))));
    must("sign", both.sign(&must("key", sample::key(JIUJIANG))));
    let both = text(&must("value", both.to_value()));
    verify_vector(
        g,
        "signatures/countersigned",
        "the sender's signature and a countersignature both verify",
        trust,
        vec![at(both, T1)],
        vec![json!({"outcome": "accepted", "type": "transfer"})],
    );
    // A 1.1 message with members a 1.0 reader does not know.
    let mut newer = doc.clone();
    newer["protocol"] = json!("1.1");
    newer["priority"] = json!("urgent");
    newer["body"]["appointment"] = json!({"slot": "周三上午"});
    let newer = signed_value(newer, HUANGSHI);
    verify_vector(
        g,
        "signatures/minor-version-extra-fields",
        "a 1.1 message with unknown members verifies; they are signed",
        trust,
        vec![at(newer.clone(), T1)],
        vec![json!({"outcome": "accepted", "sha256": Sha256Digest::of(newer.as_bytes())})],
    );
    let mut changed: Value = must("json", serde_json::from_str(&newer));
    changed["priority"] = json!("low");
    verify_vector(
        g,
        "signatures/minor-version-extra-field-tampered",
        "changing an unknown member breaks the signature",
        trust,
        vec![at(text(&changed), T1)],
        vec![refused("signature.invalid")],
    );
}

fn envelope(g: &mut Gen, keys: &str) {
    let trust = ("keys", keys);
    for (i, message_type) in MessageType::ALL.into_iter().enumerate() {
        let offset = 60 * (i as i64 + 1);
        let message = must("sample", sample::signed(message_type, offset));
        let now = must("time", ts(sample::CREATED).plus_seconds(offset + 30));
        let message = text(&must("value", message.to_value()));
        verify_vector(
            g,
            &format!("envelope/{}-valid", message_type.as_str()),
            &format!("a valid {} message", message_type.as_str()),
            trust,
            vec![at(message.clone(), now.as_str())],
            vec![
                json!({"outcome": "accepted", "type": message_type.as_str(), "sha256": Sha256Digest::of(message.as_bytes())}),
            ],
        );
    }
    let transfer = g.transfer(T0);
    let doc = must("value", transfer.to_value());
    let resign = |f: &dyn Fn(&mut Value)| {
        let mut d = doc.clone();
        f(&mut d);
        signed_value(d, HUANGSHI)
    };
    let cases: Vec<(&str, &str, String, &str, &str)> = vec![
        (
            "major-2",
            "protocol major version 2",
            resign(&|d| d["protocol"] = json!("2.0")),
            T1,
            "version.unsupported_major",
        ),
        (
            "version-format",
            "protocol \"1\" is not MAJOR.MINOR",
            resign(&|d| d["protocol"] = json!("1")),
            T1,
            "version.format",
        ),
        (
            "unknown-type",
            "a message type version 1 does not define",
            resign(&|d| d["type"] = json!("gossip")),
            T1,
            "message.unknown_type",
        ),
        (
            "missing-type",
            "no type member",
            resign(&|d| {
                d.as_object_mut().map(|m| m.remove("type"));
            }),
            T1,
            "message.invalid",
        ),
        (
            "missing-field",
            "the transfer has no item",
            resign(&|d| {
                d["body"].as_object_mut().map(|m| m.remove("item"));
            }),
            T1,
            "message.invalid",
        ),
        (
            "wrong-type-field",
            "a material's size is a string",
            resign(&|d| d["body"]["materials"][0]["size"] = json!("big")),
            T1,
            "message.invalid",
        ),
        (
            "fraction",
            "a fraction in the form data",
            resign(&|d| d["body"]["form"]["employees"] = json!(3.5)),
            T1,
            "message.unsafe_number",
        ),
        (
            "integer-literal-with-exponent",
            "an integer written with an exponent",
            {
                let s = resign(&|_| {});
                s.replace("\"employees\":3", "\"employees\":3e0")
            },
            T1,
            "message.unsafe_number",
        ),
        (
            "huge-integer",
            "an integer beyond 2^53 − 1",
            resign(&|d| d["body"]["materials"][0]["size"] = json!(9_007_199_254_740_992u64)),
            T1,
            "message.unsafe_number",
        ),
        (
            "self-addressed",
            "from and to are the same node",
            resign(&|d| d["to"] = json!(HUANGSHI)),
            T1,
            "message.invalid",
        ),
        (
            "bad-window",
            "expires before created",
            resign(&|d| d["expires"] = json!("2026-11-28T09:00:00+08:00")),
            T1,
            "time.bad_window",
        ),
        (
            "window-too-long",
            "valid for more than 7 days",
            resign(&|d| d["expires"] = json!("2026-12-06T10:00:00+08:00")),
            T1,
            "time.bad_window",
        ),
        (
            "bad-timestamp",
            "created is not RFC 3339",
            resign(&|d| d["created"] = json!("2026-11-28 10:00")),
            T1,
            "time.format",
        ),
        (
            "bad-citizen-id",
            "the applicant's citizen ID has a wrong check digit",
            resign(&|d| d["body"]["applicant"]["citizen_id"] = json!("420202199001011232")),
            T1,
            "id.citizen_checksum",
        ),
        (
            "pilot-credit-code",
            "a credit code with a wrong check character is refused by default",
            resign(
                &|d| d["body"]["applicant"] = json!({"kind": "legal_entity", "name": "黄石市试点企业", "credit_code": "91360400MA35G1234N", "representative": "陈丽华"}),
            ),
            T1,
            "id.credit_checksum",
        ),
        (
            "bad-digest",
            "a material digest in upper case",
            resign(&|d| {
                d["body"]["materials"][0]["sha256"] =
                    json!("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")
            }),
            T1,
            "id.digest_format",
        ),
        (
            "bad-node",
            "an upper-case sender",
            resign(&|d| d["from"] = json!("Huangshi")),
            T1,
            "id.node_format",
        ),
        (
            "duplicate-key",
            "a duplicate member inside the message",
            {
                let s = resign(&|_| {});
                s.replacen("{\"agreement\"", "{\"case\":\"X\",\"agreement\"", 1)
            },
            T1,
            "json.duplicate_key",
        ),
        (
            "created-in-future",
            "created 301 s after now",
            resign(&|_| {}),
            "2026-11-28T09:54:59+08:00",
            "time.not_yet_valid",
        ),
        (
            "expired",
            "verified 301 s after expiry",
            resign(&|_| {}),
            "2026-11-28T11:05:01+08:00",
            "time.expired",
        ),
    ];
    for (name, description, message, now, code) in cases {
        verify_vector(
            g,
            &format!("envelope/{name}"),
            description,
            trust,
            vec![at(message, now)],
            vec![refused(code)],
        );
    }
    let fine = resign(&|_| {});
    verify_vector(
        g,
        "envelope/skew-boundaries",
        "created exactly 300 s after now: within the clock-skew allowance",
        trust,
        vec![at(fine.clone(), "2026-11-28T09:55:00+08:00")],
        vec![json!({"outcome": "accepted"})],
    );
    verify_vector(
        g,
        "envelope/skew-boundary-expiry",
        "verified exactly 300 s after expiry",
        trust,
        vec![at(fine.clone(), "2026-11-28T11:05:00+08:00")],
        vec![json!({"outcome": "accepted"})],
    );
    verify_vector(
        g,
        "envelope/replay",
        "the same message twice: the second is a replay",
        trust,
        vec![
            at(fine.clone(), T1),
            at(fine.clone(), "2026-11-28T10:02:00+08:00"),
        ],
        vec![accepted(), refused("replay.duplicate")],
    );
    g.push(
        "envelope/wrong-receiver",
        "a message addressed to Jiujiang, verified by Huangshi",
        "verify",
        json!({"keys": keys, "receiver": HUANGSHI, "messages": [at(fine, T1)]}),
        json!({"outcome": "accepted", "results": [refused("message.wrong_receiver")]}),
    );
}

fn registry_doc(version: u64, keys: &[u8]) -> RegistryDocument {
    must("registry", sample::registry_document(version, keys, 2))
}

fn registry_text(doc: &RegistryDocument, signers: &[u8]) -> String {
    String::from_utf8_lossy(&must(
        "sign registry",
        sample::signed_registry(doc, signers),
    ))
    .into_owned()
}

/// Writes the registry fixtures and the registry vectors; returns the main registry.
fn registries(g: &mut Gen) -> String {
    let v1 = g.fixture(
        "registry-v1",
        registry_text(&registry_doc(1, &[0, 1, 2]), &[0, 1]),
    );
    let v2 = g.fixture(
        "registry-v2",
        registry_text(&registry_doc(2, &[1, 2, 3]), &[1, 2]),
    );
    let v3_new_keys = registry_text(&registry_doc(3, &[3, 4]), &[3, 4]);
    let v3_both = registry_text(&registry_doc(3, &[3, 4]), &[2, 3, 4]);
    let now = T0;
    let reg = |g: &mut Gen,
               name: &str,
               description: &str,
               trusted: Option<&str>,
               offered: String,
               now: &str,
               expected: Value| {
        let mut input = json!({"registry": offered, "now": now});
        if let Some(trusted) = trusted {
            input["trusted"] = json!(trusted);
        }
        g.push(
            &format!("registry/{name}"),
            description,
            "registry",
            input,
            expected,
        );
    };
    reg(
        g,
        "bootstrap",
        "a first registry signed by 2 of its 3 operator keys",
        None,
        v1.clone(),
        now,
        json!({"outcome": "accepted", "version": 1}),
    );
    reg(
        g,
        "bootstrap-one-signature",
        "signed by 1 of 3 with threshold 2",
        None,
        registry_text(&registry_doc(1, &[0, 1, 2]), &[0]),
        now,
        refused("registry.threshold"),
    );
    reg(
        g,
        "bootstrap-stranger-signature",
        "a signature by a key that is not an operator key counts for nothing",
        None,
        registry_text(&registry_doc(1, &[0, 1, 2]), &[0, 4]),
        now,
        refused("registry.threshold"),
    );
    reg(
        g,
        "bootstrap-expired",
        "a registry past its expiry",
        None,
        v1.clone(),
        "2031-01-01T00:00:00+08:00",
        refused("registry.expired"),
    );
    reg(
        g,
        "update",
        "v2 rotates key 0 out and key 3 in, signed by keys 1 and 2",
        Some(&v1),
        v2.clone(),
        now,
        json!({"outcome": "accepted", "version": 2}),
    );
    reg(
        g,
        "update-same-version",
        "v1 offered again",
        Some(&v1),
        v1.clone(),
        now,
        refused("registry.rollback"),
    );
    reg(
        g,
        "update-older-unsigned-by-trusted",
        "v1 offered to a reader that trusts v2 is not signed by a threshold of v2's keys",
        Some(&v2),
        v1.clone(),
        now,
        refused("registry.threshold"),
    );
    reg(
        g,
        "update-new-keys-only",
        "v3 signed only by its own new keys 3 and 4",
        Some(&v2),
        v3_new_keys,
        now,
        refused("registry.threshold"),
    );
    reg(
        g,
        "update-old-and-new-keys",
        "v3 signed by key 2 (trusted) and 3, 4 (its own)",
        Some(&v2),
        v3_both.clone(),
        now,
        json!({"outcome": "accepted", "version": 3}),
    );
    reg(
        g,
        "update-skipping-a-version",
        "v1's keys did not sign v3: updates apply in order",
        Some(&v1),
        v3_both,
        now,
        refused("registry.threshold"),
    );
    let older = registry_text(&registry_doc(1, &[1, 2, 3]), &[1, 2]);
    reg(
        g,
        "update-rollback",
        "a version-1 registry validly signed by v2's keys, offered to a reader that trusts v2",
        Some(&v2),
        older,
        now,
        refused("registry.rollback"),
    );
    let mut expired = registry_doc(1, &[0, 1, 2]);
    expired.expires = ts("2026-06-30T00:00:00+08:00");
    let expired = registry_text(&expired, &[0, 1]);
    let v2_from_expired = registry_text(&registry_doc(2, &[0, 1, 2]), &[0, 1]);
    reg(
        g,
        "update-from-expired",
        "an expired trusted registry still authorizes its successor",
        Some(&expired),
        v2_from_expired,
        now,
        json!({"outcome": "accepted", "version": 2}),
    );
    let mut doc = registry_doc(1, &[0, 1, 2]);
    doc.operator.threshold = 4;
    reg(
        g,
        "threshold-too-high",
        "a threshold larger than the number of operator keys",
        None,
        registry_text(&doc, &[0, 1]),
        now,
        refused("registry.invalid"),
    );
    reg(
        g,
        "duplicate-signature",
        "one operator key signing twice",
        None,
        registry_text(&registry_doc(1, &[0, 1, 2]), &[0, 0]),
        now,
        refused("registry.invalid"),
    );
    let mut doc = registry_doc(1, &[0, 1, 2]);
    let mut identity = [0u8; 32];
    identity[0] = 1;
    doc.members[0].keys[0].public_key = tongban::crypto::base64url(&identity);
    reg(
        g,
        "weak-member-key",
        "a member key of small order",
        None,
        registry_text(&doc, &[0, 1]),
        now,
        refused("key.weak"),
    );
    let mut doc = registry_doc(1, &[0, 1, 2]);
    doc.members[0].keys[0].public_key = "AAAA".into();
    reg(
        g,
        "malformed-member-key",
        "a member key of 3 bytes",
        None,
        registry_text(&doc, &[0, 1]),
        now,
        refused("key.malformed"),
    );
    let mut doc = registry_doc(1, &[0, 1, 2]);
    doc.agreements[2].items[0]
        .form_schema
        .insert("$ref".into(), json!("https://example.com/form.json"));
    reg(
        g,
        "remote-form-schema",
        "a form schema that refers to a remote document",
        None,
        registry_text(&doc, &[0, 1]),
        now,
        refused("registry.invalid"),
    );
    let mut doc = registry_doc(1, &[0, 1, 2]);
    doc.members[1].endpoint = "http://huangshi.example".into();
    reg(
        g,
        "plain-http-endpoint",
        "an endpoint that is not https",
        None,
        registry_text(&doc, &[0, 1]),
        now,
        refused("registry.invalid"),
    );
    let mut doc = registry_doc(1, &[0, 1, 2]);
    if let Some(year) = doc.calendar.years.get_mut(&2026) {
        year.working_weekends.insert(must(
            "date",
            tongban::calendar::CalendarDate::parse("2026-11-30"),
        ));
    }
    reg(
        g,
        "calendar-weekday-as-working-weekend",
        "a Monday listed as a working weekend day",
        None,
        registry_text(&doc, &[0, 1]),
        now,
        refused("registry.invalid"),
    );
    v1
}

fn variant(g: &mut Gen, name: &str, edit: impl FnOnce(&mut RegistryDocument)) -> String {
    let mut doc = registry_doc(1, &[0, 1, 2]);
    edit(&mut doc);
    g.fixture(name, registry_text(&doc, &[0, 1]))
}

fn checks(g: &mut Gen, registry: &str) {
    let revoked = variant(g, "registry-huangshi-key-revoked", |d| {
        d.members[1].keys[0].revoked = Some(ts("2026-06-01T00:00:00+08:00"))
    });
    let retired = variant(g, "registry-huangshi-key-retired", |d| {
        d.members[1].keys[0].valid_until = ts("2026-11-01T00:00:00+08:00")
    });
    let future = variant(g, "registry-agreement-not-yet-in-force", |d| {
        d.agreements[2].valid_from = ts("2027-01-01T00:00:00+08:00")
    });
    let window = variant(g, "registry-jiujiang-window-only", |d| {
        d.members[9].role = Role::ServiceWindow
    });
    let expired = variant(g, "registry-expired", |d| {
        d.expires = ts("2026-11-01T00:00:00+08:00")
    });
    let transfer = g.transfer(T0);
    let doc = must("value", transfer.to_value());
    let resign = |f: &dyn Fn(&mut Value)| {
        let mut d = doc.clone();
        f(&mut d);
        signed_value(d, HUANGSHI)
    };
    let good = resign(&|_| {});
    let cases: Vec<(&str, &str, &str, String, Value)> = vec![
        (
            "valid",
            "a transfer that fits the bilateral agreement",
            registry,
            good.clone(),
            json!({"outcome": "accepted", "type": "transfer"}),
        ),
        (
            "unknown-member",
            "the receiver is not a member",
            registry,
            resign(&|d| d["to"] = json!("shanghai.310100")),
            refused("registry.unknown_member"),
        ),
        (
            "unknown-agreement",
            "an agreement the registry does not list",
            registry,
            resign(&|d| d["agreement"] = json!("no-such-agreement")),
            refused("agreement.unknown"),
        ),
        (
            "not-party",
            "Hefei is not a party to the Huangshi–Jiujiang agreement",
            registry,
            resign(&|d| d["to"] = json!("hefei.340100")),
            refused("agreement.not_party"),
        ),
        (
            "agreement-not-in-force",
            "the agreement starts in 2027",
            &future,
            good.clone(),
            refused("agreement.inactive"),
        ),
        (
            "unknown-item",
            "a Wuhan-circle item under the bilateral agreement",
            registry,
            resign(&|d| d["body"]["item"] = json!("WH-0002")),
            refused("item.unknown"),
        ),
        (
            "mode-not-allowed",
            "joint handling is not allowed for the barber-shop item",
            registry,
            resign(&|d| d["body"]["mode"] = json!("joint_handling")),
            refused("item.mode_not_allowed"),
        ),
        (
            "form-invalid",
            "1,000 employees is the form's maximum; 5,000 is refused",
            registry,
            resign(&|d| d["body"]["form"]["employees"] = json!(5000)),
            refused("item.form_invalid"),
        ),
        (
            "form-missing-field",
            "the form lacks the shop name",
            registry,
            resign(&|d| {
                d["body"]["form"]
                    .as_object_mut()
                    .map(|m| m.remove("shop_name"));
            }),
            refused("item.form_invalid"),
        ),
        (
            "material-missing",
            "the lease is missing",
            registry,
            resign(&|d| d["body"]["materials"][1]["name"] = json!("其他材料")),
            refused("item.material_missing"),
        ),
        (
            "key-revoked",
            "Huangshi's key was revoked in June",
            &revoked,
            good.clone(),
            refused("key.revoked"),
        ),
        (
            "key-retired",
            "Huangshi's key was valid until 1 November",
            &retired,
            good.clone(),
            refused("key.outside_validity"),
        ),
        (
            "wrong-role",
            "Jiujiang is a service window only",
            &window,
            good.clone(),
            refused("agreement.wrong_role"),
        ),
        (
            "version-not-spoken",
            "a 1.3 message; both members speak 1.0",
            registry,
            resign(&|d| d["protocol"] = json!("1.3")),
            refused("version.not_negotiated"),
        ),
        (
            "registry-expired",
            "the registry expired on 1 November",
            &expired,
            good.clone(),
            refused("registry.expired"),
        ),
    ];
    for (name, description, registry, message, result) in cases {
        verify_vector(
            g,
            &format!("checks/{name}"),
            description,
            ("registry", registry),
            vec![at(message, T1)],
            vec![result],
        );
    }
    // Parties by region: the Wuhan circle (prefectures) and the cross-province alliance.
    let medical = g.envelope(HUANGSHI, "xiaogan.420900", "wuhan-circle.cross-city", Body::Transfer(form_transfer("WH-0001", &["身份证", "参保凭证"], json!({"insured_name": "陈丽华", "from_region": "420200", "to_region": "420900", "insurance_type": "职工基本医疗保险"}), HandlingMode::FullyOnline)), T0);
    verify_vector(
        g,
        "checks/party-by-prefecture",
        "Xiaogan is a party to the Wuhan circle by its region code",
        ("registry", registry),
        vec![at(signed(medical, HUANGSHI), T1)],
        vec![accepted()],
    );
    let transport = g.envelope(HUANGSHI, "changsha.430100", "yunshangban.cross-province", Body::Transfer(form_transfer("YSB-0101", &["身份证", "原从业资格证"], json!({"holder_name": "陈丽华", "certificate_no": "420202001234", "category": "道路货物运输驾驶员"}), HandlingMode::FullyOnline)), T0);
    verify_vector(
        g,
        "checks/party-by-province",
        "Changsha is a party to the alliance by its province code 430000",
        ("registry", registry),
        vec![at(signed(transport, HUANGSHI), T1)],
        vec![accepted()],
    );
}

fn form_transfer(item: &str, materials: &[&str], form: Value, mode: HandlingMode) -> Transfer {
    let mut transfer = must("transfer", sample::transfer_body());
    transfer.item = must("item", ItemCode::parse(item));
    transfer.mode = mode;
    for (file, name) in transfer.materials.iter_mut().zip(materials) {
        file.name = (*name).to_string();
    }
    transfer.materials.truncate(materials.len());
    transfer.form = match form {
        Value::Object(map) => map,
        _ => FormData::new(),
    };
    transfer
}

fn lifecycle(g: &mut Gen, registry: &str) {
    // A conversation between Huangshi (window) and Jiujiang (authority), one message a
    // minute from T0.
    struct Talk<'a> {
        g: &'a mut Gen,
        minute: i64,
        messages: Vec<Value>,
        results: Vec<Value>,
    }
    impl Talk<'_> {
        fn send(
            &mut self,
            from: &str,
            body: Body,
            in_reply_to: Option<&MessageId>,
            expected: Value,
        ) -> Envelope {
            let to = if from == HUANGSHI { JIUJIANG } else { HUANGSHI };
            let created = must("time", ts(T0).plus_seconds(60 * self.minute));
            self.minute += 1;
            let mut envelope = self
                .g
                .envelope(from, to, sample::AGREEMENT, body, created.as_str());
            envelope.in_reply_to = in_reply_to.cloned();
            must("sign", envelope.sign(&must("key", sample::key(from))));
            let text = text(&must("value", envelope.to_value()));
            self.messages
                .push(json!({"text": text, "now": created.as_str()}));
            self.results.push(expected);
            envelope
        }
    }
    let state = |s: &str| json!({"outcome": "accepted", "state": s});
    let status = |s: ReportedStatus| {
        Body::StatusUpdate(StatusUpdate {
            status: s,
            note: None,
        })
    };
    let other = |t: MessageType| must("body", sample::body(t, &Sha256Digest::of(b"other")));
    let receipt = |transfer: &Envelope, accepted: bool| {
        let digest = Sha256Digest::of(&must("bytes", transfer.to_canonical_bytes()));
        Body::Receipt(Receipt {
            answers_sha256: digest,
            outcome: if accepted {
                ReceiptOutcome::Accepted { reference: None }
            } else {
                ReceiptOutcome::Refused {
                    code: "item.form_invalid".into(),
                    reason: "表单不完整".into(),
                }
            },
        })
    };
    let barber = || Body::Transfer(must("transfer", sample::transfer_body()));

    type Script = Box<dyn Fn(&mut Talk)>;
    let scenarios: Vec<(&str, &str, Script)> = vec![
        (
            "whole-case",
            "transfer, receipt, review, two supplement rounds, decision, closure",
            Box::new(move |t: &mut Talk| {
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    JIUJIANG,
                    receipt(&transfer, true),
                    Some(&transfer.id),
                    state("received"),
                );
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    None,
                    state("in_review"),
                );
                t.send(
                    JIUJIANG,
                    other(MessageType::SupplementRequest),
                    None,
                    state("supplement_requested"),
                );
                t.send(
                    HUANGSHI,
                    other(MessageType::Supplement),
                    None,
                    state("supplemented"),
                );
                t.send(
                    JIUJIANG,
                    other(MessageType::SupplementRequest),
                    None,
                    state("supplement_requested"),
                );
                t.send(
                    HUANGSHI,
                    other(MessageType::Supplement),
                    None,
                    state("supplemented"),
                );
                t.send(
                    JIUJIANG,
                    other(MessageType::Decision),
                    None,
                    state("decided"),
                );
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::Closed),
                    None,
                    state("closed"),
                );
            }),
        ),
        (
            "refused-at-receipt",
            "the authority refuses the transfer in its receipt",
            Box::new(move |t: &mut Talk| {
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    JIUJIANG,
                    receipt(&transfer, false),
                    Some(&transfer.id),
                    state("refused"),
                );
                t.send(
                    HUANGSHI,
                    other(MessageType::Withdrawal),
                    None,
                    refused("lifecycle.no_track"),
                );
            }),
        ),
        (
            "decision-before-review",
            "a decision while the case is only transferred",
            Box::new(move |t: &mut Talk| {
                t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    JIUJIANG,
                    other(MessageType::Decision),
                    None,
                    refused("lifecycle.illegal_transition"),
                );
            }),
        ),
        (
            "supplement-by-authority",
            "the authority may not send a supplement, even while one is awaited",
            Box::new(move |t: &mut Talk| {
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    JIUJIANG,
                    receipt(&transfer, true),
                    Some(&transfer.id),
                    state("received"),
                );
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    None,
                    state("in_review"),
                );
                t.send(
                    JIUJIANG,
                    other(MessageType::SupplementRequest),
                    None,
                    state("supplement_requested"),
                );
                t.send(
                    JIUJIANG,
                    other(MessageType::Supplement),
                    None,
                    refused("lifecycle.wrong_party"),
                );
            }),
        ),
        (
            "receipt-by-window",
            "the window may not acknowledge its own transfer",
            Box::new(move |t: &mut Talk| {
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    HUANGSHI,
                    receipt(&transfer, true),
                    Some(&transfer.id),
                    refused("lifecycle.wrong_party"),
                );
            }),
        ),
        (
            "receipt-wrong-digest",
            "a receipt for the transfer that binds other bytes",
            Box::new(move |t: &mut Talk| {
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                let mut wrong = receipt(&transfer, true);
                if let Body::Receipt(r) = &mut wrong {
                    r.answers_sha256 = Sha256Digest::of(b"another transfer");
                }
                t.send(
                    JIUJIANG,
                    wrong,
                    Some(&transfer.id),
                    refused("message.not_an_answer"),
                );
            }),
        ),
        (
            "withdrawal-after-decision",
            "withdrawal is possible until the case is closed",
            Box::new(move |t: &mut Talk| {
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    JIUJIANG,
                    receipt(&transfer, true),
                    Some(&transfer.id),
                    state("received"),
                );
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    None,
                    state("in_review"),
                );
                t.send(
                    JIUJIANG,
                    other(MessageType::Decision),
                    None,
                    state("decided"),
                );
                t.send(
                    HUANGSHI,
                    other(MessageType::Withdrawal),
                    Some(&transfer.id),
                    state("withdrawn"),
                );
            }),
        ),
        (
            "no-track",
            "a status update for a case with no transfer",
            Box::new(move |t: &mut Talk| {
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    None,
                    refused("lifecycle.no_track"),
                );
            }),
        ),
        (
            "second-transfer-while-open",
            "the same item again while the first is open",
            Box::new(move |t: &mut Talk| {
                t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    HUANGSHI,
                    barber(),
                    None,
                    refused("lifecycle.illegal_transition"),
                );
            }),
        ),
        (
            "suspend-and-resume",
            "suspension and resumption keep the case in review; protocol errors change nothing",
            Box::new(move |t: &mut Talk| {
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(
                    HUANGSHI,
                    other(MessageType::ProtocolError),
                    Some(&transfer.id),
                    state("transferred"),
                );
                t.send(
                    JIUJIANG,
                    receipt(&transfer, true),
                    Some(&transfer.id),
                    state("received"),
                );
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::Suspended),
                    None,
                    refused("lifecycle.illegal_transition"),
                );
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::InReview),
                    None,
                    state("in_review"),
                );
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::Suspended),
                    None,
                    state("in_review"),
                );
                t.send(
                    JIUJIANG,
                    status(ReportedStatus::Resumed),
                    None,
                    state("in_review"),
                );
            }),
        ),
    ];
    for (name, description, script) in scenarios {
        let mut talk = Talk {
            g: &mut *g,
            minute: 0,
            messages: Vec::new(),
            results: Vec::new(),
        };
        script(&mut talk);
        let (messages, results) = (talk.messages, talk.results);
        g.push(
            &format!("lifecycle/{name}"),
            description,
            "lifecycle",
            json!({"registry": registry, "case": sample::CASE, "messages": messages}),
            json!({"outcome": "accepted", "results": results}),
        );
    }
    // A message of another case.
    let mut talk = Talk {
        g: &mut *g,
        minute: 0,
        messages: Vec::new(),
        results: Vec::new(),
    };
    talk.send(HUANGSHI, barber(), None, refused("lifecycle.wrong_case"));
    let messages = talk.messages;
    g.push(
        "lifecycle/wrong-case",
        "a transfer of case HS-2026-000123 applied to case HS-2026-000999",
        "lifecycle",
        json!({"registry": registry, "case": "HS-2026-000999", "messages": messages}),
        json!({"outcome": "accepted", "results": [refused("lifecycle.wrong_case")]}),
    );
}

fn deadlines(g: &mut Gen, registry: &str) {
    /// Name, receipt date, working days, due date or refusal code, why.
    type Case<'a> = (&'a str, &'a str, u32, Result<&'a str, &'a str>, &'a str);
    let cases: &[Case] = &[
        (
            "before-national-day-2025",
            "2025-09-30",
            3,
            Ok("2025-10-11"),
            "1–8 October off; Saturday 11 October worked",
        ),
        (
            "spring-festival-2026",
            "2026-02-12",
            3,
            Ok("2026-02-24"),
            "worked Saturday 14 February, then 15–23 February off",
        ),
        (
            "worked-saturday",
            "2026-02-12",
            2,
            Ok("2026-02-14"),
            "the second working day is the worked Saturday",
        ),
        (
            "new-year-2026",
            "2025-12-30",
            5,
            Ok("2026-01-07"),
            "31 December, worked Sunday 4 January, 5–7 January",
        ),
        (
            "fifteen-days-across-new-year",
            "2025-12-29",
            15,
            Ok("2026-01-20"),
            "a 15-day limit across New Year",
        ),
        (
            "received-on-saturday",
            "2026-11-28",
            3,
            Ok("2026-12-02"),
            "received on a Saturday: Monday, Tuesday, Wednesday",
        ),
        (
            "zero-days",
            "2026-11-30",
            0,
            Ok("2026-11-30"),
            "a zero-day limit is due the day of receipt",
        ),
        (
            "labour-day-2026",
            "2026-04-30",
            2,
            Ok("2026-05-07"),
            "1–5 May off; 6 and 7 May",
        ),
        (
            "unknown-year",
            "2026-12-30",
            5,
            Err("calendar.unknown_year"),
            "2027 is not in the calendar: an error, not a guess",
        ),
        (
            "bad-date",
            "2026-02-30",
            1,
            Err("calendar.bad_date"),
            "30 February is not a date",
        ),
    ];
    for (name, received, days, due, why) in cases {
        g.push(
            &format!("deadlines/{name}"),
            &format!("received {received}, {days} working days: {why}"),
            "deadline",
            json!({"registry": registry, "received_on": received, "working_days": days}),
            match due {
                Ok(due) => json!({"outcome": "accepted", "due": due}),
                Err(code) => refused(code),
            },
        );
    }
}
