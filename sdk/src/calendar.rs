//! The working-day calendar: statutory time limits count working days.
//!
//! A day is a working day when it is a weekday that is not a public holiday, or a
//! weekend day the State Council declared a working day (调休). The calendar lists, per
//! year, the holidays and the working weekend days; a date in a year the calendar does
//! not list is refused with `calendar.unknown_year`, never guessed.

use crate::error::CalendarError;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use time::{Date, Weekday};

/// A calendar date written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CalendarDate(Date);

impl CalendarDate {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<CalendarDate, CalendarError> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        Date::parse(text, &format)
            .map(CalendarDate)
            .map_err(|_| CalendarError::BadDate {
                value: text.to_string(),
            })
    }

    /// The date.
    pub fn date(self) -> Date {
        self.0
    }

    /// Wraps a date.
    pub fn from_date(date: Date) -> CalendarDate {
        CalendarDate(date)
    }

    /// The date of a timestamp in China Standard Time (UTC+8), where cases are handled.
    pub fn in_china(timestamp: &crate::Timestamp) -> CalendarDate {
        let seconds = timestamp.unix_seconds() + 8 * 3600;
        let days = seconds.div_euclid(86_400);
        let epoch = time::macros::date!(1970 - 01 - 01);
        CalendarDate(
            epoch
                .checked_add(time::Duration::days(days))
                .unwrap_or(epoch),
        )
    }
}

impl std::fmt::Display for CalendarDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

impl Serialize for CalendarDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CalendarDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <String as Deserialize>::deserialize(d)?;
        CalendarDate::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for CalendarDate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CalendarDate".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        })
    }
}

/// The holidays and working weekend days of one year.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarYear {
    /// Days off: public holidays and the days joined to them, weekend days included.
    pub holidays: BTreeSet<CalendarDate>,
    /// Weekend days that are working days (调休).
    pub working_weekends: BTreeSet<CalendarDate>,
}

/// Working-day calendar, by year (`"2026"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct WorkingCalendar {
    /// The years the calendar knows.
    pub years: BTreeMap<i32, CalendarYear>,
}

impl WorkingCalendar {
    /// Whether `day` is a working day.
    pub fn is_working_day(&self, day: CalendarDate) -> Result<bool, CalendarError> {
        let year = self
            .years
            .get(&day.0.year())
            .ok_or(CalendarError::UnknownYear { year: day.0.year() })?;
        if year.working_weekends.contains(&day) {
            return Ok(true);
        }
        if year.holidays.contains(&day) {
            return Ok(false);
        }
        Ok(!matches!(
            day.0.weekday(),
            Weekday::Saturday | Weekday::Sunday
        ))
    }

    /// The `n`-th working day after `start` (`start` itself does not count, as for a
    /// statutory time limit counted from the day after receipt). The years of `start`
    /// and of every day counted must be in the calendar, even for `n` = 0.
    pub fn add_working_days(
        &self,
        start: CalendarDate,
        n: u32,
    ) -> Result<CalendarDate, CalendarError> {
        // The start's year must be known even when no day is added (§19).
        self.is_working_day(start)?;
        let mut day = start;
        let mut counted = 0;
        while counted < n {
            day = next(day)?;
            if self.is_working_day(day)? {
                counted += 1;
            }
        }
        Ok(day)
    }

    /// Working days after `from` up to and including `to`; negative when `to` is
    /// before `from` (working days overdue).
    pub fn working_days_between(
        &self,
        from: CalendarDate,
        to: CalendarDate,
    ) -> Result<i64, CalendarError> {
        let (start, end, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let mut day = start;
        let mut count = 0;
        while day < end {
            day = next(day)?;
            if self.is_working_day(day)? {
                count += 1;
            }
        }
        Ok(sign * count)
    }
}

fn next(day: CalendarDate) -> Result<CalendarDate, CalendarError> {
    day.0
        .next_day()
        .map(CalendarDate)
        .ok_or(CalendarError::UnknownYear { year: i32::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> CalendarDate {
        CalendarDate::parse(text).expect("date")
    }

    #[test]
    fn china_time_is_utc_plus_eight() {
        let late = crate::Timestamp::parse("2026-12-31T17:00:00Z").expect("time");
        assert_eq!(CalendarDate::in_china(&late).to_string(), "2027-01-01");
        let early = crate::Timestamp::parse("2026-12-31T15:59:59Z").expect("time");
        assert_eq!(CalendarDate::in_china(&early).to_string(), "2026-12-31");
    }

    #[test]
    fn weekends_only_without_holidays() {
        let mut calendar = WorkingCalendar::default();
        calendar.years.insert(2026, CalendarYear::default());
        // Friday 2026-11-27 + 1 working day = Monday 2026-11-30.
        assert_eq!(
            calendar
                .add_working_days(d("2026-11-27"), 1)
                .expect("in range"),
            d("2026-11-30")
        );
        assert_eq!(
            calendar.working_days_between(d("2026-11-27"), d("2026-11-30")),
            Ok(1)
        );
        assert_eq!(
            calendar.working_days_between(d("2026-11-30"), d("2026-11-27")),
            Ok(-1)
        );
        assert_eq!(
            calendar.add_working_days(d("2026-12-31"), 1),
            Err(CalendarError::UnknownYear { year: 2027 })
        );
        assert!(CalendarDate::parse("2026-02-30").is_err());
    }
}
