//! Reports: a summary table for the terminal, JSON, JUnit XML for partners' CI, and a
//! self-contained HTML page a person can read.

use crate::run::{CaseResult, Verdict};
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Counts of one category (or of everything).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Passed vectors.
    pub passed: usize,
    /// Failed vectors.
    pub failed: usize,
    /// Skipped vectors.
    pub skipped: usize,
}

impl Counts {
    fn add(&mut self, verdict: &Verdict) {
        match verdict {
            Verdict::Passed => self.passed += 1,
            Verdict::Failed { .. } => self.failed += 1,
            Verdict::Skipped { .. } => self.skipped += 1,
        }
    }
}

/// Counts per category and in total.
pub fn counts(results: &[CaseResult]) -> (BTreeMap<String, Counts>, Counts) {
    let mut by_category: BTreeMap<String, Counts> = BTreeMap::new();
    let mut total = Counts::default();
    for result in results {
        by_category
            .entry(result.category.clone())
            .or_default()
            .add(&result.verdict);
        total.add(&result.verdict);
    }
    (by_category, total)
}

/// The terminal summary: a table per category, each failure with expected and actual
/// side by side, and the closing line `N passed, N failed, N skipped`.
pub fn summary(implementation: &str, results: &[CaseResult]) -> String {
    let (by_category, total) = counts(results);
    let mut out = String::new();
    let _ = writeln!(out, "conformance of {implementation}\n");
    let _ = writeln!(
        out,
        "{:<20} {:>7} {:>7} {:>7}",
        "category", "passed", "failed", "skipped"
    );
    for (category, c) in &by_category {
        let _ = writeln!(
            out,
            "{category:<20} {:>7} {:>7} {:>7}",
            c.passed, c.failed, c.skipped
        );
    }
    let _ = writeln!(
        out,
        "{:<20} {:>7} {:>7} {:>7}",
        "total", total.passed, total.failed, total.skipped
    );
    for result in results {
        if let Verdict::Failed { expected, actual } = &result.verdict {
            let _ = writeln!(out, "\nFAILED {} — {}", result.id, result.description);
            let _ = writeln!(out, "  expected: {expected}");
            let _ = writeln!(out, "  actual:   {actual}");
        }
    }
    let _ = writeln!(
        out,
        "\n{} passed, {} failed, {} skipped",
        total.passed, total.failed, total.skipped
    );
    out
}

/// The JSON report.
pub fn json_report(implementation: &str, results: &[CaseResult]) -> String {
    let (_, total) = counts(results);
    let report = json!({
        "implementation": implementation,
        "passed": total.passed,
        "failed": total.failed,
        "skipped": total.skipped,
        "results": results,
    });
    serde_json::to_string_pretty(&report).unwrap_or_default() + "\n"
}

fn xml(text: &str) -> String {
    text.chars()
        .filter(|c| {
            !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
        })
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// JUnit XML: one test suite per category, one test case per vector.
pub fn junit(implementation: &str, results: &[CaseResult]) -> String {
    let (by_category, total) = counts(results);
    let seconds = |r: &CaseResult| r.millis / 1000.0;
    // A failure to run (the adapter crashed, timed out, spoke no JSON) is an error, a
    // wrong outcome a failure.
    let errors = |cases: &[&CaseResult]| {
        cases
            .iter()
            .filter(|r| matches!(&r.verdict, Verdict::Failed { actual, .. } if actual.get("error").is_some()))
            .count()
    };
    let all: Vec<&CaseResult> = results.iter().collect();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\">",
        xml(&format!("tongban conformance: {implementation}")),
        results.len(),
        total.failed - errors(&all),
        errors(&all),
        results.iter().map(seconds).sum::<f64>()
    );
    for (category, c) in &by_category {
        let cases: Vec<&CaseResult> = results.iter().filter(|r| &r.category == category).collect();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
            xml(category),
            cases.len(),
            c.failed - errors(&cases),
            errors(&cases),
            c.skipped,
            cases.iter().map(|r| seconds(r)).sum::<f64>()
        );
        for case in cases {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                xml(category),
                xml(&case.id),
                seconds(case)
            );
            match &case.verdict {
                Verdict::Passed => out.push_str("/>\n"),
                Verdict::Skipped { reason } => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        xml(reason)
                    );
                }
                Verdict::Failed { expected, actual } if actual.get("error").is_some() => {
                    let _ = writeln!(
                        out,
                        ">\n      <error message=\"{}\" type=\"adapter\">{}</error>\n    </testcase>",
                        xml(&case.description),
                        xml(&format!("expected: {expected}\nerror:    {actual}"))
                    );
                }
                Verdict::Failed { expected, actual } => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\" type=\"mismatch\">expected: {}\nactual:   {}</failure>\n    </testcase>",
                        xml(&case.description),
                        xml(&expected.to_string()),
                        xml(&actual.to_string())
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// A self-contained HTML page: totals, a table per category, failures side by side.
pub fn html(implementation: &str, results: &[CaseResult]) -> String {
    let (by_category, total) = counts(results);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>tongban conformance</title>\n<style>\
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse;margin:1em 0}}\
td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}}\
.passed{{color:#176b1c}}.failed{{color:#b00020;font-weight:bold}}.skipped{{color:#8a6d00}}\
pre{{margin:0;white-space:pre-wrap;max-width:40em}}</style></head><body>\n\
<h1>tongban conformance report</h1>\n<p>Implementation: <b>{}</b></p>\n\
<p id=\"totals\"><span class=\"passed\">{} passed</span>, <span class=\"failed\">{} failed</span>, <span class=\"skipped\">{} skipped</span> of {} vectors</p>\n",
        xml(implementation),
        total.passed,
        total.failed,
        total.skipped,
        results.len()
    );
    out.push_str(
        "<table><tr><th>category</th><th>passed</th><th>failed</th><th>skipped</th></tr>\n",
    );
    for (category, c) in &by_category {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            xml(category),
            c.passed,
            c.failed,
            c.skipped
        );
    }
    out.push_str("</table>\n");
    for category in by_category.keys() {
        let _ = writeln!(out, "<h2>{}</h2>\n<table><tr><th>vector</th><th>description</th><th>result</th><th>expected</th><th>actual</th></tr>", xml(category));
        for case in results.iter().filter(|r| &r.category == category) {
            let (class, expected, actual) = match &case.verdict {
                Verdict::Passed => ("passed", String::new(), String::new()),
                Verdict::Skipped { reason } => ("skipped", String::new(), reason.clone()),
                Verdict::Failed { expected, actual } => (
                    "failed",
                    serde_json::to_string_pretty(expected).unwrap_or_default(),
                    serde_json::to_string_pretty(actual).unwrap_or_default(),
                ),
            };
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"{class}\">{class}</td><td><pre>{}</pre></td><td><pre>{}</pre></td></tr>",
                xml(&case.id),
                xml(&case.description),
                xml(&expected),
                xml(&actual)
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body></html>\n");
    out
}
