//! Identifiers that are plain tokens: node, case, agreement, service item and key ids.

use super::{id_error, string_id};
use crate::error::{IdError, IdRule};

/// The shape of a token identifier: its first character is a letter or digit, the rest
/// may also use a few punctuation characters, and its length is bounded.
struct TokenShape {
    rule: IdRule,
    what: &'static str,
    /// Whether upper-case ASCII letters are allowed.
    upper: bool,
    /// Punctuation allowed after the first character.
    punctuation: &'static str,
    min: usize,
    max: usize,
}

impl TokenShape {
    fn allows_first(&self, c: char) -> bool {
        c.is_ascii_lowercase() || c.is_ascii_digit() || (self.upper && c.is_ascii_uppercase())
    }

    fn allows_rest(&self, c: char) -> bool {
        self.allows_first(c) || self.punctuation.contains(c)
    }

    fn check(&self, value: &str) -> Result<(), IdError> {
        let len = value.chars().count();
        if len < self.min || len > self.max {
            return Err(id_error(
                self.rule,
                value,
                format!(
                    "{} must be {} to {} characters",
                    self.what, self.min, self.max
                ),
            ));
        }
        let mut chars = value.chars();
        let first_ok = chars.next().is_some_and(|c| self.allows_first(c));
        if !first_ok || !chars.all(|c| self.allows_rest(c)) {
            return Err(id_error(
                self.rule,
                value,
                format!("{} must match {}", self.what, self.pattern()),
            ));
        }
        Ok(())
    }

    /// The ECMA-262 regular expression equivalent to [`TokenShape::check`].
    fn pattern(&self) -> String {
        let letters = if self.upper { "A-Za-z0-9" } else { "a-z0-9" };
        // '-' goes last so that it is literal inside the class.
        let punctuation: String = self.punctuation.chars().filter(|c| *c != '-').collect();
        let dash = if self.punctuation.contains('-') {
            "-"
        } else {
            ""
        };
        format!(
            "^[{letters}][{letters}{punctuation}{dash}]{{{},{}}}$",
            self.min - 1,
            self.max - 1
        )
    }
}

macro_rules! token_id {
    ($(#[$meta:meta])* $name:ident, $shape:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        string_id!($name, $shape.check_fn(), $shape.pattern(), $shape.what);
    };
}

impl TokenShape {
    fn check_fn(&'static self) -> impl Fn(&str) -> Result<(), IdError> {
        move |v| self.check(v)
    }
}

static NODE: TokenShape = TokenShape {
    rule: IdRule::NodeFormat,
    what: "node id",
    upper: false,
    punctuation: ".-",
    min: 3,
    max: 64,
};
static CASE: TokenShape = TokenShape {
    rule: IdRule::CaseFormat,
    what: "case id",
    upper: true,
    punctuation: "._-",
    min: 1,
    max: 64,
};
static AGREEMENT: TokenShape = TokenShape {
    rule: IdRule::AgreementFormat,
    what: "agreement id",
    upper: false,
    punctuation: ".-",
    min: 3,
    max: 64,
};
static ITEM: TokenShape = TokenShape {
    rule: IdRule::ItemFormat,
    what: "service item code",
    upper: true,
    punctuation: "._-",
    min: 1,
    max: 64,
};
static KEY: TokenShape = TokenShape {
    rule: IdRule::KeyFormat,
    what: "key id",
    upper: true,
    punctuation: "._:#-",
    min: 1,
    max: 128,
};

token_id!(
    /// A member node of the alliance, e.g. `huangshi.420200`: 3–64 characters of
    /// `a-z 0-9 . -`, starting with a letter or digit.
    NodeId,
    NODE
);
token_id!(
    /// A case, named by the node that received it, e.g. `HS-2026-000123`: 1–64
    /// characters of `A-Z a-z 0-9 . _ -`, starting with a letter or digit.
    CaseId,
    CASE
);
token_id!(
    /// An agreement between members, e.g. `hs-jj.cross-river`: 3–64 characters of
    /// `a-z 0-9 . -`, starting with a letter or digit.
    AgreementId,
    AGREEMENT
);
token_id!(
    /// A service item code from an agreement's catalogue, e.g. `HB-JX-0001`: 1–64
    /// characters of `A-Z a-z 0-9 . _ -`, starting with a letter or digit.
    ItemCode,
    ITEM
);
token_id!(
    /// The id of a signing key, e.g. `huangshi.420200#2026`: 1–128 characters of
    /// `A-Z a-z 0-9 . _ : # -`, starting with a letter or digit.
    KeyId,
    KEY
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_realistic_values() {
        assert!(NodeId::parse("huangshi.420200").is_ok());
        assert!(CaseId::parse("HS-2026-000123").is_ok());
        assert!(AgreementId::parse("hs-jj.cross-river").is_ok());
        assert!(ItemCode::parse("HB-JX-0001").is_ok());
        assert!(KeyId::parse("huangshi.420200#2026").is_ok());
    }

    #[test]
    fn refuses_with_the_rule_of_the_type() {
        assert_eq!(
            NodeId::parse("Huangshi").map_err(|e| e.code()),
            Err("id.node_format")
        );
        assert_eq!(
            NodeId::parse("hs").map_err(|e| e.code()),
            Err("id.node_format")
        );
        assert_eq!(
            CaseId::parse("").map_err(|e| e.code()),
            Err("id.case_format")
        );
        assert_eq!(
            CaseId::parse("-1").map_err(|e| e.code()),
            Err("id.case_format")
        );
        assert_eq!(
            AgreementId::parse("a b c").map_err(|e| e.code()),
            Err("id.agreement_format")
        );
        assert_eq!(
            ItemCode::parse("事项1").map_err(|e| e.code()),
            Err("id.item_format")
        );
        assert_eq!(
            KeyId::parse("k/1").map_err(|e| e.code()),
            Err("id.key_format")
        );
    }

    #[test]
    fn patterns_name_the_classes() {
        assert_eq!(NodeId::schema_pattern(), "^[a-z0-9][a-z0-9.-]{2,63}$");
        assert_eq!(
            KeyId::schema_pattern(),
            "^[A-Za-z0-9][A-Za-z0-9._:#-]{0,127}$"
        );
    }
}
