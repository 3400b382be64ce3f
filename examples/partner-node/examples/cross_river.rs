//! The main job: a cross-river case between two reference nodes on one machine.
//!
//! Huangshi (黄石, Hubei) and Jiujiang (九江, Jiangxi) each run a reference node on
//! loopback with its own SQLite file in a temporary data directory, both trusting the
//! sample registry (with loopback endpoints). A barber shop registration handed in at
//! Huangshi's cross-region window goes transfer → receipt → review → supplement request →
//! supplement → decision, each message signed by one node, sent over HTTP, verified by
//! the other and acknowledged with a signed receipt. Both nodes speak protocol 1.1, so
//! the files travel too (§23): the two materials (small PDFs made on the fly) go to
//! Jiujiang, which fetches them, checks each against the digest in the signed transfer
//! and says so (`files_received`, from which the time limit runs); the supplement's scan
//! follows; the decision brings the licence PDF back. The case's deadline is printed as
//! it goes, with the theme the registration belongs to (开理发店, 一事联办).
//!
//! A third node, Wuhan (武汉), then takes a case of the Wuhan "1+8" city circle, whose
//! agreement is on the national suite `sm2-sm3` (§15): Huangshi signs that transfer with
//! its SM2 key, and Wuhan's receipt and review come back signed with SM2 as well.
//!
//! Run with `cargo run -p partner-node --example cross_river`.

use partner_node::demo::{self, track_state, OperatorClient};
use partner_node::{start, Config, RunningNode};
use serde_json::{json, Value};
use std::time::Duration;
use tongban::sample::{self, AGREEMENT, CASE, CIRCLE, HUANGSHI, JIUJIANG};
use tongban::FileRef;

const WAIT: Duration = Duration::from_secs(30);
/// The Wuhan node, authority of the city circle's case.
const WUHAN: &str = "wuhan.420100";
/// The city circle's case, handed in at Huangshi.
const CIRCLE_CASE: &str = "HS-2026-000124";

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

type Failure = Box<dyn std::error::Error>;

async fn run() -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    println!(
        "== three reference nodes on loopback, data under {} ==",
        dir.path().display()
    );
    // (1.1) Every member lists sealing keys: bodies and files travel sealed (§24).
    let files = demo::prepare_sealing(dir.path(), &[HUANGSHI, JIUJIANG, WUHAN])?;
    let mut nodes = Vec::new();
    for node in [HUANGSHI, JIUJIANG, WUHAN] {
        let running = start(Config::load(&files[node].config)?).await?;
        println!(
            "{node}: endpoint {}/messages, operator API http://{}, database {}",
            files[node].endpoint,
            running.operator_address,
            running
                .node()
                .config()
                .data_dir
                .join(partner_node::store::DATABASE_FILE)
                .display()
        );
        nodes.push(running);
    }
    let mut result = exchange(&nodes[0], &nodes[1]).await;
    if result.is_ok() {
        result = circle(&nodes[0], &nodes[2]).await;
    }
    if result.is_ok() {
        result = operations(&nodes).await;
    }
    for node in nodes {
        node.stop().await;
    }
    result
}

/// Prints the messages `side` received (and so verified) that are not printed yet,
/// in the order they were stored, with the receipt it gave for each.
fn print_new(side: &str, view: &Value, printed: &mut Vec<String>) {
    for message in view["messages"].as_array().into_iter().flatten() {
        let id = message["id"].as_str().unwrap_or_default().to_string();
        if message["direction"] != "in" || printed.contains(&id) {
            continue;
        }
        printed.push(id.clone());
        println!(
            "\n-- {side} received and verified {} {} ({} → {}) --",
            message["type"].as_str().unwrap_or("?"),
            id,
            message["from"].as_str().unwrap_or("?"),
            message["to"].as_str().unwrap_or("?"),
        );
        println!(
            "{}",
            serde_json::to_string_pretty(&message["message"]).unwrap_or_default()
        );
        // (1.1) A body sealed to this node (§24.5): what its operator API opens, shown
        // here masked (identity numbers, phones and file keys), as a log shows it.
        if let Some(opened) = message["opened"].as_object() {
            let body = tongban::mask::masked(opened.get("body").unwrap_or(&Value::Null));
            println!(
                "-- its body arrived sealed to {}; opened here (shown masked): --\n{}",
                opened
                    .get("opened_with")
                    .and_then(Value::as_str)
                    .unwrap_or("?"),
                serde_json::to_string_pretty(&body).unwrap_or_default()
            );
        }
        if let Some(receipt) = message["receipt"].as_object() {
            println!(
                "-- answered with receipt {} signed by {} ({}), binding sha256 {} --",
                receipt.get("id").and_then(Value::as_str).unwrap_or("?"),
                receipt.get("from").and_then(Value::as_str).unwrap_or("?"),
                suites(receipt.get("signatures").unwrap_or(&Value::Null)).join(", "),
                receipt
                    .get("body")
                    .and_then(|b| b.get("answers_sha256"))
                    .and_then(Value::as_str)
                    .unwrap_or("?"),
            );
        }
    }
}

fn print_deadline(side: &str, view: &Value) {
    let track = &view["tracks"][0];
    let deadline = &track["deadline"];
    let text = if let Some(due) = deadline["due"].as_str() {
        let stopped = match deadline["paused"] == true {
            true => " (the clock is stopped for the 补正: due then if the supplement came today)",
            false => "",
        };
        let promised = match track["committed_deadline"]["due"].as_str() {
            Some(day) => format!("; promised by {day}"),
            None => String::new(),
        };
        let theme = match track["theme_deadline"]["due"].as_str() {
            Some(day) => format!(
                "; the theme {} (一事联办) by {day}",
                track["theme"]["code"].as_str().unwrap_or("?")
            ),
            None => String::new(),
        };
        format!(
            "due {due}{stopped}, {} working days left of {}{promised}{theme}",
            deadline["remaining_working_days"], track["time_limit_working_days"]
        )
    } else if let Some(code) = deadline.pointer("/error/code").and_then(Value::as_str) {
        format!(
            "deadline unknown [{code}]: {}",
            deadline
                .pointer("/error/message")
                .and_then(Value::as_str)
                .unwrap_or("")
        )
    } else if track["awaits_files"] == true {
        "the clock starts once Jiujiang holds the materials (files_received, §19)".into()
    } else {
        "no deadline until the case is received".into()
    };
    println!(
        "== {side}: case {} is {}, item {} is {}; {text} ==",
        view["case"].as_str().unwrap_or("?"),
        view["status"].as_str().unwrap_or("?"),
        track["item"].as_str().unwrap_or("?"),
        track["state"].as_str().unwrap_or("?"),
    );
}

async fn exchange(huangshi: &RunningNode, jiujiang: &RunningNode) -> Result<(), Failure> {
    let hs = huangshi.operator_client();
    let jj = jiujiang.operator_client();
    let mut printed = Vec::new();
    let at_hs =
        |state: &'static str| move |v: &Value| track_state(v) == Some(state) && delivered(v);
    let at_jj = |state: &'static str| move |v: &Value| track_state(v) == Some(state);

    println!("\n== 1. Huangshi's cross-region window scans the materials and transfers the case to Jiujiang ==");
    // (1.1) The applicant opens a barber shop (开理发店), a theme of the agreement: the
    // registration is its first item, and the whole theme is promised in 10 working days.
    let [mut transfer, _] = sample::theme_transfer_bodies()?;
    for (material, size) in transfer.materials.iter_mut().zip([180_000, 640_000]) {
        let lines = [
            "Scan at Huangshi Citizen Centre, window 12",
            "Case HS-2026-000123",
        ];
        *material = upload(&hs, "Huangshi", &material.name, demo::pdf(&lines, size)).await?;
    }
    let transfer = serde_json::to_value(transfer)?;
    let queued = hs
        .send(&json!({"type": "transfer", "case": CASE, "to": JIUJIANG, "agreement": AGREEMENT, "body": transfer}))
        .await?;
    let transfer_id = queued["id"].as_str().unwrap_or_default().to_string();
    let view = jj.wait_for_case(CASE, WAIT, at_jj("received")).await?;
    print_new("Jiujiang", &view, &mut printed);
    let view = hs.wait_for_case(CASE, WAIT, at_hs("received")).await?;
    print_deadline("Huangshi, after the receipt", &view);
    let view = jj
        .wait_for_case(CASE, WAIT, |v| demo::files_fetched(v) == 2)
        .await?;
    print_files("Jiujiang", &view, &mut printed);
    let view = hs
        .wait_for_case(CASE, WAIT, |v| {
            v["tracks"][0]["files_received_on"].is_string()
        })
        .await?;
    print_new("Huangshi", &view, &mut printed);
    print_deadline("Huangshi, once Jiujiang holds the materials", &view);

    println!("\n== 2. Jiujiang starts its review, then asks for a supplement (补正) ==");
    let review = demo::step_body("status_update")?;
    send_reply(&jj, "status_update", HUANGSHI, &transfer_id, review).await?;
    let request = demo::step_body("supplement_request")?;
    send_reply(&jj, "supplement_request", HUANGSHI, &transfer_id, request).await?;
    let view = hs
        .wait_for_case(CASE, WAIT, at_hs("supplement_requested"))
        .await?;
    print_new("Huangshi", &view, &mut printed);
    print_deadline("Huangshi", &view);

    println!("\n== 3. Huangshi's window scans the signed page and sends the supplement ==");
    let mut supplement = demo::step_body("supplement")?;
    let lines = ["Lease contract, page 4: signatures of both parties"];
    let scan = upload(
        &hs,
        "Huangshi",
        "经营场所租赁合同（含签章页）",
        demo::pdf(&lines, 240_000),
    )
    .await?;
    supplement["materials"] = json!([scan]);
    send_reply(&hs, "supplement", JIUJIANG, &transfer_id, supplement).await?;
    let view = jj.wait_for_case(CASE, WAIT, at_jj("supplemented")).await?;
    print_new("Jiujiang", &view, &mut printed);
    let view = jj
        .wait_for_case(CASE, WAIT, |v| demo::files_fetched(v) == 3)
        .await?;
    print_files("Jiujiang", &view, &mut printed);
    print_deadline("Jiujiang", &view);

    println!("\n== 4. Jiujiang decides and sends the electronic licence ==");
    let mut decision = demo::step_body("decision")?;
    let lines = [
        "Business licence 92360402MA3XJJ0049",
        "Jiujiang Administrative Approval Bureau",
    ];
    let licence = upload(
        &jj,
        "Jiujiang",
        "个体工商户营业执照（电子证照）",
        demo::pdf(&lines, 96_000),
    )
    .await?;
    decision["documents"][0]["file"] = serde_json::to_value(&licence)?;
    // (1.1) The licence's catalogue data, so that Huangshi's window files it unopened;
    // the shop's credit code is its number.
    decision["documents"][0]["number"] = serde_json::json!("92360402MA3XJJ0049");
    decision["documents"][0]["licence"] = serde_json::json!({
        "type_code": "SCJG-YYZZ-GTGSH",
        "type_name": "营业执照",
        "number": "92360402MA3XJJ0049",
        "issuer": "九江市行政审批局",
        "issuer_credit_code": "11360400MB1234567A",
        "holder": "黄石市磁湖理发店九江分店",
        "holder_credit_code": "92360402MA3XJJ0049",
        "valid_from": tongban::calendar::CalendarDate::in_china(&tongban::Timestamp::now()).to_string(),
    });
    send_reply(&jj, "decision", HUANGSHI, &transfer_id, decision).await?;
    let view = hs.wait_for_case(CASE, WAIT, at_hs("decided")).await?;
    print_new("Huangshi", &view, &mut printed);
    let view = hs
        .wait_for_case(CASE, WAIT, |v| demo::files_fetched(v) == 1)
        .await?;
    print_files("Huangshi", &view, &mut printed);
    print_deadline("Huangshi", &view);
    let jj_view = jj
        .wait_for_case(CASE, WAIT, |v| {
            track_state(v) == Some("decided") && delivered(v)
        })
        .await?;
    print_deadline("Jiujiang", &jj_view);

    println!("\n== 5. Jiujiang posts the paper licence to Huangshi's window, which hands it to the applicant ==");
    let mut shipment = demo::step_body("shipment")?;
    shipment["items"][0]["sha256"] = json!(licence.sha256);
    let parcel = jj
        .send(&json!({
            "type": "shipment", "case": CASE, "to": HUANGSHI, "agreement": AGREEMENT,
            "in_reply_to": transfer_id, "body": shipment,
        }))
        .await?;
    let parcel_id = parcel["id"].as_str().unwrap_or_default().to_string();
    let holds_parcel = |v: &Value| {
        let mut messages = v["messages"].as_array().into_iter().flatten();
        messages.any(|m| m["id"] == parcel_id.as_str())
    };
    let view = hs.wait_for_case(CASE, WAIT, holds_parcel).await?;
    print_new("Huangshi", &view, &mut printed);
    let arrived = demo::step_body("shipment_received")?;
    send_reply(&hs, "shipment_received", JIUJIANG, &parcel_id, arrived).await?;
    let handed_over = demo::step_body("delivery")?;
    send_reply(&hs, "delivery", JIUJIANG, &transfer_id, handed_over).await?;
    let view = hs
        .wait_for_case(CASE, WAIT, |v| {
            at_hs("closed")(v) && v["status"] == "completed"
        })
        .await?;
    print_new("Huangshi", &view, &mut printed);
    let jj_view = jj
        .wait_for_case(CASE, WAIT, |v| {
            track_state(v) == Some("closed") && delivered(v)
        })
        .await?;
    print_new("Jiujiang", &jj_view, &mut printed);
    println!(
        "case {CASE}: {} at both ends",
        jj_view["status"].as_str().unwrap_or("?")
    );

    println!("\n== 6. The applicant grades the handling at the window's device (好差评) ==");
    let evaluation = demo::step_body("evaluation")?;
    send_reply(&hs, "evaluation", JIUJIANG, &transfer_id, evaluation).await?;
    let evaluated = |v: &Value| v["tracks"][0]["evaluation"]["grade"].is_string() && delivered(v);
    let view = hs.wait_for_case(CASE, WAIT, evaluated).await?;
    let jj_view = jj.wait_for_case(CASE, WAIT, evaluated).await?;
    print_new("Jiujiang", &jj_view, &mut printed);
    let grade = &jj_view["tracks"][0]["evaluation"]["grade"];
    let rectification = match &jj_view["tracks"][0]["rectification_deadline"] {
        Value::Null => "no rectification (整改) is due".to_string(),
        deadline => format!("a rectification (整改) is due by {}", deadline["due"]),
    };
    println!("Jiujiang holds the grade {grade}: {rectification}");

    let messages = |v: &Value| v["messages"].as_array().map_or(0, Vec::len);
    println!(
        "\n== done: {} messages at Huangshi, {} at Jiujiang, every one signed, verified and receipted ==",
        messages(&view),
        messages(&jj_view)
    );
    // (1.1) Every body but receipts and files_received travelled sealed to its
    // receiver (§24.5), and each node opened those sealed to it.
    let mut sealed = 0;
    for (side, view) in [("Huangshi", &view), ("Jiujiang", &jj_view)] {
        for message in view["messages"].as_array().into_iter().flatten() {
            let arrived_sealed = message["message"]["body"]["sealed"].is_object();
            let never_sealed = message["type"] == "files_received";
            if arrived_sealed == never_sealed {
                return Err(format!(
                    "{side}: a {} sealed or not as §24.5 says otherwise",
                    message["type"]
                )
                .into());
            }
            if message["direction"] == "in" && arrived_sealed && !message["opened"].is_object() {
                return Err(
                    format!("{side}: a {} sealed to it not opened", message["type"]).into(),
                );
            }
            sealed += usize::from(arrived_sealed && message["direction"] == "in");
        }
    }
    println!("== {sealed} bodies travelled sealed to their receiver, which opened each; their files sealed too ==");
    Ok(())
}

/// Step 7: a case of the Wuhan circle, whose agreement is on `sm2-sm3`. Every message
/// of it, receipts included, is signed with SM2 and checked for that suite by its
/// receiver.
async fn circle(huangshi: &RunningNode, wuhan: &RunningNode) -> Result<(), Failure> {
    let hs = huangshi.operator_client();
    let wh = wuhan.operator_client();
    let mut printed = Vec::new();
    println!("\n== 7. Huangshi transfers a medical insurance case to Wuhan, in the Wuhan circle (suite sm2-sm3, SM2 with SM3) ==");
    let mut transfer = serde_json::to_value(sample::transfer_body()?)?;
    let mut materials = Vec::new();
    for (name, size) in [("身份证", 120_000), ("参保凭证", 90_000)] {
        let lines = ["Scan at Huangshi Citizen Centre, window 12", CIRCLE_CASE];
        materials.push(upload(&hs, "Huangshi", name, demo::pdf(&lines, size)).await?);
    }
    transfer["item"] = json!("WH-0001");
    transfer["item_name"] = json!("基本医疗保险关系转移接续");
    transfer["mode"] = json!("fully_online");
    transfer["materials"] = serde_json::to_value(&materials)?;
    transfer["form"] = json!({
        "insured_name": transfer["applicant"]["name"], "from_region": "420200",
        "to_region": "420100", "insurance_type": "职工基本医疗保险",
    });
    let queued = hs
        .send(&json!({"type": "transfer", "case": CIRCLE_CASE, "to": WUHAN, "agreement": CIRCLE, "body": transfer}))
        .await?;
    let transfer_id = queued["id"].as_str().unwrap_or_default().to_string();
    let received = |v: &Value| track_state(v) == Some("received");
    let view = wh.wait_for_case(CIRCLE_CASE, WAIT, received).await?;
    print_new("Wuhan", &view, &mut printed);
    wh.send(&json!({
        "type": "status_update", "case": CIRCLE_CASE, "to": HUANGSHI, "agreement": CIRCLE,
        "in_reply_to": transfer_id, "body": demo::step_body("status_update")?,
    }))
    .await?;
    let reviewed = |v: &Value| track_state(v) == Some("in_review") && delivered(v);
    let view = hs.wait_for_case(CIRCLE_CASE, WAIT, reviewed).await?;
    print_new("Huangshi", &view, &mut printed);
    print_deadline("Huangshi", &view);
    // Every message of the case, either way, and every receipt: SM2 alone.
    let mut signed = Vec::new();
    for message in view["messages"].as_array().into_iter().flatten() {
        signed.push(suites(&message["message"]["signatures"]));
        signed.push(suites(&message["receipt"]["signatures"]));
    }
    if signed.iter().any(|algs| algs != &["sm2-sm3"]) {
        return Err(format!(
            "a message of the Wuhan circle not signed with sm2-sm3 alone: {signed:?}"
        )
        .into());
    }
    // (1.1) The suite's digests: Huangshi gave each material's SM3 beside its SHA-256,
    // and Wuhan's receipt binds the transfer's SM3 too. The body travelled sealed with
    // SM2 and SM4-GCM (§24): Wuhan, which opened it, shows the materials.
    let messages = view["messages"].as_array().cloned().unwrap_or_default();
    let transfer = messages.iter().find(|m| m["type"] == "transfer");
    let wh_view = wh.case(CIRCLE_CASE).await?.unwrap_or_default();
    let wh_messages = wh_view["messages"].as_array().cloned().unwrap_or_default();
    let opened = wh_messages
        .iter()
        .find(|m| m["type"] == "transfer")
        .map(|m| &m["opened"]);
    if opened.and_then(|o| o["opened_with"].as_str()) != Some("wuhan.420100#seal-sm2") {
        return Err("the circle's transfer did not travel sealed with sm2-sm4-gcm".into());
    }
    let materials = opened.and_then(|o| o["body"]["materials"].as_array());
    let with_sm3 = materials.map_or(0, |list| {
        list.iter().filter(|f| f["sm3"].is_string()).count()
    });
    let receipt_sm3 = transfer.and_then(|m| m["receipt"]["body"]["answers_sm3"].as_str());
    let (Some(receipt_sm3), 2) = (receipt_sm3, with_sm3) else {
        return Err("the circle's transfer or its receipt lacks its SM3 digests".into());
    };
    println!(
        "== {} messages and receipts of case {CIRCLE_CASE} under {CIRCLE}, each signed with sm2-sm3; both materials named by SHA-256 and SM3, the receipt binding SM3 {receipt_sm3} ==",
        signed.len()
    );
    Ok(())
}

/// What each node's operator sees once the cases are done: its metrics, which must
/// count every message it accepted and leave nothing in its outbox.
async fn operations(nodes: &[partner_node::RunningNode]) -> Result<(), Failure> {
    println!("\n== 8. What each node's Prometheus sees (GET /operator/v1/metrics) ==");
    // The last fetches and answers (files_received) may still be on their way: wait
    // until no outbox or fetch queue holds anything (at most 20 s), so that nothing
    // moves while we count.
    let pending =
        |text: &str| demo::metric(text, "tongban_outbox_messages", &[("status", "pending")]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let mut quiet = true;
        for node in nodes {
            let text = node.operator_client().metrics().await?;
            let fetching = demo::metric(&text, "tongban_file_fetches", &[("status", "pending")]);
            quiet &= pending(&text) == 0.0 && fetching == 0.0;
        }
        if quiet || std::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (mut served, mut fetched) = (0.0, 0.0);
    for node in nodes {
        let text = node.operator_client().metrics().await?;
        let count = |name: &str, labels: &[(&str, &str)]| demo::metric(&text, name, labels);
        let received = "messaging_client_consumed_messages_total";
        let accepted = count(received, &[("outcome", "accepted")]);
        let replayed = count(received, &[("outcome", "replayed")]);
        let refused = count(received, &[("outcome", "refused")]);
        let sent = "messaging_client_sent_messages_total";
        let delivered = count(sent, &[("outcome", "delivered")]);
        let retried = count(sent, &[("outcome", "retry")]);
        let pending = pending(&text);
        let files = |direction| count("tongban_file_bytes_total", &[("direction", direction)]);
        served += files("served");
        fetched += files("fetched");
        println!(
            "{}: received {accepted} accepted, {replayed} replayed, {refused} refused; delivered {delivered} (rounds retried {retried}); outbox pending {pending}; file bytes uploaded {}, served {}, fetched {}",
            node.node().config().node,
            files("uploaded"),
            files("served"),
            files("fetched"),
        );
        let stored_in = node
            .node()
            .read(partner_node::store::all_messages)?
            .iter()
            .filter(|(_, m)| m.direction == "in")
            .count();
        if accepted != stored_in as f64 || pending != 0.0 {
            return Err(format!(
                "{}: the metrics count {accepted} accepted and {pending} pending, the database holds {stored_in} received messages",
                node.node().config().node
            )
            .into());
        }
    }
    // Every byte a node served to a partner, a partner fetched.
    if served != fetched {
        return Err(format!("{served} file bytes served but {fetched} fetched").into());
    }
    println!("== every file byte served ({served}) was fetched and checked by its receiver ==");
    Ok(())
}

/// The `alg` of each signature entry.
fn suites(signatures: &Value) -> Vec<&str> {
    let entries = signatures.as_array().into_iter().flatten();
    entries.map(|e| e["alg"].as_str().unwrap_or("?")).collect()
}

/// Stores a file at a node for sending (the operator API's upload) and prints its
/// reference.
async fn upload(
    node: &OperatorClient,
    side: &str,
    name: &str,
    pdf: Vec<u8>,
) -> Result<FileRef, Failure> {
    let reference = node.upload(name, "application/pdf", pdf).await?;
    println!(
        "{side} holds {name}: {} bytes, sha256 {}",
        reference.size, reference.sha256
    );
    Ok(reference)
}

/// Prints the files a node received and checked that are not printed yet.
fn print_files(side: &str, view: &Value, printed: &mut Vec<String>) {
    for file in view["files"].as_array().into_iter().flatten() {
        let key = format!("{side} {}", file["sha256"]);
        if file["direction"] == "in" && file["held"] == true && !printed.contains(&key) {
            printed.push(key);
            let sealed = match file["sealed"] == true {
                true => format!(
                    ", fetched sealed at {} and opened (kept sealed)",
                    file["address"].as_str().unwrap_or("?")
                ),
                false => String::new(),
            };
            println!(
                "-- {side} fetched {} from the sender and checked it: {} bytes, sha256 {} as in the signed message{sealed} --",
                file["name"].as_str().unwrap_or("?"),
                file["size"],
                file["sha256"].as_str().unwrap_or("?"),
            );
        }
    }
}

/// Whether every message the node sent has its receipt.
fn delivered(view: &Value) -> bool {
    view["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|m| m["direction"] != "out" || m["receipted"] == true)
}

async fn send_reply(
    from: &OperatorClient,
    message_type: &str,
    to: &str,
    in_reply_to: &str,
    body: Value,
) -> Result<(), Failure> {
    from.send(&json!({
        "type": message_type, "case": CASE, "to": to, "agreement": AGREEMENT,
        "in_reply_to": in_reply_to, "body": body,
    }))
    .await?;
    Ok(())
}
