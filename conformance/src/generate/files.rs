//! The file exchange (§23, protocol 1.1): a file's bytes against its reference
//! (`files/references`), signed file requests (`files/requests`), and `files_received`
//! and the file limits in a case's lifecycle (`files/lifecycle`).

use super::lifecycle::{barber, push_scenarios_in, receipt, state, status, Script, Talk};
use super::*;
use tongban::file::MAX_FILE_BYTES;

pub(super) fn files(g: &mut Gen, keys: &str, registry: &str) {
    references(g);
    requests(g, keys);
    lifecycle(g, registry);
}

// ------------------------------------------------------------------ references

fn references(g: &mut Gen) {
    let lease = "%PDF-1.7\n营业场所租赁合同 黄石市磁湖路88号\n%%EOF\n";
    let reference = |bytes: &str, media_type: &str| {
        json!({
            "name": "营业场所租赁合同",
            "sha256": Sha256Digest::of(bytes.as_bytes()).as_str(),
            "media_type": media_type,
            "size": bytes.len(),
        })
    };
    let pdf = reference(lease, "application/pdf");
    let mut other = lease.as_bytes().to_vec();
    other[3] = b'X';
    let other = String::from_utf8(other).unwrap_or_default();
    let cases: Vec<(&str, &str, Value, Value, &str, Value)> = vec![
        (
            "match",
            "the bytes and media type of the reference",
            pdf.clone(),
            json!({"text": lease}),
            "application/pdf",
            accepted(),
        ),
        (
            "media-type-case-and-parameters",
            "media types compare by essence: case ignored, parameters dropped",
            pdf.clone(),
            json!({"text": lease}),
            "Application/PDF; charset=binary",
            accepted(),
        ),
        (
            "empty-file",
            "a file of no bytes, whose digest is SHA-256 of nothing",
            reference("", "text/plain"),
            json!({"text": ""}),
            "text/plain",
            accepted(),
        ),
        (
            "one-byte-short",
            "the last byte is missing",
            pdf.clone(),
            json!({"text": &lease[..lease.len() - 1]}),
            "application/pdf",
            refused("file.size_mismatch"),
        ),
        (
            "one-byte-more",
            "a byte follows the file",
            pdf.clone(),
            json!({"text": format!("{lease}\n")}),
            "application/pdf",
            refused("file.size_mismatch"),
        ),
        (
            "other-bytes-same-size",
            "one byte differs: the size matches, the digest does not",
            pdf.clone(),
            json!({"text": other}),
            "application/pdf",
            refused("file.digest_mismatch"),
        ),
        (
            "other-media-type",
            "the right bytes served as text/html",
            pdf.clone(),
            json!({"text": lease}),
            "text/html",
            refused("file.media_type_mismatch"),
        ),
        (
            "media-type-with-a-suffix",
            "application/pdfx is not application/pdf: no prefix matching",
            pdf.clone(),
            json!({"text": lease}),
            "application/pdfx",
            refused("file.media_type_mismatch"),
        ),
        (
            "other-media-type-checked-first",
            "both media type and bytes wrong: the media type is checked first",
            pdf.clone(),
            json!({"text": other}),
            "image/jpeg",
            refused("file.media_type_mismatch"),
        ),
        (
            "no-media-type",
            "served without a Content-Type",
            pdf,
            json!({"text": lease}),
            "",
            refused("file.media_type_mismatch"),
        ),
    ];
    for (name, description, reference, bytes, media_type, expected) in cases {
        g.push(
            &format!("files/references/{name}"),
            description,
            "file_check",
            json!({"reference": reference, "bytes": bytes, "media_type": media_type}),
            expected,
        );
    }
}

// ------------------------------------------------------------------ requests

/// The path of the sample file at Huangshi's sample endpoint.
const PATH: &str = "/tongban/v1/files/";

fn file_digest() -> Sha256Digest {
    Sha256Digest::of(b"%PDF-1.7 lease contract")
}

/// An unsigned request document from Jiujiang to Huangshi for the sample file,
/// created at `created` and valid for `seconds`.
fn document(g: &mut Gen, created: &str, seconds: i64) -> Value {
    let created = ts(created);
    let sha256 = file_digest();
    json!({
        "method": "GET",
        "path": format!("{PATH}{sha256}"),
        "sha256": sha256,
        "from": JIUJIANG,
        "to": HUANGSHI,
        "id": g.ids.message_id(&created),
        "created": created.as_str(),
        "expires": must("time", created.plus_seconds(seconds)).as_str(),
    })
}

/// The header value of `document` signed by `signer`'s sample key.
fn header(document: Value, signer: &str) -> String {
    base64url_of(&signed_value(document, signer))
}

fn base64url_of(text: &str) -> String {
    tongban::crypto::base64url(text.as_bytes())
}

fn request(header: Option<String>, now: &str) -> Value {
    json!({"header": header, "now": now})
}

fn requests(g: &mut Gen, keys: &str) {
    let push =
        |g: &mut Gen, name: &str, description: &str, requests: Vec<Value>, results: Vec<Value>| {
            let sha256 = file_digest();
            g.push(
                &format!("files/requests/{name}"),
                description,
                "file_request",
                json!({
                    "keys": keys,
                    "holder": HUANGSHI,
                    "method": "GET",
                    "path": format!("{PATH}{sha256}"),
                    "sha256": sha256,
                    "requests": requests,
                }),
                json!({"outcome": "accepted", "results": results}),
            );
        };
    let ok = |doc: &Value| json!({"outcome": "accepted", "from": JIUJIANG, "id": doc["id"]});

    let doc = document(g, T0, 300);
    let valid = header(doc.clone(), JIUJIANG);
    push(
        g,
        "valid",
        "a request signed by the requester for this file at this holder",
        vec![request(Some(valid.clone()), T1)],
        vec![ok(&doc)],
    );
    push(
        g,
        "replayed",
        "the same request twice: a request is used once",
        vec![request(Some(valid.clone()), T1), request(Some(valid), T1)],
        vec![ok(&doc), refused("file.request_replayed")],
    );
    push(
        g,
        "missing",
        "no tongban-file-request header",
        vec![request(None, T1)],
        vec![refused("file.request_missing")],
    );

    // Not a readable request document.
    let doc = document(g, T0, 300);
    let padded = format!("{}=", header(doc, JIUJIANG));
    let unreadable: Vec<(&str, &str, String)> = vec![
        ("padded-base64url", "base64url with padding", padded),
        (
            "not-base64url",
            "a character outside base64url",
            "eyJtZXRob2Qi*".into(),
        ),
        ("an-array", "base64url of a JSON array", base64url_of("[]")),
        (
            "not-json",
            "base64url of text that is not JSON",
            base64url_of("GET /files"),
        ),
    ];
    for (name, description, value) in unreadable {
        push(
            g,
            name,
            description,
            vec![request(Some(value), T1)],
            vec![refused("file.request_invalid")],
        );
    }
    let doc = document(g, T0, 300);
    let signed = signed_value(doc, JIUJIANG);
    let duplicate = signed.replacen('{', "{\"to\":\"huangshi.420200\",", 1);
    push(
        g,
        "duplicate-key",
        "the document has the member to twice (strict JSON, §2)",
        vec![request(Some(base64url_of(&duplicate)), T1)],
        vec![refused("file.request_invalid")],
    );
    let mut without_to = document(g, T0, 300);
    without_to.as_object_mut().map(|m| m.remove("to"));
    push(
        g,
        "missing-member",
        "a signed document without to",
        vec![request(Some(header(without_to, JIUJIANG)), T1)],
        vec![refused("file.request_invalid")],
    );
    let mut numeric = document(g, T0, 300);
    numeric["created"] = json!(1_764_295_200);
    push(
        g,
        "created-a-number",
        "created as Unix seconds instead of RFC 3339",
        vec![request(Some(header(numeric, JIUJIANG)), T1)],
        vec![refused("file.request_invalid")],
    );

    // A request for something else.
    let mismatches: Vec<(&str, &str, &str, Value)> = vec![
        ("method-post", "signed for POST", "method", json!("POST")),
        (
            "path-without-the-endpoint",
            "the path a proxy rewrote, without the endpoint's path",
            "path",
            json!(format!("/files/{}", file_digest())),
        ),
        (
            "another-file",
            "signed for another file",
            "sha256",
            json!(Sha256Digest::of(b"another file")),
        ),
        (
            "another-holder",
            "signed for another holder",
            "to",
            json!("wuhan.420100"),
        ),
    ];
    for (name, description, member, value) in mismatches {
        let mut doc = document(g, T0, 300);
        doc[member] = value;
        push(
            g,
            name,
            description,
            vec![request(Some(header(doc, JIUJIANG)), T1)],
            vec![refused("file.request_mismatch")],
        );
    }

    // Time: the window is at most 300 s, and the clock may differ by 300 s each way,
    // bounds included.
    let doc = document(g, T0, 300);
    let h = header(doc.clone(), JIUJIANG);
    let at = |seconds: i64| {
        must("time", ts(T0).plus_seconds(seconds))
            .as_str()
            .to_string()
    };
    push(
        g,
        "created-300-s-ahead",
        "created 300 s after the holder's clock: accepted",
        vec![request(Some(h.clone()), &at(-300))],
        vec![ok(&doc)],
    );
    push(
        g,
        "created-301-s-ahead",
        "created 301 s after the holder's clock",
        vec![request(Some(h.clone()), &at(-301))],
        vec![refused("file.request_stale")],
    );
    push(
        g,
        "expired-300-s-ago",
        "expired 300 s before the holder's clock: accepted",
        vec![request(Some(h.clone()), &at(600))],
        vec![ok(&doc)],
    );
    push(
        g,
        "expired-301-s-ago",
        "expired 301 s before the holder's clock",
        vec![request(Some(h), &at(601))],
        vec![refused("file.request_stale")],
    );
    let long = document(g, T0, 301);
    push(
        g,
        "window-301-s",
        "valid for 301 s, one more than allowed",
        vec![request(Some(header(long, JIUJIANG)), T1)],
        vec![refused("file.request_stale")],
    );
    let backwards = document(g, T0, -1);
    push(
        g,
        "expires-before-created",
        "expires before it was created",
        vec![request(Some(header(backwards, JIUJIANG)), T1)],
        vec![refused("file.request_stale")],
    );

    // Signatures, as a message's (§8 step 2).
    let doc = document(g, T0, 300);
    push(
        g,
        "signed-by-another-member",
        "from Jiujiang, signed with Huangshi's key (the holder's own)",
        vec![request(Some(header(doc, HUANGSHI)), T1)],
        vec![refused("signature.key_not_sender")],
    );
    let doc = document(g, T0, 300);
    let mut tampered: Value = must("json", serde_json::from_str(&signed_value(doc, JIUJIANG)));
    tampered["id"] = json!(g.ids.message_id(&ts(T0)));
    push(
        g,
        "tampered",
        "the id changed after signing",
        vec![request(Some(base64url_of(&text(&tampered))), T1)],
        vec![refused("signature.invalid")],
    );
    let mut extended = document(g, T0, 300);
    extended["purpose"] = json!("review");
    push(
        g,
        "unknown-member-signed",
        "a member of a newer version, signed over: kept and accepted",
        vec![request(Some(header(extended.clone(), JIUJIANG)), T1)],
        vec![ok(&extended)],
    );
    let doc = document(g, T0, 300);
    let mut added: Value = must("json", serde_json::from_str(&signed_value(doc, JIUJIANG)));
    added["purpose"] = json!("review");
    push(
        g,
        "unknown-member-added",
        "a member added after signing",
        vec![request(Some(base64url_of(&text(&added))), T1)],
        vec![refused("signature.invalid")],
    );
    let doc = document(g, T0, 300);
    let pretty = must(
        "json",
        serde_json::to_string_pretty(&must::<Value, _>(
            "json",
            serde_json::from_str(&signed_value(doc.clone(), JIUJIANG)),
        )),
    );
    push(
        g,
        "not-canonical",
        "the signed document pretty-printed: signatures cover its canonical form",
        vec![request(Some(base64url_of(&pretty)), T1)],
        vec![ok(&doc)],
    );
    let doc = document(g, T0, 300);
    let mut other_alg: Value = must("json", serde_json::from_str(&signed_value(doc, JIUJIANG)));
    other_alg["signatures"][0]["alg"] = json!("hs256");
    push(
        g,
        "unsupported-algorithm",
        "a signature entry with alg hs256",
        vec![request(Some(base64url_of(&text(&other_alg))), T1)],
        vec![refused("signature.unsupported_algorithm")],
    );
    let doc = document(g, T0, 300);
    push(
        g,
        "unsigned",
        "no signatures",
        vec![request(Some(base64url_of(&text(&doc))), T1)],
        vec![refused("signature.missing")],
    );

    // The header's length: 4,096 characters are read, more are not.
    let limit = |g: &mut Gen, characters: usize| {
        let mut doc = document(g, T0, 300);
        doc["padding"] = json!("");
        let base = signed_value(doc.clone(), JIUJIANG).len();
        let bytes = characters * 3 / 4;
        doc["padding"] = json!("x".repeat(bytes - base));
        let h = header(doc.clone(), JIUJIANG);
        assert_eq!(h.len(), characters, "generator: header length");
        (doc, h)
    };
    let (doc, at_limit) = limit(g, 4096);
    push(
        g,
        "header-of-4096-characters",
        "a header of exactly 4,096 characters",
        vec![request(Some(at_limit), T1)],
        vec![ok(&doc)],
    );
    let (_, over) = limit(g, 4100);
    push(
        g,
        "header-of-4100-characters",
        "a header longer than 4,096 characters",
        vec![request(Some(over), T1)],
        vec![refused("file.request_invalid")],
    );
}

// ------------------------------------------------------------------ lifecycle

/// The digests a message body references, each once, in order.
pub(super) fn digests(envelope: &Envelope) -> Vec<Sha256Digest> {
    let mut digests = Vec::new();
    for reference in tongban::file::references(&envelope.body) {
        if !digests.contains(&reference.sha256) {
            digests.push(reference.sha256.clone());
        }
    }
    digests
}

pub(super) fn files_received(files: Vec<Sha256Digest>) -> Body {
    Body::FilesReceived(FilesReceived { files })
}

/// An accepted outcome in `state`, with the day the track's clock starts (§19).
pub(super) fn clock(state: &str, starts: Option<&str>) -> Value {
    json!({"outcome": "accepted", "state": state, "clock_starts_on": starts})
}

/// A barber-shop transfer whose materials have the given sizes.
fn transfer_of(sizes: &[u64]) -> Body {
    let mut transfer = must("transfer", sample::transfer_body());
    for (material, size) in transfer.materials.iter_mut().zip(sizes) {
        material.size = *size;
    }
    Body::Transfer(transfer)
}

fn supplement_of(files: &[(&str, u64)]) -> Body {
    Body::Supplement(Supplement {
        materials: files
            .iter()
            .map(|(name, size)| FileRef {
                name: (*name).into(),
                sha256: Sha256Digest::of(name.as_bytes()),
                sm3: None,
                media_type: "application/pdf".into(),
                size: *size,
                sealed: None,
            })
            .collect(),
        form: None,
        note: None,
    })
}

fn supplement_request() -> Body {
    must(
        "body",
        sample::body(MessageType::SupplementRequest, &Sha256Digest::of(b"x")),
    )
}

/// A 1.1 transfer and its receipt: the clock has not started.
pub(super) fn received_1_1(t: &mut Talk) -> Envelope {
    t.protocol = ProtocolVersion::V1_1;
    let transfer = t.send(HUANGSHI, barber(), None, clock("transferred", None));
    t.send(
        JIUJIANG,
        receipt(&transfer, true),
        Some(&transfer.id),
        clock("received", None),
    );
    transfer
}

/// A 1.1 transfer received and in review: the transfer, its receipt (the clock has not
/// started) and the status update.
fn in_review(t: &mut Talk) -> Envelope {
    let transfer = received_1_1(t);
    t.send(
        JIUJIANG,
        status(ReportedStatus::InReview),
        Some(&transfer.id),
        clock("in_review", None),
    );
    transfer
}

/// Two days later: Monday 30 November 2026 (T0 is Saturday the 28th).
const TWO_DAYS: i64 = 2 * 24 * 60;

fn lifecycle(g: &mut Gen, registry: &str) {
    let scenarios: Vec<(&str, &str, Script)> = vec![
        (
            "clock-starts-when-the-files-are-received",
            "a 1.1 transfer with materials: no clock at its receipt; it starts on the day of the authority's files_received, two days later",
            Box::new(|t| {
                let transfer = in_review(t);
                t.minute += TWO_DAYS;
                t.send(JIUJIANG, files_received(digests(&transfer)), Some(&transfer.id), clock("in_review", Some("2026-11-30")));
            }),
        ),
        (
            "clock-of-a-1.0-transfer-starts-on-its-receipt",
            "a 1.0 transfer with the same materials: the clock starts on its receipt, as in 1.0",
            Box::new(|t| {
                let transfer = t.send(HUANGSHI, barber(), None, clock("transferred", None));
                t.send(JIUJIANG, receipt(&transfer, true), Some(&transfer.id), clock("received", Some("2026-11-28")));
            }),
        ),
        (
            "files-received-overtaking-the-receipt",
            "files_received before the transfer's receipt arrived is transient, as the authority's other messages are; accepted once the receipt is in",
            Box::new(|t| {
                t.protocol = ProtocolVersion::V1_1;
                let transfer = t.send(HUANGSHI, barber(), None, clock("transferred", None));
                t.send(JIUJIANG, files_received(digests(&transfer)), Some(&transfer.id), refused("lifecycle.receipt_pending"));
                t.send(JIUJIANG, receipt(&transfer, true), Some(&transfer.id), clock("received", None));
                t.send(JIUJIANG, files_received(digests(&transfer)), Some(&transfer.id), clock("received", Some("2026-11-28")));
            }),
        ),
        (
            "files-received-from-the-sender",
            "the window says it received the files of its own transfer",
            Box::new(|t| {
                let transfer = in_review(t);
                t.send_between((HUANGSHI, JIUJIANG, sample::AGREEMENT), files_received(digests(&transfer)), Some(&transfer.id), refused("lifecycle.wrong_party"));
            }),
        ),
        (
            "files-received-listing-one-of-two",
            "files lists one of the transfer's two materials",
            Box::new(|t| {
                let transfer = in_review(t);
                let mut files = digests(&transfer);
                files.pop();
                t.send(JIUJIANG, files_received(files), Some(&transfer.id), refused("message.not_an_answer"));
            }),
        ),
        (
            "files-received-listing-a-file-twice",
            "files lists both materials and one of them again",
            Box::new(|t| {
                let transfer = in_review(t);
                let mut files = digests(&transfer);
                files.push(files[0].clone());
                t.send(JIUJIANG, files_received(files), Some(&transfer.id), refused("message.not_an_answer"));
            }),
        ),
        (
            "files-received-listing-no-file",
            "files is empty: the schema's minItems, a structural refusal",
            Box::new(|t| {
                let transfer = in_review(t);
                t.send(JIUJIANG, files_received(Vec::new()), Some(&transfer.id), refused("message.invalid"));
            }),
        ),
        (
            "files-received-listing-another-file",
            "files lists both materials and a file the transfer does not reference",
            Box::new(|t| {
                let transfer = in_review(t);
                let mut files = digests(&transfer);
                files.push(Sha256Digest::of(b"another file"));
                t.send(JIUJIANG, files_received(files), Some(&transfer.id), refused("message.not_an_answer"));
            }),
        ),
        (
            "files-received-in-any-order",
            "files lists the materials in the other order: a set",
            Box::new(|t| {
                let transfer = in_review(t);
                let mut files = digests(&transfer);
                files.reverse();
                t.send(JIUJIANG, files_received(files), Some(&transfer.id), clock("in_review", Some("2026-11-28")));
            }),
        ),
        (
            "files-received-twice",
            "a second files_received for the same transfer",
            Box::new(|t| {
                let transfer = in_review(t);
                t.send(JIUJIANG, files_received(digests(&transfer)), Some(&transfer.id), clock("in_review", Some("2026-11-28")));
                t.minute += TWO_DAYS;
                t.send(JIUJIANG, files_received(digests(&transfer)), Some(&transfer.id), refused("lifecycle.illegal_transition"));
            }),
        ),
        (
            "files-received-for-a-1.0-transfer",
            "a 1.1 files_received answering a 1.0 transfer, whose files are not exchanged",
            Box::new(|t| {
                let transfer = t.send(HUANGSHI, barber(), None, state("transferred"));
                t.send(JIUJIANG, receipt(&transfer, true), Some(&transfer.id), state("received"));
                t.protocol = ProtocolVersion::V1_1;
                t.send(JIUJIANG, files_received(digests(&transfer)), Some(&transfer.id), refused("message.not_an_answer"));
            }),
        ),
        (
            "files-received-saying-1.0",
            "files_received in a message that says 1.0, where the type does not exist",
            Box::new(|t| {
                let transfer = in_review(t);
                t.protocol = ProtocolVersion::V1_0;
                t.send(JIUJIANG, files_received(digests(&transfer)), Some(&transfer.id), refused("message.unknown_type"));
            }),
        ),
        (
            "decision-documents-received-by-the-window",
            "the window says it holds the decision's licence, before and after the case is closed, once",
            Box::new(|t| {
                let transfer = in_review(t);
                let decision = t.send(JIUJIANG, must("body", sample::body(MessageType::Decision, &Sha256Digest::of(b"x"))), Some(&transfer.id), clock("decided", None));
                t.send(JIUJIANG, status(ReportedStatus::Closed), Some(&transfer.id), clock("closed", None));
                t.send(HUANGSHI, files_received(digests(&decision)), Some(&decision.id), clock("closed", None));
                t.send(HUANGSHI, files_received(digests(&decision)), Some(&decision.id), refused("lifecycle.illegal_transition"));
            }),
        ),
        (
            "a-file-over-50-mib",
            "a 1.1 transfer naming a material of 50 MiB and one byte",
            Box::new(|t| {
                t.protocol = ProtocolVersion::V1_1;
                t.send(HUANGSHI, transfer_of(&[MAX_FILE_BYTES + 1]), None, refused("file.too_large"));
            }),
        ),
        (
            "a-file-of-50-mib",
            "a 1.1 transfer naming a material of exactly 50 MiB",
            Box::new(|t| {
                t.protocol = ProtocolVersion::V1_1;
                t.send(HUANGSHI, transfer_of(&[MAX_FILE_BYTES]), None, clock("transferred", None));
            }),
        ),
        (
            "a-file-over-50-mib-in-1.0",
            "a 1.0 transfer naming a material of 50 MiB and one byte: 1.0 has no file limits",
            Box::new(|t| {
                t.send(HUANGSHI, transfer_of(&[MAX_FILE_BYTES + 1]), None, state("transferred"));
            }),
        ),
        (
            "the-case-over-200-mib",
            "materials of 4 × 50 MiB: the same file again counts once; one more byte in a second supplement passes the case's 200 MiB",
            Box::new(|t| {
                t.protocol = ProtocolVersion::V1_1;
                let transfer = t.send(HUANGSHI, transfer_of(&[MAX_FILE_BYTES, MAX_FILE_BYTES]), None, clock("transferred", None));
                t.send(JIUJIANG, receipt(&transfer, true), Some(&transfer.id), clock("received", None));
                t.send(JIUJIANG, status(ReportedStatus::InReview), Some(&transfer.id), clock("in_review", None));
                t.send(JIUJIANG, supplement_request(), Some(&transfer.id), clock("supplement_requested", None));
                let mut again = must("transfer", sample::transfer_body()).materials;
                again.truncate(1);
                again[0].size = MAX_FILE_BYTES;
                let mut supplement = supplement_of(&[("租赁合同（签章页）", MAX_FILE_BYTES), ("房产证明", MAX_FILE_BYTES)]);
                if let Body::Supplement(s) = &mut supplement {
                    s.materials.extend(again);
                }
                t.send(HUANGSHI, supplement, Some(&transfer.id), clock("supplemented", None));
                t.send(JIUJIANG, supplement_request(), Some(&transfer.id), clock("supplement_requested", None));
                t.send(HUANGSHI, supplement_of(&[("补充说明", 1)]), Some(&transfer.id), refused("file.case_too_large"));
            }),
        ),
    ];
    push_scenarios_in(g, "files/lifecycle", registry, scenarios);
}
