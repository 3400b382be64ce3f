//! The file exchange (§23) at the node under test, when it and the tester both speak
//! 1.1: the limits on what a message references, `files_received` in a 1.0 message, and
//! the file requests a holder must refuse — unsigned, for another file, stale, forged,
//! replayed, for a file it never sent the requester. (With the operator API, the whole
//! case then moves real files both ways and fetches one back with `Range`: see
//! `drive` in the parent module.)

use super::{expected, result, skipped, Outcome, Tester};
use crate::run::CaseResult;
use serde_json::{json, Value};
use std::time::Instant;
use tongban::file::{file_path, FileRequest, MAX_FILE_BYTES, REQUEST_HEADER};
use tongban::http::ErrorBody;
use tongban::sample;
use tongban::*;

/// Whether the tester and the node exchange files (both speak 1.1 in the registry).
pub(super) fn exchanged(tester: &Tester<'_>) -> bool {
    let target = tester.target;
    target
        .registry
        .negotiate(target.key.owner(), &target.node)
        .is_some_and(|version| version >= tongban::file::SINCE)
}

/// The path of file `sha256` at the node's endpoint, as its requests sign it.
pub(super) fn path_of(tester: &Tester<'_>, sha256: &Sha256Digest) -> String {
    let endpoint = &tester.target.endpoint;
    let base = reqwest::Url::parse(endpoint).map_or_else(
        |_| String::new(),
        |u| u.path().trim_end_matches('/').to_string(),
    );
    format!("{base}{}", file_path(sha256))
}

/// A file request by `key`'s owner for `sha256` at the node, signed at `at`.
pub(super) fn request(
    tester: &Tester<'_>,
    key: &KeyPair,
    sha256: &Sha256Digest,
    at: &Timestamp,
) -> Result<String, String> {
    FileRequest::sign(
        key,
        &tester.target.node,
        &path_of(tester, sha256),
        sha256,
        at,
    )
    .map_err(|e| e.to_string())
}

/// GETs file `sha256` from the node with `headers`: status, error code, body.
pub(super) async fn get(
    tester: &Tester<'_>,
    sha256: &Sha256Digest,
    headers: &[(&str, String)],
) -> Result<(u16, Option<String>, Vec<u8>), String> {
    let mut request = tester
        .http
        .get(format!("{}{}", tester.target.endpoint, file_path(sha256)));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("no body: {e}"))?
        .to_vec();
    let code = (!(200..300).contains(&status))
        .then(|| ErrorBody::parse(&body).map_or_else(|| "(no error body)".into(), |b| b.code));
    Ok((status, code, body))
}

/// GETs file `sha256` with the signed request `header`, if it could be made.
pub(super) async fn get_signed(
    tester: &Tester<'_>,
    sha256: &Sha256Digest,
    header: Result<String, String>,
) -> Result<(u16, Option<String>, Vec<u8>), String> {
    get(tester, sha256, &[(REQUEST_HEADER, header?)]).await
}

pub(super) fn refusal(answer: Result<(u16, Option<String>, Vec<u8>), String>) -> Outcome {
    answer.map(|(status, code, _)| json!({"status": status, "code": code}))
}

/// A 1.1 transfer from the tester whose materials get `sizes` (more sizes than
/// materials add materials).
fn transfer_with_sizes(tester: &mut Tester<'_>, sizes: &[u64]) -> Result<Vec<u8>, String> {
    let sizes = sizes.to_vec();
    tester.transfer(move |v| {
        v["protocol"] = json!("1.1");
        let materials = v["body"]["materials"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut list = Vec::new();
        for (i, size) in sizes.iter().enumerate() {
            let mut material = materials
                .get(i)
                .cloned()
                .unwrap_or_else(|| materials[0].clone());
            material["size"] = json!(size);
            material["sha256"] = json!(Sha256Digest::of(
                format!("conformance material {i}").as_bytes()
            ));
            if i >= materials.len() {
                material["name"] = json!(format!("补充材料 {i}"));
            }
            list.push(material);
        }
        v["body"]["materials"] = Value::Array(list);
    })
}

/// The binding's file checks: id and description.
const CHECKS: [(&str, &str); 9] = [
    (
        "file_too_large",
        "a 1.1 transfer naming a material of 50 MiB and one byte is refused",
    ),
    (
        "case_too_large",
        "a 1.1 transfer whose five materials of 50 MiB pass the case's 200 MiB is refused",
    ),
    (
        "files_received_in_1_0",
        "files_received in a message that says 1.0, where the type does not exist",
    ),
    (
        "file_request_missing",
        "a file request without a signed request document",
    ),
    (
        "file_not_found",
        "a signed request for a file the node never sent the tester",
    ),
    (
        "file_request_replayed",
        "the same signed request again: a request is used once",
    ),
    ("file_request_mismatch", "a request signed for another file"),
    ("file_request_stale", "a request signed 15 minutes ago"),
    (
        "file_request_forged",
        "a request signed with another key under the tester's key id",
    ),
];

/// Runs the binding's file checks, recording each (skipped when the node and the tester
/// do not both speak 1.1).
pub(super) async fn binding(tester: &mut Tester<'_>, record: &mut dyn FnMut(CaseResult)) {
    let exchange = exchanged(tester);
    let target = tester.target;
    let key = &target.key;
    let now = Timestamp::now();
    let absent = Sha256Digest::of(format!("conformance absent {}", tester.run).as_bytes());
    if !exchange {
        for (id, description) in CHECKS {
            record(skipped(
                &format!("files/{id}"),
                description,
                "the tester and the node do not both speak 1.1 (file exchange) in the registry",
            ));
        }
        return;
    }
    let mut started = Instant::now();
    // Each check is recorded as soon as it ran, timed from the end of the one before.
    let mut check = |id: &str, expected: Value, outcome: Outcome| {
        let description = CHECKS
            .iter()
            .find(|(known, _)| *known == id)
            .map_or(id, |(_, description)| description);
        record(result(
            &format!("files/{id}"),
            description,
            expected,
            outcome,
            started,
        ));
        started = Instant::now();
    };
    let over = transfer_with_sizes(tester, &[MAX_FILE_BYTES + 1, 1]);
    check(
        "file_too_large",
        expected(422, "file.too_large"),
        tester.refusal(over).await,
    );
    let five = transfer_with_sizes(tester, &[MAX_FILE_BYTES; 5]);
    check(
        "case_too_large",
        expected(422, "file.case_too_large"),
        tester.refusal(five).await,
    );
    let old = tester.transfer(|v| {
        v["type"] = json!("files_received");
        v["body"] = json!({"files": [Sha256Digest::of(b"x")]});
        v["in_reply_to"] = v["id"].clone();
    });
    check(
        "files_received_in_1_0",
        expected(400, "message.unknown_type"),
        tester.refusal(old).await,
    );
    let unsigned = get(tester, &absent, &[]).await;
    check(
        "file_request_missing",
        expected(401, "file.request_missing"),
        refusal(unsigned),
    );
    let valid = request(tester, key, &absent, &now);
    let first = get_signed(tester, &absent, valid.clone()).await;
    check(
        "file_not_found",
        expected(404, "file.not_found"),
        refusal(first),
    );
    let again = get_signed(tester, &absent, valid).await;
    check(
        "file_request_replayed",
        expected(401, "file.request_replayed"),
        refusal(again),
    );
    let other = Sha256Digest::of(b"conformance other file");
    let moved = get_signed(tester, &absent, request(tester, key, &other, &now)).await;
    check(
        "file_request_mismatch",
        expected(401, "file.request_mismatch"),
        refusal(moved),
    );
    let stale_header = now
        .plus_seconds(-900)
        .map_err(|e| e.to_string())
        .and_then(|old| request(tester, key, &absent, &old));
    let stale = get_signed(tester, &absent, stale_header).await;
    check(
        "file_request_stale",
        expected(401, "file.request_stale"),
        refusal(stale),
    );
    let forger = KeyPair::generate(key.owner().clone(), Some(key.key_id().clone()))
        .map_err(|e| e.to_string());
    let forged_header = forger.and_then(|forger| request(tester, &forger, &absent, &now));
    let forged = get_signed(tester, &absent, forged_header).await;
    check(
        "file_request_forged",
        expected(401, "signature.invalid"),
        refusal(forged),
    );
}

/// After the whole case of 1.1: fetches the decision's licence (`licence`, which the
/// node sent the tester) from the node directly: whole, resumed from byte 1000, from
/// past its end, and by another member (Wuhan's sample key, when the registry has it).
pub(super) async fn fetch_back(
    tester: &Tester<'_>,
    licence: &FileRef,
    bytes: &[u8],
) -> Result<Value, String> {
    let key = &tester.target.key;
    let now = Timestamp::now();
    let signed = |at: &Timestamp| request(tester, key, &licence.sha256, at);
    let (status, _, body) =
        get(tester, &licence.sha256, &[(REQUEST_HEADER, signed(&now)?)]).await?;
    let whole = status == 200 && body == bytes;
    let (status, _, body) = get(
        tester,
        &licence.sha256,
        &[
            (REQUEST_HEADER, signed(&now)?),
            ("range", "bytes=1000-".into()),
        ],
    )
    .await?;
    let resumed = status == 206 && body.as_slice() == &bytes[1000.min(bytes.len())..];
    let beyond = format!("bytes={}-", bytes.len());
    let (past_end, _, _) = get(
        tester,
        &licence.sha256,
        &[(REQUEST_HEADER, signed(&now)?), ("range", beyond)],
    )
    .await?;
    let mut found = json!({
        "licence_whole": whole,
        "licence_resumed": resumed,
        "range_past_the_end": past_end,
    });
    if let Some(stranger) = third_member(tester) {
        let header = request(tester, &stranger, &licence.sha256, &now)?;
        found["not_a_party"] = json!(
            get(tester, &licence.sha256, &[(REQUEST_HEADER, header)])
                .await?
                .1
        );
    }
    Ok(found)
}

/// A member of the registry that is no party of the case and whose key the tester holds
/// (Wuhan's sample key), if the registry has one.
pub(super) fn third_member(tester: &Tester<'_>) -> Option<KeyPair> {
    let wuhan = sample::key("wuhan.420100").ok()?;
    let registered = tester
        .target
        .registry
        .member(wuhan.owner())
        .is_some_and(|m| m.keys.iter().any(|k| k.key_id == *wuhan.key_id()));
    registered.then_some(wuhan)
}

/// What [`fetch_back`] must find (a third member's request only when the registry has
/// one, see [`third_member`]).
pub(super) fn fetched_back(tester: &Tester<'_>) -> Value {
    let mut expected = json!({
        "licence_whole": true,
        "licence_resumed": true,
        "range_past_the_end": 416,
    });
    if third_member(tester).is_some() {
        expected["not_a_party"] = json!("file.not_found");
    }
    expected
}
