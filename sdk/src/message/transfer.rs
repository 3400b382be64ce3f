//! The transfer: a case handed in at one window, sent to the competent authority.

use crate::calendar::CalendarDate;
use crate::digest::{Sha256Digest, Sm3Digest};
use crate::id::{CitizenId, CreditCode, ItemCode, RegionCode};
use crate::version::ProtocolVersion;
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
    /// (1.1) How the case came in: at a window, online, by app, at a kiosk or station.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// (1.1) Who acts for a natural-person applicant, with the power of attorney.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<Box<Agent>>,
    /// (1.1) How the applicant gets the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_delivery: Option<Box<ResultDelivery>>,
    /// (1.1) Required materials accepted as missing (容缺受理), each with the day the
    /// applicant promised to hand it in; the catalogue must allow it (§17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub deferred_materials: Option<Vec<DeferredMaterial>>,
    /// (1.1) Required materials replaced by the applicant's signed commitment (告知承诺
    /// 制); the catalogue must allow it (§17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub commitments: Option<Vec<Commitment>>,
    /// (1.1) The theme (一事联办) the case is handled under: one of the agreement's
    /// themes, including this transfer's item (§17). Every transfer of the case names
    /// it, one per item (§18).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<ItemCode>,
}

impl Transfer {
    /// The names of the members of version 1.1 or later that this transfer uses, with
    /// the version that added each: a message of an earlier version must not carry
    /// them (§2 step 8).
    pub fn members_since(&self) -> Vec<(&'static str, ProtocolVersion)> {
        [
            ("channel", self.channel.is_some()),
            ("agent", self.agent.is_some()),
            ("result_delivery", self.result_delivery.is_some()),
            ("deferred_materials", self.deferred_materials.is_some()),
            ("commitments", self.commitments.is_some()),
            ("theme", self.theme.is_some()),
        ]
        .into_iter()
        .filter(|(_, present)| *present)
        .map(|(name, _)| (name, ProtocolVersion::V1_1))
        .collect()
    }

    /// The names of the required materials this transfer does not hand in: deferred
    /// (容缺) or replaced by a commitment (告知承诺).
    pub fn absent_materials(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let deferred = self.deferred_materials.iter().flatten();
        let committed = self.commitments.iter().flatten();
        deferred
            .map(|d| ("deferred_materials", d.material.as_str()))
            .chain(committed.map(|c| ("commitments", c.material.as_str())))
    }

    /// The rules between members that the structure alone does not express (§2 step
    /// 8): a result is posted to an address, and only then has one; an agent acts for
    /// a natural person only, and is not that person; a material deferred or replaced
    /// by a commitment is named once and not handed in as well. Returns the member at
    /// fault (a path under `/body`) and why.
    pub fn check_consistency(&self) -> Result<(), (&'static str, &'static str)> {
        for (member, list_is_empty) in [
            (
                "deferred_materials",
                self.deferred_materials.as_ref().map(Vec::is_empty),
            ),
            ("commitments", self.commitments.as_ref().map(Vec::is_empty)),
        ] {
            if list_is_empty == Some(true) {
                return Err((member, "at least one material"));
            }
        }
        let mut named: Vec<&str> = Vec::new();
        for (member, material) in self.absent_materials() {
            if self.materials.iter().any(|m| m.name == material) {
                return Err((member, "a material handed in as well"));
            }
            if named.contains(&material) {
                return Err((member, "a material named twice"));
            }
            named.push(material);
        }
        if let Some(delivery) = &self.result_delivery {
            match (delivery.method, &delivery.address) {
                (DeliveryMethod::Post, None) => {
                    return Err(("result_delivery/address", "required to post the result"))
                }
                (DeliveryMethod::AtWindow | DeliveryMethod::Electronic, Some(_)) => {
                    return Err(("result_delivery/address", "only for a result by post"))
                }
                _ => {}
            }
        }
        let Some(agent) = &self.agent else {
            return Ok(());
        };
        match &self.applicant {
            Applicant::LegalEntity { .. } => Err((
                "agent",
                "a legal entity acts through its representative, not an agent",
            )),
            Applicant::NaturalPerson { citizen_id, .. } if *citizen_id == agent.citizen_id => {
                Err(("agent/citizen_id", "the agent is the applicant"))
            }
            Applicant::NaturalPerson { .. } => Ok(()),
        }
    }
}

crate::shape::string_enum! {
    /// (1.1) How a case came in.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
    pub enum Channel {
        /// At a service window (窗口).
        Window = "window",
        /// On the web portal (网上办).
        Online = "online",
        /// On a mobile app (掌上办, e.g. 鄂汇办).
        MobileApp = "mobile_app",
        /// At a 24-hour self-service kiosk (自助办).
        SelfService = "self_service",
        /// At a township or community service station (就近办).
        ServiceStation = "service_station",
    }
}

/// (1.1) A person who acts for a natural-person applicant (帮办代办, 委托代理人).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Agent {
    /// Full name.
    pub name: String,
    /// Citizen identity number; not the applicant's.
    pub citizen_id: CitizenId,
    /// Contact telephone, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The signed power of attorney (授权委托书): a file the transfer references.
    pub power_of_attorney: FileRef,
}

/// (1.1) A required material accepted as missing (容缺受理): the applicant hands it in
/// later, in a `supplement`, and the authority decides to approve only once it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeferredMaterial {
    /// The material's name, as the catalogue's `required_materials` gives it.
    pub material: String,
    /// The day the applicant promised to hand it in (China time), not before the
    /// transfer's day.
    pub promised_by: CalendarDate,
}

/// (1.1) A required material replaced by the applicant's signed commitment (告知承诺制).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Commitment {
    /// The material's name, as the catalogue's `required_materials` gives it.
    pub material: String,
    /// The commitment the applicant signed (承诺书): a file the transfer references.
    pub statement: FileRef,
}

/// (1.1) How the applicant gets the result: `address` is given for `post`, and only
/// then (a transfer that says otherwise is refused when it is read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResultDelivery {
    /// How.
    pub method: DeliveryMethod,
    /// Where to post it: for `post` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<PostalAddress>,
}

crate::shape::string_enum! {
    /// (1.1) The ways of getting a result.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
    pub enum DeliveryMethod {
        /// Collected at the window that sent the transfer.
        AtWindow = "at_window",
        /// Electronically only (an electronic licence or letter, nothing on paper).
        Electronic = "electronic",
        /// Posted to the `address`.
        Post = "post",
    }
}

/// (1.1) A postal address in China.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PostalAddress {
    /// Who receives the post.
    pub recipient: String,
    /// The recipient's telephone, for the carrier.
    pub phone: String,
    /// The county-level region (GB/T 2260).
    pub region: RegionCode,
    /// The street address within the region.
    pub address: String,
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

crate::shape::string_enum! {
    /// The three handling modes of cross-region service.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
    pub enum HandlingMode {
        /// 全程网办: handled entirely online.
        FullyOnline = "fully_online",
        /// 异地代收代办: received here, handled there.
        ReceivedHereHandledThere = "received_here_handled_there",
        /// 多地联办: handled jointly by several places.
        JointHandling = "joint_handling",
    }
}

/// A file by digest: a material handed in or a result document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FileRef {
    /// What the file is, e.g. `身份证复印件`.
    pub name: String,
    /// SHA-256 of the file's bytes: the file's address (§23) in every version.
    pub sha256: Sha256Digest,
    /// (1.1) SM3 of the file's bytes, which a reference under an agreement on
    /// `sm2-sm3` carries (§17 step 5) and which is checked beside the SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sm3: Option<Sm3Digest>,
    /// Media type, e.g. `application/pdf`.
    pub media_type: String,
    /// Size in bytes (at most 2^53 − 1, like every protocol integer).
    #[schemars(range(max = 9_007_199_254_740_991u64))]
    pub size: u64,
    /// (1.1) In a sealed body only, and there always (§24.6): the key the file is
    /// sealed under and the address of the sealed bytes.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::seal::read_sealed_file"
    )]
    pub sealed: Option<crate::seal::SealedFile>,
}

impl FileRef {
    /// The digest a receiver fetches the file at (§23.2, §24.6) and lists in its
    /// `files_received` (§23.5): the SHA-256 of its sealed bytes for a sealed file, else
    /// its own.
    pub fn address(&self) -> &crate::digest::Sha256Digest {
        self.sealed
            .as_ref()
            .map_or(&self.sha256, |sealed| &sealed.sha256)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Body;
    use crate::sample;
    use crate::verify::Unverified;
    use serde_json::json;
    /// The sample 1.1 transfer as a document, edited, parsed (signatures are not
    /// checked by parsing): the error code, if any.
    fn parse_edited(edit: impl Fn(&mut serde_json::Value)) -> Result<(), &'static str> {
        let body = Body::Transfer(sample::agent_transfer_body().expect("sample"));
        let created = crate::Timestamp::parse(sample::CREATED).expect("time");
        let route = sample::route(sample::HUANGSHI).expect("route");
        let message = crate::message::Envelope::new(route, body, created, 3600)
            .expect("message")
            .with_protocol(ProtocolVersion::V1_1);
        let mut document = message.to_value().expect("value");
        edit(&mut document);
        let bytes = serde_json::to_vec(&document).expect("bytes");
        Unverified::parse(&bytes).map(|_| ()).map_err(|e| e.code())
    }

    #[test]
    fn members_of_1_1_need_a_1_1_message() {
        assert_eq!(parse_edited(|_| {}), Ok(()));
        assert_eq!(
            parse_edited(|d| d["protocol"] = json!("1.0")),
            Err("message.invalid")
        );
        let plain = sample::transfer_body().expect("sample");
        assert!(plain.members_since().is_empty());
        let names: Vec<_> = sample::agent_transfer_body()
            .expect("sample")
            .members_since()
            .into_iter()
            .map(|(name, since)| (name, since.to_string()))
            .collect();
        assert_eq!(
            names,
            [
                ("channel", "1.1".to_string()),
                ("agent", "1.1".to_string()),
                ("result_delivery", "1.1".to_string())
            ]
        );
    }

    #[test]
    fn an_agent_and_a_result_delivery_are_objects_never_arrays() {
        assert_eq!(
            parse_edited(|d| {
                let agent = d["body"]["agent"].clone();
                d["body"]["agent"] = json!([
                    agent["name"],
                    agent["citizen_id"],
                    agent["phone"],
                    agent["power_of_attorney"]
                ]);
            }),
            Err("message.invalid")
        );
        assert_eq!(
            parse_edited(|d| d["body"]["result_delivery"] = json!(["electronic"])),
            Err("message.invalid")
        );
        assert_eq!(
            parse_edited(|d| d["body"]["channel"] = json!({"window": null})),
            Err("message.invalid")
        );
    }

    #[test]
    fn absent_materials_are_named_once_and_not_handed_in() {
        let mut transfer = sample::deferred_transfer_body().expect("sample");
        assert_eq!(transfer.check_consistency(), Ok(()));
        let names: Vec<_> = transfer.absent_materials().collect();
        assert_eq!(names, [("deferred_materials", sample::LEASE)]);
        let committed = sample::committed_transfer_body().expect("sample");
        assert_eq!(committed.check_consistency(), Ok(()));
        transfer.commitments = committed.commitments.clone();
        assert_eq!(
            transfer.check_consistency(),
            Err(("commitments", "a material named twice"))
        );
        transfer.commitments = Some(Vec::new());
        assert_eq!(
            transfer.check_consistency(),
            Err(("commitments", "at least one material"))
        );
        let mut lease_twice = committed;
        lease_twice.materials = sample::transfer_body().expect("sample").materials;
        assert_eq!(
            lease_twice.check_consistency(),
            Err(("commitments", "a material handed in as well"))
        );
    }

    #[test]
    fn members_agree() {
        let mut transfer = sample::agent_transfer_body().expect("sample");
        assert_eq!(transfer.check_consistency(), Ok(()));
        let address = transfer
            .result_delivery
            .as_mut()
            .and_then(|d| d.address.take());
        assert_eq!(
            transfer.check_consistency().map_err(|(at, _)| at),
            Err("result_delivery/address")
        );
        transfer.result_delivery = Some(Box::new(ResultDelivery {
            method: DeliveryMethod::Electronic,
            address,
        }));
        assert!(transfer.check_consistency().is_err());
        transfer.result_delivery = None;
        if let (Applicant::NaturalPerson { citizen_id, .. }, Some(agent)) =
            (&transfer.applicant, transfer.agent.as_mut())
        {
            agent.citizen_id = citizen_id.clone();
        }
        assert_eq!(
            transfer.check_consistency().map_err(|(at, _)| at),
            Err("agent/citizen_id")
        );
    }
}
