//! The committed vectors are exactly what the seeded generator writes, they cover every
//! documented error code, and the Rust SDK passes all of them.

use std::collections::BTreeSet;
use std::path::Path;
use tongban_conformance::run::{self, Sdk, Verdict};
use tongban_conformance::{report, vector, write_vectors};

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let name = path
                    .strip_prefix(dir)
                    .expect("prefix")
                    .display()
                    .to_string();
                out.push((name, std::fs::read(&path).expect("read")));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn committed_vectors_equal_the_generated_ones() {
    let temp = std::env::temp_dir().join(format!("tongban-vectors-{}", std::process::id()));
    std::fs::create_dir_all(&temp).expect("temp dir");
    write_vectors(&temp).expect("generate");
    let generated = files(&temp);
    let committed = files(&vector::vectors_dir());
    let _ = std::fs::remove_dir_all(&temp);
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&generated),
        names(&committed),
        "run `tongban conformance generate` and commit"
    );
    for ((name, a), (_, b)) in generated.iter().zip(&committed) {
        assert!(
            a == b,
            "{name} differs from the generator's output; run `tongban conformance generate`"
        );
    }
}

#[test]
fn there_are_enough_vectors_and_every_code_is_covered() {
    let vectors = vector::load(&vector::vectors_dir()).expect("vectors");
    assert!(vectors.len() >= 150, "{} vectors", vectors.len());
    let mut expected_codes = BTreeSet::new();
    for v in &vectors {
        let mut stack = vec![&v.expected];
        while let Some(value) = stack.pop() {
            if let Some(code) = value.get("code").and_then(|c| c.as_str()) {
                expected_codes.insert(code.to_string());
            }
            if let Some(results) = value.get("results").and_then(|r| r.as_array()) {
                stack.extend(results);
            }
        }
    }
    let missing: Vec<&str> = tongban::ERROR_CODES
        .iter()
        .map(|(code, _)| *code)
        .filter(|code| !tongban::error::BUILD_ONLY_CODES.contains(code))
        .filter(|code| !expected_codes.contains(*code))
        .collect();
    assert!(missing.is_empty(), "codes no vector expects: {missing:?}");
    let categories: BTreeSet<&str> = vectors.iter().map(|v| v.category()).collect();
    assert_eq!(
        categories.into_iter().collect::<Vec<_>>(),
        [
            "canonicalization",
            "checks",
            "deadlines",
            "envelope",
            "files/lifecycle",
            "files/references",
            "files/requests",
            "hostile/checks",
            "hostile/envelope",
            "hostile/identifiers",
            "hostile/json",
            "hostile/keys",
            "hostile/lifecycle",
            "hostile/messages",
            "hostile/registry",
            "hostile/signatures",
            "identifiers",
            "lifecycle",
            "primitives",
            "registry",
            "sealing/boxes",
            "sealing/checks",
            "sealing/files",
            "sealing/hops",
            "sealing/keys",
            "sealing/lifecycle",
            "sealing/messages",
            "sealing/required",
            "signatures"
        ]
    );
}

#[test]
fn the_rust_sdk_passes_every_vector() {
    let dir = vector::vectors_dir();
    let vectors = vector::load(&dir).expect("vectors");
    let mut sdk = Sdk;
    let results: Vec<_> = vectors
        .iter()
        .map(|v| run::run_one(&mut sdk, v, &dir))
        .collect();
    let summary = report::summary("sdk", &results);
    assert!(
        results.iter().all(|r| r.verdict == Verdict::Passed),
        "{summary}"
    );
    assert!(summary.ends_with(&format!("{} passed, 0 failed, 0 skipped\n", results.len())));
}

#[test]
fn a_mismatch_is_reported_side_by_side_in_every_format() {
    let dir = vector::vectors_dir();
    let mut vectors = vector::load(&dir).expect("vectors");
    let mut wrong = vectors.remove(0);
    wrong.expected["canonical"] = serde_json::json!("something else");
    let result = run::run_one(&mut Sdk, &wrong, &dir);
    let Verdict::Failed { expected, actual } = &result.verdict else {
        panic!("must fail: {result:?}");
    };
    assert_eq!(expected["canonical"], "something else");
    assert_ne!(actual["canonical"], "something else");
    let results = [result.clone()];
    assert!(report::summary("x", &results).contains("expected: "));
    let junit = report::junit("x", &results);
    assert!(
        junit.contains("<failure message=") && junit.contains("failures=\"1\""),
        "{junit}"
    );
    assert!(report::html("x", &results).contains("<td class=\"failed\">failed</td>"));
    let json: serde_json::Value =
        serde_json::from_str(&report::json_report("x", &results)).expect("json");
    assert_eq!(json["failed"], 1);
}

#[test]
fn matching_requires_every_expected_member() {
    use serde_json::json;
    assert!(run::matches(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    assert!(!run::matches(&json!({"a": 1, "b": 2}), &json!({"a": 1})));
    assert!(!run::matches(
        &json!({"r": [{"a": 1}]}),
        &json!({"r": [{"a": 1}, {"a": 2}]})
    ));
    assert!(run::matches(
        &json!({"r": [{"a": 1}]}),
        &json!({"r": [{"a": 1, "x": 0}]})
    ));
}

#[test]
fn a_misbehaving_adapter_fails_its_vectors_instead_of_hanging_the_run() {
    let dir = vector::vectors_dir();
    let vectors = vector::load(&dir).expect("vectors");
    let mut adapter = run::Adapter::start("echo this is not JSON").expect("start");
    let first = run::run_one(&mut adapter, &vectors[0], &dir);
    let second = run::run_one(&mut adapter, &vectors[1], &dir);
    let reason = |r: &run::CaseResult| match &r.verdict {
        Verdict::Failed { actual, .. } => actual["error"].as_str().unwrap_or_default().to_string(),
        other => panic!("must fail: {other:?}"),
    };
    // The adapter prints one line and exits: the runner either reads that line (not
    // JSON) or finds the adapter gone; either way the vector fails with the reason.
    let first = reason(&first);
    assert!(
        first.contains("not JSON") || first.contains("stopped reading"),
        "{first}"
    );
    let second = reason(&second);
    assert!(
        [
            "no further requests",
            "closed its output",
            "stopped reading"
        ]
        .iter()
        .any(|w| second.contains(w)),
        "{second}"
    );
    let mut missing = run::Adapter::start("exit 3").expect("the shell starts");
    let gone = run::run_one(&mut missing, &vectors[0], &dir);
    assert!(matches!(gone.verdict, Verdict::Failed { .. }));
}

#[test]
fn no_vector_names_a_person_of_the_source_article() {
    // The officials the source article names, in simplified and traditional characters:
    // samples and vectors name invented people only.
    const REAL: [&str; 6] = ["杨庆华", "楊慶華", "杨锋", "楊鋒", "熊良双", "熊良雙"];
    let vectors = vector::load(&vector::vectors_dir()).expect("vectors");
    for v in &vectors {
        let text = serde_json::to_string(v).expect("json");
        for name in REAL {
            assert!(!text.contains(name), "{} names {name}", v.id);
        }
    }
    let sample =
        serde_json::to_string(&tongban::sample::transfer_body().expect("sample")).expect("json");
    assert!(REAL.iter().all(|name| !sample.contains(name)), "{sample}");
}
