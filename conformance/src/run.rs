//! Running vectors against an implementation: the Rust SDK in-process, or any program
//! that speaks the adapter protocol on its standard input and output.

use crate::vector::{resolve_fixtures, Vector};
use serde::Serialize;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// Something that executes protocol operations.
pub trait Implementation {
    /// A name for reports.
    fn name(&self) -> String;
    /// Executes `operation` on `input` and returns its outcome object
    /// (`{"outcome": "accepted" | "refused" | "unsupported", …}`).
    fn execute(&mut self, operation: &str, input: &Value) -> Result<Value, String>;
}

/// The Rust SDK, in-process.
pub struct Sdk;

impl Implementation for Sdk {
    fn name(&self) -> String {
        format!("tongban {} (Rust, in-process)", env!("CARGO_PKG_VERSION"))
    }

    fn execute(&mut self, operation: &str, input: &Value) -> Result<Value, String> {
        crate::sdk::execute(operation, input)
    }
}

/// How long the runner waits for an adapter's answer to one request.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// An external implementation behind the adapter protocol: one JSON request per line
/// on its standard input, `{"operation", "input"}`, and one JSON response per line on
/// its standard output, the outcome object. An adapter that does not answer within
/// [`ANSWER_TIMEOUT`] fails that vector and every later one.
pub struct Adapter {
    command: String,
    child: Child,
    requests: Option<Sender<String>>,
    answers: Receiver<std::io::Result<String>>,
    broken: Option<String>,
}

impl Adapter {
    /// Starts `command` (run by `sh -c`).
    pub fn start(command: &str) -> Result<Adapter, String> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start adapter {command:?}: {e}"))?;
        let stdin = child.stdin.take().ok_or("adapter has no standard input")?;
        let stdout: ChildStdout = child
            .stdout
            .take()
            .ok_or("adapter has no standard output")?;
        // Requests are written and answers read on threads of their own, so that an
        // adapter that stops reading or answering times out instead of hanging the run.
        let (requests, pending) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut stdin: ChildStdin = stdin;
            for request in pending {
                if writeln!(stdin, "{request}")
                    .and_then(|_| stdin.flush())
                    .is_err()
                {
                    break;
                }
            }
        });
        let (sender, answers) = std::sync::mpsc::sync_channel(1);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Adapter {
            command: command.to_string(),
            child,
            requests: Some(requests),
            answers,
            broken: None,
        })
    }
}

impl Implementation for Adapter {
    fn name(&self) -> String {
        format!("adapter: {}", self.command)
    }

    fn execute(&mut self, operation: &str, input: &Value) -> Result<Value, String> {
        if let Some(why) = &self.broken {
            return Err(why.clone());
        }
        let request = json!({"operation": operation, "input": input});
        let sent = self
            .requests
            .as_ref()
            .is_some_and(|r| r.send(request.to_string()).is_ok());
        let answer = if sent {
            Ok(())
        } else {
            Err("the adapter stopped reading".to_string())
        }
        .and_then(|_| match self.answers.recv_timeout(ANSWER_TIMEOUT) {
            Ok(Ok(line)) => Ok(line),
            Ok(Err(e)) => Err(format!("cannot read the adapter's answer: {e}")),
            Err(RecvTimeoutError::Timeout) => Err(format!(
                "the adapter did not answer within {} s",
                ANSWER_TIMEOUT.as_secs()
            )),
            Err(RecvTimeoutError::Disconnected) => Err("the adapter closed its output".into()),
        });
        // Any violation of the protocol ends the conversation: after a stray line the
        // answers could no longer be matched to their requests.
        let parsed = answer.and_then(|line| {
            serde_json::from_str(&line)
                .map_err(|e| format!("the adapter's answer is not one JSON line ({e}): {line}"))
        });
        if let Err(why) = &parsed {
            self.broken = Some(format!("{why} (no further requests were sent)"));
        }
        parsed
    }
}

impl Drop for Adapter {
    fn drop(&mut self) {
        self.requests = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How one vector went.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Verdict {
    /// The outcome matched.
    Passed,
    /// The outcome differed, or the implementation failed.
    Failed {
        /// What was expected.
        expected: Value,
        /// What the implementation said (or the error running it).
        actual: Value,
    },
    /// The implementation does not support the operation.
    Skipped {
        /// Why.
        reason: String,
    },
}

/// One vector's result.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// Vector id.
    pub id: String,
    /// Its category.
    pub category: String,
    /// Its description.
    pub description: String,
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Time taken, in milliseconds.
    pub millis: f64,
}

/// Whether every member of `expected` is in `actual` with the same value (arrays
/// element by element, with the same length).
pub fn matches(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|av| matches(v, av))),
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(ev, av)| matches(ev, av))
        }
        (e, a) => e == a,
    }
}

/// Skipping is per category: where an implementation skipped some vectors of a
/// category but ran others, the skipped ones count as failed.
pub fn enforce_category_skips(results: &mut [CaseResult]) {
    let ran: std::collections::BTreeSet<String> = results
        .iter()
        .filter(|r| !matches!(r.verdict, Verdict::Skipped { .. }))
        .map(|r| r.category.clone())
        .collect();
    for result in results.iter_mut() {
        if let Verdict::Skipped { reason } = &result.verdict {
            if ran.contains(&result.category) {
                result.verdict = Verdict::Failed {
                    expected: json!({"note": "an implementation skips whole categories, not single vectors"}),
                    actual: json!({"outcome": "unsupported", "message": reason}),
                };
            }
        }
    }
}

/// Runs one vector.
pub fn run_one(implementation: &mut dyn Implementation, vector: &Vector, dir: &Path) -> CaseResult {
    let started = Instant::now();
    let verdict = match resolve_fixtures(&vector.input, dir)
        .and_then(|input| implementation.execute(&vector.operation, &input))
    {
        Ok(actual) if actual["outcome"] == "unsupported" => Verdict::Skipped {
            reason: actual["message"]
                .as_str()
                .unwrap_or("unsupported")
                .to_string(),
        },
        Ok(actual) if matches(&vector.expected, &actual) => Verdict::Passed,
        Ok(actual) => Verdict::Failed {
            expected: vector.expected.clone(),
            actual,
        },
        Err(e) => Verdict::Failed {
            expected: vector.expected.clone(),
            actual: json!({"error": e}),
        },
    };
    CaseResult {
        id: vector.id.clone(),
        category: vector.category().to_string(),
        description: vector.description.clone(),
        verdict,
        millis: started.elapsed().as_secs_f64() * 1000.0,
    }
}
