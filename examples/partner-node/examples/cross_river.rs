//! The main job: a cross-river case between two reference nodes on one machine.
//!
//! Huangshi (黄石, Hubei) and Jiujiang (九江, Jiangxi) each run a reference node on
//! loopback with its own SQLite file in a temporary data directory, both trusting the
//! sample registry (with loopback endpoints). A barber shop registration handed in at
//! Huangshi's cross-region window goes transfer → receipt → review → supplement request →
//! supplement → decision, each message signed by one node, sent over HTTP, verified by
//! the other and acknowledged with a signed receipt. The case's deadline is printed as
//! it goes.
//!
//! Run with `cargo run -p partner-node --example cross_river`.

use partner_node::demo::{self, track_state, OperatorClient};
use partner_node::{start, Config, RunningNode};
use serde_json::{json, Value};
use std::time::Duration;
use tongban::sample::{self, AGREEMENT, CASE, HUANGSHI, JIUJIANG};

const WAIT: Duration = Duration::from_secs(30);

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
        "== two reference nodes on loopback, data under {} ==",
        dir.path().display()
    );
    let files = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG])?;
    let mut nodes = Vec::new();
    for node in [HUANGSHI, JIUJIANG] {
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
    let result = exchange(&nodes[0], &nodes[1]).await;
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
        if let Some(receipt) = message["receipt"].as_object() {
            println!(
                "-- answered with receipt {} signed by {}, binding sha256 {} --",
                receipt.get("id").and_then(Value::as_str).unwrap_or("?"),
                receipt.get("from").and_then(Value::as_str).unwrap_or("?"),
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
        format!(
            "due {due}, {} working days left of {}",
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

    println!("\n== 1. Huangshi's cross-region window transfers the case to Jiujiang ==");
    let transfer = serde_json::to_value(sample::transfer_body()?)?;
    let queued = hs
        .send(&json!({"type": "transfer", "case": CASE, "to": JIUJIANG, "agreement": AGREEMENT, "body": transfer}))
        .await?;
    let transfer_id = queued["id"].as_str().unwrap_or_default().to_string();
    let view = jj.wait_for_case(CASE, WAIT, at_jj("received")).await?;
    print_new("Jiujiang", &view, &mut printed);
    let view = hs.wait_for_case(CASE, WAIT, at_hs("received")).await?;
    print_deadline("Huangshi, after the receipt", &view);

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

    println!("\n== 3. Huangshi's window sends the supplement ==");
    let supplement = demo::step_body("supplement")?;
    send_reply(&hs, "supplement", JIUJIANG, &transfer_id, supplement).await?;
    let view = jj.wait_for_case(CASE, WAIT, at_jj("supplemented")).await?;
    print_new("Jiujiang", &view, &mut printed);
    print_deadline("Jiujiang", &view);

    println!("\n== 4. Jiujiang decides and sends the electronic licence ==");
    let decision = demo::step_body("decision")?;
    send_reply(&jj, "decision", HUANGSHI, &transfer_id, decision).await?;
    let view = hs.wait_for_case(CASE, WAIT, at_hs("decided")).await?;
    print_new("Huangshi", &view, &mut printed);
    print_deadline("Huangshi", &view);
    let jj_view = jj
        .wait_for_case(CASE, WAIT, |v| {
            track_state(v) == Some("decided") && delivered(v)
        })
        .await?;
    print_deadline("Jiujiang", &jj_view);

    let messages = |v: &Value| v["messages"].as_array().map_or(0, Vec::len);
    println!(
        "\n== done: {} messages at Huangshi, {} at Jiujiang, every one signed, verified and receipted ==",
        messages(&view),
        messages(&jj_view)
    );
    Ok(())
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
