//! The strict JSON parser in front of everything else.
//!
//! It accepts I-JSON (RFC 7493) and refuses, each with its own code: documents larger
//! than [`Limits::max_bytes`] (checked before parsing), a byte order mark, invalid UTF-8,
//! `\u` escapes of lone surrogates, duplicate member names at any depth (compared after
//! unescaping, so `"a"` and `"\u0061"` collide), numbers that are not finite doubles,
//! nesting deeper than [`Limits::max_depth`] and trailing data.

use crate::error::JsonError;
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};
use std::ops::Range;

/// The largest integer the protocol carries: 2^53 − 1.
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Size and depth limits applied by [`parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted document, in bytes.
    pub max_bytes: usize,
    /// Deepest accepted nesting of arrays and objects (the top-level value is depth 1).
    pub max_depth: usize,
}

impl Limits {
    /// The deepest nesting any caller may ask for; deeper limits are lowered to this, so
    /// that parsing never exhausts the stack.
    pub const MAX_DEPTH: usize = 256;

    /// The protocol's limits: 1 MiB and 32 levels.
    pub const PROTOCOL: Limits = Limits {
        max_bytes: 1024 * 1024,
        max_depth: 32,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::PROTOCOL
    }
}

/// Parses `bytes` as one JSON value under the protocol's [`Limits`].
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    parse_with_limits(bytes, Limits::PROTOCOL)
}

/// Parses `bytes` as one JSON value under the given limits (depth at most
/// [`Limits::MAX_DEPTH`]).
pub fn parse_with_limits(bytes: &[u8], limits: Limits) -> Result<Value, JsonError> {
    if bytes.len() > limits.max_bytes {
        return Err(JsonError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err(JsonError::Bom);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| JsonError::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    let mut parser = Parser {
        text,
        bytes,
        pos: 0,
        max_depth: limits.max_depth.min(Limits::MAX_DEPTH),
    };
    parser.skip_whitespace();
    let value = parser.value(1)?;
    parser.skip_whitespace();
    if parser.pos < bytes.len() {
        return Err(JsonError::TrailingData { offset: parser.pos });
    }
    Ok(value)
}

struct Parser<'a> {
    /// The document, valid UTF-8; slices of it between ASCII bytes need no new check.
    text: &'a str,
    /// The document, already checked to be UTF-8.
    bytes: &'a [u8],
    pos: usize,
    max_depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The text from `start` to the current position. Both lie next to ASCII bytes, so
    /// this never fails on a document that passed the UTF-8 check.
    fn slice(&self, start: usize) -> Result<&'a str, JsonError> {
        self.text
            .get(start..self.pos)
            .ok_or(JsonError::InvalidUtf8 { offset: start })
    }

    fn syntax(&self, reason: &'static str) -> JsonError {
        JsonError::Syntax {
            offset: self.pos,
            reason,
        }
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, literal: &'static [u8], value: Value) -> Result<Value, JsonError> {
        if self.bytes[self.pos..].starts_with(literal) {
            self.pos += literal.len();
            Ok(value)
        } else {
            Err(self.syntax("expected a JSON value"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        match self.peek() {
            Some(b'{') | Some(b'[') if depth > self.max_depth => Err(JsonError::TooDeep {
                limit: self.max_depth,
                offset: self.pos,
            }),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.expect_literal(b"true", Value::Bool(true)),
            Some(b'f') => self.expect_literal(b"false", Value::Bool(false)),
            Some(b'n') => self.expect_literal(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.syntax("expected a JSON value")),
            None => Err(self.syntax("unexpected end of document")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.pos += 1;
        let mut map = Map::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(map));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.syntax("expected a member name"));
            }
            let key = self.string()?;
            let slot = match map.entry(key) {
                Entry::Vacant(slot) => slot,
                Entry::Occupied(taken) => {
                    return Err(JsonError::DuplicateKey {
                        key: taken.key().clone(),
                        path: String::new(),
                    })
                }
            };
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.syntax("expected ':'"));
            }
            self.pos += 1;
            self.skip_whitespace();
            let value = self
                .value(depth + 1)
                .map_err(|e| within(e, || slot.key().clone()))?;
            slot.insert(value);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                _ => return Err(self.syntax("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, JsonError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_whitespace();
            let value = self
                .value(depth + 1)
                .map_err(|e| within(e, || items.len().to_string()))?;
            items.push(value);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.syntax("expected ',' or ']'")),
            }
        }
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            let run = self.slice(start)?;
            out.push_str(run);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => out.push(self.escape()?),
                Some(_) => return Err(self.syntax("control character in string")),
                None => return Err(self.syntax("unterminated string")),
            }
        }
    }

    fn escape(&mut self) -> Result<char, JsonError> {
        let at = self.pos;
        self.pos += 1; // backslash
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let unit = self.hex4()?;
                return match unit {
                    0xD800..=0xDBFF => {
                        if !self.bytes[self.pos..].starts_with(b"\\u") {
                            return Err(JsonError::LoneSurrogate { offset: at });
                        }
                        self.pos += 2;
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(JsonError::LoneSurrogate { offset: at });
                        }
                        let scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        char::from_u32(scalar).ok_or(JsonError::LoneSurrogate { offset: at })
                    }
                    0xDC00..=0xDFFF => Err(JsonError::LoneSurrogate { offset: at }),
                    _ => char::from_u32(unit).ok_or(JsonError::LoneSurrogate { offset: at }),
                };
            }
            _ => return Err(self.syntax("invalid escape")),
        };
        self.pos += 1;
        Ok(c)
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.syntax("truncated \\u escape"))?;
        let mut unit = 0;
        for &d in digits {
            let v = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.syntax("invalid \\u escape"))?;
            unit = unit * 16 + v;
        }
        self.pos += 4;
        Ok(unit)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let int_digits = self.digits();
        if int_digits == 0 {
            return Err(self.syntax("expected digits"));
        }
        if int_digits > 1 && self.bytes[int_start] == b'0' {
            return Err(JsonError::Syntax {
                offset: int_start,
                reason: "leading zero",
            });
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integer = false;
            if self.digits() == 0 {
                return Err(self.syntax("expected digits after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            integer = false;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.syntax("expected exponent digits"));
            }
        }
        // The slice holds only ASCII bytes checked above.
        let text = self.slice(start)?;
        if integer {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Value::Number(i.into()));
            }
            if let Ok(u) = text.parse::<u64>() {
                return Ok(Value::Number(u.into()));
            }
        }
        text.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or(JsonError::NumberOutOfRange { offset: start })
    }
}

/// Adds the member name or array index an error occurred in to the front of a
/// duplicate key's path as the error leaves that member: the path is built for the one
/// error, not for every member parsed.
fn within(error: JsonError, segment: impl FnOnce() -> String) -> JsonError {
    match error {
        JsonError::DuplicateKey { key, path } => JsonError::DuplicateKey {
            key,
            path: pointer(&[segment()]) + &path,
        },
        other => other,
    }
}

/// Formats a path of member names and indexes as a JSON Pointer (RFC 6901).
pub fn pointer(path: &[String]) -> String {
    path.iter()
        .map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// Where one top-level member of a canonical document sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MemberSpan {
    /// The member's value.
    pub value: Range<usize>,
    /// The member with one adjacent comma (the one before it, or after it for the first
    /// member): removing it leaves the canonical document without the member.
    pub member: Range<usize>,
}

impl MemberSpan {
    /// The span of a member whose name starts (with its quote) at `name` and whose
    /// value is `value`, `first` and/or `last` in its object.
    pub(crate) fn new(name: usize, value: Range<usize>, first: bool, last: bool) -> MemberSpan {
        let member = match (first, last) {
            (false, _) => name - 1..value.end,
            (true, false) => name..value.end + 1,
            (true, true) => name..value.end,
        };
        MemberSpan { value, member }
    }
}

/// Checks, in one pass and without allocating, that `text` is a JSON object already
/// in canonical form (RFC 8785) that [`parse`] accepts, with integers within ±(2^53−1)
/// as its only numbers, and returns the spans of its top-level members `names`.
///
/// `None` only means "not known to be canonical": names with escapes or characters
/// beyond the Basic Multilingual Plane, whitespace, fractions and anything invalid all
/// get `None`, and the caller falls back to [`parse`], which reports any error.
/// Members strictly increasing in byte order (which, for such names, is UTF-16 order)
/// also rules out duplicate keys.
pub(crate) fn canonical_spans<const N: usize>(
    text: &str,
    names: [&str; N],
) -> Option<[Option<MemberSpan>; N]> {
    let limits = Limits::PROTOCOL;
    let bytes = text.as_bytes();
    if bytes.len() > limits.max_bytes {
        return None;
    }
    let mut scan = CanonicalScan {
        bytes,
        pos: 0,
        max_depth: limits.max_depth,
    };
    let mut spans = [const { None }; N];
    if scan.peek()? != b'{' {
        return None;
    }
    scan.object(1, Some((&names, &mut spans)))?;
    (scan.pos == bytes.len()).then_some(spans)
}

/// The scanner of [`canonical_spans`]: every method returns `None` as soon as the
/// input is not canonical.
struct CanonicalScan<'a> {
    bytes: &'a [u8],
    pos: usize,
    max_depth: usize,
}

/// The top-level names to locate and where their spans go.
type Wanted<'n, 's, const N: usize> = (&'n [&'n str; N], &'s mut [Option<MemberSpan>; N]);

impl<'a> CanonicalScan<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'{' => self.object::<0>(depth, None),
            b'[' => self.array(depth),
            b'"' => self.string(false).map(|_| ()),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.integer(),
            _ => None,
        }
    }

    fn literal(&mut self, literal: &[u8]) -> Option<()> {
        self.bytes[self.pos..]
            .starts_with(literal)
            .then(|| self.pos += literal.len())
    }

    fn object<const N: usize>(
        &mut self,
        depth: usize,
        mut wanted: Option<Wanted<'_, '_, N>>,
    ) -> Option<()> {
        if depth > self.max_depth {
            return None;
        }
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        let mut previous: Option<&[u8]> = None;
        loop {
            let start = self.pos;
            let name = self.string(true)?;
            if previous.is_some_and(|p| p >= name) {
                return None;
            }
            previous = Some(name);
            self.eat(b':')?;
            let value_start = self.pos;
            self.value(depth + 1)?;
            let value = value_start..self.pos;
            let first = self.bytes[start - 1] == b'{';
            let last = self.peek()? == b'}';
            if let Some((names, spans)) = wanted.as_mut() {
                if let Some(i) = names.iter().position(|n| n.as_bytes() == name) {
                    spans[i] = Some(MemberSpan::new(start, value, first, last));
                }
            }
            if last {
                self.pos += 1;
                return Some(());
            }
            self.eat(b',')?;
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        if depth > self.max_depth {
            return None;
        }
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return Some(());
        }
        loop {
            self.value(depth + 1)?;
            if self.eat(b']').is_some() {
                return Some(());
            }
            self.eat(b',')?;
        }
    }

    /// A string in canonical form; returns its raw contents. A member name (`name`)
    /// may have no escapes and no character beyond the Basic Multilingual Plane.
    fn string(&mut self, name: bool) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.pos;
        loop {
            // Everything up to a quote, a backslash or a control character is content.
            self.pos += first_to_escape(self.bytes.get(self.pos..)?)?;
            match self.bytes[self.pos] {
                b'"' => {
                    self.pos += 1;
                    let content = &self.bytes[start..self.pos - 1];
                    if name && content.iter().any(|byte| *byte >= 0xf0) {
                        return None;
                    }
                    return Some(content);
                }
                b'\\' if !name => {
                    let escape = self.bytes.get(self.pos + 1..)?;
                    let length = match escape.first()? {
                        b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                        // RFC 8785 writes other control characters as \u00xx, lower case.
                        b'u' if is_canonical_control_escape(escape.get(1..5)?) => 6,
                        _ => return None,
                    };
                    self.pos += length;
                }
                // A control character, or an escape in a member name.
                _ => return None,
            }
        }
    }

    /// An integer as RFC 8785 writes it (no leading zeros, no `-0`, no fraction or
    /// exponent) within ±(2^53−1).
    fn integer(&mut self) -> Option<()> {
        let negative = self.eat(b'-').is_some();
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        let digits = &self.bytes[start..self.pos];
        let leading_zero = digits.len() > 1 && digits[0] == b'0';
        if digits.is_empty() || leading_zero || digits.len() > 16 || (negative && digits == b"0") {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = self.peek() {
            return None;
        }
        let magnitude = digits
            .iter()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        (magnitude <= MAX_SAFE_INTEGER as u64).then_some(())
    }
}

/// The index of the first byte of `bytes` that a JSON string escapes: a control
/// character, `"` or `\\`. Eight bytes are tested at a time (the word-at-a-time tests
/// for a zero byte and for a byte below a bound, on `u64`s), then the byte is found in
/// the word that has one.
pub(crate) fn first_to_escape(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let needs_escape = |b: &u8| *b < 0x20 || *b == b'"' || *b == b'\\';
    let mut words = bytes.chunks_exact(8);
    let mut offset = 0;
    for word in &mut words {
        let x = u64::from_ne_bytes(word.try_into().unwrap_or([0; 8]));
        let zero_in = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
        let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        let quote = zero_in(x ^ (ONES * u64::from(b'"')));
        let backslash = zero_in(x ^ (ONES * u64::from(b'\\')));
        if below_space | quote | backslash != 0 {
            if let Some(at) = word.iter().position(needs_escape) {
                return Some(offset + at);
            }
        }
        offset += 8;
    }
    words
        .remainder()
        .iter()
        .position(needs_escape)
        .map(|at| offset + at)
}

/// Whether the four hex digits of a `\u` escape are how RFC 8785 writes a control
/// character: lower-case hex, below U+0020, and not one with a short escape.
fn is_canonical_control_escape(hex: &[u8]) -> bool {
    let lower_hex = hex
        .iter()
        .all(|d| d.is_ascii_digit() || (b'a'..=b'f').contains(d));
    let Ok(code) = u32::from_str_radix(std::str::from_utf8(hex).unwrap_or("g"), 16) else {
        return false;
    };
    lower_hex && code < 0x20 && !matches!(code, 0x08 | 0x09 | 0x0a | 0x0c | 0x0d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(bytes: &[u8]) -> &'static str {
        parse(bytes).expect_err("must be refused").code()
    }

    /// The word-at-a-time search finds what a byte-at-a-time one finds, at every
    /// position and alignment, next to every kind of byte.
    #[test]
    fn the_escape_search_finds_the_first_byte_to_escape() {
        let naive = |bytes: &[u8]| {
            bytes
                .iter()
                .position(|b| *b < 0x20 || *b == b'"' || *b == b'\\')
        };
        let fillers: [&[u8]; 4] = [b"a", "黄".as_bytes(), b"\x7f", b"!#[]"];
        for special in [0x00, 0x1f, b'"', b'\\', b' ', 0x80, 0xff, b'!', b'#', b'['] {
            for filler in fillers {
                for before in 0..20 {
                    let mut bytes: Vec<u8> = filler.iter().cycle().take(before).copied().collect();
                    bytes.push(special);
                    bytes.extend(filler.iter().cycle().take(11));
                    assert_eq!(first_to_escape(&bytes), naive(&bytes), "{bytes:?}");
                    assert_eq!(
                        first_to_escape(&bytes[1.min(bytes.len())..]),
                        naive(&bytes[1..])
                    );
                }
            }
        }
    }

    #[test]
    fn accepts_plain_documents() {
        let v = parse(br#" {"a": [1, -2, 3.5, true, false, null], "b": "\u9ec4\u77f3"} "#)
            .expect("valid");
        assert_eq!(v["b"], "黄石");
        assert_eq!(v["a"][2], 3.5);
    }

    #[test]
    fn refuses_each_defect_with_its_code() {
        assert_eq!(code(br#"{"a":1,"a":2}"#), "json.duplicate_key");
        assert_eq!(code(br#"{"x":{"a":1,"\u0061":2}}"#), "json.duplicate_key");
        assert_eq!(code(b"\"\xff\""), "json.invalid_utf8");
        assert_eq!(code(b"[\xff]"), "json.invalid_utf8");
        assert_eq!(code(b"{\"a\":1}\xc3"), "json.invalid_utf8");
        assert_eq!(code(br#""\ud800""#), "json.lone_surrogate");
        assert_eq!(code(br#""\udc00\ud800""#), "json.lone_surrogate");
        assert_eq!(code(b"\xEF\xBB\xBF{}"), "json.bom");
        assert_eq!(code(b"{} {}"), "json.trailing_data");
        assert_eq!(code(b"1e400"), "json.number_out_of_range");
        assert_eq!(code(b"[01]"), "json.syntax");
        assert_eq!(code(b"[1,]"), "json.syntax");
        assert_eq!(code(b""), "json.syntax");
    }

    #[test]
    fn the_canonical_scan_accepts_only_canonical_documents() {
        let canonical = |text: &str| canonical_spans(text, ["b"]).is_some();
        for yes in [
            r#"{}"#,
            r#"{"a":[1,-2,true,false,null,{}],"b":"黄石\n\u001f\"","c":9007199254740991}"#,
            r#"{"a":{"x":{"y":[]}},"b":-9007199254740991}"#,
        ] {
            assert!(canonical(yes), "{yes}");
            assert!(parse(yes.as_bytes()).is_ok(), "{yes}");
        }
        for no in [
            r#"{ }"#,
            r#"{"b":1,"a":2}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a":"\/"}"#,
            r#"{"a":"\u0041"}"#,
            r#"{"a":"\u001F"}"#,
            r#"{"a":"\u000a"}"#,
            r#"{"\u0061":1}"#,
            r#"{"a":-0}"#,
            r#"{"a":1.5}"#,
            r#"{"a":1e3}"#,
            r#"{"a":01}"#,
            r#"{"a":9007199254740992}"#,
            r#"{"😀":1}"#,
            r#"[1]"#,
            r#"{"a":1}x"#,
            "{\"a\":\"\t\"}",
        ] {
            assert!(!canonical(no), "{no}");
        }
        let deep = |n: usize| format!("{{\"a\":{}{}}}", "[".repeat(n), "]".repeat(n));
        assert!(canonical(&deep(Limits::PROTOCOL.max_depth - 1)));
        assert!(!canonical(&deep(Limits::PROTOCOL.max_depth)));
        assert!(parse(deep(Limits::PROTOCOL.max_depth).as_bytes()).is_err());
    }

    #[test]
    fn the_canonical_scan_finds_top_level_members() {
        let text = br#"{"a":{"b":1},"b":[2],"c":3}"#;
        let [b, c, z] = canonical_spans(std::str::from_utf8(text).expect("UTF-8"), ["b", "c", "z"])
            .expect("canonical");
        let b = b.expect("b");
        assert_eq!(&text[b.value.clone()], b"[2]");
        assert_eq!(&text[b.member], b",\"b\":[2]");
        assert_eq!(&text[c.expect("c").value], b"3");
        assert_eq!(z, None);
    }

    #[test]
    fn duplicate_key_names_the_path() {
        let err = parse(br#"{"body":{"form":{"k":1,"k":2}}}"#).expect_err("dup");
        assert_eq!(
            err,
            JsonError::DuplicateKey {
                key: "k".into(),
                path: "/body/form".into()
            }
        );
    }

    #[test]
    fn depth_limit_is_exact() {
        let limits = Limits::PROTOCOL;
        let at = "[".repeat(limits.max_depth) + &"]".repeat(limits.max_depth);
        assert!(parse(at.as_bytes()).is_ok());
        let past = "[".repeat(limits.max_depth + 1) + &"]".repeat(limits.max_depth + 1);
        assert_eq!(code(past.as_bytes()), "json.too_deep");
    }

    #[test]
    fn no_caller_can_ask_for_unbounded_depth() {
        let limits = Limits {
            max_bytes: usize::MAX,
            max_depth: usize::MAX,
        };
        let deep = "[".repeat(100_000);
        let err = parse_with_limits(deep.as_bytes(), limits).expect_err("too deep");
        assert_eq!(
            err,
            JsonError::TooDeep {
                limit: Limits::MAX_DEPTH,
                offset: Limits::MAX_DEPTH
            }
        );
    }

    #[test]
    fn size_limit_is_checked_before_parsing() {
        let limits = Limits {
            max_bytes: 10,
            max_depth: 4,
        };
        assert!(parse_with_limits(b"[1,2,3,4]", limits).is_ok());
        let err = parse_with_limits(b"not even json", limits).expect_err("too large");
        assert_eq!(err.code(), "json.too_large");
    }
}
