//! Running vectors against an implementation: the Rust SDK in-process, or any program
//! that speaks the adapter protocol on its standard input and output.

use crate::vector::{resolve_fixtures, Vector};
use serde::Serialize;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

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

/// An external implementation behind the adapter protocol: one JSON request per line
/// on its standard input, `{"id", "operation", "input"}`, and one JSON response per
/// line on its standard output, the outcome object.
pub struct Adapter {
    command: String,
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
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
        let stdout = child
            .stdout
            .take()
            .ok_or("adapter has no standard output")?;
        Ok(Adapter {
            command: command.to_string(),
            child,
            stdin,
            stdout: BufReader::new(stdout),
        })
    }
}

impl Implementation for Adapter {
    fn name(&self) -> String {
        format!("adapter: {}", self.command)
    }

    fn execute(&mut self, operation: &str, input: &Value) -> Result<Value, String> {
        let request = json!({"operation": operation, "input": input});
        writeln!(self.stdin, "{request}")
            .and_then(|_| self.stdin.flush())
            .map_err(|e| format!("adapter stopped reading: {e}"))?;
        let mut line = String::new();
        let read = self
            .stdout
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the adapter's answer: {e}"))?;
        if read == 0 {
            return Err("the adapter closed its output".into());
        }
        serde_json::from_str(&line)
            .map_err(|e| format!("the adapter's answer is not JSON ({e}): {line}"))
    }
}

impl Drop for Adapter {
    fn drop(&mut self) {
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
