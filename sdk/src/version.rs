//! Protocol versions and the rules each major version sets.
//!
//! A version is written `MAJOR.MINOR`. Minor versions only add optional fields, which
//! older readers keep and verify; a major version this reader does not speak is refused
//! with `version.unsupported_major`. What differs between major versions is data in
//! [`VersionRules`], not scattered conditionals.

use crate::error::VersionError;
#[cfg(doc)]
use crate::json::Limits;
use crate::message_type::MessageType;

/// A protocol version such as `1.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolVersion {
    /// The major version: readers refuse majors they do not speak.
    pub major: u32,
    /// The minor version: readers accept any minor of a major they speak.
    pub minor: u32,
}

impl ProtocolVersion {
    /// Protocol version 1.0.
    pub const V1_0: ProtocolVersion = ProtocolVersion { major: 1, minor: 0 };

    /// Protocol version 1.1: adds the file exchange (§23).
    pub const V1_1: ProtocolVersion = ProtocolVersion { major: 1, minor: 1 };

    /// Whether this SDK writes messages of this version: it speaks the major version
    /// and knows its minor ([`VersionRules::latest_minor`]). It reads any minor of a
    /// major it speaks (§10), but writes only what it knows; [`crate::registry::Registry::negotiate`]
    /// picks among these.
    pub fn is_written(self) -> bool {
        self.major_version()
            .is_ok_and(|major| self.minor <= major.rules().latest_minor)
    }

    /// Parses `MAJOR.MINOR` (decimal, no leading zeros, no sign).
    pub fn parse(text: &str) -> Result<ProtocolVersion, VersionError> {
        let number = |part: &str| -> Option<u32> {
            let plain = !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_digit())
                && (part == "0" || !part.starts_with('0'));
            plain.then(|| part.parse().ok()).flatten()
        };
        text.split_once('.')
            .and_then(|(major, minor)| Some((number(major)?, number(minor)?)))
            .map(|(major, minor)| ProtocolVersion { major, minor })
            .ok_or_else(|| VersionError::Format {
                value: text.to_string(),
            })
    }

    /// The major version, if this reader speaks it.
    pub fn major_version(self) -> Result<MajorVersion, VersionError> {
        MajorVersion::try_from(self.major)
    }
}

impl std::fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl serde::Serialize for ProtocolVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ProtocolVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        ProtocolVersion::parse(&text)
            .map_err(|e| serde::de::Error::custom(format_args!("[{}] {}", e.code(), e)))
    }
}

impl schemars::JsonSchema for ProtocolVersion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ProtocolVersion".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^1\\.(0|[1-9][0-9]*)$",
            "description": "protocol version MAJOR.MINOR; this schema describes major version 1",
        })
    }
}

/// The major versions this SDK speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum MajorVersion {
    /// Major version 1.
    V1,
}

impl MajorVersion {
    /// The major version as written in `MAJOR.MINOR`.
    pub fn as_str(self) -> &'static str {
        match self {
            MajorVersion::V1 => "1",
        }
    }

    /// The rules of this major version.
    pub fn rules(self) -> &'static VersionRules {
        match self {
            MajorVersion::V1 => &V1_RULES,
        }
    }
}

impl TryFrom<u32> for MajorVersion {
    type Error = VersionError;
    fn try_from(major: u32) -> Result<Self, Self::Error> {
        match major {
            1 => Ok(MajorVersion::V1),
            major => Err(VersionError::UnsupportedMajor { major }),
        }
    }
}

/// What a major version fixes: time rules, the message types it defines with the minor
/// version that added each, and the latest minor this SDK knows. (Size and nesting
/// limits apply before the version is known, so they are the same for every version:
/// [`Limits::PROTOCOL`].) A new minor version adds to this data (its latest minor, and
/// its message types with [`MessageType::since`]) rather than to the checks that read
/// it; new fields may be added, so it is `#[non_exhaustive]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VersionRules {
    /// How far the sender's and receiver's clocks may disagree, in seconds.
    pub clock_skew_seconds: i64,
    /// The longest allowed time from `created` to `expires`, in seconds.
    pub max_validity_seconds: i64,
    /// The message types of this major version, each from the minor version
    /// [`MessageType::since`] gives.
    pub message_types: &'static [MessageType],
    /// The latest minor version of this major that this SDK knows and writes.
    pub latest_minor: u32,
}

impl VersionRules {
    /// The message type named `name` in this major version.
    pub fn message_type(&self, name: &str) -> Option<MessageType> {
        self.message_types
            .iter()
            .copied()
            .find(|t| t.as_str() == name)
    }
}

static V1_RULES: VersionRules = VersionRules {
    clock_skew_seconds: 300,
    max_validity_seconds: 7 * 24 * 3600,
    message_types: MessageType::ALL,
    latest_minor: 1,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        let v = ProtocolVersion::parse("1.12").expect("valid");
        assert_eq!((v.major, v.minor), (1, 12));
        assert_eq!(v.to_string(), "1.12");
        assert_eq!(v.major_version(), Ok(MajorVersion::V1));
        assert_eq!(MajorVersion::V1.as_str(), "1");
        for bad in [
            "1", "1.", ".1", "01.0", "1.00", "v1.0", "1.0.0", "-1.0", "1.x",
        ] {
            assert_eq!(
                ProtocolVersion::parse(bad).map_err(|e| e.code()),
                Err("version.format"),
                "{bad}"
            );
        }
        assert!(ProtocolVersion::V1_0.is_written() && ProtocolVersion::V1_1.is_written());
        let later = ProtocolVersion { major: 1, minor: 2 };
        assert!(!later.is_written(), "read, not written");
        let two = ProtocolVersion::parse("2.0").expect("well-formed");
        assert_eq!(
            two.major_version().map_err(|e| e.code()),
            Err("version.unsupported_major")
        );
    }
}
