//! RFC 8785 examples, numbers and the strict parser's refusals.

use super::*;

pub(super) fn canonicalization(g: &mut Gen) {
    let canon = |g: &mut Gen, name: &str, description: &str, input: &str, output: &str| {
        g.push(
            &format!("canonicalization/{name}"),
            description,
            "canonicalize",
            json!({"text": input}),
            json!({"outcome": "accepted", "canonical": output}),
        );
    };
    canon(
        g,
        "rfc8785-3.2.2",
        "RFC 8785 §3.2.2: numbers, escapes and literals",
        "{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n  \"literals\": [null, true, false]\n}",
        "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}",
    );
    canon(
        g,
        "rfc8785-3.2.3-sorting",
        "RFC 8785 §3.2.3: members sorted by UTF-16 code units",
        "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\",\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}",
        "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}",
    );
    let numbers: &[(u64, &str)] = &[
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
    for (bits, es) in numbers {
        let x = f64::from_bits(*bits);
        // Rust's shortest round-trip form parses back to exactly these bits.
        let literal = if x == 0.0 && x.is_sign_negative() {
            "-0.0".to_string()
        } else {
            format!("{x:e}")
        };
        canon(
            g,
            &format!("number-{bits:016x}"),
            &format!("RFC 8785 Appendix B: IEEE 754 {bits:#018x} is written {es}"),
            &format!("[{literal}]"),
            &format!("[{es}]"),
        );
    }
    canon(
        g,
        "chinese-unescaped",
        "Chinese text is written as UTF-8, not escaped",
        "{\"名称\":\"黄石市民之家\",\"b\":\"\\u4e5d\\u6c5f\"}",
        "{\"b\":\"九江\",\"名称\":\"黄石市民之家\"}",
    );
    canon(
        g,
        "control-characters",
        "control characters use short escapes or lower-case \\u00xx",
        "[\"\\u0001\\u001f\\b\\f\\n\\r\\t\"]",
        "[\"\\u0001\\u001f\\b\\f\\n\\r\\t\"]",
    );
    canon(
        g,
        "no-slash-escape",
        "the solidus and U+2028 are not escaped",
        "[\"a\\/b\\u2028\"]",
        "[\"a/b\u{2028}\"]",
    );
    canon(
        g,
        "nested-sorting",
        "members are sorted at every depth",
        "{\"b\":{\"z\":1,\"a\":[{\"y\":2,\"x\":1}]},\"a\":0}",
        "{\"a\":0,\"b\":{\"a\":[{\"x\":1,\"y\":2}],\"z\":1}}",
    );
    canon(
        g,
        "large-integers",
        "integers beyond 2^53 are written as doubles",
        "[18446744073709551615,-9223372036854775808,9007199254740993]",
        "[18446744073709552000,-9223372036854776000,9007199254740992]",
    );
    canon(
        g,
        "empty-containers",
        "empty objects and arrays, whitespace removed",
        " { \"a\" : [ ] , \"b\" : { } } ",
        "{\"a\":[],\"b\":{}}",
    );
    canon(
        g,
        "surrogate-pair",
        "a surrogate-pair escape becomes the character",
        "[\"\\ud83d\\ude00\"]",
        "[\"😀\"]",
    );

    let refuse = |g: &mut Gen, name: &str, description: &str, input: Value, code: &str| {
        g.push(
            &format!("canonicalization/refuse-{name}"),
            description,
            "canonicalize",
            input,
            refused(code),
        );
    };
    refuse(
        g,
        "duplicate-key",
        "two members with the same name",
        json!({"text": "{\"a\":1,\"a\":2}"}),
        "json.duplicate_key",
    );
    refuse(
        g,
        "duplicate-key-escaped",
        "\"a\" and \"\\u0061\" are the same name",
        json!({"text": "{\"x\":{\"a\":1,\"\\u0061\":2}}"}),
        "json.duplicate_key",
    );
    refuse(
        g,
        "duplicate-key-deep",
        "a duplicate deep inside arrays",
        json!({"text": "[[{\"k\":[{\"k\":1,\"k\":1}]}]]"}),
        "json.duplicate_key",
    );
    refuse(
        g,
        "lone-high-surrogate",
        "an unpaired high surrogate escape",
        json!({"text": "[\"\\ud800\"]"}),
        "json.lone_surrogate",
    );
    refuse(
        g,
        "lone-low-surrogate",
        "an unpaired low surrogate escape",
        json!({"text": "[\"\\udc00\\ud800\"]"}),
        "json.lone_surrogate",
    );
    refuse(
        g,
        "invalid-utf8",
        "a byte that is not UTF-8",
        json!({"base64": STANDARD.encode(b"[\"\xff\"]")}),
        "json.invalid_utf8",
    );
    refuse(
        g,
        "invalid-utf8-outside-string",
        "invalid UTF-8 outside strings",
        json!({"base64": STANDARD.encode(b"[1]\xc3")}),
        "json.invalid_utf8",
    );
    refuse(
        g,
        "bom",
        "a leading byte order mark",
        json!({"base64": STANDARD.encode(b"\xef\xbb\xbf{}")}),
        "json.bom",
    );
    refuse(
        g,
        "trailing-data",
        "a second value after the first",
        json!({"text": "{} []"}),
        "json.trailing_data",
    );
    refuse(
        g,
        "number-overflow",
        "1e400 is not a finite double",
        json!({"text": "[1e400]"}),
        "json.number_out_of_range",
    );
    refuse(
        g,
        "negative-overflow",
        "-1e999 is not a finite double",
        json!({"text": "[-1e999]"}),
        "json.number_out_of_range",
    );
    refuse(
        g,
        "too-deep",
        "33 levels of nesting, one past the limit",
        json!({"text": format!("{}{}", "[".repeat(33), "]".repeat(33))}),
        "json.too_deep",
    );
    g.push("canonicalization/depth-limit", "32 levels of nesting, exactly the limit", "canonicalize", json!({"text": format!("{}{}", "[".repeat(32), "]".repeat(32))}), json!({"outcome": "accepted", "canonical": format!("{}{}", "[".repeat(32), "]".repeat(32))}));
    refuse(
        g,
        "too-large",
        "1,048,577 bytes, one past the size limit",
        json!({"fill": {"byte": 32, "count": 1_048_577}}),
        "json.too_large",
    );
    refuse(
        g,
        "leading-zero",
        "numbers have no leading zeros",
        json!({"text": "[01]"}),
        "json.syntax",
    );
    refuse(
        g,
        "trailing-comma",
        "no trailing commas",
        json!({"text": "[1,]"}),
        "json.syntax",
    );
    refuse(
        g,
        "raw-control-character",
        "control characters in strings must be escaped",
        json!({"text": "[\"a\u{1}b\"]"}),
        "json.syntax",
    );
    refuse(
        g,
        "single-quotes",
        "strings use double quotes",
        json!({"text": "['a']"}),
        "json.syntax",
    );
}
