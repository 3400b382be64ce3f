//! The suite against a second, independent implementation: the JavaScript adapter in
//! `conformance/adapters/node` (npm packages installed by `scripts/test.sh`).

use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::BTreeSet;
use std::path::PathBuf;
use tongban_conformance::run::{self, Adapter, CaseResult, Verdict};
use tongban_conformance::{report, vector};

fn adapter_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("adapters/node")
}

fn run_adapter(environment: &str) -> Vec<CaseResult> {
    let dir = adapter_dir();
    assert!(
        dir.join("node_modules/canonicalize").exists() && dir.join("node_modules/ajv").exists(),
        "the adapter's npm packages are missing: run `npm ci --prefix conformance/adapters/node` (scripts/test.sh does)"
    );
    let command = format!("{environment} node {}", dir.join("adapter.mjs").display());
    let mut adapter = Adapter::start(&command).expect("start the adapter");
    let vectors_dir = vector::vectors_dir();
    let vectors = vector::load(&vectors_dir).expect("vectors");
    vectors
        .iter()
        .map(|v| run::run_one(&mut adapter, v, &vectors_dir))
        .collect()
}

#[test]
fn the_javascript_implementation_passes_what_it_implements() {
    let results = run_adapter("");
    let summary = report::summary("node adapter", &results);
    let (by_category, total) = report::counts(&results);
    assert_eq!(total.failed, 0, "{summary}");
    assert!(total.passed >= 140, "{summary}");
    for category in IMPLEMENTED {
        let c = by_category[category];
        assert_eq!(
            (c.failed, c.skipped),
            (0, 0),
            "{category} must be implemented: {summary}"
        );
    }
    let skipped: BTreeSet<&str> = results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Skipped { .. }))
        .map(|r| r.category.as_str())
        .collect();
    assert_eq!(
        skipped.into_iter().collect::<Vec<_>>(),
        UNIMPLEMENTED,
        "what the adapter does not implement is skipped, never passed"
    );
}

/// The categories the adapter implements (canonicalize, identifier, verify with a key
/// set, the library side of the file exchange, sealed boxes and files) and those it skips
/// (registries, their sealing keys, lifecycles, sealed ones included, deadlines).
const IMPLEMENTED: [&str; 16] = [
    "canonicalization",
    "envelope",
    "files/references",
    "files/requests",
    "hostile/envelope",
    "hostile/identifiers",
    "hostile/json",
    "hostile/keys",
    "hostile/messages",
    "hostile/signatures",
    "identifiers",
    "sealing/boxes",
    "sealing/files",
    "sealing/hops",
    "sealing/messages",
    "signatures",
];
const UNIMPLEMENTED: [&str; 12] = [
    "checks",
    "deadlines",
    "files/lifecycle",
    "hostile/checks",
    "hostile/lifecycle",
    "hostile/registry",
    "lifecycle",
    "registry",
    "sealing/checks",
    "sealing/keys",
    "sealing/lifecycle",
    "sealing/required",
];

/// The ids of the vectors in implemented categories that pin the duplicate-key rule:
/// those that expect `json.duplicate_key`, and the file request with a duplicate member
/// (refused as `file.request_invalid`).
fn expecting_duplicate_key() -> Vec<String> {
    let mut ids: Vec<String> = vector::load(&vector::vectors_dir())
        .expect("vectors")
        .into_iter()
        .filter(|v| IMPLEMENTED.contains(&v.category()))
        .filter(|v| {
            v.expected.to_string().contains("\"json.duplicate_key\"")
                || v.id == "files/requests/duplicate-key"
        })
        .map(|v| v.id)
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_deliberately_broken_implementation_fails_with_a_clear_report() {
    let results = run_adapter("TONGBAN_ADAPTER_BROKEN=duplicate-keys");
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Failed { .. }))
        .map(|r| r.id.as_str())
        .collect();
    let duplicates = expecting_duplicate_key();
    assert_eq!(failed, duplicates);
    for id in [
        "canonicalization/refuse-duplicate-key",
        "envelope/duplicate-key",
        "hostile/json/duplicate-key-depth-32",
        "hostile/json/duplicate-key-escaped-pair",
        "hostile/messages/duplicate-key-signatures-0",
    ] {
        assert!(failed.contains(&id), "{id} did not fail");
    }
    let unimplemented = results
        .iter()
        .filter(|r| UNIMPLEMENTED.contains(&r.category.as_str()))
        .count();
    let summary = report::summary("broken node adapter", &results);
    assert!(
        summary.contains("FAILED envelope/duplicate-key"),
        "{summary}"
    );
    assert!(
        summary.contains(
            "expected: {\"outcome\":\"accepted\",\"results\":[{\"code\":\"json.duplicate_key\""
        ),
        "{summary}"
    );
    assert!(
        summary
            .trim_end()
            .ends_with(&format!("{} failed, {unimplemented} skipped", failed.len())),
        "{summary}"
    );

    // The JUnit report is well-formed XML with consistent counts.
    let junit = report::junit("broken node adapter", &results);
    let mut reader = Reader::from_str(&junit);
    let (mut suites, mut cases, mut failures, mut skipped) = (0, 0, 0, 0);
    let mut root = None;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                root.get_or_insert(name.clone());
                match name.as_str() {
                    "testsuite" => suites += 1,
                    "testcase" => cases += 1,
                    "failure" => failures += 1,
                    "skipped" => skipped += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    assert_eq!(root.as_deref(), Some("testsuites"));
    assert_eq!(
        (suites, cases, failures, skipped),
        (
            report::counts(&results).0.len(),
            results.len(),
            failed.len(),
            unimplemented
        )
    );
}
