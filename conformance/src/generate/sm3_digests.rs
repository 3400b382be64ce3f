//! (1.1) The national suite's digests (PROTOCOL §6, §9, §17 step 5, §23.4): under an
//! agreement on `sm2-sm3`, a message of 1.1 gives the SM3 digest of each file it
//! references (`sm3`) and, a receipt, of the message it answers (`answers_sm3`), beside
//! the SHA-256 that addresses them; a 1.0 message, which has no member for them, does
//! not. Each digest given is checked: a file's bytes against both, a receipt against
//! the message it answers.

use super::lifecycle::{state, Talk};
use super::*;
use tongban::file::FileHasher;

/// The sample registry with both nodes' SM2 keys and the cross-river agreement on
/// sm2-sm3 (written by the SM2 vectors), and the same with no suite (Ed25519).
const GM: &str = "fixture:registry-huangshi-jiujiang-on-sm2";
const DEFAULT: &str = "fixture:registry-with-sm2-keys";

pub(super) fn sm3_digests(g: &mut Gen, keys: &str) {
    checks(g);
    envelope(g, keys);
    references(g);
    lifecycle(g);
}

/// The reference to `text`'s bytes as a PDF, with (`sm3`) or without its SM3 digest.
fn scan(name: &str, text: &str, sm3: bool) -> FileRef {
    let mut hasher = match sm3 {
        true => FileHasher::with_sm3(),
        false => FileHasher::new(),
    };
    hasher.update(text.as_bytes());
    hasher.into_reference(name, "application/pdf")
}

/// The sample transfer of `protocol` whose two materials carry their SM3 digests (one
/// of them only, with `only_first`; none, with `sm3` false).
fn transfer(g: &mut Gen, protocol: ProtocolVersion, sm3: bool, only_first: bool) -> Envelope {
    let mut envelope = g.transfer(T0).with_protocol(protocol);
    if let Body::Transfer(transfer) = &mut envelope.body {
        transfer.materials = vec![
            scan("身份证复印件", "身份证复印件 陈丽华", sm3),
            scan(
                "经营场所租赁合同",
                "经营场所租赁合同 庐山北路88号",
                sm3 && !only_first,
            ),
        ];
    }
    envelope
}

/// `envelope` signed with `from`'s SM2 key (or its Ed25519 key), as text.
fn sign(mut envelope: Envelope, sm2: bool) -> String {
    let from = envelope.from.to_string();
    let key = match sm2 {
        true => sample::sm2_key(&from),
        false => sample::key(&from),
    };
    must("sign", envelope.sign(&must("key", key)));
    text(&must("value", envelope.to_value()))
}

/// Jiujiang's receipt of `answered` (its canonical text), of `protocol`, with or
/// without `answers_sm3`.
fn receipt_of(g: &mut Gen, answered: &str, protocol: ProtocolVersion, sm3: bool) -> Envelope {
    let document: Value = must("answered", serde_json::from_str(answered));
    let id = must(
        "id",
        MessageId::parse(document["id"].as_str().unwrap_or_default()),
    );
    let body = Body::Receipt(Receipt {
        answers_sha256: Sha256Digest::of(answered.as_bytes()),
        answers_sm3: sm3.then(|| Sm3Digest::of(answered.as_bytes())),
        outcome: ReceiptOutcome::Accepted { reference: None },
    });
    let mut envelope = g.envelope(JIUJIANG, HUANGSHI, sample::AGREEMENT, body, T1);
    envelope.protocol = protocol;
    envelope.in_reply_to = Some(id);
    envelope
}

/// §17 step 5: what an agreement on sm2-sm3 asks of a message's digests.
fn checks(g: &mut Gen) {
    let v11 = ProtocolVersion::V1_1;
    let with = sign(transfer(g, v11, true, false), true);
    let without = sign(transfer(g, v11, false, false), true);
    let half = sign(transfer(g, v11, true, true), true);
    let old = sign(transfer(g, ProtocolVersion::V1_0, false, false), true);
    let ed25519_with = sign(transfer(g, v11, true, false), false);
    let receipt_with = sign(receipt_of(g, &with, v11, true), true);
    let receipt_without = sign(receipt_of(g, &with, v11, false), true);
    let old_receipt = sign(receipt_of(g, &old, ProtocolVersion::V1_0, false), true);
    let transfer = json!({"outcome": "accepted", "type": "transfer"});
    let receipt = json!({"outcome": "accepted", "type": "receipt"});
    let wrong_suite = refused("agreement.wrong_suite");
    let cases: Vec<(&str, &str, &str, String, Value)> = vec![
        (
            "sm2-agreement-1.1-transfer-with-sm3",
            "under the agreement on sm2-sm3, a 1.1 transfer signed with SM2 whose materials give their SM3 digests beside their SHA-256",
            GM, with, transfer.clone(),
        ),
        (
            "sm2-agreement-1.1-transfer-without-sm3",
            "under the agreement on sm2-sm3, a 1.1 transfer signed with SM2 whose materials give SHA-256 only",
            GM, without, wrong_suite.clone(),
        ),
        (
            "sm2-agreement-1.1-transfer-one-material-without-sm3",
            "under the agreement on sm2-sm3, a 1.1 transfer whose second material gives no SM3 digest",
            GM, half, wrong_suite.clone(),
        ),
        (
            "sm2-agreement-1.0-transfer-without-sm3",
            "under the agreement on sm2-sm3, a 1.0 transfer signed with SM2: 1.0 has no member for SM3 digests, and needs none",
            GM, old, transfer.clone(),
        ),
        (
            "ed25519-agreement-1.1-transfer-with-sm3",
            "under an agreement that names no suite, a 1.1 transfer whose materials give SM3 digests too: allowed, and checked like the SHA-256",
            DEFAULT, ed25519_with, transfer,
        ),
        (
            "sm2-agreement-1.1-receipt-with-answers-sm3",
            "under the agreement on sm2-sm3, Jiujiang's 1.1 receipt gives answers_sm3 beside answers_sha256",
            GM, receipt_with, receipt.clone(),
        ),
        (
            "sm2-agreement-1.1-receipt-without-answers-sm3",
            "under the agreement on sm2-sm3, Jiujiang's 1.1 receipt gives answers_sha256 only",
            GM, receipt_without, wrong_suite,
        ),
        (
            "sm2-agreement-1.0-receipt-without-answers-sm3",
            "under the agreement on sm2-sm3, Jiujiang's 1.0 receipt of a 1.0 transfer: answers_sha256 only",
            GM, old_receipt, receipt,
        ),
    ];
    for (name, description, registry, message, expected) in cases {
        message_vectors(
            g,
            "checks",
            ("registry", registry),
            vec![(name, description, message, expected)],
        );
    }
}

/// §2 step 8: the SM3 members are of 1.1, and are digests.
fn envelope(g: &mut Gen, keys: &str) {
    let in_1_0 = transfer(g, ProtocolVersion::V1_0, true, false);
    let plain = sign(transfer(g, ProtocolVersion::V1_0, false, false), false);
    let receipt_1_0 = receipt_of(g, &plain, ProtocolVersion::V1_0, true);
    let mut upper = must(
        "value",
        transfer(g, ProtocolVersion::V1_1, true, false).to_value(),
    );
    let digest = upper["body"]["materials"][0]["sm3"]
        .as_str()
        .unwrap_or_default()
        .to_uppercase();
    upper["body"]["materials"][0]["sm3"] = json!(digest);
    let invalid = refused("message.invalid");
    let cases: Vec<(&str, &str, String, Value)> = vec![
        (
            "sm3-in-a-1.0-transfer",
            "a 1.0 transfer whose materials give SM3 digests: a member of 1.1",
            sign(in_1_0, false),
            invalid.clone(),
        ),
        (
            "answers-sm3-in-a-1.0-receipt",
            "a 1.0 receipt with answers_sm3: a member of 1.1",
            sign(receipt_1_0, false),
            invalid,
        ),
        (
            "sm3-in-capitals",
            "a material's SM3 digest in upper-case hex: a digest is 64 lower-case hex digits",
            signed_value(upper, HUANGSHI),
            refused("id.digest_format"),
        ),
    ];
    message_vectors(g, "envelope", ("keys", keys), cases);
}

/// §23.4: a file's bytes are checked against every digest its reference gives.
fn references(g: &mut Gen) {
    let lease = "经营场所租赁合同 庐山北路88号";
    let with = scan("经营场所租赁合同", lease, true);
    let mut other_sm3 = with.clone();
    other_sm3.sm3 = Some(Sm3Digest::of("经营场所租赁合同 庐山北路89号".as_bytes()));
    let cases = [
        (
            "sm3-matches",
            "the bytes a reference names by both SHA-256 and SM3",
            &with,
            accepted(),
        ),
        (
            "sm3-differs",
            "the bytes the reference's SHA-256 names, but its SM3 digest is another file's: both must match",
            &other_sm3,
            refused("file.digest_mismatch"),
        ),
    ];
    for (name, description, reference, expected) in cases {
        g.push(
            &format!("files/references/{name}"),
            description,
            "file_check",
            json!({"reference": reference, "bytes": {"text": lease}, "media_type": "application/pdf"}),
            expected,
        );
    }
}

/// §18: a receipt's SM3 digest is that of the message it answers.
fn lifecycle(g: &mut Gen) {
    let scenarios: Vec<(&str, &str, lifecycle::Script)> = vec![
        (
            "receipt-answers-sm3",
            "under the agreement on sm2-sm3, 1.1: the transfer, and Jiujiang's receipt binding its SHA-256 and SM3 digests",
            Box::new(|t: &mut Talk| answered(t, true)),
        ),
        (
            "receipt-answers-another-sm3",
            "under the agreement on sm2-sm3, 1.1: Jiujiang's receipt gives the transfer's SHA-256 but the SM3 digest of other bytes",
            Box::new(|t: &mut Talk| answered(t, false)),
        ),
    ];
    lifecycle::push_scenarios_in(g, "lifecycle", GM, scenarios);
}

/// The 1.1 transfer with SM3 digests, signed with SM2, and Jiujiang's receipt of it,
/// whose SM3 digest is the transfer's (`right`) or another's.
fn answered(t: &mut Talk, right: bool) {
    t.protocol = ProtocolVersion::V1_1;
    t.sm2 = true;
    let mut body = lifecycle::barber();
    if let Body::Transfer(transfer) = &mut body {
        transfer.materials = vec![
            scan("身份证复印件", "身份证复印件 陈丽华", true),
            scan("经营场所租赁合同", "经营场所租赁合同 庐山北路88号", true),
        ];
    }
    let transfer = t.send(HUANGSHI, body, None, state("transferred"));
    let bytes = must("bytes", transfer.to_canonical_bytes());
    let sm3 = match right {
        true => Sm3Digest::of(&bytes),
        false => Sm3Digest::of(b"other"),
    };
    let receipt = Body::Receipt(Receipt {
        answers_sha256: Sha256Digest::of(&bytes),
        answers_sm3: Some(sm3),
        outcome: ReceiptOutcome::Accepted { reference: None },
    });
    let expected = match right {
        true => state("received"),
        false => refused("message.not_an_answer"),
    };
    t.send(JIUJIANG, receipt, Some(&transfer.id), expected);
}
