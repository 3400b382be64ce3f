//! Canonical JSON: the JSON Canonicalization Scheme of RFC 8785.
//!
//! Object members are sorted by the UTF-16 code units of their names, numbers are
//! written the way ECMAScript's `Number.prototype.toString` writes doubles, strings use
//! the minimal escaping of RFC 8785 §3.2.2.2, and there is no whitespace. These bytes,
//! and only these, are hashed and signed.

use crate::error::Error;
use crate::json::MemberSpan;
use serde_json::{Map, Number, Value};
use std::cmp::Ordering;
use std::fmt::Write;

pub(crate) mod typed;

/// Parses `bytes` strictly (see [`crate::json`]) and returns their canonical form.
pub fn canonicalize(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(to_canonical_bytes(&crate::json::parse(bytes)?))
}

/// The canonical bytes of a JSON value.
pub fn to_canonical_bytes(value: &Value) -> Vec<u8> {
    to_canonical_bytes_without(value, None)
}

/// The canonical bytes of a JSON value without the top-level member `skip` (if the
/// value is an object), e.g. an envelope without its `signatures`.
pub fn to_canonical_bytes_without(value: &Value, skip: Option<&str>) -> Vec<u8> {
    let Some(name) = skip else {
        let mut out = String::new();
        write_value(&mut out, value, None);
        return out.into_bytes();
    };
    let (mut text, [span]) = to_canonical_bytes_locating(value, [name], 0);
    if let Some(span) = span {
        text.drain(span.member);
    }
    text.into_bytes()
}

/// The canonical text of `value` and, if it is an object, where its members `names`
/// sit in them (see [`MemberSpan`]). One pass gives the bytes a message's digest covers,
/// the bytes its signatures cover (without the `signatures` span) and its body.
/// `capacity` is a size hint (e.g. the length of the parsed bytes).
pub(crate) fn to_canonical_bytes_locating<const N: usize>(
    value: &Value,
    names: [&str; N],
    capacity: usize,
) -> (String, [Option<MemberSpan>; N]) {
    let mut out = String::with_capacity(capacity);
    let mut spans = [const { None }; N];
    write_value(&mut out, value, Some((&names, &mut spans)));
    (out, spans)
}

/// Top-level member names to locate, and where their spans go.
type Locate<'a, 'b> = Option<(&'a [&'a str], &'b mut [Option<MemberSpan>])>;

/// Writes `value`; for an object, records the spans of the members in `locate`.
fn write_value(out: &mut String, value: &Value, locate: Locate<'_, '_>) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
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
        Value::Object(map) => write_object(out, map, locate),
    }
}

fn write_object(out: &mut String, map: &Map<String, Value>, mut locate: Locate<'_, '_>) {
    let count = map.len();
    let mut write_members =
        |out: &mut String, members: &mut dyn Iterator<Item = (&String, &Value)>| {
            out.push('{');
            for (i, (name, item)) in members.enumerate() {
                let start = out.len();
                if i > 0 {
                    out.push(',');
                }
                write_string(out, name);
                out.push(':');
                let value_start = out.len();
                write_value(out, item, None);
                let Some((names, spans)) = locate.as_mut() else {
                    continue;
                };
                if let Some(at) = names.iter().position(|n| *n == name.as_str()) {
                    let name_start = if i == 0 { start } else { start + 1 };
                    let value = value_start..out.len();
                    spans[at] = Some(MemberSpan::new(name_start, value, i == 0, i + 1 == count));
                }
            }
            out.push('}');
        };
    if in_canonical_order(map) {
        write_members(out, &mut map.iter());
    } else {
        let mut members: Vec<(&String, &Value)> = map.iter().collect();
        members.sort_by(|(a, _), (b, _)| name_order(a, b));
        write_members(out, &mut members.into_iter());
    }
}

/// Whether the map already iterates in RFC 8785 order ([`name_order`]), as an ordered
/// map of names without characters beyond the Basic Multilingual Plane does.
fn in_canonical_order(map: &Map<String, Value>) -> bool {
    let mut previous: Option<&str> = None;
    map.keys().all(|name| {
        let in_order = previous.is_none_or(|p| name_order(p, name).is_lt());
        previous = Some(name);
        in_order
    })
}

/// The order of member names in RFC 8785: by their UTF-16 code units. That is the
/// order of their UTF-8 bytes except where the first difference is between a character
/// beyond the Basic Multilingual Plane (lead byte `F0`–`F4`) and one of U+E000–U+FFFF
/// (lead byte `EE` or `EF`): only when both differing bytes are `EE` or above are the
/// code units compared.
pub(crate) fn name_order(a: &str, b: &str) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    match x.iter().zip(y).find(|(p, q)| p != q) {
        Some((&p, &q)) if p >= 0xEE && q >= 0xEE => a.encode_utf16().cmp(b.encode_utf16()),
        Some((p, q)) => p.cmp(q),
        None => x.len().cmp(&y.len()),
    }
}

/// Writes `s` as a canonical JSON string (RFC 8785 §3.2.2.2).
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let mut rest = s;
    while let Some(at) = crate::json::first_to_escape(rest.as_bytes()) {
        out.push_str(&rest[..at]);
        match rest.as_bytes()[at] {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            control => {
                let _ = write!(out, "\\u{control:04x}");
            }
        }
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out.push('"');
}

/// Integers within ±2^53 print as themselves; everything else goes through the
/// double formatting of [`format_double`].
fn write_number(out: &mut String, n: &Number) {
    match n.as_i64() {
        Some(i) if i.unsigned_abs() <= 1 << 53 => {
            let _ = write!(out, "{i}");
        }
        _ => out.push_str(&format_number(n)),
    }
}

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
    // zmij (Schubfach) gives the shortest digits that round-trip and, of several, the
    // one closest to the exact value, as ECMAScript asks, in a form such as "1.2345e-7",
    // "100.0" or "0.001". Read back as digits `d₁…d_k` and `n`, the value is
    // 0.d₁…d_k × 10ⁿ.
    let mut buffer = zmij::Buffer::new();
    let printed = buffer.format_finite(x);
    let (mantissa, exponent) = printed.split_once('e').unwrap_or((printed, "0"));
    let point = mantissa.find('.').unwrap_or(mantissa.len());
    let all: String = mantissa.chars().filter(|c| *c != '.').collect();
    let leading = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_matches('0');
    let k = digits.len() as i32;
    let n = point as i32 - leading as i32 + exponent.parse::<i32>().unwrap_or(0);
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

    /// The writer's member spans: removing one leaves the canonical bytes without the
    /// member, wherever it sits, and the canonical scan finds the same span.
    #[test]
    fn locating_a_member_gives_the_bytes_without_it() {
        let cases = [
            (
                r#"{"b":1,"signatures":[2],"z":{"signatures":3}}"#,
                "{\"b\":1,\"z\":{\"signatures\":3}}",
            ),
            (r#"{"signatures":[2],"z":1}"#, r#"{"z":1}"#),
            (r#"{"a":1,"signatures":[2]}"#, r#"{"a":1}"#),
            (r#"{"signatures":[2]}"#, "{}"),
            (r#"{"a":1}"#, r#"{"a":1}"#),
        ];
        for (input, without) in cases {
            let value = crate::json::parse(input.as_bytes()).expect("valid");
            let (text, [span]) = to_canonical_bytes_locating(&value, ["signatures"], 0);
            let bytes = text.into_bytes();
            assert_eq!(bytes, to_canonical_bytes(&value), "{input}");
            assert_eq!(
                crate::json::canonical_spans(
                    std::str::from_utf8(&bytes).expect("UTF-8"),
                    ["signatures"]
                ),
                Some([span.clone()]),
                "the scan of canonical bytes finds the same span: {input}"
            );
            let mut rest = bytes.clone();
            if let Some(span) = span {
                assert_eq!(&bytes[span.value], b"[2]");
                rest.drain(span.member);
            }
            assert_eq!(String::from_utf8(rest).expect("UTF-8"), without, "{input}");
            let skipped = to_canonical_bytes_without(&value, Some("signatures"));
            assert_eq!(
                String::from_utf8(skipped).expect("UTF-8"),
                without,
                "{input}"
            );
        }
    }

    #[test]
    fn name_order_is_the_order_of_utf16_code_units() {
        let names = [
            "",
            "a",
            "ab",
            "b",
            "\r",
            "1",
            "\u{80}",
            "ö",
            "€",
            "\u{e000}",
            "\u{ffff}",
            "\u{fb33}",
            "\u{1f600}",
            "\u{10000}",
            "\u{10ffff}",
            "黄",
            "黄石",
            "黄\u{1f600}",
            "黄\u{fb33}",
            "\u{1f600}a",
            "\u{1f601}",
        ];
        for a in names {
            for b in names {
                assert_eq!(
                    name_order(a, b),
                    a.encode_utf16().cmp(b.encode_utf16()),
                    "{a:?} {b:?}"
                );
            }
        }
    }

    #[test]
    fn names_beyond_the_basic_plane_are_sorted_by_utf16() {
        // U+1F600 sorts before U+FB01 in UTF-16 (a surrogate, 0xD83D) but after it in
        // UTF-8 bytes (0xF0 > 0xEF), so the ordered map's order must not be kept.
        assert_eq!(
            canon("{\"\u{fb01}\":1,\"\u{1f600}\":2}"),
            "{\"\u{1f600}\":2,\"\u{fb01}\":1}"
        );
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
