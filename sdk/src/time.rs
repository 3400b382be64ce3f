//! RFC 3339 timestamps.

use crate::error::TimeError;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// An RFC 3339 date-time such as `2026-11-28T09:30:00+08:00` or `2026-11-28T01:30:00Z`.
///
/// The text is kept exactly as it was written, so a parsed message serializes back to the
/// same bytes; comparisons use the instant. `T` and `Z` must be upper case.
#[derive(Clone, PartialEq, Eq)]
pub struct Timestamp {
    text: String,
    at: OffsetDateTime,
}

impl Timestamp {
    /// Parses an RFC 3339 date-time with at most nine fractional digits (so that every
    /// reader compares the same instant, to the nanosecond).
    pub fn parse(text: impl Into<String>) -> Result<Timestamp, TimeError> {
        let text = text.into();
        let upper_case = text.as_bytes().get(10) == Some(&b'T') && !text.ends_with('z');
        let fraction_digits = match text.as_bytes().get(19) {
            Some(b'.') => text.as_bytes()[20..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count(),
            _ => 0,
        };
        match OffsetDateTime::parse(&text, &Rfc3339) {
            Ok(at) if upper_case && fraction_digits <= 9 => Ok(Timestamp { text, at }),
            _ => Err(TimeError::Format { value: text }),
        }
    }

    /// The UTC timestamp `seconds` after the Unix epoch, written with a `Z`.
    pub fn from_unix_seconds(seconds: i64) -> Result<Timestamp, TimeError> {
        let at = OffsetDateTime::from_unix_timestamp(seconds).map_err(|_| TimeError::Format {
            value: seconds.to_string(),
        })?;
        let text = at.format(&Rfc3339).map_err(|_| TimeError::Format {
            value: seconds.to_string(),
        })?;
        Ok(Timestamp { text, at })
    }

    /// The current time, from the system clock (not on `wasm32-unknown-unknown`, where
    /// the caller passes the time in, e.g. from JavaScript's `Date.now()`).
    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    pub fn now() -> Timestamp {
        Clock::system().now()
    }

    /// The timestamp `seconds` later (earlier when negative), in UTC.
    pub fn plus_seconds(&self, seconds: i64) -> Result<Timestamp, TimeError> {
        Timestamp::from_unix_seconds(self.unix_seconds().saturating_add(seconds))
    }

    /// Seconds since the Unix epoch (rounded down).
    pub fn unix_seconds(&self) -> i64 {
        self.at.unix_timestamp()
    }

    /// Nanoseconds since the Unix epoch.
    pub fn unix_nanos(&self) -> i128 {
        self.at.unix_timestamp_nanos()
    }

    /// Milliseconds since the Unix epoch (rounded down).
    pub fn unix_millis(&self) -> u64 {
        u64::try_from(self.at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Where "now" comes from: the system clock, or a clock that a simulation or test
/// drives. Timestamps it gives have whole seconds, as messages carry them.
#[derive(Clone)]
pub struct Clock {
    unix_millis: std::sync::Arc<dyn Fn() -> i64 + Send + Sync>,
}

impl Clock {
    /// The system clock (not on `wasm32-unknown-unknown`).
    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    pub fn system() -> Clock {
        Clock::from_fn(|| {
            i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
                .unwrap_or(i64::MAX)
        })
    }

    /// A clock that reads milliseconds since the Unix epoch from `unix_millis`.
    pub fn from_fn(unix_millis: impl Fn() -> i64 + Send + Sync + 'static) -> Clock {
        Clock {
            unix_millis: std::sync::Arc::new(unix_millis),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(&self) -> i64 {
        (self.unix_millis)()
    }

    /// The current time, in whole seconds.
    pub fn now(&self) -> Timestamp {
        let seconds = self.unix_millis().div_euclid(1000);
        Timestamp::from_unix_seconds(seconds).unwrap_or_else(|_| Timestamp {
            text: "1970-01-01T00:00:00Z".into(),
            at: OffsetDateTime::UNIX_EPOCH,
        })
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now().as_str())
    }
}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.at
            .cmp(&other.at)
            .then_with(|| self.text.cmp(&other.text))
    }
}

impl std::fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Timestamp({})", self.text)
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        Timestamp::parse(text)
            .map_err(|e| serde::de::Error::custom(format_args!("[{}] {}", e.code(), e)))
    }
}

impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date-time",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$",
            "description": "RFC 3339 date-time with upper-case T and Z",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_driven_clock_gives_whole_seconds_in_utc() {
        let clock = Clock::from_fn(|| 1_764_552_000_999);
        assert_eq!(clock.unix_millis(), 1_764_552_000_999);
        assert_eq!(clock.now().as_str(), "2025-12-01T01:20:00Z");
        let before_epoch = Clock::from_fn(|| -1);
        assert_eq!(before_epoch.now().as_str(), "1969-12-31T23:59:59Z");
        let system = Clock::system().now().unix_seconds();
        assert!((system - Timestamp::now().unix_seconds()).abs() <= 1);
    }

    #[test]
    fn offsets_compare_by_instant_and_keep_their_text() {
        let beijing = Timestamp::parse("2026-11-28T09:30:00+08:00").expect("valid");
        let utc = Timestamp::parse("2026-11-28T01:30:00Z").expect("valid");
        assert_eq!(beijing.unix_seconds(), utc.unix_seconds());
        assert_eq!(beijing.as_str(), "2026-11-28T09:30:00+08:00");
        assert_eq!(
            utc.plus_seconds(3600).expect("in range").as_str(),
            "2026-11-28T02:30:00Z"
        );
    }

    #[test]
    fn nine_fractional_digits_are_nanoseconds() {
        let at = Timestamp::parse("2026-11-28T01:30:00.123456789Z").expect("valid");
        assert_eq!(at.unix_nanos() % 1_000_000_000, 123_456_789);
    }

    #[test]
    fn malformed_times_are_refused() {
        for bad in [
            "2026-11-28 01:30:00Z",
            "2026-11-28t01:30:00Z",
            "2026-11-28T01:30:00z",
            "2026-02-30T00:00:00Z",
            "2026-11-28T01:30:00.1234567891Z",
            "yesterday",
        ] {
            assert_eq!(
                Timestamp::parse(bad).map_err(|e| e.code()),
                Err("time.format"),
                "{bad}"
            );
        }
    }
}
