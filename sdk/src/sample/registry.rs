//! The sample trust registry: the three agreements of the source article with their
//! catalogues of real service items (`catalogue.rs`), and the real 2025 and 2026 holiday
//! calendars of the State Council.

use super::{key, HUANGSHI, JIUJIANG};
use crate::calendar::{CalendarDate, CalendarYear, WorkingCalendar};
use crate::crypto::{Algorithm, KeyPair};
use crate::error::Error;
use crate::id::{AgreementId, KeyId, NodeId, RegionCode};
use crate::registry::*;
use crate::seal::SealingSuite;
use crate::time::Timestamp;
use crate::version::ProtocolVersion;

/// The operator's node-style name, owner of the operator keys.
pub const OPERATOR: &str = "yunshangban.operator";
/// When the sample registry was issued.
pub const REGISTRY_ISSUED: &str = "2026-01-01T00:00:00+08:00";

/// The `index`-th sample operator key (0, 1, 2 in the sample registry; 3 and 4 for
/// rotation tests), with key id `yunshangban.operator#<index>`.
pub fn operator_key(index: u8) -> Result<KeyPair, Error> {
    let owner = NodeId::parse(OPERATOR)?;
    let key_id = KeyId::parse(format!("{OPERATOR}#{index}"))?;
    let seed = super::seed(&format!("{OPERATOR}#{index}"));
    Ok(KeyPair::from_secret(
        key_id,
        owner,
        Algorithm::Ed25519,
        &seed,
    )?)
}

/// The members: the Wuhan "1+8" city circle, Jiujiang, and three provincial capitals
/// of the cross-province alliance.
const MEMBERS: &[(&str, &str, &str)] = &[
    ("wuhan.420100", "武汉市政务服务和大数据管理局", "420100"),
    (HUANGSHI, "黄石市政务服务和大数据管理局", "420200"),
    ("ezhou.420700", "鄂州市政务服务和大数据管理局", "420700"),
    ("xiaogan.420900", "孝感市政务服务和大数据管理局", "420900"),
    ("huanggang.421100", "黄冈市政务服务和大数据管理局", "421100"),
    ("xianning.421200", "咸宁市政务服务和大数据管理局", "421200"),
    ("xiantao.429004", "仙桃市政务服务和大数据管理局", "429004"),
    ("qianjiang.429005", "潜江市政务服务和大数据管理局", "429005"),
    ("tianmen.429006", "天门市政务服务和大数据管理局", "429006"),
    (JIUJIANG, "九江市行政审批局", "360400"),
    ("nanchang.360100", "南昌市行政审批局", "360100"),
    ("changsha.430100", "长沙市政务服务中心", "430100"),
    ("hefei.340100", "合肥市数据资源局", "340100"),
];

fn ts(text: &str) -> Result<Timestamp, Error> {
    Ok(Timestamp::parse(text)?)
}

fn regions(codes: &[&str]) -> Result<Vec<RegionCode>, Error> {
    codes.iter().map(|c| Ok(RegionCode::parse(*c)?)).collect()
}

fn agreements() -> Result<Vec<Agreement>, Error> {
    let (cross_river, themes) = super::catalogue::cross_river()?;
    let circle: Vec<&str> = MEMBERS[..CIRCLE_MEMBERS]
        .iter()
        .map(|(_, _, r)| *r)
        .collect();
    Ok(vec![
        Agreement {
            id: AgreementId::parse(super::CIRCLE)?,
            name: "武汉城市圈“1+8”跨市通办".into(),
            kind: AgreementKind::CrossCity,
            parties: Parties {
                regions: regions(&circle)?,
                members: Vec::new(),
            },
            valid_from: ts("2025-01-01T00:00:00+08:00")?,
            valid_until: ts("2030-12-31T23:59:59+08:00")?,
            items: super::catalogue::circle()?,
            themes: Vec::new(),
            // The national profile (GB/T 39786): SM2 signatures with SM3.
            suite: Some(Algorithm::Sm2Sm3.as_str().into()),
        },
        Agreement {
            id: AgreementId::parse("yunshangban.cross-province")?,
            name: "“云上办”跨省通办联盟".into(),
            kind: AgreementKind::CrossProvince,
            parties: Parties {
                regions: regions(&["420000", "360000", "430000", "340000"])?,
                members: Vec::new(),
            },
            valid_from: ts("2025-01-01T00:00:00+08:00")?,
            valid_until: ts("2030-12-31T23:59:59+08:00")?,
            items: super::catalogue::cross_province()?,
            themes: Vec::new(),
            suite: None,
        },
        Agreement {
            id: AgreementId::parse(super::AGREEMENT)?,
            name: "黄石—九江跨江通办".into(),
            kind: AgreementKind::Bilateral,
            parties: Parties {
                regions: Vec::new(),
                members: vec![NodeId::parse(HUANGSHI)?, NodeId::parse(JIUJIANG)?],
            },
            valid_from: ts("2025-01-01T00:00:00+08:00")?,
            valid_until: ts("2030-12-31T23:59:59+08:00")?,
            items: cross_river,
            themes,
            suite: None,
        },
    ])
}

fn days(list: &[&str]) -> Result<std::collections::BTreeSet<CalendarDate>, Error> {
    list.iter().map(|d| Ok(CalendarDate::parse(d)?)).collect()
}

/// Every date from `from` to `to`, inclusive.
fn span(from: &str, to: &str) -> Result<Vec<String>, Error> {
    let (mut day, end) = (
        CalendarDate::parse(from)?.date(),
        CalendarDate::parse(to)?.date(),
    );
    let mut out = Vec::new();
    while day <= end {
        out.push(CalendarDate::from_date(day).to_string());
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    Ok(out)
}

fn year(holidays: &[(&str, &str)], working: &[&str]) -> Result<CalendarYear, Error> {
    let mut all = Vec::new();
    for (from, to) in holidays {
        all.extend(span(from, to)?);
    }
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    Ok(CalendarYear {
        holidays: days(&refs)?,
        working_weekends: days(working)?,
    })
}

/// The State Council's holiday arrangements for 2025 (国办发明电〔2024〕12号) and 2026
/// (国办发明电〔2025〕7号).
pub fn calendar() -> Result<WorkingCalendar, Error> {
    let mut calendar = WorkingCalendar::default();
    calendar.years.insert(
        2025,
        year(
            &[
                ("2025-01-01", "2025-01-01"),
                ("2025-01-28", "2025-02-04"),
                ("2025-04-04", "2025-04-06"),
                ("2025-05-01", "2025-05-05"),
                ("2025-05-31", "2025-06-02"),
                ("2025-10-01", "2025-10-08"),
            ],
            &[
                "2025-01-26",
                "2025-02-08",
                "2025-04-27",
                "2025-09-28",
                "2025-10-11",
            ],
        )?,
    );
    calendar.years.insert(
        2026,
        year(
            &[
                ("2026-01-01", "2026-01-03"),
                ("2026-02-15", "2026-02-23"),
                ("2026-04-04", "2026-04-06"),
                ("2026-05-01", "2026-05-05"),
                ("2026-06-19", "2026-06-21"),
                ("2026-09-25", "2026-09-27"),
                ("2026-10-01", "2026-10-07"),
            ],
            &[
                "2026-01-04",
                "2026-02-14",
                "2026-02-28",
                "2026-05-09",
                "2026-09-20",
                "2026-10-10",
            ],
        )?,
    );
    Ok(calendar)
}

/// The protocol versions a sample member speaks: Huangshi and Jiujiang speak 1.0 and
/// 1.1 (they exchange files, §23); the others 1.0 only, as members do while the
/// alliance upgrades.
fn protocols_of(node: &str) -> Vec<ProtocolVersion> {
    if [HUANGSHI, JIUJIANG].contains(&node) {
        vec![ProtocolVersion::V1_0, ProtocolVersion::V1_1]
    } else {
        vec![ProtocolVersion::V1_0]
    }
}

/// How many of [`MEMBERS`] make the Wuhan circle, which signs with SM2.
const CIRCLE_MEMBERS: usize = 9;

/// The members of the Wuhan circle (its agreement [`super::CIRCLE`] is on `sm2-sm3`):
/// the sample registry lists their SM2 key ([`super::sm2_key`]) beside their Ed25519 key.
pub fn circle_members() -> impl Iterator<Item = &'static str> {
    MEMBERS[..CIRCLE_MEMBERS].iter().map(|(node, _, _)| *node)
}

/// The unsigned sample registry with the given version, operator keys (by index) and
/// threshold. Every member has its sample key, valid 2025–2030; the members of the
/// Wuhan circle also their SM2 key ([`super::sm2_key`]).
pub fn registry_document(
    version: u64,
    operator_keys: &[u8],
    threshold: u32,
) -> Result<RegistryDocument, Error> {
    let mut members = Vec::new();
    for (index, (node, name, region)) in MEMBERS.iter().enumerate() {
        let mut pairs = vec![key(node)?];
        if index < CIRCLE_MEMBERS {
            pairs.push(super::sm2_key(node)?);
        }
        let mut keys = Vec::new();
        for pair in pairs {
            keys.push(MemberKey {
                key_id: pair.key_id().clone(),
                algorithm: pair.algorithm().as_str().into(),
                public_key: crate::crypto::base64url(pair.public_key().as_bytes()),
                valid_from: ts("2025-01-01T00:00:00+08:00")?,
                valid_until: ts("2030-12-31T23:59:59+08:00")?,
                revoked: None,
            });
        }
        members.push(Member {
            node: NodeId::parse(*node)?,
            name: (*name).into(),
            region: RegionCode::parse(*region)?,
            role: Role::Both,
            endpoint: format!("https://{node}.nodes.tongban.example/tongban/v1"),
            protocols: protocols_of(node),
            keys,
            tls_keys: None,
            sealing_keys: None,
        });
    }
    let mut keys = Vec::new();
    for index in operator_keys {
        let pair = operator_key(*index)?;
        keys.push(OperatorKey {
            key_id: pair.key_id().clone(),
            algorithm: pair.algorithm().as_str().into(),
            public_key: crate::crypto::base64url(pair.public_key().as_bytes()),
        });
    }
    Ok(RegistryDocument {
        protocol: ProtocolVersion::V1_0,
        version,
        issued: ts(REGISTRY_ISSUED)?,
        expires: ts("2030-12-31T23:59:59+08:00")?,
        operator: Operator {
            name: "“云上办”联盟运营中心".into(),
            threshold,
            keys,
        },
        members,
        agreements: agreements()?,
        calendar: calendar()?,
        signatures: Vec::new(),
    })
}

/// Signs a registry document with the given operator keys (by index) and returns its
/// canonical bytes.
pub fn signed_registry(document: &RegistryDocument, signers: &[u8]) -> Result<Vec<u8>, Error> {
    let mut value =
        serde_json::to_value(document).map_err(|e| crate::error::MessageError::Invalid {
            reason: e.to_string(),
        })?;
    for index in signers {
        crate::signing::sign_document(&mut value, &operator_key(*index)?)?;
    }
    Ok(crate::canonical::to_canonical_bytes(&value))
}

/// The signed sample registry (version 1, as [`registry`]) with the endpoints of the
/// members named in `endpoints` replaced, e.g. by `http://127.0.0.1:<port>/tongban/v1`
/// for nodes that run on one machine. A member not named keeps its sample endpoint.
pub fn registry_with_endpoints(
    endpoints: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<u8>, Error> {
    registry_with(endpoints, None)
}

/// [`registry_with_endpoints`] in which the members named in `endpoints` speak
/// `protocols`: only 1.0, say, to run nodes as members did before 1.1.
pub fn registry_with_endpoints_speaking(
    endpoints: &std::collections::BTreeMap<String, String>,
    protocols: &[ProtocolVersion],
) -> Result<Vec<u8>, Error> {
    registry_with(endpoints, Some(protocols))
}

/// (1.1) [`registry_with_endpoints_speaking`] in which every member lists its sample
/// sealing keys ([`add_sealing_keys`]): the bodies and files of 1.1 between them travel
/// sealed (§24.5, §24.6).
pub fn registry_with_endpoints_sealing(
    endpoints: &std::collections::BTreeMap<String, String>,
    protocols: &[ProtocolVersion],
) -> Result<Vec<u8>, Error> {
    let mut document = document_with(endpoints, Some(protocols))?;
    add_sealing_keys(&mut document)?;
    signed_registry(&document, &[0, 1])
}

fn registry_with(
    endpoints: &std::collections::BTreeMap<String, String>,
    protocols: Option<&[ProtocolVersion]>,
) -> Result<Vec<u8>, Error> {
    signed_registry(&document_with(endpoints, protocols)?, &[0, 1])
}

fn document_with(
    endpoints: &std::collections::BTreeMap<String, String>,
    protocols: Option<&[ProtocolVersion]>,
) -> Result<RegistryDocument, Error> {
    let mut document = registry_document(1, &[0, 1, 2], 2)?;
    for member in &mut document.members {
        if let Some(endpoint) = endpoints.get(member.node.as_str()) {
            member.endpoint.clone_from(endpoint);
            if let Some(protocols) = protocols {
                member.protocols = protocols.to_vec();
            }
        }
    }
    Ok(document)
}

/// The signed bytes of the sample registry, version 1: operator keys 0, 1, 2 with
/// threshold 2, signed by keys 0 and 1.
pub fn registry_bytes() -> Result<Vec<u8>, Error> {
    signed_registry(&registry_document(1, &[0, 1, 2], 2)?, &[0, 1])
}

/// The signed sample registry ([`registry_bytes`]) with the cross-river agreement on
/// the national suite `sm2-sm3` too, so that one message can be measured or tested in
/// both suites (Huangshi's SM2 key is listed, as a member of the Wuhan circle).
pub fn registry_bytes_with_cross_river_on_sm2() -> Result<Vec<u8>, Error> {
    let mut document = registry_document(1, &[0, 1, 2], 2)?;
    for agreement in &mut document.agreements {
        if agreement.id.as_str() == super::AGREEMENT {
            agreement.suite = Some(Algorithm::Sm2Sm3.as_str().into());
        }
    }
    signed_registry(&document, &[0, 1])
}

/// (1.1) Lists in `document` the sample sealing keys ([`super::sealing_key`]) of every
/// member, in both suites, valid 2025–2030: senders of 1.1 then seal every body to them
/// (§24.5).
pub fn add_sealing_keys(document: &mut RegistryDocument) -> Result<(), Error> {
    for member in &mut document.members {
        let mut keys = Vec::new();
        for suite in SealingSuite::ALL {
            let pair = super::sealing_key(member.node.as_str(), suite)?;
            keys.push(MemberKey {
                key_id: pair.key_id().clone(),
                algorithm: suite.as_str().into(),
                public_key: crate::crypto::base64url(pair.public_key().as_bytes()),
                valid_from: ts("2025-01-01T00:00:00+08:00")?,
                valid_until: ts("2030-12-31T23:59:59+08:00")?,
                revoked: None,
            });
        }
        member.sealing_keys = Some(keys);
    }
    Ok(())
}

/// (1.1) The signed sample registry ([`registry_bytes`]) in which every member lists
/// its sample sealing keys ([`add_sealing_keys`]).
pub fn registry_bytes_with_sealing_keys() -> Result<Vec<u8>, Error> {
    let mut document = registry_document(1, &[0, 1, 2], 2)?;
    add_sealing_keys(&mut document)?;
    signed_registry(&document, &[0, 1])
}

/// The sample registry ([`registry_bytes`]), trusted as of its issue time.
pub fn registry() -> Result<Registry, Error> {
    Registry::bootstrap(&registry_bytes()?, &ts(REGISTRY_ISSUED)?)
}
