//! 好差评 on a track (1.1): one evaluation once the handling is done, and for a poor
//! grade the rectification (整改) the authority owes within the catalogue's limit.

use super::{Deadline, Track};
use crate::calendar::{CalendarDate, WorkingCalendar};
use crate::error::Error;
use crate::id::MessageId;
use crate::message::{Body, Envelope, Grade};
use crate::registry::Registry;
use serde::{Deserialize, Serialize};

/// The working days an authority has to rectify a poor grade when the catalogue sets
/// no limit for the item (§19).
pub const DEFAULT_RECTIFICATION_WORKING_DAYS: u32 = 15;

/// A track's evaluation, and its rectification when the grade is poor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationRecord {
    /// The `evaluation` message.
    pub message: MessageId,
    /// Its grade.
    pub grade: Grade,
    /// The day (China time) the evaluation was created; the rectification's limit runs
    /// from the next working day.
    pub evaluated_on: CalendarDate,
    /// For a poor grade, the working days the authority has to rectify it: the item's
    /// `rectification_working_days` when the evaluation arrived, else
    /// [`DEFAULT_RECTIFICATION_WORKING_DAYS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rectification_working_days: Option<u32>,
    /// The `rectification` that answered it, once one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rectified_by: Option<MessageId>,
}

impl Track {
    /// Checks an `evaluation` against the track: the first of the track
    /// (`lifecycle.illegal_transition`).
    pub(super) fn check_evaluation(&self, message_type: &str) -> Result<(), Error> {
        match self.evaluation {
            Some(_) => Err(self.illegal(message_type)),
            None => Ok(()),
        }
    }

    /// Checks a `rectification` against the track, in the order of §18: it answers the
    /// track's evaluation (`message.not_an_answer`), whose grade is poor, and is the first
    /// for it (both `lifecycle.illegal_transition`).
    pub(super) fn check_rectification(
        &self,
        envelope: &Envelope,
        message_type: &str,
    ) -> Result<(), Error> {
        let answered = envelope.in_reply_to.as_ref();
        let evaluation = self
            .evaluation
            .as_ref()
            .filter(|e| Some(&e.message) == answered);
        match evaluation {
            None => Err(Track::not_an_answer(
                answered,
                "it names no evaluation of its track",
            )),
            Some(e) if !e.grade.is_poor() || e.rectified_by.is_some() => {
                Err(self.illegal(message_type))
            }
            Some(_) => Ok(()),
        }
    }

    /// Records an applied `evaluation` (with the item's limit for a rectification, from
    /// `registry`), or the rectification that answered it.
    pub(super) fn record_evaluation(&mut self, envelope: &Envelope, registry: &Registry) {
        match &envelope.body {
            Body::Evaluation(evaluation) => {
                let limit = registry
                    .item(&self.agreement, &self.item)
                    .and_then(|item| item.rectification_working_days)
                    .unwrap_or(DEFAULT_RECTIFICATION_WORKING_DAYS);
                self.evaluation = Some(EvaluationRecord {
                    message: envelope.id.clone(),
                    grade: evaluation.grade,
                    evaluated_on: CalendarDate::in_china(&envelope.created),
                    rectification_working_days: evaluation.grade.is_poor().then_some(limit),
                    rectified_by: None,
                });
            }
            Body::Rectification(_) => {
                if let Some(record) = &mut self.evaluation {
                    record.rectified_by = Some(envelope.id.clone());
                }
            }
            _ => {}
        }
    }

    /// The last working day for the rectification a poor evaluation opened: the limit's
    /// last working day after the evaluation's day (§19). `None` without a poor
    /// evaluation.
    pub fn rectification_due(
        &self,
        calendar: &WorkingCalendar,
    ) -> Result<Option<CalendarDate>, Error> {
        let record = self.evaluation.as_ref();
        match record.and_then(|r| Some((r.evaluated_on, r.rectification_working_days?))) {
            Some((day, limit)) => Ok(Some(calendar.add_working_days(day, limit)?)),
            None => Ok(None),
        }
    }

    /// Where the rectification a poor evaluation opened stands on `today`: overdue after
    /// [`Track::rectification_due`] until a rectification answers.
    pub fn rectification_deadline(
        &self,
        today: CalendarDate,
        calendar: &WorkingCalendar,
    ) -> Result<Option<Deadline>, Error> {
        let Some(due) = self.rectification_due(calendar)? else {
            return Ok(None);
        };
        let rectified = self
            .evaluation
            .as_ref()
            .is_some_and(|r| r.rectified_by.is_some());
        Ok(Some(Deadline {
            due,
            remaining_working_days: calendar.working_days_between(today, due)?,
            overdue: today > due && !rectified,
            paused: false,
        }))
    }
}
