//! GB 11643 citizen identity numbers.

use super::{id_error, string_id};
use crate::error::{IdError, IdRule};

/// An 18-character GB 11643 citizen identity number: a six-digit region code, the birth
/// date `YYYYMMDD`, a three-digit sequence and an ISO 7064 MOD 11-2 check character
/// (`0`–`9` or an upper-case `X`).
///
/// Its `Debug` form masks the birth date and sequence; `Display` and serialization give
/// the full value, which is what a message must carry.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CitizenId(String);

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The MOD 11-2 check character of the first 17 digits.
fn check_character(digits: &[u8]) -> char {
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    match (12 - sum % 11) % 11 {
        10 => 'X',
        n => char::from_digit(n, 10).unwrap_or('X'),
    }
}

/// The value with the birth date and sequence replaced by `*`.
pub(crate) fn mask(value: &str) -> String {
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if (6..14).contains(&i) { '*' } else { c })
        .collect()
}

fn is_leap(year: u32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Whether `value` has the shape of a citizen ID: 17 ASCII digits and a digit or `X`.
pub(crate) fn has_shape(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 18
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && (bytes[17].is_ascii_digit() || bytes[17] == b'X')
}

fn validate(value: &str) -> Result<(), IdError> {
    let bytes = value.as_bytes();
    if !has_shape(value) {
        return Err(id_error(
            IdRule::CitizenFormat,
            &mask(value),
            "citizen ID must be 17 digits followed by a digit or upper-case X",
        ));
    }
    let number = |range: std::ops::Range<usize>| value[range].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(6..10), number(10..12), number(12..14));
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    };
    if !(1800..=2099).contains(&year) || day == 0 || day > days_in_month {
        return Err(id_error(
            IdRule::CitizenBirthDate,
            &mask(value),
            "the birth date is not a calendar date between 1800 and 2099",
        ));
    }
    let expected = check_character(&bytes[..17]);
    if bytes[17] as char != expected {
        return Err(id_error(
            IdRule::CitizenChecksum,
            &mask(value),
            format!("the check character should be {expected}"),
        ));
    }
    Ok(())
}

string_id!(
    CitizenId,
    validate,
    "^[0-9]{6}(18|19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9X]$",
    "GB 11643 citizen identity number, 18 characters with an ISO 7064 MOD 11-2 check character"
);

impl CitizenId {
    /// The birth date as `(year, month, day)`.
    pub fn birth_date(&self) -> (u32, u32, u32) {
        let number = |range: std::ops::Range<usize>| self.0[range].parse::<u32>().unwrap_or(0);
        (number(6..10), number(10..12), number(12..14))
    }
}

impl std::fmt::Debug for CitizenId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CitizenId").field(&mask(&self.0)).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(v: &str) -> Option<&'static str> {
        CitizenId::parse(v).map_err(|e| e.code()).err()
    }

    #[test]
    fn the_standards_own_examples_are_valid() {
        // GB 11643-1999's worked examples.
        assert_eq!(code("11010519491231002X"), None);
        assert_eq!(code("440524188001010014"), None);
        assert_eq!(code("420202199001011231"), None);
        assert_eq!(
            CitizenId::parse("11010519491231002X")
                .expect("valid")
                .birth_date(),
            (1949, 12, 31)
        );
    }

    #[test]
    fn each_rule_has_its_code() {
        assert_eq!(code("110105194912310021"), Some("id.citizen_checksum"));
        assert_eq!(code("11010519491231002x"), Some("id.citizen_format"));
        assert_eq!(code("1101051949123100"), Some("id.citizen_format"));
        assert_eq!(code("110105194902300021"), Some("id.citizen_birth_date"));
        assert_eq!(code("110105170001010021"), Some("id.citizen_birth_date"));
        // 2000 is a leap year, 1900 is not.
        assert_eq!(code("420202200002291234"), None);
        assert_eq!(code("420202190002291234"), Some("id.citizen_birth_date"));
    }

    #[test]
    fn debug_masks_the_birth_date() {
        let id = CitizenId::parse("11010519491231002X").expect("valid");
        assert_eq!(format!("{id:?}"), "CitizenId(\"110105********002X\")");
        let err = CitizenId::parse("110105194912310021").expect_err("bad check digit");
        assert!(!err.to_string().contains("19491231"));
    }
}
