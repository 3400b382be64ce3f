//! The bodies of 好差评 (1.1): the applicant's `evaluation` of the handling, sent by the
//! window to the authority, and the authority's `rectification` (整改) that answers a
//! poor grade.

use super::transfer::Channel;
use crate::time::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The body of an `evaluation` message (1.1): how the applicant graded the handling of
/// the track.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Evaluation {
    /// The grade, one of the national five.
    pub grade: Grade,
    /// How the applicant gave it: at the window's device, online, in an app, at a kiosk
    /// or at a service station.
    pub channel: Channel,
    /// When the applicant gave it; not after the message's `created`.
    pub evaluated_at: Timestamp,
    /// The applicant's comment, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

crate::shape::string_enum! {
    /// The five grades of 好差评.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
    pub enum Grade {
        /// 非常满意
        VerySatisfied = "very_satisfied",
        /// 满意
        Satisfied = "satisfied",
        /// 基本满意
        BasicallySatisfied = "basically_satisfied",
        /// 不满意 (a poor grade: it opens a rectification)
        Dissatisfied = "dissatisfied",
        /// 非常不满意 (a poor grade: it opens a rectification)
        VeryDissatisfied = "very_dissatisfied",
    }
}

impl Grade {
    /// Whether the grade is poor (差评: 不满意 or 非常不满意), so that the authority must
    /// answer it with a rectification.
    pub fn is_poor(self) -> bool {
        matches!(self, Grade::Dissatisfied | Grade::VeryDissatisfied)
    }
}

/// The body of a `rectification` message (整改, 1.1): the authority's answer to the poor
/// evaluation named by `in_reply_to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Rectification {
    /// What the authority found and did, e.g. `已约谈经办人员，优化补正告知流程`.
    pub measures: String,
    /// When the authority called the applicant back (回访), if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub called_back_at: Option<Timestamp>,
    /// A note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
