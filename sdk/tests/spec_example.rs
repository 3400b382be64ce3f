//! The worked example in `docs/PROTOCOL.md` is checked against the code, so a reader
//! who reproduces it by hand reproduces what the SDK does.
//!
//! Each value in the document follows a marker `<!-- example:NAME -->` and sits in the
//! next fenced block. `TONGBAN_PRINT=1` also prints the computed values, to paste into
//! the document after a deliberate change.

use tongban::sample::{self, HUANGSHI};
use tongban::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The example message: Huangshi withdraws the sample case, with fixed id and times.
fn unsigned_example() -> Envelope {
    let created = Timestamp::parse("2026-11-28T10:00:00+08:00").expect("time");
    let body = Body::Withdrawal(Withdrawal {
        requested_by: WithdrawnBy::Applicant,
        reason: "申请人决定暂缓开店".into(),
    });
    let mut message = Envelope::new(sample::route(HUANGSHI).expect("route"), body, created, 3600)
        .expect("envelope");
    message.id = MessageId::parse("01KB5JQ3G0WZ8D6N2R4T7V9X1C").expect("id");
    message
}

fn computed() -> Vec<(&'static str, String)> {
    let key = sample::key(HUANGSHI).expect("key");
    let unsigned = unsigned_example();
    let unsigned_value = unsigned.to_value().expect("value");
    let input = tongban::signing::signing_input(&unsigned_value, "ed25519", key.key_id().as_str());
    let mut signed = unsigned.clone();
    signed.sign(&key).expect("sign");
    let wire = signed.to_canonical_bytes().expect("bytes");
    vec![
        ("seed", hex(&sample::seed(HUANGSHI))),
        (
            "public-key",
            tongban::crypto::base64url(key.public_key().as_bytes()),
        ),
        (
            "unsigned",
            serde_json::to_string_pretty(&unsigned_value).expect("json"),
        ),
        (
            "signing-input",
            String::from_utf8(input.clone()).expect("UTF-8"),
        ),
        ("signing-input-sha256", Sha256Digest::of(&input).to_string()),
        ("signature", signed.signatures[0].signature.clone()),
        ("signed", String::from_utf8(wire.clone()).expect("UTF-8")),
        ("message-sha256", Sha256Digest::of(&wire).to_string()),
    ]
}

/// The fenced block after `<!-- example:NAME -->`.
fn documented(spec: &str, name: &str) -> Option<String> {
    let marker = format!("<!-- example:{name} -->");
    let after = &spec[spec.find(&marker)? + marker.len()..];
    let open = after.find("```")?;
    let body_start = open + after[open..].find('\n')? + 1;
    let close = body_start + after[body_start..].find("\n```")?;
    Some(after[body_start..close].to_string())
}

#[test]
fn the_worked_example_in_the_specification_is_exact() {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/PROTOCOL.md"))
        .expect("docs/PROTOCOL.md");
    let print = std::env::var_os("TONGBAN_PRINT").is_some();
    for (name, value) in computed() {
        if print {
            println!("<!-- example:{name} -->\n```\n{value}\n```\n");
        }
        assert_eq!(
            documented(&spec, name).as_deref(),
            Some(value.as_str()),
            "example:{name}"
        );
    }
}

#[test]
fn the_worked_example_verifies() {
    let mut signed = unsigned_example();
    signed
        .sign(&sample::key(HUANGSHI).expect("key"))
        .expect("sign");
    let bytes = signed.to_canonical_bytes().expect("bytes");
    let now = Timestamp::parse("2026-11-28T10:00:00+08:00").expect("time");
    let verified = Verifier::new(sample::key_set().expect("keys"))
        .any_receiver()
        .verify(Unverified::parse(&bytes).expect("parse"), &now)
        .expect("verify");
    assert_eq!(verified.envelope(), &signed);
}
