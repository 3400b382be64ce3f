//! The strict parser under attack (§2, §3, §11): standalone documents (`hostile/json`)
//! and the same faults inside signed messages (`hostile/messages`).

use super::*;

/// The document size limit (§11).
const MAX_SIZE: u64 = 1_048_576;
/// The nesting limit (§11).
const MAX_DEPTH: usize = 32;

/// A document whose innermost object, at nesting level `depth`, holds `inner`; the
/// levels above alternate between objects and arrays.
fn nested(depth: usize, inner: &str) -> String {
    let mut text = inner.to_string();
    for level in (1..depth).rev() {
        text = if level % 2 == 1 {
            format!("{{\"n\":{text}}}")
        } else {
            format!("[{text}]")
        };
    }
    text
}

pub(super) fn parser(g: &mut Gen) {
    duplicate_keys(g);
    surrogates(g);
    invalid_utf8(g);
    byte_order_marks(g);
    numbers(g);
    nesting_and_size(g);
    trailing_data(g);
}

fn duplicate_keys(g: &mut Gen) {
    for depth in 1..=MAX_DEPTH {
        parse_refused(
            g,
            &format!("duplicate-key-depth-{depth:02}"),
            &format!("a duplicate member in the object at nesting level {depth}"),
            utf8(&nested(depth, "{\"k\":1,\"k\":2}")),
            "json.duplicate_key",
        );
    }
    parse_refused(
        g,
        "duplicate-key-depth-33",
        "a duplicate member one level past the nesting limit: the depth is found first",
        utf8(&nested(MAX_DEPTH + 1, "{\"k\":1,\"k\":2}")),
        "json.too_deep",
    );
    let escaped: [(&str, &str, &str); 13] = [
        (
            "escaped-ascii",
            "\"a\" and \"\\u0061\"",
            r#"{"a":1,"\u0061":2}"#,
        ),
        (
            "escaped-ascii-first",
            "\"\\u0061\" and \"a\"",
            r#"{"\u0061":1,"a":2}"#,
        ),
        (
            "escaped-latin",
            "\"é\" and \"\\u00e9\"",
            r#"{"é":1,"\u00e9":2}"#,
        ),
        (
            "escaped-hex-case",
            "\"\\u00E9\" and \"\\u00e9\"",
            r#"{"\u00E9":1,"\u00e9":2}"#,
        ),
        (
            "escaped-chinese",
            "\"中\" and \"\\u4e2d\"",
            r#"{"中":1,"\u4e2d":2}"#,
        ),
        (
            "escaped-pair",
            "\"😀\" and its surrogate pair",
            r#"{"😀":1,"\ud83d\ude00":2}"#,
        ),
        ("escaped-solidus", "\"/\" and \"\\/\"", r#"{"/":1,"\/":2}"#),
        (
            "escaped-quote",
            "\"\\\"\" and \"\\u0022\"",
            r#"{"\"":1,"\u0022":2}"#,
        ),
        (
            "escaped-backslash",
            "\"\\\\\" and \"\\u005c\"",
            r#"{"\\":1,"\u005c":2}"#,
        ),
        (
            "escaped-newline",
            "\"\\n\" and \"\\u000a\"",
            r#"{"\n":1,"\u000a":2}"#,
        ),
        (
            "nul",
            "\"\\u0000\" twice, the same escape",
            r#"{"\u0000":1,"\u0000":2}"#,
        ),
        (
            "apart",
            "the same name with another member between",
            r#"{"a":1,"b":2,"a":3}"#,
        ),
        (
            "same-value",
            "the same member twice, same value, in an array's second object",
            r#"[{"a":1},{"a":1,"a":1}]"#,
        ),
    ];
    for (name, what, text) in escaped {
        parse_refused(
            g,
            &format!("duplicate-key-{name}"),
            &format!("{what}: one name after unescaping"),
            utf8(text),
            "json.duplicate_key",
        );
    }
    let distinct: [(&str, &str, &str, &str); 4] = [
        (
            "case",
            "\"a\" and \"A\" differ",
            r#"{"a":1,"A":2}"#,
            r#"{"A":2,"a":1}"#,
        ),
        (
            "unnormalized",
            "precomposed \"é\" and \"e\" + U+0301 differ (no Unicode normalization); UTF-16 order",
            "{\"\u{e9}\":1,\"e\u{301}\":2}",
            "{\"e\u{301}\":2,\"\u{e9}\":1}",
        ),
        (
            "trailing-space",
            "\"a\" and \"a \" differ",
            r#"{"a ":2,"a":1}"#,
            r#"{"a":1,"a ":2}"#,
        ),
        (
            "utf16-order",
            "U+10000 sorts before U+E000 by UTF-16 code units, after it by UTF-8 bytes",
            r#"{"\ue000":2,"\ud800\udc00":1}"#,
            "{\"\u{10000}\":1,\"\u{e000}\":2}",
        ),
    ];
    for (name, what, text, canonical) in distinct {
        parse_accepted(
            g,
            &format!("distinct-keys-{name}"),
            what,
            utf8(text),
            Some(canonical),
        );
    }
}

fn surrogates(g: &mut Gen) {
    let lone: [(&str, &str, &str); 10] = [
        ("high", "a lone high surrogate", r#"["\ud800"]"#),
        (
            "high-last",
            "the last high surrogate alone",
            r#"["\udbff"]"#,
        ),
        ("low", "a lone low surrogate", r#"["\udc00"]"#),
        ("low-last", "the last low surrogate alone", r#"["\udfff"]"#),
        (
            "high-then-letter",
            "a high surrogate followed by a letter",
            r#"["\ud800x"]"#,
        ),
        (
            "high-then-escape",
            "a high surrogate followed by \\u0041",
            r#"["\ud800\u0041"]"#,
        ),
        ("two-high", "two high surrogates", r#"["\ud800\ud800"]"#),
        (
            "reversed",
            "a low surrogate before a high one",
            r#"["\udc00\ud800"]"#,
        ),
        (
            "high-then-newline",
            "a high surrogate followed by \\n",
            r#"["\ud800\n"]"#,
        ),
        (
            "in-name",
            "a lone surrogate in a member name",
            r#"{"\ud800":1}"#,
        ),
    ];
    for (name, description, text) in lone {
        parse_refused(
            g,
            &format!("surrogate-{name}"),
            description,
            utf8(text),
            "json.lone_surrogate",
        );
    }
    parse_accepted(
        g,
        "surrogate-pair-first",
        "the first supplementary code point as an escaped pair, written raw",
        utf8(r#"["\ud800\udc00"]"#),
        Some("[\"\u{10000}\"]"),
    );
    parse_accepted(
        g,
        "surrogate-pair-last",
        "U+10FFFF as an escaped pair, written raw",
        utf8(r#"["\udbff\udfff"]"#),
        Some("[\"\u{10ffff}\"]"),
    );
}

fn invalid_utf8(g: &mut Gen) {
    let in_string: [(&str, &str, &[u8]); 18] = [
        (
            "overlong-solidus",
            "\"/\" as the overlong C0 AF",
            &[0xc0, 0xaf],
        ),
        ("overlong-nul", "NUL as the overlong C0 80", &[0xc0, 0x80]),
        ("overlong-c1", "the overlong C1 BF", &[0xc1, 0xbf]),
        (
            "overlong-3",
            "a three-byte overlong form",
            &[0xe0, 0x80, 0xaf],
        ),
        (
            "overlong-3-max",
            "U+07FF as three bytes",
            &[0xe0, 0x9f, 0xbf],
        ),
        (
            "overlong-4",
            "a four-byte overlong form",
            &[0xf0, 0x80, 0x80, 0xaf],
        ),
        (
            "overlong-4-max",
            "U+FFFF as four bytes",
            &[0xf0, 0x8f, 0xbf, 0xbf],
        ),
        (
            "surrogate-high",
            "U+D800 encoded in UTF-8",
            &[0xed, 0xa0, 0x80],
        ),
        (
            "surrogate-low",
            "U+DFFF encoded in UTF-8",
            &[0xed, 0xbf, 0xbf],
        ),
        (
            "cesu-8",
            "a surrogate pair encoded as CESU-8",
            &[0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80],
        ),
        ("beyond-10ffff", "U+110000", &[0xf4, 0x90, 0x80, 0x80]),
        ("f5", "a lead byte F5", &[0xf5, 0x80, 0x80, 0x80]),
        (
            "five-bytes",
            "a five-byte sequence",
            &[0xf8, 0x88, 0x80, 0x80, 0x80],
        ),
        ("continuation", "a lone continuation byte", &[0x80]),
        ("fe", "the byte FE", &[0xfe]),
        ("ff", "the byte FF", &[0xff]),
        (
            "truncated-2-of-3",
            "中 (E4 B8 AD) cut after two bytes",
            &[0xe4, 0xb8],
        ),
        ("truncated-1-of-3", "中 cut after one byte", &[0xe4]),
    ];
    for (name, description, bad) in in_string {
        let mut bytes = b"[\"".to_vec();
        bytes.extend_from_slice(bad);
        bytes.extend_from_slice(b"\"]");
        parse_refused(
            g,
            &format!("utf8-{name}"),
            &format!("{description} inside a string"),
            raw(&bytes),
            "json.invalid_utf8",
        );
    }
    let elsewhere: [(&str, &str, &[u8]); 4] = [
        (
            "in-name",
            "an invalid byte in a member name",
            b"{\"\xe4\xb8\":1}",
        ),
        (
            "between-tokens",
            "an invalid byte between tokens",
            b"[1,\xff]",
        ),
        (
            "after-value",
            "a cut sequence after the value",
            b"{}\xe4\xb8",
        ),
        ("only", "a document that is one invalid byte", b"\xff"),
    ];
    for (name, description, bytes) in elsewhere {
        parse_refused(
            g,
            &format!("utf8-{name}"),
            description,
            raw(bytes),
            "json.invalid_utf8",
        );
    }
}

fn byte_order_marks(g: &mut Gen) {
    let cases: [(&str, &str, &[u8], &str); 6] = [
        (
            "utf8",
            "a UTF-8 byte order mark",
            b"\xef\xbb\xbf{}",
            "json.bom",
        ),
        (
            "twice",
            "two byte order marks",
            b"\xef\xbb\xbf\xef\xbb\xbf{}",
            "json.bom",
        ),
        (
            "alone",
            "only a byte order mark",
            b"\xef\xbb\xbf",
            "json.bom",
        ),
        (
            "after-space",
            "U+FEFF after a space is not whitespace",
            b" \xef\xbb\xbf{}",
            "json.syntax",
        ),
        (
            "utf16-be",
            "UTF-16 big-endian with its mark",
            b"\xfe\xff\x00{\x00}",
            "json.invalid_utf8",
        ),
        (
            "utf16-le",
            "UTF-16 little-endian with its mark",
            b"\xff\xfe{\x00}\x00",
            "json.invalid_utf8",
        ),
    ];
    for (name, description, bytes, code) in cases {
        parse_refused(g, &format!("bom-{name}"), description, raw(bytes), code);
    }
    parse_accepted(
        g,
        "bom-inside-string",
        "U+FEFF inside a string is a character like any other",
        utf8("[\"\u{feff}\",\"\\ufeff\"]"),
        Some("[\"\u{feff}\",\"\u{feff}\"]"),
    );
}

fn numbers(g: &mut Gen) {
    // Canonical forms by ECMAScript's Number.prototype.toString (RFC 8785 §3.2.2.3).
    let accepted: [(&str, &str, &str, &str); 19] = [
        (
            "i64-max",
            "2^63 − 1 is rounded to a double, then written as ECMAScript does",
            "[9223372036854775807]",
            "[9223372036854776000]",
        ),
        (
            "i64-max-plus-1",
            "2^63, past i64",
            "[9223372036854775808]",
            "[9223372036854776000]",
        ),
        (
            "i64-min-minus-1",
            "−2^63 − 1, past i64",
            "[-9223372036854775809]",
            "[-9223372036854776000]",
        ),
        (
            "u64-max",
            "2^64 − 1",
            "[18446744073709551615]",
            "[18446744073709552000]",
        ),
        (
            "u64-max-plus-1",
            "2^64, past u64",
            "[18446744073709551616]",
            "[18446744073709552000]",
        ),
        ("exponent-upper", "1E2", "[1E2]", "[100]"),
        ("exponent-plus", "1e+2", "[1e+2]", "[100]"),
        ("exponent-minus", "1e-2", "[1e-2]", "[0.01]"),
        ("fraction-exponent", "0.1e1", "[0.1e1]", "[1]"),
        ("exponent-21", "1e21 keeps an exponent", "[1e21]", "[1e+21]"),
        (
            "exponent-20",
            "1e20 is written out",
            "[1e20]",
            "[100000000000000000000]",
        ),
        (
            "exponent-minus-6",
            "1e-6 is written out",
            "[1e-6]",
            "[0.000001]",
        ),
        (
            "exponent-minus-7",
            "1e-7 keeps an exponent",
            "[1e-7]",
            "[1e-7]",
        ),
        (
            "smallest-subnormal",
            "5e-324, the smallest double",
            "[5e-324]",
            "[5e-324]",
        ),
        (
            "underflow",
            "2e-324 rounds to zero, which is finite",
            "[2e-324]",
            "[0]",
        ),
        (
            "largest",
            "the largest double",
            "[1.7976931348623157e308]",
            "[1.7976931348623157e+308]",
        ),
        ("minus-zero", "-0 is written 0", "[-0]", "[0]"),
        ("minus-zero-fraction", "-0.0 is written 0", "[-0.0]", "[0]"),
        (
            "minus-zero-exponent",
            "-0e-0 is written 0",
            "[-0e-0]",
            "[0]",
        ),
    ];
    for (name, description, text, canonical) in accepted {
        parse_accepted(
            g,
            &format!("number-{name}"),
            description,
            utf8(text),
            Some(canonical),
        );
    }
    let out_of_range: [(&str, &str); 5] = [
        ("1e309", "[1e309]"),
        ("minus-1e309", "[-1e309]"),
        ("past-largest", "[1.7976931348623159e308]"),
        ("huge-exponent", "[1e99999999999]"),
        ("minus-1e400", "[-1e400]"),
    ];
    for (name, text) in out_of_range {
        parse_refused(
            g,
            &format!("number-{name}"),
            &format!("{text} is not a finite double"),
            utf8(text),
            "json.number_out_of_range",
        );
    }
    let syntax: [(&str, &str); 11] = [
        ("minus-alone", "[-]"),
        ("plus", "[+1]"),
        ("leading-point", "[.5]"),
        ("trailing-point", "[1.]"),
        ("empty-exponent", "[1e]"),
        ("exponent-sign-only", "[1e+]"),
        ("hex", "[0x10]"),
        ("nan", "[NaN]"),
        ("infinity", "[Infinity]"),
        ("minus-infinity", "[-Infinity]"),
        ("underscore", "[1_000]"),
    ];
    for (name, text) in syntax {
        parse_refused(
            g,
            &format!("number-{name}"),
            &format!("{text} is not a JSON number"),
            utf8(text),
            "json.syntax",
        );
    }
}

fn nesting_and_size(g: &mut Gen) {
    let arrays = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = |depth: usize| {
        format!(
            "{}{{}}{}",
            "{\"a\":".repeat(depth - 1),
            "}".repeat(depth - 1)
        )
    };
    for (kind, document) in [
        ("arrays", &arrays as &dyn Fn(usize) -> String),
        ("objects", &objects),
    ] {
        let at = document(MAX_DEPTH);
        parse_accepted(
            g,
            &format!("depth-{kind}-at-limit"),
            &format!("{kind} nested {MAX_DEPTH} levels"),
            utf8(&at),
            Some(&at),
        );
        parse_refused(
            g,
            &format!("depth-{kind}-past-limit"),
            &format!("{kind} nested {} levels", MAX_DEPTH + 1),
            utf8(&document(MAX_DEPTH + 1)),
            "json.too_deep",
        );
    }
    let mixed = nested(MAX_DEPTH, "{}");
    parse_accepted(
        g,
        "depth-mixed-at-limit",
        "objects and arrays alternating, 32 levels",
        utf8(&mixed),
        Some(&mixed),
    );
    parse_refused(
        g,
        "depth-100000",
        "100,000 opening brackets: refused at level 33, without exhausting a stack",
        json!({"fill": {"byte": b'[', "count": 100_000}}),
        "json.too_deep",
    );
    let string_of = |length: u64| json!({"concat": [{"text": "[\""}, {"fill": {"byte": b'a', "count": length}}, {"text": "\"]"}]});
    parse_accepted(
        g,
        "size-at-limit",
        "a document of exactly 1,048,576 bytes",
        string_of(MAX_SIZE - 4),
        None,
    );
    parse_refused(
        g,
        "size-past-limit",
        "a document of 1,048,577 bytes",
        string_of(MAX_SIZE - 3),
        "json.too_large",
    );
    let padded = |spaces: u64| json!({"concat": [{"text": "[]"}, {"fill": {"byte": b' ', "count": spaces}}]});
    parse_accepted(
        g,
        "size-at-limit-whitespace",
        "[] and trailing whitespace, 1,048,576 bytes in all",
        padded(MAX_SIZE - 2),
        Some("[]"),
    );
    parse_refused(
        g,
        "size-past-limit-whitespace",
        "[] and trailing whitespace, 1,048,577 bytes: the size counts, not the value",
        padded(MAX_SIZE - 1),
        "json.too_large",
    );
    parse_refused(
        g,
        "size-past-limit-invalid",
        "1,048,577 bytes of FF: the size is checked before the encoding",
        json!({"fill": {"byte": 0xff, "count": MAX_SIZE + 1}}),
        "json.too_large",
    );
}

fn trailing_data(g: &mut Gen) {
    let cases: [(&str, &str, &[u8]); 8] = [
        ("second-object", "two objects", b"{}{}"),
        ("word", "a word after the value", b"{} x"),
        ("bracket", "an extra closing bracket", b"[]]"),
        ("second-number", "two numbers", b"1 2"),
        ("nul", "a NUL byte after the value", b"{}\x00"),
        ("second-string", "two strings", b"\"a\"\"b\""),
        ("comment", "a comment after the value", b"{}/**/"),
        ("comma", "a comma after the value", b"{},"),
    ];
    for (name, description, bytes) in cases {
        parse_refused(
            g,
            &format!("trailing-{name}"),
            description,
            raw(bytes),
            "json.trailing_data",
        );
    }
    parse_accepted(
        g,
        "trailing-whitespace",
        "the four whitespace characters after the value",
        utf8("{} \t\r\n"),
        Some("{}"),
    );
}

/// `message` with the object `object` (canonical text, found in `message`) given its
/// first member twice.
fn with_first_member_twice(message: &str, object: &Value) -> String {
    let inner = text(object);
    let first = object
        .as_object()
        .and_then(|members| members.iter().next())
        .map(|(name, value)| format!("{}:{}", text(&json!(name)), text(value)))
        .unwrap_or_default();
    let doubled = format!("{{{first},{}", &inner[1..]);
    message.replacen(&inner, &doubled, 1)
}

pub(super) fn messages(g: &mut Gen, keys: &str) {
    let trust = ("keys", keys);
    let transfer = g.transfer(T0);
    let document = must("value", transfer.to_value());
    let good = signed(transfer, HUANGSHI);
    let signed_document: Value = must("json", serde_json::from_str(&good));
    let push = |g: &mut Gen, name: &str, description: &str, message: Value, result: Value| {
        verify_one(
            g,
            &format!("hostile/messages/{name}"),
            description,
            trust,
            message,
            result,
        );
    };
    let objects: [(&str, &str); 6] = [
        ("", "the envelope"),
        ("/body", "the body"),
        ("/body/applicant", "the applicant"),
        ("/body/form", "the form data"),
        ("/body/materials/0", "the first material"),
        ("/signatures/0", "the signature entry"),
    ];
    for (pointer, what) in objects {
        let object = signed_document
            .pointer(pointer)
            .cloned()
            .unwrap_or(Value::Null);
        let name = if pointer.is_empty() {
            "envelope".to_string()
        } else {
            pointer[1..].replace('/', "-")
        };
        push(
            g,
            &format!("duplicate-key-{name}"),
            &format!("a signed transfer with {what}'s first member twice"),
            at(with_first_member_twice(&good, &object), T1),
            refused("json.duplicate_key"),
        );
    }
    push(
        g,
        "duplicate-key-escaped-type",
        "\"type\" and \"\\u0074ype\" in one envelope",
        at(
            good.replacen(
                "{\"agreement\"",
                "{\"\\u0074ype\":\"transfer\",\"agreement\"",
                1,
            ),
            T1,
        ),
        refused("json.duplicate_key"),
    );
    push(
        g,
        "bom",
        "a signed transfer after a byte order mark",
        json!({"concat": [{"base64": STANDARD.encode(b"\xef\xbb\xbf")}, {"text": good}], "now": T1}),
        refused("json.bom"),
    );
    push(
        g,
        "trailing-data",
        "a signed transfer followed by a second JSON value",
        at(format!("{good}{{}}"), T1),
        refused("json.trailing_data"),
    );
    let length = good.len() as u64;
    push(
        g,
        "size-at-limit",
        "a signed transfer padded with whitespace to exactly 1,048,576 bytes",
        json!({"concat": [{"text": good}, {"fill": {"byte": b' ', "count": MAX_SIZE - length}}], "now": T1}),
        json!({"outcome": "accepted", "type": "transfer"}),
    );
    push(
        g,
        "size-past-limit",
        "a signed transfer padded with whitespace to 1,048,577 bytes",
        json!({"concat": [{"text": good}, {"fill": {"byte": b' ', "count": MAX_SIZE - length + 1}}], "now": T1}),
        refused("json.too_large"),
    );
    let name = "陈丽华";
    let mut cut = good.as_bytes().to_vec();
    if let Some(start) = good.find(name) {
        // 陈 (E9 99 88) loses its last byte.
        cut.remove(start + 2);
    }
    push(
        g,
        "invalid-utf8",
        "a signed transfer with a character of the applicant's name cut short",
        json!({"base64": STANDARD.encode(&cut), "now": T1}),
        refused("json.invalid_utf8"),
    );
    push(
        g,
        "lone-surrogate",
        "a signed transfer whose applicant's name ends in a lone surrogate",
        at(good.replacen(name, &format!("{name}\\ud800"), 1), T1),
        refused("json.lone_surrogate"),
    );
    let escaped = escape_non_ascii(&good);
    push(
        g,
        "escaped-characters",
        "every Chinese character escaped as \\uXXXX: not canonical, the same canonical bytes",
        at(escaped, T1),
        json!({"outcome": "accepted", "sha256": Sha256Digest::of(good.as_bytes())}),
    );
    let with_form = |value: Value| {
        resigned(&document, &|d| {
            d["body"]["form"]["employees"] = value.clone()
        })
    };
    let zero = with_form(json!(0));
    push(
        g,
        "minus-zero",
        "form data 0 sent as -0: the same canonical bytes",
        at(zero.replacen("\"employees\":0", "\"employees\":-0", 1), T1),
        json!({"outcome": "accepted", "sha256": Sha256Digest::of(zero.as_bytes())}),
    );
    let three = with_form(json!(3));
    push(
        g,
        "integer-as-fraction",
        "form data 3 sent as 3.0",
        at(
            three.replacen("\"employees\":3", "\"employees\":3.0", 1),
            T1,
        ),
        refused("message.unsafe_number"),
    );
    let limits: [(&str, &str, Value, Value); 4] = [
        (
            "max-safe",
            "2^53 − 1 in the form data",
            json!(9_007_199_254_740_991i64),
            accepted(),
        ),
        (
            "min-safe",
            "−(2^53 − 1) in the form data",
            json!(-9_007_199_254_740_991i64),
            accepted(),
        ),
        (
            "below-min-safe",
            "−2^53 in the form data",
            json!(-9_007_199_254_740_992i64),
            refused("message.unsafe_number"),
        ),
        (
            "i64-min",
            "−2^63 in the form data",
            json!(i64::MIN),
            refused("message.unsafe_number"),
        ),
    ];
    for (name, description, value, result) in limits {
        push(
            g,
            &format!("number-{name}"),
            description,
            at(with_form(value), T1),
            result,
        );
    }
    // The envelope is level 1, body 2, form 3: 29 more levels reach the limit.
    let deep = |levels: usize| {
        let mut value = json!([]);
        for _ in 1..levels {
            value = json!([value]);
        }
        value
    };
    push(
        g,
        "depth-at-limit",
        "form data nested to level 32 of the message",
        at(
            resigned(&document, &|d| d["body"]["form"]["deep"] = deep(29)),
            T1,
        ),
        accepted(),
    );
    push(
        g,
        "depth-past-limit",
        "form data nested to level 33 of the message",
        at(
            resigned(&document, &|d| d["body"]["form"]["deep"] = deep(30)),
            T1,
        ),
        refused("json.too_deep"),
    );
}
