//! `parse_verify`: any bytes → `Unverified::parse` → `Verifier::verify` against the
//! sample trust registry, as Jiujiang at the conformance vectors' `now`.
//!
//! Properties:
//! - nothing panics, and every refusal has a stable code listed in `ERROR_CODES`;
//! - a parsed message's canonical bytes are `canonical::canonicalize` of the input;
//! - its typed envelope written straight as canonical JSON (`Envelope::to_canonical_bytes`,
//!   the sign path's writer) gives the canonical bytes of its JSON value;
//! - they parse again on the canonical fast path, and behind a leading space (which is
//!   never canonical) on the strict path, to the same envelope, document, warnings,
//!   canonical bytes and digest;
//! - the input and its strict-path copy verify alike, each with a fresh verifier; the
//!   fast-path copy, verified next by the input's verifier, is `replay.duplicate` if
//!   the input was accepted, and refused with the input's code otherwise.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tongban::json::Limits;
use tongban::registry::Registry;
use tongban::{MemoryReplayGuard, Sha256Digest, Unverified, Verifier};
use tongban_fuzz::{check_error, node, now, registry, JIUJIANG};

type Outcome = Result<Sha256Digest, &'static str>;

fn verifier() -> Verifier<&'static Registry, MemoryReplayGuard> {
    Verifier::new(registry()).for_receiver(node(JIUJIANG))
}

fn verify(verifier: &Verifier<&'static Registry>, message: Unverified) -> Outcome {
    verifier
        .verify(message, now())
        .map(|verified| verified.digest().clone())
        .map_err(|e| check_error(&e))
}

fn parse_again(bytes: &[u8], path: &str) -> Unverified {
    Unverified::parse(bytes)
        .unwrap_or_else(|e| panic!("canonical bytes refused on the {path} path: {e}"))
}

fuzz_target!(|data: &[u8]| {
    let message = match Unverified::parse(data) {
        Ok(message) => message,
        Err(e) => {
            check_error(&e);
            return;
        }
    };
    let canonical = message.canonical_bytes().to_vec();
    assert_eq!(
        tongban::canonical::canonicalize(data).ok().as_deref(),
        Some(canonical.as_slice()),
        "the canonical bytes are the canonical form of the input"
    );

    let envelope = message.envelope();
    assert_eq!(
        envelope.to_canonical_bytes().ok(),
        envelope
            .to_value()
            .ok()
            .map(|value| tongban::canonical::to_canonical_bytes(&value)),
        "the typed writer gives the canonical bytes of the envelope's JSON value"
    );

    let fast = parse_again(&canonical, "fast");
    let mut copies = vec![fast];
    if canonical.len() < Limits::PROTOCOL.max_bytes {
        copies.push(parse_again(
            &[b" ", canonical.as_slice()].concat(),
            "strict",
        ));
    }
    for copy in &copies {
        assert_eq!(copy.envelope(), message.envelope());
        assert_eq!(copy.canonical_bytes(), canonical.as_slice());
        assert_eq!(copy.digest(), message.digest());
        assert_eq!(copy.document(), message.document());
        assert_eq!(copy.warnings(), message.warnings());
    }

    let digest = message.digest().clone();
    let shared = verifier();
    let first = verify(&shared, message);
    if let Ok(verified) = &first {
        assert_eq!(verified, &digest, "the verified digest is the parsed one");
    }
    let mut copies = copies.into_iter();
    let again = copies.next().map(|fast| verify(&shared, fast));
    let expected_again = first.clone().and(Err("replay.duplicate"));
    assert_eq!(
        again,
        Some(expected_again),
        "the same verifier, the same bytes again"
    );
    for strict in copies {
        assert_eq!(
            verify(&verifier(), strict),
            first,
            "strict path verifies alike"
        );
    }
});
