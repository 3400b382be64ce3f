//! Endpoint conformance against the reference node on loopback: every scripted exchange
//! passes, none is skipped, and the report says so.

use tongban_conformance::endpoint;
use tongban_conformance::report;
use tongban_conformance::run::Verdict;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_node_passes_every_endpoint_check() {
    let mut seen = 0;
    let results = endpoint::run_reference(&mut |_| seen += 1)
        .await
        .expect("the reference node starts");
    assert_eq!(seen, results.len(), "progress after every check");
    assert!(results.len() >= 16, "{} checks", results.len());
    for result in &results {
        assert_eq!(
            result.verdict,
            Verdict::Passed,
            "{}: {:?}",
            result.id,
            result.verdict
        );
        assert_eq!(result.category, "endpoint");
    }
    for id in [
        "transfer_receipted",
        "duplicate_same_receipt",
        "bad_signature",
        "unknown_sender",
        "expired",
        "replayed_id",
        "replayed_id_other_case",
        "item_unknown",
        "mode_not_allowed",
        "form_invalid",
        "illegal_transition",
        "oversized",
        "whole_case",
        "tls/listed_key",
        "tls/no_certificate",
        "tls/unlisted_key",
        "tls/wrong_member",
        "tls/wrong_member_file_request",
    ] {
        assert!(
            results.iter().any(|r| r.id == format!("endpoint/{id}")),
            "no check {id}"
        );
    }
    let (_, total) = report::counts(&results);
    assert_eq!((total.passed, total.failed), (results.len(), 0));
}
