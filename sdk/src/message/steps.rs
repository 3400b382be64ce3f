//! The bodies of the steps after a transfer: status updates, supplement requests and
//! supplements, decisions, withdrawals, protocol errors and files received.

use super::transfer::{FileRef, FormData};
use crate::calendar::CalendarDate;
use crate::digest::Sha256Digest;
use crate::id::{CitizenId, CreditCode};
use crate::version::ProtocolVersion;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The body of a `status_update` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StatusUpdate {
    /// The case's new status.
    pub status: ReportedStatus,
    /// A note for the other side, e.g. `已进入审查`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

crate::shape::string_enum! {
    /// A status one side reports to the other.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
    pub enum ReportedStatus {
        /// The competent authority is reviewing the case.
        InReview = "in_review",
        /// Review is suspended (e.g. awaiting an inspection).
        Suspended = "suspended",
        /// Review resumed.
        Resumed = "resumed",
        /// The case is closed; nothing more will be sent.
        Closed = "closed",
    }
}

/// The body of a `supplement_request` (补正) message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SupplementRequest {
    /// What is missing or must be corrected.
    pub items: Vec<SupplementItem>,
    /// Working days the applicant has to supply them.
    #[schemars(range(max = 4_294_967_295u32))]
    pub due_working_days: u32,
    /// A note for the applicant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One thing a supplement request asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SupplementItem {
    /// The material or form field, e.g. `房屋租赁合同`.
    pub material: String,
    /// Why, e.g. `缺少出租方签字`.
    pub reason: String,
}

/// The body of a `supplement` message: what the applicant supplied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Supplement {
    /// Materials supplied, by digest.
    pub materials: Vec<FileRef>,
    /// Corrected form fields, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<FormData>,
    /// A note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The body of a `decision` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Decision {
    /// Approved or refused.
    pub outcome: DecisionOutcome,
    /// The department that decided, e.g. `九江市市场监督管理局`.
    pub decided_by: String,
    /// The reason, required in practice for refusals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Result documents by digest, e.g. an electronic licence.
    pub documents: Vec<ResultDocument>,
}

impl Decision {
    /// The members of version 1.1 or later that this decision uses (a path under
    /// `/body`), with the version that added each (§2 step 8).
    pub fn members_since(&self) -> Vec<(&'static str, ProtocolVersion)> {
        let licensed = self.documents.iter().any(|d| d.licence.is_some());
        let licence = licensed.then_some(("documents/licence", ProtocolVersion::V1_1));
        licence.into_iter().collect()
    }

    /// The rules between members that the structure alone does not express (§2 step
    /// 8): a licence's data belongs to an electronic licence, names its holder by one
    /// identifier, is valid from a day not after its last, and has the document's
    /// number. Returns the member at fault (a path under `/body`) and why.
    pub fn check_consistency(&self) -> Result<(), (&'static str, &'static str)> {
        for document in &self.documents {
            let Some(licence) = &document.licence else {
                continue;
            };
            let fault = if document.kind != ResultKind::ElectronicLicence {
                Some("for an electronic licence only")
            } else if !Licence::is_type_code(&licence.type_code) {
                Some("type_code: 1 to 64 ASCII letters, digits and hyphens")
            } else if licence.holder_citizen_id.is_some() == licence.holder_credit_code.is_some() {
                Some("one of holder_citizen_id and holder_credit_code")
            } else if licence
                .valid_until
                .is_some_and(|until| until < licence.valid_from)
            {
                Some("valid_until before valid_from")
            } else if document
                .number
                .as_ref()
                .is_some_and(|n| n != &licence.number)
            {
                Some("number: not the document's number")
            } else {
                None
            };
            if let Some(why) = fault {
                return Err(("documents/licence", why));
            }
        }
        Ok(())
    }
}

crate::shape::string_enum! {
    /// The outcome of a decision.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
    pub enum DecisionOutcome {
        /// The application is granted.
        Approved = "approved",
        /// The application is refused.
        Refused = "refused",
    }
}

/// A document the decision produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResultDocument {
    /// What kind of document.
    pub kind: ResultKind,
    /// The document's number, e.g. a licence number, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The file, by digest.
    pub file: FileRef,
    /// (1.1) What an electronic licence says of itself, for a `kind` of
    /// `electronic_licence` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<Box<Licence>>,
}

/// (1.1) The catalogue data of an electronic licence (电子证照元数据, in the spirit of
/// GB/T 36903): what a receiver files it under without opening the file. The holder is
/// named by one identifier: a citizen identity number or a unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Licence {
    /// The licence type's code in the licence catalogue (证照类型代码), as the catalogue
    /// gives it: 1 to 64 ASCII letters, digits and hyphens.
    #[schemars(regex(pattern = r"^[A-Za-z0-9-]{1,64}$"))]
    pub type_code: String,
    /// The licence type's name (证照名称), e.g. `营业执照`.
    pub type_name: String,
    /// The licence number (证照编号); the document's `number`, when it has one.
    pub number: String,
    /// The issuing authority (颁发机构).
    pub issuer: String,
    /// The issuing authority's unified social credit code (颁发机构代码).
    pub issuer_credit_code: CreditCode,
    /// The holder (持证主体), e.g. the shop's registered name.
    pub holder: String,
    /// The holder's citizen identity number, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_citizen_id: Option<CitizenId>,
    /// The holder's unified social credit code, for an organization or business.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_credit_code: Option<CreditCode>,
    /// The first day of validity (有效期起始).
    pub valid_from: CalendarDate,
    /// The last day of validity; absent, the licence does not expire (长期).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<CalendarDate>,
}

impl Licence {
    /// Whether `code` is a licence type code: 1 to 64 ASCII letters, digits and hyphens.
    pub fn is_type_code(code: &str) -> bool {
        (1..=64).contains(&code.len())
            && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    }

    /// The unified social credit codes the licence carries.
    pub fn credit_codes(&self) -> impl Iterator<Item = &CreditCode> {
        std::iter::once(&self.issuer_credit_code).chain(&self.holder_credit_code)
    }
}

crate::shape::string_enum! {
    /// Kinds of result documents.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
    pub enum ResultKind {
        /// An electronic licence (电子证照).
        ElectronicLicence = "electronic_licence",
        /// A written decision or approval letter.
        DecisionLetter = "decision_letter",
        /// A notice of refusal.
        RefusalNotice = "refusal_notice",
    }
}

/// The body of a `withdrawal` message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Withdrawal {
    /// Who asked for the withdrawal.
    pub requested_by: WithdrawnBy,
    /// Why.
    pub reason: String,
}

crate::shape::string_enum! {
    /// Who withdraws a case.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
    pub enum WithdrawnBy {
        /// The applicant.
        Applicant = "applicant",
        /// The sending node.
        Sender = "sender",
    }
}

/// The body of a `protocol_error` message, answering a message that could not be
/// processed at all (`in_reply_to` names it when its id could be read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProtocolError {
    /// The stable error code.
    pub code: String,
    /// A human-readable message.
    pub message: String,
}

/// The body of a `files_received` message (1.1, §23.5): the receiver of the message
/// named by `in_reply_to` holds every file that message references, each checked
/// against its reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FilesReceived {
    /// The digest of every file the answered message references, each once.
    #[schemars(length(min = 1))]
    pub files: Vec<Sha256Digest>,
}

#[cfg(test)]
mod tests {
    use crate::message::{Channel, DeliveryMethod, HandlingMode};
    use crate::message::{DecisionOutcome, ReportedStatus, ResultKind, WithdrawnBy};
    use serde::{de::DeserializeOwned, Serialize};

    /// Each variant is read back from the name serde's derive writes, and nothing but a
    /// name is read: the names given to `string_enum!` are those of `rename_all`.
    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(all: &[T]) {
        for variant in all {
            let written = serde_json::to_value(variant).expect("serialize");
            assert!(written.is_string(), "{written}");
            let read: T = crate::shape::from_value(&written).expect("read back");
            assert_eq!(&read, variant);
            let object = serde_json::json!({ written.as_str().unwrap_or_default(): null });
            assert!(crate::shape::from_value::<T>(&object).is_err());
        }
        let unknown = crate::shape::from_value::<T>(&serde_json::json!("unknown"));
        let message = unknown.expect_err("unknown name").to_string();
        assert!(message.contains("unknown variant `unknown`"), "{message}");
    }

    #[test]
    fn enumerations_are_read_from_the_names_they_are_written_as() {
        round_trip(ReportedStatus::VARIANTS);
        round_trip(DecisionOutcome::VARIANTS);
        round_trip(ResultKind::VARIANTS);
        round_trip(WithdrawnBy::VARIANTS);
        round_trip(Channel::VARIANTS);
        round_trip(DeliveryMethod::VARIANTS);
        round_trip(HandlingMode::VARIANTS);
        round_trip(crate::message::ShipmentContents::VARIANTS);
        round_trip(crate::message::Grade::VARIANTS);
        round_trip(crate::registry::Role::VARIANTS);
        round_trip(crate::registry::AgreementKind::VARIANTS);
        round_trip(crate::lifecycle::ItemState::VARIANTS);
    }
}
