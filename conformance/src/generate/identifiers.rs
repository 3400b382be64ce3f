//! Identifier rules: valid and invalid values of every kind.

use super::*;

pub(super) fn identifiers(g: &mut Gen) {
    let cases: &[(&str, &str, Option<&str>, &str)] = &[
        (
            "region",
            "420200",
            None,
            "Huangshi, a prefecture-level city",
        ),
        (
            "region",
            "429004",
            None,
            "Xiantao, a county-level city the province administers",
        ),
        ("region", "110000", None, "Beijing, a province-level code"),
        ("region", "4202", Some("id.region_format"), "four digits"),
        ("region", "42020a", Some("id.region_format"), "a letter"),
        (
            "region",
            "990000",
            Some("id.region_structure"),
            "no province 99",
        ),
        (
            "region",
            "420012",
            Some("id.region_structure"),
            "a county under a 00 prefecture",
        ),
        (
            "citizen_id",
            "11010519491231002X",
            None,
            "GB 11643's own example, check character X",
        ),
        (
            "citizen_id",
            "440524188001010014",
            None,
            "GB 11643's second example, born 1880",
        ),
        (
            "citizen_id",
            "420202200002291234",
            None,
            "born on 29 February of the leap year 2000",
        ),
        (
            "citizen_id",
            "110105194912310021",
            Some("id.citizen_checksum"),
            "wrong check digit",
        ),
        (
            "citizen_id",
            "11010519491231002x",
            Some("id.citizen_format"),
            "lower-case x",
        ),
        (
            "citizen_id",
            "1101051949123100",
            Some("id.citizen_format"),
            "16 characters",
        ),
        (
            "citizen_id",
            "110105194902300020",
            Some("id.citizen_birth_date"),
            "30 February",
        ),
        (
            "citizen_id",
            "420202190002291238",
            Some("id.citizen_birth_date"),
            "29 February 1900, not a leap year",
        ),
        ("credit_code", "9144030071526726XG", None, "a real code"),
        (
            "credit_code",
            "91350100M000100Y43",
            None,
            "a real code with letters in the organization part",
        ),
        (
            "credit_code",
            "91360400MA35G1234N",
            Some("id.credit_checksum"),
            "wrong check character",
        ),
        (
            "credit_code",
            "91420200MA4F0IIIII",
            Some("id.credit_format"),
            "I is not in the alphabet",
        ),
        (
            "credit_code",
            "91A60400MA35G1234M",
            Some("id.credit_format"),
            "a letter in the region part",
        ),
        ("message_id", "01JDQ6ZK8V3YH2X0R5M7N9P4QT", None, "a ULID"),
        (
            "message_id",
            "019373d2-6a00-7c3e-9b1a-2f4d5e6a7b8c",
            None,
            "a UUIDv7",
        ),
        (
            "message_id",
            "019373d2-6a00-4c3e-9b1a-2f4d5e6a7b8c",
            Some("id.message_format"),
            "a UUIDv4",
        ),
        (
            "message_id",
            "019373D2-6A00-7C3E-9B1A-2F4D5E6A7B8C",
            Some("id.message_format"),
            "upper-case UUID",
        ),
        (
            "message_id",
            "81JDQ6ZK8V3YH2X0R5M7N9P4QT",
            Some("id.message_format"),
            "ULID beyond its range",
        ),
        ("node", "huangshi.420200", None, "a node id"),
        ("node", "Huangshi", Some("id.node_format"), "upper case"),
        ("case", "HS-2026-000123", None, "a case id"),
        ("case", "案件1", Some("id.case_format"), "non-ASCII"),
        ("agreement", "hs-jj.cross-river", None, "an agreement id"),
        ("agreement", "HS JJ", Some("id.agreement_format"), "a space"),
        ("item", "HB-JX-0042", None, "a service item code"),
        ("item", "", Some("id.item_format"), "empty"),
        ("key_id", "huangshi.420200#2026", None, "a key id"),
        ("key_id", "k/1", Some("id.key_format"), "a slash"),
        (
            "digest",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            None,
            "SHA-256 of abc",
        ),
        (
            "digest",
            "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
            Some("id.digest_format"),
            "upper case",
        ),
        (
            "timestamp",
            "2026-11-28T09:30:00+08:00",
            None,
            "Beijing time",
        ),
        (
            "timestamp",
            "2026-11-28T01:30:00.5Z",
            None,
            "UTC with a fraction",
        ),
        (
            "timestamp",
            "2026-11-28t01:30:00Z",
            Some("time.format"),
            "lower-case t",
        ),
        (
            "timestamp",
            "2026-02-30T00:00:00Z",
            Some("time.format"),
            "30 February",
        ),
        ("protocol_version", "1.0", None, "version 1.0"),
        (
            "protocol_version",
            "1.7",
            None,
            "a newer minor version of major 1",
        ),
        (
            "protocol_version",
            "01.0",
            Some("version.format"),
            "a leading zero",
        ),
        (
            "protocol_version",
            "2.0",
            Some("version.unsupported_major"),
            "major version 2",
        ),
    ];
    for (kind, value, code, why) in cases {
        let verdict = if code.is_some() {
            "refused"
        } else {
            "accepted"
        };
        g.push(
            &format!("identifiers/{kind}-{verdict}-{}", slug(value)),
            &format!("{kind} {value:?}: {why}"),
            "identifier",
            json!({"kind": kind, "value": value}),
            code.map_or_else(accepted, refused),
        );
    }
}

/// A file-name-safe, stable form of a value: letters and digits kept, the rest `-`.
fn slug(value: &str) -> String {
    let slug: String = value
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    if slug.is_empty() {
        "empty".to_string()
    } else {
        slug
    }
}
