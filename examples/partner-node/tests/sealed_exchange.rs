//! Sealed bodies and files between running nodes (PROTOCOL §24.5, §24.6) over loopback
//! HTTP: with sealing keys listed in the registry and given to each node, Huangshi's
//! transfer travels sealed to Jiujiang, its scans sealed too; Jiujiang opens the body,
//! fetches the sealed bytes at their address, opens and checks them, and answers with
//! `files_received` listing those addresses, which starts Huangshi's clock. Neither
//! database holds the applicant's identity number or phone, Jiujiang's files are kept
//! sealed, and its operator API opens them for its own staff only.

use partner_node::demo::{self, track_state, OperatorClient};
use partner_node::{start, Config, Node, RunningNode};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use tongban::sample::{self, AGREEMENT, CASE, HUANGSHI, JIUJIANG};
use tongban::*;

const WAIT: Duration = Duration::from_secs(30);

/// The sample applicant's identity number and phone (an invented person).
const CITIZEN_ID: &str = "420202199001011231";
const PHONE: &str = "13907140000";

struct Pair {
    dir: tempfile::TempDir,
    huangshi: RunningNode,
    jiujiang: RunningNode,
    /// Huangshi's protocol endpoint.
    at_huangshi: String,
}

async fn pair() -> Pair {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare_sealing(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare");
    let load = |node: &str| Config::load(&nodes[node].config).expect("config");
    let jiujiang = start(load(JIUJIANG)).await.expect("Jiujiang starts");
    let huangshi = start(load(HUANGSHI)).await.expect("Huangshi starts");
    Pair {
        dir,
        huangshi,
        jiujiang,
        at_huangshi: nodes[HUANGSHI].endpoint.clone(),
    }
}

/// Jiujiang's signed request for the file `sha256` at Huangshi's `endpoint` (§23.3):
/// the status, the content type and the body of the answer.
async fn fetch_from_huangshi(endpoint: &str, sha256: &Sha256Digest) -> (u16, String, Vec<u8>) {
    let path = format!(
        "{}{}",
        reqwest::Url::parse(endpoint).expect("url").path(),
        tongban::file::file_path(sha256)
    );
    let request = tongban::file::FileRequest::sign(
        &sample::key(JIUJIANG).expect("key"),
        &NodeId::parse(HUANGSHI).expect("node"),
        &path,
        sha256,
        &Timestamp::now(),
    )
    .expect("signed");
    let response = reqwest::Client::new()
        .get(format!("{endpoint}/files/{sha256}"))
        .header(tongban::file::REQUEST_HEADER, request)
        .send()
        .await
        .expect("answer");
    let status = response.status().as_u16();
    let content_type = (response.headers().get("content-type"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (
        status,
        content_type,
        response.bytes().await.expect("body").to_vec(),
    )
}

/// Everything `node`'s database keeps of messages, cases and files, whichever database
/// it is (SQLite or PostgreSQL), as one run of bytes to search.
fn stored(node: &RunningNode) -> Vec<u8> {
    let queries = [
        "SELECT bytes FROM messages",
        "SELECT receipt FROM messages WHERE receipt IS NOT NULL",
        "SELECT state FROM cases",
        "SELECT name || ' ' || sha256 || ' ' || media_type FROM message_files",
        "SELECT name || ' ' || sha256 || ' ' || COALESCE(last_error, '') FROM fetches",
    ];
    let mut all = Vec::new();
    for query in queries {
        let rows = node
            .node()
            .read(|db| db.query(query, &[]))
            .expect("read the database");
        for row in rows {
            let value = row.blob(0).or_else(|_| row.text(0).map(String::into_bytes));
            all.extend(value.expect("a value"));
            all.push(b'\n');
        }
    }
    all
}

fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The file references, keys included, of `message` (as a case view shows it) that
/// Huangshi sent `node`, from the message kept as it arrived, opened again.
fn kept_references(node: &RunningNode, message: &Value) -> Vec<FileRef> {
    let node = node.node();
    let sender = NodeId::parse(HUANGSHI).expect("node");
    let id = MessageId::parse(message["id"].as_str().expect("id")).expect("id");
    let kept = (node.read(|db| partner_node::store::find_message(db, &sender, &id)))
        .expect("read")
        .expect("stored");
    let kept = node.readable(&kept.bytes).expect("reopened");
    (tongban::file::references(&kept.envelope.body).into_iter())
        .cloned()
        .collect()
}

/// Whether any file under `dir` (recursively) holds `needle`.
fn found_under(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            found.extend(found_under(&path, needle));
        } else {
            let bytes = std::fs::read(&path).unwrap_or_default();
            if holds(&bytes, needle) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

/// Huangshi's window uploads two scans (the first of `size` bytes) and sends the sample
/// transfer of a theme with them to Jiujiang; each scan's reference, bytes and the ASCII line it
/// carries (what the sample PDF writer keeps of a line), which names the identity number.
async fn send_scans(hs: &OperatorClient, size: usize) -> Vec<(FileRef, Vec<u8>, String)> {
    // (A transfer of a theme: its case keeps the materials shared across the theme.)
    let [mut body, _] = sample::theme_transfer_bodies().expect("bodies");
    let mut scans = Vec::new();
    for (index, material) in body.materials.iter_mut().enumerate() {
        let marker = format!("Scan {index} of an identity card, number {CITIZEN_ID}");
        let scan = demo::pdf(&[&marker], size + index * 30_000);
        *material = hs
            .upload(&material.name, "application/pdf", scan.clone())
            .await
            .expect("uploaded");
        scans.push((material.clone(), scan, marker));
    }
    let transfer = json!({"type": "transfer", "case": CASE, "to": JIUJIANG, "agreement": AGREEMENT,
        "body": serde_json::to_value(&body).expect("json")});
    hs.send(&transfer).await.expect("queued");
    scans
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_and_its_scans_travel_sealed_and_open_only_at_the_receiver() {
    let pair = pair().await;
    let hs = pair.huangshi.operator_client();
    let jj = pair.jiujiang.operator_client();

    // Huangshi's window uploads two scans and sends the transfer.
    let scans = send_scans(&hs, 40_000).await;

    // Jiujiang received it sealed, opened it, fetched both files and checked them.
    let view = jj
        .wait_for_case(CASE, WAIT, |v| demo::files_fetched(v) == 2)
        .await
        .expect("Jiujiang holds the scans");
    let received = &view["messages"][0];
    assert_eq!(received["type"], "transfer");
    assert!(
        received["message"]["body"]["sealed"].is_object(),
        "stored as it arrived, sealed: {received}"
    );
    assert!(received["message"]["body"].get("applicant").is_none());
    let opened = &received["opened"];
    assert_eq!(opened["opened_with"], format!("{JIUJIANG}#seal"));
    assert_eq!(opened["body"]["applicant"]["citizen_id"], CITIZEN_ID);
    let files = view["files"].as_array().expect("files");
    assert_eq!(files.len(), 2, "{files:?}");
    for (reference, scan, _) in &scans {
        let file = files
            .iter()
            .find(|f| f["sha256"] == reference.sha256.as_str())
            .expect("the scan's reference, opened");
        assert_eq!(file["sealed"], true);
        assert_eq!(file["fetch"]["status"], "complete");
        let address = file["address"].as_str().expect("address");
        assert_ne!(address, reference.sha256.as_str());
        // Kept sealed: the bytes at the address are the sealed ones.
        let kept = pair
            .jiujiang
            .node()
            .files()
            .path(&Sha256Digest::parse(address).expect("digest"));
        let kept = std::fs::read(kept).expect("kept");
        assert_eq!(Sha256Digest::of(&kept).as_str(), address);
        assert_eq!(kept.len() as u64, seal::sealed_size(scan.len() as u64));
        // Its operator API opens it, checked, for Jiujiang's own staff.
        let (bytes, media_type) = jj.download(address).await.expect("opened for the operator");
        assert_eq!(&bytes, scan);
        assert_eq!(media_type, "application/pdf");
        // Huangshi serves the receiver the sealed bytes at their address, and never the
        // file in clear, to anyone, the receiver included.
        let address = Sha256Digest::parse(address).expect("digest");
        let (status, content_type, served) = fetch_from_huangshi(&pair.at_huangshi, &address).await;
        assert_eq!(
            (status, content_type.as_str()),
            (200, "application/octet-stream")
        );
        assert_eq!(served, kept);
        let (status, _, answer) = fetch_from_huangshi(&pair.at_huangshi, &reference.sha256).await;
        assert_eq!(status, 404, "{}", String::from_utf8_lossy(&answer));
    }

    // files_received listed the sealed addresses: Huangshi's clock started.
    let view = hs
        .wait_for_case(CASE, WAIT, |v| {
            v["tracks"][0]["files_received_on"].is_string()
        })
        .await
        .expect("Huangshi learns that Jiujiang holds the scans");
    assert_eq!(track_state(&view), Some("received"));
    let sent: Vec<&Value> = view["files"].as_array().expect("files").iter().collect();
    assert_eq!(sent.len(), 2, "{sent:?}");
    // The sender keeps what it sent, sealed, and shows each file as its case recorded
    // it: the file it uploaded, at the address it serves it from.
    for (reference, _, _) in &scans {
        let file = sent
            .iter()
            .find(|f| f["sha256"] == reference.sha256.as_str())
            .expect("the upload's reference");
        assert_eq!(
            (&file["sealed"], &file["held"]),
            (&json!(true), &json!(true))
        );
        assert_ne!(file["address"], file["sha256"]);
    }

    // At rest: neither database holds the identity number or the phone, Jiujiang's
    // none of the file keys, and nothing Jiujiang keeps holds a scan in clear.
    // The keys are in the message as it arrived, opened again; the operator API leaves
    // them out of what it shows opened.
    let file_keys: Vec<String> = kept_references(&pair.jiujiang, received)
        .iter()
        .map(|r| r.sealed.as_ref().expect("sealed").key.clone())
        .collect();
    assert_eq!(file_keys.len(), 2);
    for material in opened["body"]["materials"].as_array().expect("materials") {
        assert_eq!(material["sealed"]["key"], "", "{material}");
    }
    let data = |node: &str| pair.dir.path().join(node).join("data");
    for (node, running) in [(HUANGSHI, &pair.huangshi), (JIUJIANG, &pair.jiujiang)] {
        let database = stored(running);
        assert!(
            holds(&database, b"\"sealed\""),
            "the stored messages, sealed"
        );
        for secret in [CITIZEN_ID, PHONE] {
            assert!(
                !holds(&database, secret.as_bytes()),
                "{secret} in clear at {node}"
            );
            // The SQLite file and its journal too (beside PostgreSQL, nothing).
            let mut found = found_under(&data(node), secret.as_bytes());
            found.retain(|path| !path.contains("/files/"));
            assert!(found.is_empty(), "{secret} in clear at {node}: {found:?}");
        }
    }
    let database = stored(&pair.jiujiang);
    for key in &file_keys {
        assert!(
            !holds(&database, key.as_bytes()),
            "a file key kept at Jiujiang"
        );
        let found = found_under(&data(JIUJIANG), key.as_bytes());
        assert!(found.is_empty(), "a file key kept at Jiujiang: {found:?}");
    }
    for (_, _, marker) in &scans {
        let found = found_under(&data(JIUJIANG), marker.as_bytes());
        assert!(found.is_empty(), "a scan in clear at Jiujiang: {found:?}");
        // The search finds what is there: Huangshi keeps its uploads.
        let uploaded = found_under(&data(HUANGSHI), marker.as_bytes());
        assert_eq!(uploaded.len(), 1, "{uploaded:?}");
    }

    // Huangshi keeps its uploads in clear as its own (garbage collection does not take
    // them), and the sealed copies it serves.
    let huangshi = pair.huangshi.node();
    let referenced = |sha256: &Sha256Digest| {
        huangshi
            .read(|db| partner_node::files::records::is_referenced(db, sha256))
            .expect("read")
    };
    std::thread::sleep(Duration::from_millis(20));
    let garbage = (huangshi.files().find_garbage(referenced, Duration::ZERO)).expect("found");
    huangshi
        .files()
        .remove_garbage(&garbage, referenced)
        .expect("collected");
    for (reference, _, _) in &scans {
        assert!(huangshi.files().holds(reference), "the upload in clear");
    }
    for file in files {
        let address =
            Sha256Digest::parse(file["address"].as_str().expect("address")).expect("digest");
        assert!(
            huangshi.files().size_of(&address).is_some(),
            "the sealed copy"
        );
    }

    // Jiujiang's health lists its sealing keys, both held.
    let health = jj.health().await.expect("health");
    assert_eq!(health["status"], "ok", "{health}");
    let keys = health["sealing_keys"].as_array().expect("sealing keys");
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| k["held"] == true));
    pair.huangshi.stop().await;
    pair.jiujiang.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_its_listed_sealing_key_says_so_and_refuses_what_is_sealed_to_it() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare_sealing(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare");
    let mut config = Config::load(&nodes[JIUJIANG].config).expect("config");
    config.sealing_keys.clear();
    let node = Node::open(config).expect("opens");
    let health = node.health();
    let warnings = health["warnings"].to_string();
    assert_eq!(health["status"], "warning");
    for kid in [format!("{JIUJIANG}#seal"), format!("{JIUJIANG}#seal-sm2")] {
        assert!(warnings.contains(&kid), "{warnings}");
    }
    // A transfer sealed to the key it lacks: refused with its own code, nothing kept.
    let registry = node.registry();
    let body = Body::Transfer(sample::transfer_body().expect("body"));
    let mut envelope = Envelope::new(
        sample::route(HUANGSHI).expect("route"),
        body,
        Timestamp::now(),
        3_600,
    )
    .expect("envelope")
    .with_protocol(ProtocolVersion::V1_1);
    sample::mark_files_sealed(&mut envelope.body);
    registry.seal_body(&mut envelope).expect("sealed");
    let bytes = envelope
        .sign_to_bytes(&sample::key(HUANGSHI).expect("key"))
        .expect("signed");
    // The fault is this node's (its key is listed): a 500 that the sender retries, not
    // seal.unknown_key, which would fail its delivery for good.
    let refused = node.receive(&bytes).expect_err("cannot be opened here");
    assert_eq!(refused.status, 500, "{:?}", refused.body);
    assert_eq!(refused.body.code, "node.storage", "{:?}", refused.body);
    // Sealed to a key the registry does not list for it: the sender's fault, final.
    let stranger = seal::SealingKeyPair::from_secret(
        KeyId::parse(format!("{JIUJIANG}#unlisted")).expect("kid"),
        NodeId::parse(JIUJIANG).expect("node"),
        seal::SealingSuite::HpkeX25519Aes128Gcm,
        &[9u8; 32],
    )
    .expect("key");
    let mut envelope = Envelope::new(
        sample::route(HUANGSHI).expect("route"),
        Body::Transfer(sample::transfer_body().expect("body")),
        Timestamp::now(),
        3_600,
    )
    .expect("envelope")
    .with_protocol(ProtocolVersion::V1_1);
    sample::mark_files_sealed(&mut envelope.body);
    envelope
        .seal_body(stranger.key_id(), stranger.public_key())
        .expect("sealed");
    let bytes = envelope
        .sign_to_bytes(&sample::key(HUANGSHI).expect("key"))
        .expect("signed");
    let refused = node.receive(&bytes).expect_err("not a listed key");
    assert_ne!(refused.status, 500, "{:?}", refused.body);
    assert!(refused.body.code.starts_with("seal."), "{:?}", refused.body);
    assert!(node
        .case_view(&partner_node::store::CaseKey {
            window: NodeId::parse(HUANGSHI).expect("node"),
            case: CaseId::parse(CASE).expect("case"),
        })
        .expect("read")
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_cannot_hand_in_its_own_file_keys() {
    let pair = pair().await;
    let hs = pair.huangshi.operator_client();
    let mut body = sample::transfer_body().expect("body");
    for material in body.materials.iter_mut() {
        let scan = demo::pdf(&["a scan"], 10_000);
        *material = hs
            .upload(&material.name, "application/pdf", scan)
            .await
            .expect("uploaded");
    }
    let mut body = serde_json::to_value(&body).expect("json");
    // A key chosen outside the node (known to whoever wrote it) is refused.
    body["materials"][0]["sealed"] =
        json!({"key": "AAAAAAAAAAAAAAAAAAAAAA", "sha256": Sha256Digest::of(b"x")});
    let refused = hs
        .send(&json!({"type": "transfer", "case": CASE, "to": JIUJIANG, "agreement": AGREEMENT, "body": body}))
        .await
        .expect_err("refused");
    assert_eq!(
        refused.code().as_deref(),
        Some("message.invalid"),
        "{refused:?}"
    );
    assert!(refused.body.contains("fills in itself"), "{}", refused.body);
    // Nothing was queued.
    assert!(hs.case(CASE).await.expect("read").is_none());
    pair.huangshi.stop().await;
    pair.jiujiang.stop().await;
}

#[test]
fn a_sealing_key_that_is_not_the_nodes_is_refused_with_the_setting_at_fault() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare_sealing(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare");
    let config = &nodes[JIUJIANG].config;
    let original = std::fs::read_to_string(config).expect("config");
    let line = original
        .lines()
        .find(|line| line.starts_with("sealing_key_files = "))
        .expect("sealing keys configured")
        .to_string();
    let node_dir = config.parent().expect("directory");
    // Jiujiang's key id with another secret: not the key the registry lists.
    let suite = seal::SealingSuite::HpkeX25519Aes128Gcm;
    let impostor = seal::SealingKeyPair::from_secret(
        KeyId::parse(format!("{JIUJIANG}#seal")).expect("kid"),
        NodeId::parse(JIUJIANG).expect("node"),
        suite,
        &[7u8; 32],
    )
    .expect("key");
    let json = serde_json::to_vec(&impostor.to_file()).expect("json");
    std::fs::write(node_dir.join("impostor.json"), json).expect("write");
    let huangshis = format!("../{HUANGSHI}/{}.key.json", suite.as_str());
    let files = |list: &str| original.replace(&line, &format!("sealing_key_files = {list}"));
    let cases = [
        (
            files(&format!("[\"{huangshis}\"]")),
            "sealing_key_files: the key belongs to huangshi.420200",
        ),
        (
            files("[\"impostor.json\"]"),
            "sealing_key_files: the registry lists jiujiang.360400's sealing key jiujiang.360400#seal with another public key",
        ),
        (files("[\"key.json\"]"), "key.malformed"),
        (files("[\"missing.json\"]"), "sealing_key_files: cannot read"),
        (
            files(&format!("[\"{0}.key.json\", \"{0}.key.json\"]", suite.as_str())),
            "sealing_key_files: key jiujiang.360400#seal is given twice",
        ),
    ];
    for (text, expected) in cases {
        std::fs::write(config, &text).expect("write config");
        let error = Config::load(config).expect_err(expected);
        assert_eq!(error.code(), "node.config");
        assert!(
            error.to_string().contains(expected),
            "{error} does not name {expected}"
        );
    }
    std::fs::write(config, &original).expect("restore");
    let loaded = Config::load(config).expect("the node's own keys");
    assert_eq!(loaded.sealing_keys.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_naming_another_messages_sealed_file_gets_no_files_received_for_it() {
    let pair = pair().await;
    let hs = pair.huangshi.operator_client();
    let jj = pair.jiujiang.operator_client();
    let scans = send_scans(&hs, 20_000).await;
    let view = jj
        .wait_for_case(CASE, WAIT, |v| demo::files_fetched(v) == 2)
        .await
        .expect("Jiujiang holds the scans");
    hs.wait_for_case(CASE, WAIT, |v| {
        v["tracks"][0]["files_received_on"].is_string()
    })
    .await
    .expect("the honest transfer is acknowledged");

    // Huangshi (or anyone with its key) sends another case whose references name the
    // sealed bytes of the first: each opens only under the first message's context.
    let mut body = sample::transfer_body().expect("body");
    body.materials = kept_references(&pair.jiujiang, &view["messages"][0]);
    let route = Route {
        case: CaseId::parse("HS-2026-000999").expect("case"),
        ..sample::route(HUANGSHI).expect("route")
    };
    let mut envelope = Envelope::new(route, Body::Transfer(body), Timestamp::now(), 3_600)
        .expect("envelope")
        .with_protocol(ProtocolVersion::V1_1);
    let jiujiang = pair.jiujiang.node();
    assert!(jiujiang
        .registry()
        .seal_body(&mut envelope)
        .expect("sealed"));
    let bytes = envelope
        .sign_to_bytes(&sample::key(HUANGSHI).expect("key"))
        .expect("signed");
    jiujiang.receive(&bytes).expect("a valid message, accepted");
    // Its files are held already, so nothing is fetched; they are opened under this
    // message, which they are not bound to: no files_received, now or later.
    assert_eq!(jiujiang.acknowledge_files().expect("acknowledged"), 0);
    let awaiting =
        (jiujiang.read(partner_node::files::records::awaiting_acknowledgement)).expect("read");
    assert!(
        awaiting.iter().all(|(_, id)| id != envelope.id.as_str()),
        "withheld for good, not looked at again: {awaiting:?}"
    );
    let second = jj
        .case("HS-2026-000999")
        .await
        .expect("read")
        .expect("the case");
    let answered = second["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .any(|m| m["type"] == "files_received");
    assert!(!answered, "{second}");
    assert!(second["tracks"][0]["files_received_on"].is_null());
    // The operator still opens the file as the message it is bound to names it.
    let address = view["files"][0]["address"].as_str().expect("address");
    let (bytes, _) = jj.download(address).await.expect("opened");
    let index = usize::from(view["files"][0]["size"] != scans[0].1.len());
    assert_eq!(bytes, scans[index].1);
    pair.huangshi.stop().await;
    pair.jiujiang.stop().await;
}

#[test]
fn a_registry_that_lists_another_key_under_a_sealing_key_id_of_the_node_is_not_installed() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare_sealing(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare");
    let node = Node::open(Config::load(&nodes[JIUJIANG].config).expect("config")).expect("opens");
    let next = |other_key: bool| {
        let mut document = sample::registry_document(2, &[0, 1, 2], 2).expect("document");
        sample::add_sealing_keys(&mut document).expect("keys");
        if other_key {
            let member = (document.members.iter_mut())
                .find(|m| m.node.as_str() == JIUJIANG)
                .expect("Jiujiang");
            let key = &mut member.sealing_keys.as_mut().expect("sealing keys")[0];
            let other = seal::SealingKeyPair::from_secret(
                key.key_id.clone(),
                NodeId::parse(JIUJIANG).expect("node"),
                seal::SealingSuite::from_name(&key.algorithm).expect("suite"),
                &[5u8; 32],
            )
            .expect("key");
            key.public_key = tongban::crypto::base64url(other.public_key().as_bytes());
        }
        sample::signed_registry(&document, &[0, 1]).expect("signed")
    };
    let refused = node.install_registry(&next(true)).expect_err("another key");
    assert_eq!(
        refused.body.code, "operator.registry_without_node",
        "{:?}",
        refused.body
    );
    assert!(
        refused.body.message.contains("sealing key"),
        "{}",
        refused.body.message
    );
    assert_eq!(node.registry().version(), 1);
    // The same registry with the node's own keys is installed.
    node.install_registry(&next(false)).expect("installed");
    assert_eq!(node.registry().version(), 2);
}
