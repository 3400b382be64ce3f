//! The file exchange (§23) at the node under test, when it and the tester both speak
//! 1.1: the limits on what a message references, `files_received` in a 1.0 message, and
//! the file requests a holder must refuse — unsigned, for another file, stale, forged,
//! replayed, for a file it never sent the requester. (With the operator API, the whole
//! case then moves real files both ways and fetches one back with `Range`: see
//! `drive` in the parent module.)

use super::{expected, result, Outcome, Tester};
use crate::run::{CaseResult, Verdict};
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

fn refusal(answer: Result<(u16, Option<String>, Vec<u8>), String>) -> Outcome {
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

/// Runs the binding's file checks, recording each (skipped when the node and the tester
/// do not both speak 1.1).
pub(super) async fn binding(tester: &mut Tester<'_>, record: &mut dyn FnMut(CaseResult)) {
    let exchange = exchanged(tester);
    let target = tester.target;
    let key = &target.key;
    let now = Timestamp::now();
    let absent = Sha256Digest::of(format!("conformance absent {}", tester.run).as_bytes());
    let names: [(&str, &str); 9] = [
        (
            "file_too_large",
            "a 1.1 transfer naming a material over 50 MiB is refused",
        ),
        (
            "case_too_large",
            "a 1.1 transfer over the case's 200 MiB is refused",
        ),
        (
            "files_received_in_1_0",
            "files_received in a 1.0 message is refused",
        ),
        (
            "file_request_missing",
            "a file request without a signed request document",
        ),
        (
            "file_not_found",
            "a signed request for a file the node never sent the tester",
        ),
        ("file_request_replayed", "the same signed request again"),
        ("file_request_mismatch", "a request signed for another file"),
        ("file_request_stale", "a request signed 15 minutes ago"),
        ("file_request_forged", "a request signed with another key"),
    ];
    if !exchange {
        for (id, description) in names {
            let mut skipped = result(
                &format!("files/{id}"),
                description,
                Value::Null,
                Ok(Value::Null),
                Instant::now(),
            );
            skipped.verdict = Verdict::Skipped {
                reason:
                    "the tester and the node do not both speak 1.1 (file exchange) in the registry"
                        .into(),
            };
            record(skipped);
        }
        return;
    }
    let mut started = Instant::now();
    // Each check is recorded as soon as it ran, timed from the end of the one before.
    let mut check =
        |id: &str, description: &str, expected: Value, outcome: Outcome, started: &mut Instant| {
            record(result(
                &format!("files/{id}"),
                description,
                expected,
                outcome,
                *started,
            ));
            *started = Instant::now();
        };
    let over = transfer_with_sizes(tester, &[MAX_FILE_BYTES + 1, 1]);
    check(
        "file_too_large",
        "a 1.1 transfer naming a material of 50 MiB and one byte is refused",
        expected(422, "file.too_large"),
        tester.refusal(over).await,
        &mut started,
    );
    let five = transfer_with_sizes(tester, &[MAX_FILE_BYTES; 5]);
    check(
        "case_too_large",
        "a 1.1 transfer whose five materials of 50 MiB pass the case's 200 MiB is refused",
        expected(422, "file.case_too_large"),
        tester.refusal(five).await,
        &mut started,
    );
    let old = tester.transfer(|v| {
        v["type"] = json!("files_received");
        v["body"] = json!({"files": [Sha256Digest::of(b"x")]});
        v["in_reply_to"] = v["id"].clone();
    });
    check(
        "files_received_in_1_0",
        "files_received in a message that says 1.0, where the type does not exist",
        expected(400, "message.unknown_type"),
        tester.refusal(old).await,
        &mut started,
    );
    let unsigned = get(tester, &absent, &[]).await;
    check(
        "file_request_missing",
        "a file request without a signed request document",
        expected(401, "file.request_missing"),
        refusal(unsigned),
        &mut started,
    );
    let valid = request(tester, key, &absent, &now);
    let first = match &valid {
        Ok(header) => get(tester, &absent, &[(REQUEST_HEADER, header.clone())]).await,
        Err(e) => Err(e.clone()),
    };
    check(
        "file_not_found",
        "a signed request for a file the node never sent the tester",
        expected(404, "file.not_found"),
        refusal(first),
        &mut started,
    );
    let again = match &valid {
        Ok(header) => get(tester, &absent, &[(REQUEST_HEADER, header.clone())]).await,
        Err(e) => Err(e.clone()),
    };
    check(
        "file_request_replayed",
        "the same signed request again: a request is used once",
        expected(401, "file.request_replayed"),
        refusal(again),
        &mut started,
    );
    let other = Sha256Digest::of(b"conformance other file");
    let moved = match request(tester, key, &other, &now) {
        Ok(header) => get(tester, &absent, &[(REQUEST_HEADER, header)]).await,
        Err(e) => Err(e),
    };
    check(
        "file_request_mismatch",
        "a request signed for another file",
        expected(401, "file.request_mismatch"),
        refusal(moved),
        &mut started,
    );
    let stale = match now
        .plus_seconds(-900)
        .map_err(|e| e.to_string())
        .and_then(|old| request(tester, key, &absent, &old))
    {
        Ok(header) => get(tester, &absent, &[(REQUEST_HEADER, header)]).await,
        Err(e) => Err(e),
    };
    check(
        "file_request_stale",
        "a request signed 15 minutes ago",
        expected(401, "file.request_stale"),
        refusal(stale),
        &mut started,
    );
    let forger = KeyPair::generate(key.owner().clone(), Some(key.key_id().clone()))
        .map_err(|e| e.to_string());
    let forged = match forger.and_then(|forger| request(tester, &forger, &absent, &now)) {
        Ok(header) => get(tester, &absent, &[(REQUEST_HEADER, header)]).await,
        Err(e) => Err(e),
    };
    check(
        "file_request_forged",
        "a request signed with another key under the tester's key id",
        expected(401, "signature.invalid"),
        refusal(forged),
        &mut started,
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
    let wuhan = sample::key("wuhan.420100").map_err(|e| e.to_string())?;
    let registered = tester
        .target
        .registry
        .member(wuhan.owner())
        .is_some_and(|m| m.keys.iter().any(|k| k.key_id == *wuhan.key_id()));
    let stranger = if registered {
        let header = request(tester, &wuhan, &licence.sha256, &now)?;
        get(tester, &licence.sha256, &[(REQUEST_HEADER, header)])
            .await?
            .1
    } else {
        Some("file.not_found".into())
    };
    Ok(json!({
        "licence_whole": whole,
        "licence_resumed": resumed,
        "range_past_the_end": past_end,
        "not_a_party": stranger,
    }))
}

/// What [`fetch_back`] must find.
pub(super) fn fetched_back() -> Value {
    json!({
        "licence_whole": true,
        "licence_resumed": true,
        "range_past_the_end": 416,
        "not_a_party": "file.not_found",
    })
}
