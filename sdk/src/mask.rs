//! Masking what a person reads without needing it: citizen identity numbers and
//! telephone numbers in a message, wherever it is shown for inspection rather than for
//! handling (`tongban inspect`). A value is masked by its shape, wherever it is (the
//! applicant, an agent, a delivery address, free-form form data), so that a form field
//! the registry's schema names in its own way is masked too.
//!
//! - A citizen identity number (17 digits and a digit or `X`) keeps its region and its
//!   last four characters: `420202********1232`.
//! - A telephone number, a mobile number (`1[3-9]` and nine digits) or a number with an
//!   area code (`0` and nine to eleven digits), with `+86` and separators (spaces, `-`)
//!   allowed, keeps its first three and last four digits: `138****0000`,
//!   `027-****4321`.
//! - (§24.6) A sealed file's key (the `key` of a member `sealed` of a file reference),
//!   which opens the file, is masked whole: `**`.

use serde_json::Value;

/// A copy of `value` with every string that is a citizen identity number or a telephone
/// number masked, and every sealed file's key.
pub fn masked(value: &Value) -> Value {
    let mut shown = value.clone();
    rewrite(&mut shown, Some(&mask_text), "**");
    shown
}

/// (1.1) Empties, in place, every sealed file's key in `value` (the `key` of a member
/// `sealed`, §24.6), all else as it is: what is kept at rest beside the sealed bytes (a
/// case that applied an opened message, say) must not open them.
pub fn clear_file_keys(value: &mut Value) {
    rewrite(value, None, "");
}

/// Rewrites `value` in place: each string by `text` (if given), each sealed file's key
/// to `file_key`.
fn rewrite(value: &mut Value, text: Option<&dyn Fn(&str) -> String>, file_key: &str) {
    match value {
        Value::String(string) => {
            if let Some(text) = text {
                *string = text(string);
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite(item, text, file_key);
            }
        }
        Value::Object(members) => {
            for (name, member) in members.iter_mut() {
                rewrite(member, text, file_key);
                if name == "sealed" {
                    if let Some(key) = member.get_mut("key") {
                        *key = Value::String(file_key.into());
                    }
                }
            }
        }
        _ => {}
    }
}

/// `text` masked when it is a citizen identity number or a telephone number, unchanged
/// otherwise.
pub fn mask_text(text: &str) -> String {
    // The shape of GB 11643, check digit or not: a mistyped number is masked too.
    if crate::id::has_citizen_id_shape(text) {
        crate::id::mask_citizen_id(text)
    } else if let Some((prefix, national)) = telephone(text) {
        mask_telephone(text, prefix, national)
    } else {
        text.to_string()
    }
}

/// `text`, a sentence (an error's reason, which may quote the value refused), with
/// each quoted part and each word masked as [`mask_text`] masks a whole string: what a
/// refusal says of a form field holding a phone number is logged and sent back, and must
/// not carry the number.
pub fn mask_sentence(text: &str) -> String {
    let mut masked = String::with_capacity(text.len());
    for (index, part) in text.split('"').enumerate() {
        if index > 0 {
            masked.push('"');
        }
        let whole = mask_text(part);
        if index % 2 == 1 && whole != part {
            masked.push_str(&whole);
            continue;
        }
        for (position, word) in part.split(' ').enumerate() {
            if position > 0 {
                masked.push(' ');
            }
            // A word's own punctuation around it (`(…)`, `…,`) is kept as it is.
            let core = word.trim_matches(|c: char| {
                matches!(c, '(' | ')' | ',' | ';' | ':' | '.' | '`' | '\'')
            });
            match word.find(core) {
                Some(start) if !core.is_empty() => {
                    masked.push_str(&word[..start]);
                    masked.push_str(&mask_text(core));
                    masked.push_str(&word[start + core.len()..]);
                }
                _ => masked.push_str(word),
            }
        }
    }
    masked
}

/// For a mobile or area-code number, with an optional `+86`/`86` and spaces or `-`
/// between its digits: how many digits the country code has (0 or 2) and how many the
/// national number has. `None` for anything else.
fn telephone(text: &str) -> Option<(usize, usize)> {
    let rest = text.strip_prefix('+').unwrap_or(text);
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-'))
    {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let (prefix, national) = match digits.strip_prefix("86") {
        Some(national) if text.starts_with('+') || national.len() == 11 => (2, national),
        _ if text.starts_with('+') => return None,
        _ => (0, digits.as_str()),
    };
    let bytes = national.as_bytes();
    let shaped = match bytes.first() {
        Some(b'1') => bytes.len() == 11 && (b'3'..=b'9').contains(&bytes[1]),
        Some(b'0') => (10..=12).contains(&bytes.len()),
        _ => false,
    };
    shaped.then_some((prefix, national.len()))
}

/// Every digit of a telephone number but its country code, the first three of the
/// national number and its last four replaced by `*`.
fn mask_telephone(text: &str, prefix: usize, national: usize) -> String {
    let (keep_until, keep_from) = (prefix + 3, prefix + national - 4);
    let mut index = 0;
    text.chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            index += 1;
            if index <= keep_until || index > keep_from {
                c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_identity_and_telephone_numbers_wherever_they_are() {
        let message = json!({
            "applicant": {"kind": "natural_person", "name": "柯雨桐", "citizen_id": "420202199001011232", "phone": "13800000000"},
            "form": {"联系电话": "027-87654321", "emergency": ["+86 139 1234 5678"], "id_typo": "42020219900101123X"},
            "created": "2026-11-28", "case": "HS-2026-000123", "count": 13_800_000_000u64,
            "credit_code": "91420200MA4K0XXXXX", "amount": "1380000"
        });
        let masked = masked(&message);
        assert_eq!(masked["applicant"]["citizen_id"], "420202********1232");
        assert_eq!(masked["applicant"]["phone"], "138****0000");
        assert_eq!(
            masked["applicant"]["name"], "柯雨桐",
            "names are for people to read"
        );
        assert_eq!(masked["form"]["联系电话"], "027-****4321");
        assert_eq!(masked["form"]["emergency"][0], "+86 139 **** 5678");
        assert_eq!(masked["form"]["id_typo"], "420202********123X");
        for unchanged in ["created", "case", "count", "credit_code", "amount"] {
            assert_eq!(masked[unchanged], message[unchanged], "{unchanged}");
        }
    }

    #[test]
    fn masks_a_sealed_files_key_and_nothing_else_named_key() {
        let value = serde_json::json!({
            "materials": [{"sha256": "ab", "sealed": {"key": "AAAAAAAAAAAAAAAAAAAAAA", "sha256": "cd"}}],
            "sealed": {"alg": "a", "kid": "k", "enc": "e", "ct": "c"},
            "form": {"key": "a form's own value"}
        });
        let shown = masked(&value);
        assert_eq!(shown["materials"][0]["sealed"]["key"], "**");
        assert_eq!(shown["materials"][0]["sealed"]["sha256"], "cd");
        assert_eq!(shown["sealed"]["kid"], "k");
        assert_eq!(shown["form"]["key"], "a form's own value");
        // Kept at rest: the file keys emptied, every other string as it was.
        let mut value = value;
        value["applicant"] = serde_json::json!({"citizen_id": "420202199001011232"});
        let mut kept = value.clone();
        clear_file_keys(&mut kept);
        assert_eq!(kept["materials"][0]["sealed"]["key"], "");
        assert_eq!(kept["materials"][0]["sealed"]["sha256"], "cd");
        assert_eq!(kept["applicant"]["citizen_id"], "420202199001011232");
        assert_eq!(kept["form"]["key"], "a form's own value");
        assert_eq!(kept["sealed"], value["sealed"]);
    }

    #[test]
    fn masks_numbers_quoted_or_not_in_a_sentence_and_nothing_else() {
        assert_eq!(
            mask_sentence(r#""13907140000" does not match "^[0-9]{6}$""#),
            r#""139****0000" does not match "^[0-9]{6}$""#
        );
        assert_eq!(
            mask_sentence(r#""138 0000 0000" is longer than 8 characters"#),
            r#""138 **** 0000" is longer than 8 characters"#
        );
        assert_eq!(
            mask_sentence("13907140000 is not of type \"string\""),
            "139****0000 is not of type \"string\""
        );
        assert_eq!(
            mask_sentence("value (420202199001011231), refused; 027-87654321."),
            "value (420202********1231), refused; 027-****4321."
        );
        let plain =
            r#"{"employees":3} is not valid under any of the schemas: 50000 is less than 100000"#;
        assert_eq!(mask_sentence(plain), plain);
    }

    #[test]
    fn masks_only_what_has_the_shape_of_a_number_of_a_person() {
        assert_eq!(mask_text("8613800000000"), "86138****0000");
        assert_eq!(mask_text("+8613800000000"), "+86138****0000");
        assert_eq!(mask_text("0710-1234567"), "071*-***4567");
        for not_a_number in [
            "12800000000",
            "1380000000",
            "2026-11-28",
            "+1 415 555 0100",
            "138 0000 0000 ext 1",
            "4202021990010112",
            "",
        ] {
            assert_eq!(mask_text(not_a_number), not_a_number);
        }
    }
}
