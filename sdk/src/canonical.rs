//! Canonical JSON: the JSON Canonicalization Scheme of RFC 8785.
//!
//! Object members are sorted by the UTF-16 code units of their names, numbers are
//! written the way ECMAScript's `Number.prototype.toString` writes doubles, strings use
//! the minimal escaping of RFC 8785 §3.2.2.2, and there is no whitespace. These bytes,
//! and only these, are hashed and signed.

use crate::error::Error;
use serde_json::{Number, Value};

/// Parses `bytes` strictly (see [`crate::json`]) and returns their canonical form.
pub fn canonicalize(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(to_canonical_bytes(&crate::json::parse(bytes)?))
}

/// The canonical bytes of a JSON value.
pub fn to_canonical_bytes(value: &Value) -> Vec<u8> {
    to_canonical_bytes_without(value, None)
}

/// The canonical bytes of a JSON value without the top-level member `skip` (if the
/// value is an object), e.g. an envelope without its `signatures`, with no copy.
pub fn to_canonical_bytes_without(value: &Value, skip: Option<&str>) -> Vec<u8> {
    let mut out = String::new();
    write_value(&mut out, value, skip);
    out.into_bytes()
}

fn write_value(out: &mut String, value: &Value, skip: Option<&str>) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&format_number(n)),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item, None);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map
                .iter()
                .filter(|(name, _)| Some(name.as_str()) != skip)
                .collect();
            members.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, (name, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, name);
                out.push(':');
                write_value(out, item, None);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Every JSON number is an IEEE 754 double in RFC 8785; integers beyond 2^53 round.
fn format_number(n: &Number) -> String {
    let double = match (n.as_i64(), n.as_u64()) {
        (Some(i), _) => i as f64,
        (_, Some(u)) => u as f64,
        // serde_json numbers are i64, u64 or finite f64.
        _ => n.as_f64().unwrap_or(0.0),
    };
    format_double(double).unwrap_or_else(|| "null".into())
}

/// Formats a double as ECMAScript's `Number.prototype.toString` does; `None` for NaN and
/// the infinities, which JSON cannot carry.
pub fn format_double(x: f64) -> Option<String> {
    if !x.is_finite() {
        return None;
    }
    if x == 0.0 {
        return Some("0".to_string()); // also for -0
    }
    if x < 0.0 {
        return format_double(-x).map(|positive| format!("-{positive}"));
    }
    // `{:e}` yields the shortest digits that round-trip, e.g. "1.2345e-7". When two
    // such digit strings exist, ECMAScript takes the one closest to the exact value:
    // the correctly rounded form with the same number of digits.
    let shortest = format!("{x:e}");
    let digit_count = shortest
        .split('e')
        .next()
        .map_or(1, |m| m.replace('.', "").len());
    let closest = format!("{:.*e}", digit_count - 1, x);
    let scientific = if closest.parse::<f64>() == Ok(x) {
        closest
    } else {
        shortest
    };
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let n = exponent.parse::<i32>().unwrap_or(0) + 1;
    Some(if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        let exp = (n - 1).abs();
        if rest.is_empty() {
            format!("{first}e{sign}{exp}")
        } else {
            format!("{first}.{rest}e{sign}{exp}")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        String::from_utf8(canonicalize(text.as_bytes()).expect("valid JSON")).expect("UTF-8")
    }

    /// RFC 8785 §3.2.2, the worked example.
    #[test]
    fn rfc8785_section_3_2_2_example() {
        let input = r#"{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"#;
        assert_eq!(
            canon(input),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    /// RFC 8785 §3.2.3, sorting by UTF-16 code units.
    #[test]
    fn rfc8785_section_3_2_3_sorting() {
        let input = r#"{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"#;
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"דּ\":\"Hebrew Letter Dalet With Dagesh\"}";
        assert_eq!(canon(input), expected);
    }

    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript form.
    #[test]
    fn rfc8785_appendix_b_numbers() {
        let cases: &[(u64, &str)] = &[
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, expected) in cases {
            assert_eq!(
                format_double(f64::from_bits(*bits)).as_deref(),
                Some(*expected),
                "{bits:#x}"
            );
        }
    }

    #[test]
    fn non_finite_doubles_have_no_json_form() {
        assert_eq!(format_double(f64::NAN), None);
        assert_eq!(format_double(f64::INFINITY), None);
        assert_eq!(format_double(f64::NEG_INFINITY), None);
    }

    #[test]
    fn chinese_text_is_written_unescaped() {
        assert_eq!(
            canon(r#"{"名称":"黄石市民之家","b":"\u4e5d\u6c5f"}"#),
            r#"{"b":"九江","名称":"黄石市民之家"}"#
        );
    }

    #[test]
    fn large_integers_are_doubles() {
        assert_eq!(
            canon("[18446744073709551615, -9223372036854775808, 9007199254740993]"),
            "[18446744073709552000,-9223372036854776000,9007199254740992]"
        );
    }
}
