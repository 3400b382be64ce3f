//! GB 32100 unified social credit codes.

use super::{id_error, string_id};
use crate::error::{IdError, IdRule};

/// An 18-character GB 32100 unified social credit code (统一社会信用代码) of a legal
/// entity: registration authority, entity type, six-digit region code, nine-character
/// organization code and a MOD 31 check character, all from the 31-character alphabet
/// `0-9 A-H J-N P-R T U W-Y` (no I, O, S, V, Z).
///
/// [`CreditCode::parse`] refuses a wrong check character. Some codes issued in early
/// pilot regions fail the check; [`CreditCode::parse_with`] and
/// [`CreditCodePolicy::Lenient`] accept those and report that they did.
///
/// Deserialization checks length and alphabet only, so that message parsing can apply
/// the policy its caller chose: [`crate::Unverified::parse`] refuses a wrong check
/// character, [`crate::Unverified::parse_with`] may tolerate it. Code that deserializes
/// a `CreditCode` by other means should call [`CreditCode::checksum_error`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CreditCode(String);

/// Whether a wrong check character is refused or tolerated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CreditCodePolicy {
    /// Refuse codes whose check character is wrong (the default).
    #[default]
    Strict,
    /// Accept codes whose check character is wrong, with a warning; for codes issued in
    /// early pilot regions before the check was enforced.
    Lenient,
}

const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [usize; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn value_of(c: char) -> Option<usize> {
    ALPHABET.find(c)
}

/// Length, alphabet and the six-digit region part.
fn validate_format(value: &str) -> Result<(), IdError> {
    let chars: Vec<char> = value.chars().collect();
    let ok = chars.len() == 18
        && chars.iter().all(|c| value_of(*c).is_some())
        && chars[2..8].iter().all(char::is_ascii_digit);
    if ok {
        Ok(())
    } else {
        Err(id_error(
            IdRule::CreditFormat,
            value,
            "credit code must be 18 characters of 0-9 A-H J-N P-R T U W-Y with digits in places 3-8",
        ))
    }
}

fn validate(value: &str) -> Result<(), IdError> {
    validate_format(value)?;
    match checksum_error(value) {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

/// The error for a wrong check character of a well-formed code.
fn checksum_error(value: &str) -> Option<IdError> {
    let sum: usize = value
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| value_of(c).unwrap_or(0) * w)
        .sum();
    let expected = ALPHABET.chars().nth((31 - sum % 31) % 31).unwrap_or('0');
    if value.ends_with(expected) {
        None
    } else {
        Some(id_error(
            IdRule::CreditChecksum,
            value,
            format!("the check character should be {expected}"),
        ))
    }
}

string_id!(
    CreditCode,
    validate,
    deserialize: validate_format,
    "^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$",
    "GB 32100 unified social credit code, 18 characters with a MOD 31 check character"
);

impl CreditCode {
    /// Validates `value` under `policy`. Returns the code and whether its check
    /// character was wrong (only possible under [`CreditCodePolicy::Lenient`]).
    pub fn parse_with(
        value: impl Into<String>,
        policy: CreditCodePolicy,
    ) -> Result<(Self, bool), IdError> {
        let value = value.into();
        validate_format(&value)?;
        match (checksum_error(&value), policy) {
            (None, _) => Ok((CreditCode(value), false)),
            (Some(_), CreditCodePolicy::Lenient) => Ok((CreditCode(value), true)),
            (Some(err), CreditCodePolicy::Strict) => Err(err),
        }
    }

    /// The error for a wrong check character, or `None` when it is right.
    pub fn checksum_error(&self) -> Option<IdError> {
        checksum_error(&self.0)
    }

    /// The six-digit region code embedded in places 3–8, as text.
    pub fn region_part(&self) -> &str {
        &self.0[2..8]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_codes_pass_the_check() {
        for code in [
            "9144030071526726XG",
            "914403001922038216",
            "91350100M000100Y43",
        ] {
            assert!(CreditCode::parse(code).is_ok(), "{code}");
        }
        let code = CreditCode::parse("91360400MA35G1234M").expect("valid");
        assert_eq!(code.region_part(), "360400");
    }

    #[test]
    fn a_wrong_check_character_is_refused_by_default_and_tolerated_when_lenient() {
        let bad = "91360400MA35G1234N";
        let err = CreditCode::parse(bad).expect_err("bad check");
        assert_eq!(err.code(), "id.credit_checksum");
        let (code, warned) =
            CreditCode::parse_with(bad, CreditCodePolicy::Lenient).expect("lenient");
        assert!(warned);
        assert_eq!(code.as_str(), bad);
    }

    #[test]
    fn format_errors() {
        for bad in [
            "91360400MA35G1234",
            "91360400MA35G1234I",
            "91A60400MA35G1234M",
            "9136O400MA35G1234M",
        ] {
            let err = CreditCode::parse_with(bad, CreditCodePolicy::Lenient).expect_err(bad);
            assert_eq!(err.code(), "id.credit_format", "{bad}");
        }
    }
}
