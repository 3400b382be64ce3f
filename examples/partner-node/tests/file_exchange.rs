//! The file exchange (PROTOCOL §23) between running nodes over loopback HTTP: a
//! transfer's materials reach the authority checked against their references, the
//! decision's licence comes back, only the party a file was sent to can fetch it, every
//! file request is authenticated, bound and used once, and a holder that serves other
//! bytes gets nothing kept.

use partner_node::demo::{self, track_state, OperatorClient};
use partner_node::{start, Config, RunningNode};
use serde_json::{json, Value};
use std::time::Duration;
use tongban::file::{file_path, FileRequest, REQUEST_HEADER};
use tongban::registry::Registry;
use tongban::sample::{self, AGREEMENT, CASE, HUANGSHI, JIUJIANG};
use tongban::*;

const WAIT: Duration = Duration::from_secs(30);
const WUHAN: &str = "wuhan.420100";
const BOTH: &[ProtocolVersion] = &[ProtocolVersion::V1_0, ProtocolVersion::V1_1];

struct Pair {
    _dir: tempfile::TempDir,
    huangshi: RunningNode,
    jiujiang: RunningNode,
    registry: Registry,
    endpoints: std::collections::BTreeMap<String, String>,
}

async fn pair() -> Pair {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare_speaking(dir.path(), &[HUANGSHI, JIUJIANG], BOTH).expect("prepare");
    let registry_bytes = std::fs::read(dir.path().join("registry.json")).expect("registry");
    let registry = Registry::bootstrap(&registry_bytes, &Timestamp::now()).expect("registry");
    let load = |node: &str| Config::load(&nodes[node].config).expect("config");
    let jiujiang = start(load(JIUJIANG)).await.expect("Jiujiang starts");
    let huangshi = start(load(HUANGSHI)).await.expect("Huangshi starts");
    let endpoints = nodes
        .iter()
        .map(|(node, files)| (node.clone(), files.endpoint.clone()))
        .collect();
    Pair {
        _dir: dir,
        huangshi,
        jiujiang,
        registry,
        endpoints,
    }
}

/// The sample transfer with its two materials replaced by real PDFs uploaded to
/// Huangshi; returns the body and each material's bytes.
async fn transfer_with_scans(hs: &OperatorClient) -> (Value, Vec<(FileRef, Vec<u8>)>) {
    let mut body = sample::transfer_body().expect("body");
    let mut uploaded = Vec::new();
    for (index, material) in body.materials.iter_mut().enumerate() {
        let scan = demo::pdf(
            &["Scan of a material", &material.sha256.to_string()],
            200_000 + index * 900_000,
        );
        let reference = hs
            .upload(&material.name, "application/pdf", scan.clone())
            .await
            .expect("uploaded");
        assert_eq!(reference.sha256, Sha256Digest::of(&scan));
        assert_eq!(reference.size, scan.len() as u64);
        *material = reference.clone();
        uploaded.push((reference, scan));
    }
    (serde_json::to_value(body).expect("json"), uploaded)
}

/// The files of a case view that the node sent and still holds.
fn files_sent_held(view: &Value) -> usize {
    view["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["direction"] == "out" && f["held"] == true)
        .count()
}

/// How many files are in a node's `files/incoming/` (uploads being written).
fn incoming_files(node: &RunningNode) -> usize {
    std::fs::read_dir(node.node().config().data_dir.join("files/incoming"))
        .expect("incoming")
        .count()
}

async fn send(
    from: &OperatorClient,
    message_type: &str,
    to: &str,
    in_reply_to: Option<&str>,
    body: Value,
) -> String {
    let queued = from
        .send(&json!({"type": message_type, "case": CASE, "to": to, "agreement": AGREEMENT, "in_reply_to": in_reply_to, "body": body}))
        .await
        .unwrap_or_else(|e| panic!("{message_type} queued: {e:?}"));
    queued["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn the_materials_reach_the_authority_checked_and_the_licence_comes_back() {
    let p = pair().await;
    let hs = p.huangshi.operator_client();
    let jj = p.jiujiang.operator_client();
    let (transfer, materials) = transfer_with_scans(&hs).await;
    let transfer_id = send(&hs, "transfer", JIUJIANG, None, transfer).await;

    // Jiujiang fetches both materials from Huangshi and checks them against the
    // references in the signed transfer.
    let view = jj
        .wait_for_case(CASE, WAIT, |v| demo::files_fetched(v) == 2)
        .await
        .expect("both materials fetched");
    for file in view["files"].as_array().expect("files") {
        assert_eq!(file["fetch"]["status"], "complete", "{file}");
    }
    for (reference, bytes) in &materials {
        let (fetched, media_type) = jj.download(reference.sha256.as_str()).await.expect("held");
        assert_eq!(
            &fetched, bytes,
            "the bytes Jiujiang holds are the scan Huangshi uploaded"
        );
        assert_eq!(media_type, "application/pdf");
    }

    // Jiujiang says so (files_received, §23.5), and the time limit runs from then on
    // both sides: before, the track has no due date.
    let received = |v: &Value| {
        v["messages"].as_array().into_iter().flatten().any(|m| {
            m["type"] == "files_received" && m["message"]["in_reply_to"] == transfer_id.as_str()
        })
    };
    let hs_view = hs
        .wait_for_case(CASE, WAIT, |v| {
            received(v) && v["tracks"][0]["files_received_on"].is_string()
        })
        .await
        .expect("Huangshi learns that the materials arrived");
    let jj_view = jj.case(CASE).await.expect("view").expect("case");
    for view in [&hs_view, &jj_view] {
        let track = &view["tracks"][0];
        assert_eq!(track["awaits_files"], true);
        assert!(track["deadline"]["due"].is_string(), "{track}");
        assert_eq!(
            track["files_received_on"],
            hs_view["tracks"][0]["files_received_on"]
        );
    }

    // The decision brings the licence back: Jiujiang uploads it, Huangshi fetches it.
    send(
        &jj,
        "status_update",
        HUANGSHI,
        Some(&transfer_id),
        demo::step_body("status_update").expect("body"),
    )
    .await;
    let licence = demo::pdf(
        &["Electronic business licence", "92360402MA3XJJ0042"],
        96_000,
    );
    let reference = jj
        .upload(
            "个体工商户营业执照（电子证照）",
            "application/pdf",
            licence.clone(),
        )
        .await
        .expect("uploaded");
    let decision = json!({
        "outcome": "approved",
        "decided_by": "九江市行政审批局",
        "documents": [{"kind": "electronic_licence", "number": "92360402MA3XJJ0042", "file": reference}],
    });
    send(&jj, "decision", HUANGSHI, Some(&transfer_id), decision).await;
    let view = hs
        .wait_for_case(CASE, WAIT, |v| {
            track_state(v) == Some("decided") && demo::files_fetched(v) == 1
        })
        .await
        .expect("the licence fetched");
    assert_eq!(
        files_sent_held(&view),
        2,
        "Huangshi still holds the materials it sent"
    );
    let (fetched, _) = hs.download(reference.sha256.as_str()).await.expect("held");
    assert_eq!(fetched, licence);
    // Huangshi answers the decision with files_received too.
    jj.wait_for_case(CASE, WAIT, |v| {
        v["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["type"] == "files_received")
            .count()
            == 2
    })
    .await
    .expect("Jiujiang learns that the licence arrived");
    p.huangshi.stop().await;
    p.jiujiang.stop().await;
}

/// A file request signed with `node`'s sample key for `sha256` at `holder`.
fn signed(
    node: &str,
    holder: &str,
    endpoint: &str,
    sha256: &Sha256Digest,
    at: &Timestamp,
) -> String {
    let path = format!(
        "{}{}",
        reqwest::Url::parse(endpoint).expect("url").path(),
        file_path(sha256)
    );
    FileRequest::sign(
        &sample::key(node).expect("key"),
        &NodeId::parse(holder).expect("node"),
        &path,
        sha256,
        at,
    )
    .expect("signed")
}

/// GETs a file from `endpoint` with the given headers: status, error code (if any),
/// body.
async fn get(
    endpoint: &str,
    sha256: &str,
    headers: &[(&str, &str)],
) -> (u16, Option<String>, Vec<u8>) {
    let mut request = reqwest::Client::new().get(format!("{endpoint}/files/{sha256}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("answer");
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("body").to_vec();
    let code = tongban::http::ErrorBody::parse(&bytes).map(|b| b.code);
    (status, code, bytes)
}

#[tokio::test]
async fn only_the_party_a_file_was_sent_to_can_fetch_it_with_a_request_used_once() {
    let p = pair().await;
    let hs = p.huangshi.operator_client();
    let jj = p.jiujiang.operator_client();
    let (transfer, materials) = transfer_with_scans(&hs).await;
    send(&hs, "transfer", JIUJIANG, None, transfer).await;
    jj.wait_for_case(CASE, WAIT, |v| demo::files_fetched(v) == 2)
        .await
        .expect("fetched");
    let at_hs = &p.endpoints[HUANGSHI];
    let at_jj = &p.endpoints[JIUJIANG];
    let (material, bytes) = &materials[1];
    let sha = &material.sha256;
    let now = Timestamp::now();

    // The receiver of the transfer gets the file, whole or from an offset.
    let request = signed(JIUJIANG, HUANGSHI, at_hs, sha, &now);
    let (status, _, body) = get(at_hs, sha.as_str(), &[(REQUEST_HEADER, &request)]).await;
    assert_eq!((status, &body), (200, bytes));
    let resumed = signed(JIUJIANG, HUANGSHI, at_hs, sha, &now);
    let (status, _, body) = get(
        at_hs,
        sha.as_str(),
        &[(REQUEST_HEADER, &resumed), ("range", "bytes=1000-")],
    )
    .await;
    assert_eq!((status, body.as_slice()), (206, &bytes[1000..]));
    let beyond = signed(JIUJIANG, HUANGSHI, at_hs, sha, &now);
    let range = format!("bytes={}-", bytes.len());
    let (status, code, _) = get(
        at_hs,
        sha.as_str(),
        &[(REQUEST_HEADER, &beyond), ("range", &range)],
    )
    .await;
    assert_eq!(
        (status, code.as_deref()),
        (416, Some("file.range_not_satisfiable"))
    );

    // The same request again is refused: a request is used once.
    let (status, code, _) = get(at_hs, sha.as_str(), &[(REQUEST_HEADER, &request)]).await;
    assert_eq!(
        (status, code.as_deref()),
        (401, Some("file.request_replayed"))
    );

    // A member that is not a party learns nothing: the answer is the one for a file
    // that does not exist.
    let absent = Sha256Digest::of(b"no such file");
    let not_a_party = get(
        at_hs,
        sha.as_str(),
        &[(REQUEST_HEADER, &signed(WUHAN, HUANGSHI, at_hs, sha, &now))],
    )
    .await;
    let no_such_file = get(
        at_hs,
        absent.as_str(),
        &[(
            REQUEST_HEADER,
            &signed(JIUJIANG, HUANGSHI, at_hs, &absent, &now),
        )],
    )
    .await;
    assert_eq!(
        (not_a_party.0, not_a_party.1.as_deref()),
        (404, Some("file.not_found"))
    );
    assert_eq!(
        (no_such_file.0, no_such_file.1.as_deref()),
        (404, Some("file.not_found"))
    );
    // Naming a file in one's own message grants nothing: Huangshi referenced the
    // material to Jiujiang, which holds it now, but Jiujiang never sent it to Huangshi.
    let back = get(
        at_jj,
        sha.as_str(),
        &[(
            REQUEST_HEADER,
            &signed(HUANGSHI, JIUJIANG, at_jj, sha, &now),
        )],
    )
    .await;
    assert_eq!((back.0, back.1.as_deref()), (404, Some("file.not_found")));

    // Requests that do not authenticate.
    let refused = |code: &str| (401u16, Some(code.to_string()));
    let unsigned = get(at_hs, sha.as_str(), &[]).await;
    assert_eq!((unsigned.0, unsigned.1), refused("file.request_missing"));
    let other_file = signed(JIUJIANG, HUANGSHI, at_hs, &materials[0].0.sha256, &now);
    let moved = get(at_hs, sha.as_str(), &[(REQUEST_HEADER, &other_file)]).await;
    assert_eq!((moved.0, moved.1), refused("file.request_mismatch"));
    let other_holder = signed(JIUJIANG, WUHAN, at_hs, sha, &now);
    let readdressed = get(at_hs, sha.as_str(), &[(REQUEST_HEADER, &other_holder)]).await;
    assert_eq!(
        (readdressed.0, readdressed.1),
        refused("file.request_mismatch")
    );
    let old = now.plus_seconds(-900).expect("time");
    let stale = get(
        at_hs,
        sha.as_str(),
        &[(
            REQUEST_HEADER,
            &signed(JIUJIANG, HUANGSHI, at_hs, sha, &old),
        )],
    )
    .await;
    assert_eq!((stale.0, stale.1), refused("file.request_stale"));
    // Signed with a key that claims Jiujiang's key id but is not Jiujiang's key.
    let real_kid = sample::key(JIUJIANG).expect("key").key_id().clone();
    let forged =
        KeyPair::generate(NodeId::parse(JIUJIANG).expect("node"), Some(real_kid)).expect("key");
    let path = format!(
        "{}{}",
        reqwest::Url::parse(at_hs).expect("url").path(),
        file_path(sha)
    );
    let forged = FileRequest::sign(
        &forged,
        &NodeId::parse(HUANGSHI).expect("node"),
        &path,
        sha,
        &now,
    )
    .expect("signed");
    let forged = get(at_hs, sha.as_str(), &[(REQUEST_HEADER, &forged)]).await;
    assert_eq!((forged.0, forged.1), refused("signature.invalid"));
    let garbled = get(
        at_hs,
        sha.as_str(),
        &[(REQUEST_HEADER, "eyJtZXRob2QiOiJHRVQifQ")],
    )
    .await;
    assert_eq!((garbled.0, garbled.1), refused("file.request_invalid"));
    // The file was never sent in any of these answers.
    assert!(p
        .registry
        .member(&NodeId::parse(WUHAN).expect("node"))
        .is_some());
    p.huangshi.stop().await;
    p.jiujiang.stop().await;
}

#[tokio::test]
async fn the_operator_uploads_within_the_limit_and_sends_only_files_it_holds() {
    let p = pair().await;
    let hs = p.huangshi.operator_client();
    // A message naming a file Huangshi does not hold is not sent: Jiujiang could not
    // fetch it.
    let transfer = serde_json::to_value(sample::transfer_body().expect("body")).expect("json");
    let missing = hs
        .send(&json!({"type": "transfer", "case": CASE, "to": JIUJIANG, "agreement": AGREEMENT, "body": transfer}))
        .await
        .expect_err("refused");
    assert_eq!(
        (missing.status, missing.code().as_deref()),
        (409, Some("operator.file_missing"))
    );
    // 50 MiB is the limit; one byte more is refused and nothing is kept.
    let over = vec![0x25u8; tongban::file::MAX_FILE_BYTES as usize + 1];
    let too_large = hs
        .upload("扫描件", "application/pdf", over)
        .await
        .expect_err("refused");
    assert_eq!(
        (too_large.status, too_large.code().as_deref()),
        (413, Some("file.too_large"))
    );
    let incoming = incoming_files(&p.huangshi);
    assert_eq!(incoming, 0, "nothing of the refused upload is kept");
    // The upload route takes files as application/octet-stream only, with the token.
    let url = format!(
        "http://{}/operator/v1/files?name=x&media_type=application/pdf",
        p.huangshi.operator_address
    );
    let token = p
        .huangshi
        .node()
        .config()
        .operator_token
        .secret()
        .to_string();
    let as_form = reqwest::Client::new()
        .post(&url)
        .bearer_auth(&token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a=b")
        .send()
        .await
        .expect("answer");
    assert_eq!(as_form.status().as_u16(), 415);
    let without_token = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/octet-stream")
        .body("%PDF")
        .send()
        .await
        .expect("answer");
    assert_eq!(without_token.status().as_u16(), 401);
    // An upload that breaks off (the connection closes before the announced length)
    // stores nothing, not even the bytes that came, under their own digest.
    {
        use tokio::io::AsyncWriteExt;
        let mut stream = tokio::net::TcpStream::connect(p.huangshi.operator_address)
            .await
            .expect("connect");
        let head = format!(
            "POST /operator/v1/files?name=x&media_type=application/pdf HTTP/1.1\r\nhost: {}\r\n\
             authorization: Bearer {token}\r\ncontent-type: application/octet-stream\r\n\
             content-length: 100000\r\n\r\n%PDF-1.7 cut off",
            p.huangshi.operator_address
        );
        stream.write_all(head.as_bytes()).await.expect("write");
        stream.flush().await.expect("flush");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cut = Sha256Digest::of(b"%PDF-1.7 cut off");
    assert!(
        !p.huangshi.node().files().path(&cut).exists(),
        "the bytes of a broken-off upload are not stored"
    );
    let incoming = incoming_files(&p.huangshi);
    assert_eq!(incoming, 0, "nothing of the broken-off upload is kept");
    p.huangshi.stop().await;
    p.jiujiang.stop().await;
}

/// Sets a file's modification time `days` back.
fn age(path: &std::path::Path, days: u64) {
    let then = std::time::SystemTime::now() - Duration::from_secs(days * 24 * 3600);
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(then))
        .unwrap_or_else(|e| panic!("aging {}: {e}", path.display()));
}

#[tokio::test]
async fn files_no_message_references_go_after_seven_days_the_others_stay() {
    let p = pair().await;
    let hs = p.huangshi.operator_client();
    let jj = p.jiujiang.operator_client();
    let (transfer, materials) = transfer_with_scans(&hs).await;
    let never_sent = hs
        .upload(
            "未发送的扫描件",
            "application/pdf",
            demo::pdf(&["never sent"], 10_000),
        )
        .await
        .expect("uploaded");
    let fresh = hs
        .upload(
            "刚上传的扫描件",
            "application/pdf",
            demo::pdf(&["just uploaded"], 10_000),
        )
        .await
        .expect("uploaded");
    send(&hs, "transfer", JIUJIANG, None, transfer).await;
    jj.wait_for_case(CASE, WAIT, |v| demo::files_fetched(v) == 2)
        .await
        .expect("both materials fetched");

    // Everything but the fresh upload is eight days old, and a fetch left a partial
    // file as old.
    let hs_files = p.huangshi.node().files();
    let jj_files = p.jiujiang.node().files();
    for (reference, _) in &materials {
        age(&hs_files.path(&reference.sha256), 8);
        age(&jj_files.path(&reference.sha256), 8);
    }
    age(&hs_files.path(&never_sent.sha256), 8);
    let partial = p
        .jiujiang
        .node()
        .config()
        .data_dir
        .join("files/partial/abandoned.part");
    std::fs::write(&partial, b"%PDF-1.7 cut off").expect("partial");
    age(&partial, 8);

    let collected = p.huangshi.node().collect_file_garbage().expect("collected");
    assert_eq!(
        (collected.files, collected.partial),
        (1, 0),
        "{collected:?}"
    );
    assert!(
        !hs_files.path(&never_sent.sha256).exists(),
        "the upload never sent is gone"
    );
    assert!(
        hs_files.path(&fresh.sha256).exists(),
        "a fresh upload stays 7 days"
    );
    let collected = p.jiujiang.node().collect_file_garbage().expect("collected");
    assert_eq!(
        (collected.files, collected.partial),
        (0, 1),
        "{collected:?}"
    );
    assert!(!partial.exists(), "the abandoned partial file is gone");
    // The materials of the transfer stay on both sides, and still serve.
    for (reference, bytes) in &materials {
        assert!(hs_files.holds(reference) && jj_files.holds(reference));
        let (held, _) = jj.download(reference.sha256.as_str()).await.expect("held");
        assert_eq!(&held, bytes);
    }
    p.huangshi.stop().await;
    p.jiujiang.stop().await;
}

/// Protocol 1.1's agent (§6): the power of attorney is a file the transfer references,
/// so the authority fetches it with the materials and the clock waits for it; to a
/// member that speaks only 1.0 the node sends no 1.1 member at all.
#[tokio::test]
async fn an_agents_power_of_attorney_travels_and_a_1_0_peer_gets_no_1_1_member_or_type() {
    let p = pair().await;
    let hs = p.huangshi.operator_client();
    let jj = p.jiujiang.operator_client();
    let (transfer, materials) = transfer_with_scans(&hs).await;
    let mut body: Transfer = serde_json::from_value(transfer).expect("transfer");
    let agent = sample::agent_transfer_body().expect("sample").agent;
    let mut agent = agent.expect("an agent");
    let letter = demo::pdf(&["授权委托书", "陈丽华 委托 陈立新"], 120_000);
    agent.power_of_attorney = hs
        .upload("授权委托书", "application/pdf", letter.clone())
        .await
        .expect("uploaded");
    body.agent = Some(agent.clone());
    body.channel = Some(Channel::Window);
    let body = serde_json::to_value(&body).expect("json");
    send(&hs, "transfer", JIUJIANG, None, body.clone()).await;
    // The clock starts once Jiujiang holds all three and said so (files_received, §19).
    let every_file = |v: &Value| {
        demo::files_fetched(v) == materials.len() + 1
            && v["tracks"][0]["files_received_on"].is_string()
    };
    jj.wait_for_case(CASE, WAIT, every_file)
        .await
        .expect("the materials and the power of attorney fetched");
    let (fetched, _) = jj
        .download(agent.power_of_attorney.sha256.as_str())
        .await
        .expect("held");
    assert_eq!(fetched, letter);

    // Between members of 1.0 only, the same transfer is refused before it is signed
    // for the wire: the member does not exist in the version they negotiated.
    let dir = tempfile::tempdir().expect("temporary directory");
    let old = [ProtocolVersion::V1_0];
    let nodes = demo::prepare_speaking(dir.path(), &[HUANGSHI, JIUJIANG], &old).expect("prepare");
    let load = |node: &str| Config::load(&nodes[node].config).expect("config");
    let _jiujiang = start(load(JIUJIANG)).await.expect("Jiujiang starts");
    let huangshi = start(load(HUANGSHI)).await.expect("Huangshi starts");
    let refused = huangshi
        .operator_client()
        .send(&json!({"type": "transfer", "case": CASE, "to": JIUJIANG, "agreement": AGREEMENT, "body": body}))
        .await
        .expect_err("a 1.1 member to a 1.0 peer");
    assert_eq!(
        (refused.status, refused.code().as_deref()),
        (400, Some("message.invalid"))
    );
    assert!(refused.body.contains("/body/channel"), "{}", refused.body);
    // So is a message type of 1.1: originals by post.
    let mut originals = demo::step_body("shipment").expect("body");
    originals["contents"] = json!("originals");
    let refused = huangshi
        .operator_client()
        .send(&json!({"type": "shipment", "case": CASE, "to": JIUJIANG, "agreement": AGREEMENT, "body": originals}))
        .await
        .expect_err("a 1.1 type to a 1.0 peer");
    assert_eq!(
        (refused.status, refused.code().as_deref()),
        (400, Some("message.unknown_type"))
    );
}

/// (1.1) 好差评 between two nodes: a poor grade shows on both sides with the
/// rectification due (the barber item sets no limit: 15 working days), and the
/// authority's rectification answers it; a second grade is refused at the sender.
#[tokio::test]
async fn a_poor_grade_shows_a_rectification_due_until_the_authority_answers() {
    let p = pair().await;
    let hs = p.huangshi.operator_client();
    let jj = p.jiujiang.operator_client();
    let (transfer, _) = transfer_with_scans(&hs).await;
    let transfer_id = send(&hs, "transfer", JIUJIANG, None, transfer).await;
    hs.wait_for_case(CASE, WAIT, |v| track_state(v) == Some("received"))
        .await
        .expect("received");
    let review = demo::step_body("status_update").expect("body");
    send(&jj, "status_update", HUANGSHI, Some(&transfer_id), review).await;
    let decision = json!({"outcome": "refused", "decided_by": "九江市行政审批局", "reason": "经营场所不符合规划用途", "documents": []});
    send(&jj, "decision", HUANGSHI, Some(&transfer_id), decision).await;
    hs.wait_for_case(CASE, WAIT, |v| track_state(v) == Some("decided"))
        .await
        .expect("decided");

    let mut poor = demo::step_body("evaluation").expect("body");
    poor["grade"] = json!("very_dissatisfied");
    poor["comment"] = json!("拒绝理由没有提前告知");
    let evaluation = send(&hs, "evaluation", JIUJIANG, Some(&transfer_id), poor).await;
    let opened = |v: &Value| v["tracks"][0]["rectification_deadline"]["due"].is_string();
    let view = jj.wait_for_case(CASE, WAIT, opened).await.expect("graded");
    let track = &view["tracks"][0];
    assert_eq!(track["evaluation"]["grade"], "very_dissatisfied");
    assert_eq!(track["evaluation"]["rectification_working_days"], 15);
    assert_eq!(track["rectification_deadline"]["overdue"], false);
    let again = hs
        .send(
            &json!({"type": "evaluation", "case": CASE, "to": JIUJIANG, "agreement": AGREEMENT,
            "in_reply_to": transfer_id, "body": demo::step_body("evaluation").expect("body")}),
        )
        .await
        .expect_err("one evaluation per track");
    assert_eq!(
        again.code().as_deref(),
        Some("lifecycle.illegal_transition")
    );

    let measures = json!({"measures": "已约谈经办人员，拒绝前一次性告知全部问题"});
    send(&jj, "rectification", HUANGSHI, Some(&evaluation), measures).await;
    let rectified = |v: &Value| v["tracks"][0]["evaluation"]["rectified_by"].is_string();
    let view = hs
        .wait_for_case(CASE, WAIT, rectified)
        .await
        .expect("rectified");
    assert_eq!(
        view["tracks"][0]["rectification_deadline"]["overdue"],
        false
    );
    p.huangshi.stop().await;
    p.jiujiang.stop().await;
}

/// Replicas keep the files in their shared `data_dir`: a scan uploaded through one
/// replica (not at the registry's address) is served to the partner by the other.
#[tokio::test]
async fn a_file_uploaded_through_one_replica_is_served_by_another() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare_speaking(dir.path(), &[HUANGSHI, JIUJIANG], BOTH).expect("prepare");
    let load = |config: &std::path::Path| Config::load(config).expect("config");
    let jiujiang = start(load(&nodes[JIUJIANG].config))
        .await
        .expect("Jiujiang starts");
    // Replica a answers at the registry's address; b has addresses of its own.
    let a = start(load(&nodes[HUANGSHI].config))
        .await
        .expect("replica a starts");
    let second = demo::prepare_replica(&nodes[HUANGSHI].config, "huangshi-b").expect("replica b");
    let b = start(load(&second.config)).await.expect("replica b starts");
    assert_ne!(b.address, a.address);
    let (transfer, materials) = transfer_with_scans(&b.operator_client()).await;
    send(&b.operator_client(), "transfer", JIUJIANG, None, transfer).await;
    let jj = jiujiang.operator_client();
    jj.wait_for_case(CASE, WAIT, |v| demo::files_fetched(v) == 2)
        .await
        .expect("both materials fetched from the registry's address");
    for (reference, bytes) in &materials {
        let (fetched, _) = jj.download(reference.sha256.as_str()).await.expect("held");
        assert_eq!(&fetched, bytes);
    }
    // The fetch went to replica a: it served what b took in.
    let served = |node: &RunningNode| {
        demo::metric(
            &node.node().metrics_text().expect("metrics"),
            "tongban_file_bytes_total",
            &[("direction", "served")],
        )
    };
    let total: u64 = materials.iter().map(|(r, _)| r.size).sum();
    assert_eq!(served(&a), total as f64);
    assert_eq!(served(&b), 0.0);
    for node in [b, a, jiujiang] {
        node.stop().await;
    }
}
