//! The operator desk: moves every case through its whole lifecycle by calling the
//! nodes' operator APIs, as the staff at the two windows would. Each round it reads
//! both sides' view of a case and takes the one step that view calls for, so a step
//! whose answer was lost (a crash, a partition) is seen done on the next round rather
//! than taken twice.
//!
//! | Jiujiang's track | Huangshi's track | step |
//! |---|---|---|
//! | — | no case | Huangshi sends the `transfer` |
//! | `received` | | Jiujiang sends a `status_update` (review) |
//! | `in_review` | | Jiujiang sends a `supplement_request` |
//! | `supplement_requested` | `supplement_requested` | Huangshi sends the `supplement` |
//! | `supplemented` | | Jiujiang sends the `decision` |
//! | `decided`, all receipted | `decided`, all receipted | the case is complete |

use super::{lock, net, Shared, OPERATOR_PORT};
use crate::demo::{step_body, track_state};
use axum::http::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;
use tongban::http::ErrorBody;
use tongban::sample::{self, AGREEMENT, HUANGSHI, JIUJIANG};

/// Pause between the desk's rounds.
const ROUND: Duration = Duration::from_millis(200);
/// Time allowed for one call to an operator API.
const CALL_TIMEOUT: Duration = Duration::from_secs(1);

/// The operator desk and its cases.
pub struct Desk {
    /// The cases, with the virtual time each starts at.
    cases: Vec<(String, Duration)>,
    huangshi: String,
    jiujiang: String,
    history: Shared,
    deadline: Duration,
}

/// What a node's operator API said about a case.
enum View {
    Case(Value),
    NoCase,
    Unknown,
}

impl Desk {
    /// A desk for `cases` cases between the simulated hosts of Huangshi and Jiujiang,
    /// started one after the other over `spread`, which stops trying at `deadline`
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
        Ok(Desk {
            cases: (0..cases)
                .map(|n| {
                    let start = spread.mul_f64(n as f64 / cases as f64);
                    (format!("HS-2026-{:06}", 501 + n), start)
                })
                .collect(),
            huangshi: host(HUANGSHI)?,
            jiujiang: host(JIUJIANG)?,
            history,
            deadline,
        })
    }

    /// Runs rounds until every case is complete or the deadline passes.
    pub async fn run(self) -> turmoil::Result {
        let mut open = self.cases.clone();
        while !open.is_empty() {
            if turmoil::sim_elapsed().unwrap_or_default() > self.deadline {
                lock(&self.history).note(format_args!(
                    "desk: gave up with {} case(s) open",
                    open.len()
                ));
                return Ok(());
            }
            let mut still_open = Vec::new();
            for (case, start) in open {
                let due = turmoil::sim_elapsed().unwrap_or_default() >= start;
                if !due || !self.round(&case).await? {
                    still_open.push((case, start));
                }
            }
            open = still_open;
            tokio::time::sleep(ROUND).await;
        }
        lock(&self.history).note("desk: every case complete");
        Ok(())
    }

    /// One round for one case; whether the case is complete.
    async fn round(&self, case: &str) -> Result<bool, String> {
        let (hs, jj) = match (
            self.view(&self.huangshi, case).await,
            self.view(&self.jiujiang, case).await,
        ) {
            (View::Unknown, _) | (_, View::Unknown) => return Ok(false),
            (View::NoCase, _) => {
                let transfer =
                    serde_json::to_value(sample::transfer_body().map_err(|e| e.to_string())?)
                        .map_err(|e| e.to_string())?;
                self.send(&self.huangshi, "transfer", case, JIUJIANG, None, transfer)
                    .await;
                return Ok(false);
            }
            (_, View::NoCase) => return Ok(false),
            (View::Case(hs), View::Case(jj)) => (hs, jj),
        };
        let transfer = jj["tracks"][0]["transfer"].as_str().map(str::to_string);
        let (from, to, step) = match (track_state(&jj), track_state(&hs)) {
            (Some("received"), _) => (&self.jiujiang, HUANGSHI, "status_update"),
            (Some("in_review"), _) => (&self.jiujiang, HUANGSHI, "supplement_request"),
            (Some("supplement_requested"), Some("supplement_requested")) => {
                (&self.huangshi, JIUJIANG, "supplement")
            }
            (Some("supplemented"), _) => (&self.jiujiang, HUANGSHI, "decision"),
            (Some("decided"), Some("decided")) if receipted(&hs) && receipted(&jj) => {
                lock(&self.history).note(format_args!("desk: {case} complete"));
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
            _ => View::Unknown,
        }
    }

    async fn send(
        &self,
        host: &str,
        step: &str,
        case: &str,
        to: &str,
        in_reply_to: Option<String>,
        body: Value,
    ) {
        let message = json!({
            "type": step, "case": case, "to": to, "agreement": AGREEMENT,
            "in_reply_to": in_reply_to, "body": body,
        });
        let bytes = serde_json::to_vec(&message).unwrap_or_default();
        let outcome = match call(host, Method::POST, "/operator/v1/messages", Some(&bytes)).await {
            Ok(answer) if answer.status == 202 => "queued".to_string(),
            Ok(answer) => {
                let code = ErrorBody::parse(&answer.body).map_or_else(|| "?".into(), |b| b.code);
                format!("refused with HTTP {} [{code}]", answer.status)
            }
            Err(_) => "no answer (indeterminate)".to_string(),
        };
        let mut history = lock(&self.history);
        history.note(format_args!("desk: {host} {step} {case}: {outcome}"));
        if outcome.starts_with("refused") {
            history
                .desk_refusals
                .push(format!("{step} {case}: {outcome}"));
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
        CALL_TIMEOUT,
        CALL_TIMEOUT,
    )
    .await
}

/// Whether every message of a case view has its receipt.
fn receipted(view: &Value) -> bool {
    view["messages"]
        .as_array()
        .is_some_and(|messages| messages.iter().all(|m| m["receipted"] == json!(true)))
}
