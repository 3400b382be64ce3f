//! A track's clock (§19): the statutory time limit and (1.1) the committed one (法定时限,
//! 承诺时限) and its theme's overall one (一事联办) in working days from the day the clock starts, and (1.1) stopped while a
//! 补正 is outstanding: the days the applicant takes are not the authority's.

use super::{Deadline, Track};
use crate::calendar::{CalendarDate, WorkingCalendar};
use crate::error::Error;
use crate::message::{Body, Envelope};
use serde::{Deserialize, Serialize};

/// A 补正 that stops the clock of a track whose transfer says 1.1 or later: the working
/// days after the request's day, up to and including the supplement's day, are the
/// applicant's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementPause {
    /// The day (China time) the `supplement_request` was created.
    pub requested_on: CalendarDate,
    /// The day the `supplement` was created; `None` while it is outstanding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplied_on: Option<CalendarDate>,
}

impl Track {
    /// The last working day of the statutory time limit, once the clock started
    /// ([`Track::clock_starts_on`]); `None` before, and while a 补正 stops the clock
    /// before the limit is used up ([`Track::deadline`] then tells when it would be due
    /// if the supplement came that day). A calendar that does not cover the days needed
    /// is an error, never a guess.
    pub fn due(&self, calendar: &WorkingCalendar) -> Result<Option<CalendarDate>, Error> {
        let due = self.due_after(self.time_limit_working_days, calendar, None)?;
        Ok(due.map(|(day, _)| day))
    }

    /// (1.1) The last working day of the committed time limit, as [`Track::due`]; `None`
    /// also when the item commits to none.
    pub fn committed_due(&self, calendar: &WorkingCalendar) -> Result<Option<CalendarDate>, Error> {
        self.due_within(self.committed_working_days, calendar)
    }

    /// (1.1) The last working day of the theme's overall limit (一事联办), as
    /// [`Track::due`]: from the same day and stopped the same way; `None` also for a
    /// track of no theme.
    pub fn theme_due(&self, calendar: &WorkingCalendar) -> Result<Option<CalendarDate>, Error> {
        self.due_within(self.theme_working_days(), calendar)
    }

    /// The theme's overall limit, for a track of a theme.
    fn theme_working_days(&self) -> Option<u32> {
        self.theme.as_ref().map(|t| t.time_limit_working_days)
    }

    /// [`Track::due`] for a limit the track may not have.
    fn due_within(
        &self,
        limit: Option<u32>,
        calendar: &WorkingCalendar,
    ) -> Result<Option<CalendarDate>, Error> {
        match limit {
            Some(limit) => Ok(self.due_after(limit, calendar, None)?.map(|(day, _)| day)),
            None => Ok(None),
        }
    }

    /// The statutory deadline on `today`, once the clock started. While a 补正 stops the
    /// clock before the limit is used up it is `paused`, and due as if the supplement
    /// came `today`.
    pub fn deadline(
        &self,
        today: CalendarDate,
        calendar: &WorkingCalendar,
    ) -> Result<Option<Deadline>, Error> {
        self.deadline_after(self.time_limit_working_days, today, calendar)
    }

    /// (1.1) The committed deadline on `today`, as [`Track::deadline`].
    pub fn committed_deadline(
        &self,
        today: CalendarDate,
        calendar: &WorkingCalendar,
    ) -> Result<Option<Deadline>, Error> {
        self.deadline_within(self.committed_working_days, today, calendar)
    }

    /// (1.1) The theme's overall deadline on `today`, as [`Track::deadline`].
    pub fn theme_deadline(
        &self,
        today: CalendarDate,
        calendar: &WorkingCalendar,
    ) -> Result<Option<Deadline>, Error> {
        self.deadline_within(self.theme_working_days(), today, calendar)
    }

    /// [`Track::deadline`] for a limit the track may not have.
    fn deadline_within(
        &self,
        limit: Option<u32>,
        today: CalendarDate,
        calendar: &WorkingCalendar,
    ) -> Result<Option<Deadline>, Error> {
        match limit {
            Some(limit) => self.deadline_after(limit, today, calendar),
            None => Ok(None),
        }
    }

    fn deadline_after(
        &self,
        limit: u32,
        today: CalendarDate,
        calendar: &WorkingCalendar,
    ) -> Result<Option<Deadline>, Error> {
        let Some((due, paused)) = self.due_after(limit, calendar, Some(today))? else {
            return Ok(None);
        };
        Ok(Some(Deadline {
            due,
            remaining_working_days: calendar.working_days_between(today, due)?,
            overdue: today > due && self.state.is_pending(),
            paused,
        }))
    }

    /// The `limit`-th working day after the clock starts, skipping the days each pause
    /// takes, and whether it depends on an outstanding 补正: that one is taken to end on
    /// `supplied` (without it, the day is not known yet unless the limit runs out before
    /// the request).
    fn due_after(
        &self,
        limit: u32,
        calendar: &WorkingCalendar,
        supplied: Option<CalendarDate>,
    ) -> Result<Option<(CalendarDate, bool)>, Error> {
        let Some(mut from) = self.clock_starts_on() else {
            return Ok(None);
        };
        let mut left = limit;
        let mut paused = false;
        for pause in &self.supplement_pauses {
            let resumed = pause.supplied_on.or(supplied);
            if resumed.is_some_and(|day| day <= from) {
                continue; // over before the clock reached it
            }
            let stopped = pause.requested_on.max(from);
            let available = calendar.working_days_between(from, stopped)?;
            if i64::from(left) <= available {
                break; // due before the clock stopped
            }
            let Some(resumed) = resumed else {
                return Ok(None);
            };
            paused |= pause.supplied_on.is_none();
            left = left.saturating_sub(u32::try_from(available).unwrap_or(u32::MAX));
            from = resumed;
        }
        Ok(Some((calendar.add_working_days(from, left)?, paused)))
    }

    /// Records the clock's stop at a `supplement_request` and its restart at the
    /// `supplement`, for a track whose clock a 补正 stops.
    pub(super) fn record_pause(&mut self, envelope: &Envelope) {
        if !self.pauses_clock {
            return;
        }
        let day = CalendarDate::in_china(&envelope.created);
        match &envelope.body {
            Body::SupplementRequest(_) => self.supplement_pauses.push(SupplementPause {
                requested_on: day,
                supplied_on: None,
            }),
            Body::Supplement(_) => {
                if let Some(pause) = self.supplement_pauses.last_mut() {
                    pause.supplied_on.get_or_insert(day);
                }
            }
            _ => {}
        }
    }
}
