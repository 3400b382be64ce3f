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

#[cfg(test)]
mod tests {
    use super::*;

    fn code(bytes: &[u8]) -> &'static str {
        parse(bytes).expect_err("must be refused").code()
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
