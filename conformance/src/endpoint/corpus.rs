//! The hostile corpus against a live node (`endpoint/hostile/…`).
//!
//! Every hostile vector whose answer does not depend on the node's clock, its replay
//! record or its registry's dates is posted to the node as it is, and must be refused
//! with the vector's code and that code's status (§21.3): documents the strict parser
//! refuses, and signed messages from the sample Huangshi window to the node refused by
//! their signatures, structure or registry checks. The signed ones need a node whose
//! registry has the sample members, keys and agreements (the demo registry does, valid
//! until the end of 2030); for any other node only the documents are sent.

use super::{expected, result, skipped, Tester};
use crate::generate;
use crate::run::CaseResult;
use crate::sdk::bytes_of;
use crate::vector::Vector;
use serde_json::Value;
use std::time::Instant;
use tongban::http::{status_for, MEDIA_TYPE};
use tongban::registry::Member;
use tongban::sample;
use tongban::NodeId;

/// Refusals decided by the receiver's clock, its replay record or its registry's dates:
/// a live node answers these by its own state, so they are not sent.
const STATEFUL: [&str; 8] = [
    "time.expired",
    "time.not_yet_valid",
    "replay.",
    "lifecycle.",
    "key.revoked",
    "key.outside_validity",
    "agreement.inactive",
    "registry.expired",
];

/// The trust of the signed vectors a live node can answer: the sample key set, or the
/// sample registry (version 1), both holding the sample keys.
const SAMPLE_TRUST: [(&str, &str); 2] = [
    ("keys", "fixture:keys-sample"),
    ("registry", "fixture:registry-v1"),
];

/// One request of the corpus.
struct Probe {
    id: String,
    description: String,
    bytes: Vec<u8>,
    code: String,
    /// Whether the bytes are a message signed with a sample key.
    signed: bool,
}

/// The refusal code of a vector's only outcome, if it is a refusal.
fn refusal(outcome: &Value) -> Option<String> {
    (outcome["outcome"] == "refused")
        .then(|| outcome["code"].as_str().map(str::to_string))
        .flatten()
}

/// The probe of `vector` for the node `node`, if a live node can answer it.
fn probe(vector: &Vector, node: &NodeId) -> Option<Probe> {
    let input = &vector.input;
    let (bytes, code, signed) = match vector.operation.as_str() {
        "canonicalize" => {
            let code = refusal(&vector.expected)?;
            (bytes_of(input).ok()?, code, false)
        }
        "verify" => {
            let [message] = input["messages"].as_array()?.as_slice() else {
                return None;
            };
            let [result] = vector.expected["results"].as_array()?.as_slice() else {
                return None;
            };
            let trusted = SAMPLE_TRUST
                .iter()
                .any(|(kind, name)| input[*kind] == *name);
            if !trusted || input.get("receiver").is_some() {
                return None;
            }
            let bytes = bytes_of(message).ok()?;
            // A message addressed to another member gets message.wrong_receiver first.
            if let Ok(document) = tongban::json::parse(&bytes) {
                if document["to"]
                    .as_str()
                    .is_some_and(|to| to != node.as_str())
                {
                    return None;
                }
            }
            (bytes, refusal(result)?, true)
        }
        _ => return None,
    };
    if STATEFUL.iter().any(|prefix| code.starts_with(prefix)) {
        return None;
    }
    Some(Probe {
        id: vector.id.clone(),
        description: vector.description.clone(),
        bytes,
        code,
        signed,
    })
}

/// Whether the node's registry has the sample registry's members, keys and agreements
/// (endpoints aside), so that the signed vectors reach the same checks there: the demo
/// registry of `partner-node demo-setup` does.
fn has_sample_members(tester: &Tester<'_>) -> bool {
    let Ok(sample) = sample::registry_document(1, &[0, 1, 2], 2) else {
        return false;
    };
    let theirs = tester.target.registry.document();
    // Where each member's node is and which TLS keys it presents do not change what
    // its messages mean.
    let without_endpoints = |members: &[Member]| -> Vec<Member> {
        members
            .iter()
            .cloned()
            .map(|mut m| {
                m.endpoint.clear();
                m.tls_keys = None;
                m
            })
            .collect()
    };
    theirs.agreements == sample.agreements
        && without_endpoints(&theirs.members) == without_endpoints(&sample.members)
}

/// Posts the corpus to the node, calling `record` with each result.
pub(super) async fn run(tester: &Tester<'_>, record: &mut dyn FnMut(CaseResult)) {
    let generated = generate::generate();
    let probes: Vec<Probe> = generated
        .vectors
        .iter()
        .filter(|v| v.id.starts_with("hostile/"))
        .filter_map(|v| probe(v, &tester.target.node))
        .collect();
    let signed_ones = probes.iter().filter(|p| p.signed).count();
    let with_signed = has_sample_members(tester);
    for probe in probes.into_iter().filter(|p| with_signed || !p.signed) {
        let started = Instant::now();
        let outcome = tester.refusal_as(MEDIA_TYPE, Ok(probe.bytes)).await;
        record(result(
            &probe.id,
            &probe.description,
            expected(status_for(&probe.code), &probe.code),
            outcome,
            started,
        ));
    }
    if !with_signed {
        record(skipped(
            "hostile/signed-messages",
            "the hostile messages signed with the sample keys",
            format!(
                "{signed_ones} not sent: the node's registry does not have the sample members, keys and agreements"
            ),
        ));
    }
}
