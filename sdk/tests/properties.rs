//! Property tests: any one-byte change breaks verification; canonicalization is a fixed
//! point.

use proptest::prelude::*;
use serde_json::Value;
use tongban::sample;
use tongban::*;

fn signed_bytes() -> Vec<u8> {
    sample::signed_transfer()
        .and_then(|e| e.to_canonical_bytes())
        .expect("sample")
}

fn verify(bytes: &[u8]) -> Result<Verified, Error> {
    let now = Timestamp::parse(sample::CREATED)?;
    Verifier::new(sample::key_set()?)
        .any_receiver()
        .verify(Unverified::parse(bytes)?, &now)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn changing_any_byte_breaks_verification(index in any::<prop::sample::Index>(), delta in 1u8..=255) {
        let mut bytes = signed_bytes();
        let i = index.index(bytes.len());
        bytes[i] = bytes[i].wrapping_add(delta);
        prop_assert!(verify(&bytes).is_err(), "byte {} changed and still verified", i);
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,12}".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn canonicalization_is_idempotent(value in json_value()) {
        let once = tongban::canonical::to_canonical_bytes(&value);
        let twice = tongban::canonical::canonicalize(&once).expect("canonical output re-parses");
        prop_assert_eq!(&once, &twice);
    }

    #[test]
    fn canonical_numbers_parse_back_to_the_same_double(x in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        let text = tongban::canonical::format_double(x).expect("finite");
        let back: f64 = text.parse().expect("a number");
        prop_assert!(back == x, "{} -> {} -> {}", x, text, back);
    }
}

/// Parses `bytes` as given (canonical bytes take the fast path) and behind a leading
/// space (never canonical, so the strict path): both must agree on everything.
fn parse_both_ways(bytes: &[u8]) -> (Result<Unverified, Error>, Result<Unverified, Error>) {
    let mut spaced = b" ".to_vec();
    spaced.extend_from_slice(bytes);
    (Unverified::parse(bytes), Unverified::parse(&spaced))
}

fn assert_same_outcome(bytes: &[u8]) -> Result<(), TestCaseError> {
    match parse_both_ways(bytes) {
        (Ok(fast), Ok(strict)) => {
            prop_assert_eq!(fast.envelope(), strict.envelope());
            prop_assert_eq!(fast.canonical_bytes(), strict.canonical_bytes());
            prop_assert_eq!(fast.document(), strict.document());
            prop_assert_eq!(fast.warnings(), strict.warnings());
            // The signed bytes too: both verify, or both fail with the same code.
            let verify = |message: Unverified| -> Result<Sha256Digest, &'static str> {
                let now = Timestamp::parse(sample::CREATED)
                    .and_then(|t| t.plus_seconds(600))
                    .map_err(|e| e.code())?;
                let keys = sample::key_set().map_err(|e| e.code())?;
                let verified = Verifier::new(keys)
                    .any_receiver()
                    .verify(message, &now)
                    .map_err(|e| e.code())?;
                Ok(verified.digest().clone())
            };
            prop_assert_eq!(verify(fast), verify(strict));
        }
        (Err(fast), Err(strict)) => prop_assert_eq!(fast.code(), strict.code()),
        (fast, strict) => prop_assert!(
            false,
            "fast path {:?} but strict path {:?}",
            fast.map(|_| ()).map_err(|e| e.code()),
            strict.map(|_| ()).map_err(|e| e.code())
        ),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// The canonical fast path of `Unverified::parse` accepts exactly what the strict
    /// path accepts, with the same result, and refuses the rest with the same code:
    /// every message type and the benchmark transfer, with one byte changed to anything.
    #[test]
    fn fast_and_strict_parsing_agree(
        which in 0usize..=MessageType::ALL.len(),
        index in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let created = Timestamp::parse(sample::CREATED).expect("time");
        let message = match MessageType::ALL.get(which) {
            Some(message_type) => sample::signed(*message_type, 60),
            None => sample::benchmark_transfer(1, &created),
        };
        let mut bytes = message.and_then(|m| m.to_canonical_bytes()).expect("sample");
        let i = index.index(bytes.len());
        bytes[i] = byte;
        assert_same_outcome(&bytes)?;
    }
}

#[test]
fn fast_and_strict_parsing_agree_on_every_sample_message() {
    let created = Timestamp::parse(sample::CREATED).expect("time");
    let mut messages: Vec<Envelope> = MessageType::ALL
        .iter()
        .copied()
        .map(|t| sample::signed(t, 60).expect("sample"))
        .collect();
    messages.push(sample::benchmark_transfer(1, &created).expect("sample"));
    for message in messages {
        let bytes = message.to_canonical_bytes().expect("bytes");
        assert_same_outcome(&bytes).expect("both paths agree");
        let (fast, _) = parse_both_ways(&bytes);
        assert!(fast.is_ok(), "{}", message.message_type().as_str());
    }
}
