//! Message ids: ULIDs or UUIDv7s, both time-ordered.

use super::{id_error, string_id};
use crate::error::{IdError, IdRule};

/// A message id: a ULID (26 characters of Crockford base32, upper case) or a UUIDv7
/// (lower-case hyphenated hex). Both begin with a millisecond timestamp, so ids sort by
/// creation time. [`MessageId::new_v7`] makes a fresh UUIDv7.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(String);

const CROCKFORD: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn is_ulid(v: &str) -> bool {
    v.len() == 26 && v.as_bytes()[0] <= b'7' && v.chars().all(|c| CROCKFORD.contains(c))
}

fn is_uuid_v7(v: &str) -> bool {
    let b = v.as_bytes();
    let hex = |c: &u8| c.is_ascii_digit() || (b'a'..=b'f').contains(c);
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => hex(c),
        })
        && b[14] == b'7'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

fn validate(value: &str) -> Result<(), IdError> {
    if is_ulid(value) || is_uuid_v7(value) {
        Ok(())
    } else {
        Err(id_error(
            IdRule::MessageFormat,
            value,
            "message id must be a ULID or a lower-case UUIDv7",
        ))
    }
}

string_id!(
    MessageId,
    validate,
    "^([0-7][0-9A-HJKMNP-TV-Z]{25}|[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$",
    "ULID or lower-case UUIDv7"
);

impl MessageId {
    /// A UUIDv7 from a Unix time in milliseconds and 10 random bytes (RFC 9562 §5.7).
    pub fn from_parts(unix_millis: u64, random: [u8; 10]) -> MessageId {
        let mut bytes = [0u8; 16];
        bytes[..6].copy_from_slice(&unix_millis.to_be_bytes()[2..]);
        bytes[6..].copy_from_slice(&random);
        bytes[6] = 0x70 | (bytes[6] & 0x0f);
        bytes[8] = 0x80 | (bytes[8] & 0x3f);
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        MessageId(format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        ))
    }

    /// A fresh UUIDv7 for a message created at `now`, with randomness from the system.
    pub fn new_v7(now: &crate::Timestamp) -> MessageId {
        let mut random = [0u8; 10];
        crate::random::fill_random(&mut random);
        MessageId::from_parts(now.unix_millis(), random)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulids_and_uuid_v7_are_accepted() {
        assert!(MessageId::parse("01JDQ6ZK8V3YH2X0R5M7N9P4QT").is_ok());
        assert!(MessageId::parse("019373d2-6a00-7c3e-9b1a-2f4d5e6a7b8c").is_ok());
        let generated = MessageId::from_parts(1_764_300_000_000, [0xff; 10]);
        assert!(MessageId::parse(generated.as_str()).is_ok(), "{generated}");
        assert!(generated.as_str().starts_with("019ac"), "{generated}");
    }

    #[test]
    fn other_shapes_are_refused() {
        for bad in [
            "81JDQ6ZK8V3YH2X0R5M7N9P4QT",           // ULID overflow
            "01JDQ6ZK8V3YH2X0R5M7N9P4QU",           // U is not Crockford
            "019373d2-6a00-4c3e-9b1a-2f4d5e6a7b8c", // UUIDv4
            "019373D2-6A00-7C3E-9B1A-2F4D5E6A7B8C", // upper case
            "019373d2-6a00-7c3e-cb1a-2f4d5e6a7b8c", // wrong variant
        ] {
            assert_eq!(
                MessageId::parse(bad).map_err(|e| e.code()),
                Err("id.message_format"),
                "{bad}"
            );
        }
    }
}
