//! The transfer: a case handed in at one window, sent to the competent authority.

use crate::digest::Sha256Digest;
use crate::id::{CitizenId, CreditCode, ItemCode, RegionCode};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// Form data of a service item: a JSON object, validated against the item's form schema.
pub type FormData = serde_json::Map<String, serde_json::Value>;

/// The body of a `transfer` message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Transfer {
    /// Who applies.
    pub applicant: Applicant,
    /// The service item, from the agreement's catalogue.
    pub item: ItemCode,
    /// The item's name as the catalogue gives it, e.g. `营业执照设立登记`.
    pub item_name: String,
    /// How the case is handled.
    pub mode: HandlingMode,
    /// The materials handed in, by digest.
    pub materials: Vec<FileRef>,
    /// The item's form data, checked against the item's form schema from the trust
    /// registry.
    pub form: FormData,
    /// Where the case was received.
    pub window: ReceivingWindow,
}

/// The applicant: a natural person or a legal entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Applicant {
    /// A citizen, identified by a GB 11643 citizen ID.
    NaturalPerson {
        /// Full name, e.g. `陈丽华`.
        name: String,
        /// Citizen identity number.
        citizen_id: CitizenId,
        /// Contact telephone, if given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phone: Option<String>,
    },
    /// An enterprise or organization, identified by a unified social credit code.
    LegalEntity {
        /// Registered name, e.g. `黄石市磁湖理发店`.
        name: String,
        /// Unified social credit code.
        credit_code: CreditCode,
        /// Name of the legal representative or the agent at the window.
        representative: String,
    },
}

impl<'de> Deserialize<'de> for Applicant {
    /// From an object only (serde would read a tagged enum from an array too). The
    /// fields are read from serde's buffer, out of [`crate::shape::Strict`]'s reach,
    /// so they must stay strings.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Applicant, D::Error> {
        #[derive(Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        enum Tagged {
            NaturalPerson {
                name: String,
                citizen_id: CitizenId,
                #[serde(default)]
                phone: Option<String>,
            },
            LegalEntity {
                name: String,
                credit_code: CreditCode,
                representative: String,
            },
        }
        Ok(match crate::shape::object(deserializer)? {
            Tagged::NaturalPerson {
                name,
                citizen_id,
                phone,
            } => Applicant::NaturalPerson {
                name,
                citizen_id,
                phone,
            },
            Tagged::LegalEntity {
                name,
                credit_code,
                representative,
            } => Applicant::LegalEntity {
                name,
                credit_code,
                representative,
            },
        })
    }
}

/// The three handling modes of cross-region service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandlingMode {
    /// 全程网办: handled entirely online.
    FullyOnline,
    /// 异地代收代办: received here, handled there.
    ReceivedHereHandledThere,
    /// 多地联办: handled jointly by several places.
    JointHandling,
}

/// A file by digest: a material handed in or a result document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FileRef {
    /// What the file is, e.g. `身份证复印件`.
    pub name: String,
    /// SHA-256 of the file's bytes.
    pub sha256: Sha256Digest,
    /// Media type, e.g. `application/pdf`.
    pub media_type: String,
    /// Size in bytes (at most 2^53 − 1, like every protocol integer).
    #[schemars(range(max = 9_007_199_254_740_991u64))]
    pub size: u64,
}

/// The window where the applicant handed the case in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReceivingWindow {
    /// Region of the service centre.
    pub region: RegionCode,
    /// The service centre, e.g. `黄石市市民之家`.
    pub service_centre: String,
    /// The window, e.g. `跨域通办专窗 12号`.
    pub window: String,
    /// The clerk who received the case, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clerk: Option<String>,
}
