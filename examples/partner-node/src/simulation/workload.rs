//! The operator desk: moves every case through its whole lifecycle by calling the
//! nodes' operator APIs, as the staff at the windows and authorities would. Huangshi's
//! window transfers cases in turn to Jiujiang (a barber shop, agreement
//! `hs-jj.cross-river`) and to Wuhan (a medical insurance transfer, agreement
//! `wuhan-circle.cross-city`). Each round the desk reads both sides' view of a case and
//! takes the one step that view calls for, so a step whose answer was lost (a crash, a
//! partition) is seen done on the next round rather than taken twice.
//!
//! | authority's track | window's track | step |
//! |---|---|---|
//! | — | no case | the window sends the `transfer` |
//! | `received` | | the authority sends a `status_update` (review) |
//! | `in_review` | | the authority sends a `supplement_request` |
//! | `supplement_requested` | `supplement_requested` | the window sends the `supplement` |
//! | `supplemented` | | the authority sends the `decision` |
//! | `decided`, all receipted | `decided`, all receipted | the case is complete |

use super::{lock, net, Shared, DESK_TOKEN, OPERATOR_PORT};
use crate::demo::{file, step_body, track_state};
use axum::http::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;
use tongban::http::ErrorBody;
use tongban::sample::{self, AGREEMENT, HUANGSHI, JIUJIANG};

/// Wuhan, the third node.
pub const WUHAN: &str = "wuhan.420100";
/// The agreement of the Wuhan city circle.
const WUHAN_CIRCLE: &str = "wuhan-circle.cross-city";
/// Pause between the desk's rounds.
const ROUND: Duration = Duration::from_millis(200);
/// Time allowed for one call to an operator API.
const CALL_TIMEOUT: Duration = Duration::from_secs(1);

/// One case of the run.
struct Case {
    id: String,
    /// When (virtual time) its window hands it in.
    start: Duration,
    /// The competent authority's node and its simulated host.
    authority: (&'static str, String),
    agreement: &'static str,
    transfer: Value,
}

/// The operator desk and its cases.
pub struct Desk {
    cases: Vec<Case>,
    /// Huangshi's simulated host: the window of every case.
    window: String,
    history: Shared,
    deadline: Duration,
}

/// What a node's operator API said about a case.
enum View {
    Case(Value),
    NoCase,
    Unknown,
}

/// The transfer of a basic medical insurance relation from Huangshi to Wuhan
/// (`WH-0001`).
fn medical_transfer() -> Value {
    json!({
        "applicant": {"kind": "natural_person", "name": "刘建国", "citizen_id": "420202199001011231"},
        "item": "WH-0001",
        "item_name": "基本医疗保险关系转移接续",
        "mode": "received_here_handled_there",
        "materials": [
            file("身份证", "身份证 刘建国", 120_000),
            file("参保凭证", "参保凭证 刘建国 黄石", 96_000),
        ],
        "form": {
            "insured_name": "刘建国",
            "from_region": "420200",
            "to_region": "420100",
            "insurance_type": "职工基本医疗保险",
        },
        "window": {"region": "420200", "service_centre": "黄石市市民之家", "window": "跨域通办专窗 12号"},
    })
}

impl Desk {
    /// A desk for `cases` cases, handed in one after the other over `spread`, on the
    /// simulated `hosts` of Huangshi, Jiujiang and Wuhan; it stops trying at `deadline`
    /// (virtual time).
    pub fn new(
        cases: usize,
        spread: Duration,
        hosts: &BTreeMap<&str, String>,
        history: Shared,
        deadline: Duration,
    ) -> Result<Desk, String> {
        let host = |node: &str| {
            hosts
                .get(node)
                .cloned()
                .ok_or_else(|| format!("no host for {node}"))
        };
        let barber = serde_json::to_value(sample::transfer_body().map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        let mut list = Vec::new();
        for n in 0..cases {
            let (authority, agreement, transfer) = if n % 2 == 0 {
                (JIUJIANG, AGREEMENT, barber.clone())
            } else {
                (WUHAN, WUHAN_CIRCLE, medical_transfer())
            };
            list.push(Case {
                id: format!("HS-2026-{:06}", 501 + n),
                start: spread.mul_f64(n as f64 / cases as f64),
                authority: (authority, host(authority)?),
                agreement,
                transfer,
            });
        }
        Ok(Desk {
            cases: list,
            window: host(HUANGSHI)?,
            history,
            deadline,
        })
    }

    /// Runs rounds until every case is complete or the deadline passes.
    pub async fn run(self) -> turmoil::Result {
        let mut open: Vec<&Case> = self.cases.iter().collect();
        while !open.is_empty() {
            if turmoil::sim_elapsed().unwrap_or_default() > self.deadline {
                lock(&self.history).note(format_args!(
                    "desk: gave up with {} case(s) open",
                    open.len()
                ));
                return Ok(());
            }
            let mut still_open = Vec::new();
            for case in open {
                let due = turmoil::sim_elapsed().unwrap_or_default() >= case.start;
                if !due || !self.round(case).await? {
                    still_open.push(case);
                }
            }
            open = still_open;
            tokio::time::sleep(ROUND).await;
        }
        lock(&self.history).note("desk: every case complete");
        Ok(())
    }

    /// One round for one case; whether the case is complete.
    async fn round(&self, case: &Case) -> Result<bool, String> {
        let (authority, authority_host) = (case.authority.0, &case.authority.1);
        let (window, at_authority) = match (
            self.view(&self.window, &case.id).await,
            self.view(authority_host, &case.id).await,
        ) {
            (View::Unknown, _) | (_, View::Unknown) => return Ok(false),
            (View::NoCase, _) => {
                let transfer = case.transfer.clone();
                let window = (HUANGSHI, self.window.as_str());
                self.send(window, "transfer", case, authority, None, transfer)
                    .await;
                return Ok(false);
            }
            (_, View::NoCase) => return Ok(false),
            (View::Case(window), View::Case(at_authority)) => (window, at_authority),
        };
        let transfer = at_authority["tracks"][0]["transfer"]
            .as_str()
            .map(str::to_string);
        let at_window = (HUANGSHI, self.window.as_str());
        let at_authority_node = (authority, authority_host.as_str());
        let (from, to, step) = match (track_state(&at_authority), track_state(&window)) {
            (Some("received"), _) => (at_authority_node, HUANGSHI, "status_update"),
            (Some("in_review"), _) => (at_authority_node, HUANGSHI, "supplement_request"),
            (Some("supplement_requested"), Some("supplement_requested")) => {
                (at_window, authority, "supplement")
            }
            (Some("supplemented"), _) => (at_authority_node, HUANGSHI, "decision"),
            (Some("decided"), Some("decided"))
                if receipted(&window) && receipted(&at_authority) =>
            {
                lock(&self.history).note(format_args!("desk: {} complete", case.id));
                return Ok(true);
            }
            _ => return Ok(false),
        };
        let body = step_body(step).map_err(|e| e.to_string())?;
        self.send(from, step, case, to, transfer, body).await;
        Ok(false)
    }

    async fn view(&self, host: &str, case: &str) -> View {
        let path = format!("/operator/v1/cases/{case}");
        match call(host, Method::GET, &path, None).await {
            Ok(answer) if answer.status == 200 => tongban::json::parse(&answer.body)
                .map(View::Case)
                .unwrap_or(View::Unknown),
            Ok(answer) if answer.status == 404 => View::NoCase,
            Ok(answer) => {
                lock(&self.history).note(format_args!(
                    "desk: {host} answered the view of {case} with HTTP {}",
                    answer.status
                ));
                View::Unknown
            }
            Err(_) => View::Unknown,
        }
    }

    /// Asks the operator API of `from` (node, host) to send a message.
    async fn send(
        &self,
        from: (&str, &str),
        step: &str,
        case: &Case,
        to: &str,
        in_reply_to: Option<String>,
        body: Value,
    ) {
        let message = json!({
            "type": step, "case": case.id, "to": to, "agreement": case.agreement,
            "in_reply_to": in_reply_to, "body": body,
        });
        let bytes = serde_json::to_vec(&message).unwrap_or_default();
        let (node, host) = from;
        let mut queued = None;
        let outcome = match call(host, Method::POST, "/operator/v1/messages", Some(&bytes)).await {
            Ok(answer) if answer.status == 202 => {
                let answer = tongban::json::parse(&answer.body).unwrap_or_default();
                queued = answer["id"].as_str().map(str::to_string);
                "queued".to_string()
            }
            Ok(answer) => {
                let code = ErrorBody::parse(&answer.body).map_or_else(|| "?".into(), |b| b.code);
                format!("refused with HTTP {} [{code}]", answer.status)
            }
            Err(_) => "no answer (indeterminate)".to_string(),
        };
        let mut history = lock(&self.history);
        history.note(format_args!("desk: {node} {step} {}: {outcome}", case.id));
        if let Some(id) = queued {
            history.observed.acknowledged.push((node.to_string(), id));
        } else if outcome.starts_with("refused") {
            history
                .observed
                .desk_refusals
                .push(format!("{step} {}: {outcome}", case.id));
        }
    }
}

async fn call(
    host: &str,
    method: Method,
    path: &str,
    body: Option<&[u8]>,
) -> Result<tongban::client::Answer, String> {
    net::request(
        host,
        OPERATOR_PORT,
        method,
        path,
        body,
        Some(DESK_TOKEN),
        (CALL_TIMEOUT, CALL_TIMEOUT),
    )
    .await
}

/// Whether every message of a case view has its receipt.
fn receipted(view: &Value) -> bool {
    view["messages"]
        .as_array()
        .is_some_and(|messages| messages.iter().all(|m| m["receipted"] == json!(true)))
}
