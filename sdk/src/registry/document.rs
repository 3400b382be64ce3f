//! The trust registry document as it travels: members, agreements and their
//! catalogues, the working-day calendar, and the operator's keys and signatures.

use crate::calendar::WorkingCalendar;
use crate::digest::Sha256Digest;
use crate::id::{AgreementId, ItemCode, KeyId, NodeId, RegionCode};
use crate::message::HandlingMode;
use crate::signing::SignatureEntry;
use crate::time::Timestamp;
use crate::version::ProtocolVersion;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A trust registry, signed by the alliance operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RegistryDocument {
    /// The protocol version whose rules the registry follows, e.g. `1.0`.
    pub protocol: ProtocolVersion,
    /// Monotonic version: an update must be strictly greater.
    pub version: u64,
    /// When the operator issued it.
    pub issued: Timestamp,
    /// After this the registry is refused (freeze protection).
    pub expires: Timestamp,
    /// The alliance operator and the keys that sign registries.
    pub operator: Operator,
    /// The member nodes.
    pub members: Vec<Member>,
    /// The agreements between members, with their catalogues.
    pub agreements: Vec<Agreement>,
    /// Holidays and working weekend days, by year.
    pub calendar: WorkingCalendar,
    /// Operator signatures over the canonical form of everything else.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<SignatureEntry>,
}

/// The alliance operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Operator {
    /// The operator's name, e.g. `云上办联盟运营中心`.
    pub name: String,
    /// How many distinct operator keys must sign a registry (m of n).
    #[schemars(range(max = 4_294_967_295u32))]
    pub threshold: u32,
    /// The operator keys (n).
    pub keys: Vec<OperatorKey>,
}

/// A key of the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OperatorKey {
    /// Key id.
    #[serde(rename = "kid")]
    pub key_id: KeyId,
    /// Algorithm name, e.g. `ed25519`.
    #[serde(rename = "alg")]
    pub algorithm: String,
    /// Public key, unpadded base64url.
    pub public_key: String,
}

crate::shape::string_enum! {
    /// What a member does in cases.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
    pub enum Role {
        /// Receives cases at its windows and transfers them.
        ServiceWindow = "service_window",
        /// Handles cases as the competent authority.
        CompetentAuthority = "competent_authority",
        /// Both.
        Both = "both",
    }
}

/// A member node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Member {
    /// Node id.
    pub node: NodeId,
    /// Name, e.g. `黄石市政务服务和大数据管理局`.
    pub name: String,
    /// Region the member serves.
    pub region: RegionCode,
    /// Its role.
    pub role: Role,
    /// Its HTTPS endpoint.
    pub endpoint: String,
    /// Protocol versions it speaks.
    pub protocols: Vec<ProtocolVersion>,
    /// Its signing keys.
    pub keys: Vec<MemberKey>,
    /// (1.1) The keys of the TLS certificates its node presents, each the SHA-256 of a
    /// DER `SubjectPublicKeyInfo` (RFC 7469's pin): a receiver that requires mutual TLS
    /// with keys the registry names (§21.5) admits only these, for this member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub tls_keys: Option<Vec<Sha256Digest>>,
    /// (1.1) Its sealing keys (§24), separate from its signing keys: what other members
    /// seal personal data to. Each names its sealing suite in `alg`
    /// (`hpke-x25519-sha256-aes128gcm` or `sm2-sm4-gcm`) and has a validity window, so
    /// that keys rotate while messages are in flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub sealing_keys: Option<Vec<MemberKey>>,
}

/// A member's signing key (or, in `sealing_keys`, sealing key) with its validity window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MemberKey {
    /// Key id.
    #[serde(rename = "kid")]
    pub key_id: KeyId,
    /// Algorithm name, e.g. `ed25519`.
    #[serde(rename = "alg")]
    pub algorithm: String,
    /// Public key, unpadded base64url.
    pub public_key: String,
    /// First instant messages may be created with this key.
    pub valid_from: Timestamp,
    /// Last instant messages may be created with this key.
    pub valid_until: Timestamp,
    /// When the key was revoked; a revoked key verifies nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<Timestamp>,
}

crate::shape::string_enum! {
    /// Kinds of agreement.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
    pub enum AgreementKind {
        /// 跨市通办, e.g. the Wuhan "1+8" city circle.
        CrossCity = "cross_city",
        /// 跨省通办, e.g. the 云上办 alliance.
        CrossProvince = "cross_province",
        /// 跨江通办 between two members, e.g. Huangshi – Jiujiang.
        Bilateral = "bilateral",
    }
}

/// An agreement between members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Agreement {
    /// Agreement id.
    pub id: AgreementId,
    /// Name, e.g. `黄石—九江跨江通办`.
    pub name: String,
    /// Kind.
    pub kind: AgreementKind,
    /// Who is party to it.
    pub parties: Parties,
    /// Start of validity.
    pub valid_from: Timestamp,
    /// End of validity.
    pub valid_until: Timestamp,
    /// The service items that can be handled under it.
    pub items: Vec<CatalogueItem>,
    /// The signature suite its messages are signed with by their sender: `ed25519`
    /// (absent) or `sm2-sm3`, the national suite (§17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
    /// (1.1) The themes (一事联办) of its catalogue: items handled as one case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub themes: Vec<Theme>,
}

/// (1.1) A theme (一事联办, e.g. 开理发店): items of the agreement's catalogue that an
/// applicant asks for as one case, with one set of materials and one overall limit. Each
/// item is a track of its own, possibly at another authority (§18).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Theme {
    /// Theme code, written like an item code and unique among the agreement's themes.
    pub code: ItemCode,
    /// Name, e.g. `开理发店`.
    pub name: String,
    /// Its items: at least two codes of the agreement's catalogue, each once.
    #[schemars(length(min = 2))]
    pub items: Vec<ItemCode>,
    /// Materials the applicant hands in once for the whole theme: each is required by
    /// at least two of its items, and every transfer of the case that hands it in
    /// carries the same file (§18).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_materials: Vec<String>,
    /// The overall time limit in working days, at most 1,000: every track of the theme
    /// is due within it, beside its item's own limits (§19).
    #[schemars(range(max = 1000))]
    pub time_limit_working_days: u32,
}

/// The parties to an agreement: members named directly, and every member whose region
/// is listed (a province-level code covers the whole province).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Parties {
    /// Regions whose members are parties.
    #[serde(default)]
    pub regions: Vec<RegionCode>,
    /// Members that are parties.
    #[serde(default)]
    pub members: Vec<NodeId>,
}

/// The longest time limit an item may have, in working days (about four years): a
/// registry with a longer one is refused (§15).
pub const MAX_TIME_LIMIT_WORKING_DAYS: u32 = 1000;

/// A service item of an agreement's catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CatalogueItem {
    /// Item code.
    pub code: ItemCode,
    /// Name, e.g. `基本医疗保险关系转移接续`.
    pub name: String,
    /// The competent department, e.g. `医疗保障局`.
    pub department: String,
    /// Allowed handling modes.
    pub modes: Vec<HandlingMode>,
    /// Statutory time limit in working days, at most 1,000.
    #[schemars(range(max = 1000))]
    pub time_limit_working_days: u32,
    /// (1.1) The committed time limit (承诺时限) in working days, at most the statutory
    /// one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 1000))]
    pub committed_working_days: Option<u32>,
    /// Names of the materials a transfer must carry.
    pub required_materials: Vec<String>,
    /// (1.1) Required materials a transfer may defer (容缺受理): accepted as missing,
    /// handed in later by a supplement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deferrable_materials: Vec<String>,
    /// (1.1) Required materials the applicant's signed commitment may replace (告知承诺
    /// 制).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commitment_materials: Vec<String>,
    /// JSON Schema (draft 2020-12) of the item's form data; no remote references.
    pub form_schema: serde_json::Map<String, serde_json::Value>,
    /// (1.1) Working days the authority has to answer a poor evaluation with a
    /// rectification (整改), at most 1,000; absent, 15
    /// ([`crate::lifecycle::DEFAULT_RECTIFICATION_WORKING_DAYS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 1000))]
    pub rectification_working_days: Option<u32>,
}
