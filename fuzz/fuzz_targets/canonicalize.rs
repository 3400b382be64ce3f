//! `canonicalize`: any bytes → `tongban::json::parse` → `canonical::to_canonical_bytes`.
//!
//! Properties, for every document the strict parser accepts:
//! - the canonical bytes parse again and are a fixed point (canonicalizing them again
//!   gives the same bytes), and `canonical::canonicalize` gives the same bytes;
//! - serde_json accepts the document too (the strict parser accepts a subset of JSON:
//!   I-JSON under size and depth limits), and `serde_jcs`, an independent RFC 8785
//!   implementation, writes the same bytes for serde_json's value. No difference needs
//!   allowing: numbers that are not finite doubles and duplicate names are refused by
//!   tongban before the comparison, and serde_jcs, like tongban, writes every number,
//!   integers beyond ±2^53 included, as the double ECMAScript would (both parse with
//!   correct rounding: serde_jcs enables serde_json's `float_roundtrip`).
//!
//! Refusals must carry a listed code. Not checked here: that the canonical fast-path
//! scanner `tongban::json::canonical_spans` accepts the output, because it is
//! `pub(crate)`; `parse_verify` checks that fast and strict parsing agree instead.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tongban::canonical::{canonicalize, to_canonical_bytes};
use tongban::json::Limits;
use tongban_fuzz::check_code;

fuzz_target!(|data: &[u8]| {
    let value = match tongban::json::parse(data) {
        Ok(value) => value,
        Err(e) => {
            check_code(e.code(), &e);
            return;
        }
    };
    let canonical = to_canonical_bytes(&value);
    assert_eq!(
        canonicalize(data).ok().as_deref(),
        Some(canonical.as_slice())
    );

    // Canonical numbers may be longer than their input (`1e20` has 21 digits), so only
    // output within the size limit must parse again.
    if canonical.len() <= Limits::PROTOCOL.max_bytes {
        let reparsed = tongban::json::parse(&canonical)
            .unwrap_or_else(|e| panic!("canonical output refused: {e}"));
        assert_eq!(
            to_canonical_bytes(&reparsed),
            canonical,
            "canonicalization is a fixed point"
        );
    }

    let theirs: serde_json::Value = serde_json::from_slice(data)
        .unwrap_or_else(|e| panic!("tongban accepts what serde_json refuses: {e}"));
    let jcs = serde_jcs::to_vec(&theirs).unwrap_or_else(|e| panic!("serde_jcs refuses: {e}"));
    assert_eq!(
        String::from_utf8_lossy(&canonical),
        String::from_utf8_lossy(&jcs),
        "tongban and serde_jcs disagree"
    );
});
