//! Protocol 1.1's electronic licence data (PROTOCOL §6 `decision`, §2 step 8): what an
//! electronic licence says of itself (type, number, issuer, holder, validity), checked
//! like every other identifier. Generated after the other 1.1 vectors, so that earlier
//! vectors keep their ids.

use super::*;

pub(super) fn licence(g: &mut Gen, keys: &str) {
    let decision = Body::Decision(must("decision", sample::licensed_decision()));
    let base = answer_1_1(g, JIUJIANG, decision);
    let accepted_decision = json!({"outcome": "accepted", "type": "decision"});
    let cases: Vec<(&str, &str, Edit, Value)> = vec![
        (
            "1.1-decision-with-licence-data",
            "a 1.1 decision whose electronic business licence carries its catalogue data: type, number, issuer with its credit code, the shop as holder, valid without end",
            Box::new(|_| {}),
            accepted_decision.clone(),
        ),
        (
            "licence-data-in-a-1.0-decision",
            "a decision that says 1.0 with a licence's data, a member of 1.1",
            Box::new(|d| d["protocol"] = json!("1.0")),
            refused("message.invalid"),
        ),
        (
            "licence-data-on-a-decision-letter",
            "licence data on a document that is a decision letter, not an electronic licence",
            Box::new(|d| d["body"]["documents"][0]["kind"] = json!("decision_letter")),
            refused("message.invalid"),
        ),
        (
            "licence-holder-without-identifier",
            "a licence whose holder has neither a citizen id nor a credit code",
            Box::new(|d| {
                licence_of(d).map(|l| l.remove("holder_credit_code"));
            }),
            refused("message.invalid"),
        ),
        (
            "licence-holder-with-two-identifiers",
            "a licence whose holder has a citizen id and a credit code: one or the other",
            Box::new(|d| {
                licence_of(d).map(|l| l.insert("holder_citizen_id".into(), json!("420202199001011231")));
            }),
            refused("message.invalid"),
        ),
        (
            "licence-held-by-a-person",
            "a licence held by a person, named by the citizen id: accepted",
            Box::new(|d| {
                licence_of(d).map(|l| {
                    l.remove("holder_credit_code");
                    l.insert("holder".into(), json!("陈丽华"));
                    l.insert("holder_citizen_id".into(), json!("420202199001011231"))
                });
            }),
            accepted_decision.clone(),
        ),
        (
            "licence-holder-citizen-checksum",
            "a licence held by a person whose citizen id fails its check character",
            Box::new(|d| {
                licence_of(d).map(|l| {
                    l.remove("holder_credit_code");
                    l.insert("holder_citizen_id".into(), json!("420202199001011232"))
                });
            }),
            refused("id.citizen_checksum"),
        ),
        (
            "licence-issuer-credit-checksum",
            "a licence whose issuer's credit code fails its check character (checked last, like an applicant's)",
            Box::new(|d| {
                licence_of(d).map(|l| l.insert("issuer_credit_code".into(), json!("11360403MB00004231")));
            }),
            refused("id.credit_checksum"),
        ),
        (
            "licence-holder-credit-checksum",
            "a licence whose holder's credit code fails its check character",
            Box::new(|d| {
                licence_of(d).map(|l| l.insert("holder_credit_code".into(), json!("92360403MA3A2B3C4D")));
            }),
            refused("id.credit_checksum"),
        ),
        (
            "licence-issuer-credit-format",
            "a licence whose issuer's credit code has 17 characters",
            Box::new(|d| {
                licence_of(d).map(|l| l.insert("issuer_credit_code".into(), json!("11360403MB0000423")));
            }),
            refused("id.credit_format"),
        ),
        (
            "licence-valid-until-before-valid-from",
            "a licence valid until the day before it is valid from",
            Box::new(|d| {
                licence_of(d).map(|l| l.insert("valid_until".into(), json!("2026-11-27")));
            }),
            refused("message.invalid"),
        ),
        (
            "licence-valid-for-one-day",
            "a licence valid from and until the same day: accepted",
            Box::new(|d| {
                licence_of(d).map(|l| l.insert("valid_until".into(), json!("2026-11-28")));
            }),
            accepted_decision.clone(),
        ),
        (
            "licence-valid-from-no-day",
            "a licence valid from 2026-02-30, a day no calendar has",
            Box::new(|d| {
                licence_of(d).map(|l| l.insert("valid_from".into(), json!("2026-02-30")));
            }),
            refused("message.invalid"),
        ),
        (
            "licence-number-not-the-documents",
            "a licence whose number is not the number of its document",
            Box::new(|d| d["body"]["documents"][0]["number"] = json!("92360403MA3A2B3C4D")),
            refused("message.invalid"),
        ),
        (
            "licence-document-without-number",
            "an electronic licence whose document gives no number: the licence data gives it, accepted",
            Box::new(|d| {
                d["body"]["documents"][0].as_object_mut().map(|doc| doc.remove("number"));
            }),
            accepted_decision.clone(),
        ),
        (
            "licence-type-code-with-a-space",
            "a licence type code with a space (`SCJG YYZZ`): letters, digits and hyphens only",
            Box::new(|d| {
                licence_of(d).map(|l| l.insert("type_code".into(), json!("SCJG YYZZ")));
            }),
            refused("message.invalid"),
        ),
    ];
    let by_the_authority = cases.into_iter();
    let cases = by_the_authority.map(|(n, d, e, x)| (n, d, JIUJIANG, &base, e, x));
    edited_envelope_vectors(g, keys, cases.collect());
}

/// The licence data of the first document of a decision document.
fn licence_of(document: &mut Value) -> Option<&mut serde_json::Map<String, Value>> {
    document["body"]["documents"][0]["licence"].as_object_mut()
}
