//! The sample trust registry: the three agreements of the source article, real service
//! items, and the real 2025 and 2026 holiday calendars of the State Council.

use super::{key, HUANGSHI, JIUJIANG};
use crate::calendar::{CalendarDate, CalendarYear, WorkingCalendar};
use crate::crypto::{Algorithm, KeyPair};
use crate::error::Error;
use crate::id::{AgreementId, ItemCode, KeyId, NodeId, RegionCode};
use crate::message::HandlingMode;
use crate::registry::*;
use crate::time::Timestamp;
use crate::version::ProtocolVersion;
use serde_json::{json, Value};

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

/// The copy of the applicant's identity card that shop registrations require.
const ID_COPY: &str = "身份证复印件";

fn ts(text: &str) -> Result<Timestamp, Error> {
    Ok(Timestamp::parse(text)?)
}

fn object(value: Value) -> serde_json::Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

fn form(properties: Value, required: &[&str]) -> serde_json::Map<String, Value> {
    object(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required,
    }))
}

fn item(
    code: &str,
    name: &str,
    department: &str,
    modes: &[HandlingMode],
    days: u32,
    materials: &[&str],
    form_schema: serde_json::Map<String, Value>,
) -> Result<CatalogueItem, Error> {
    Ok(CatalogueItem {
        code: ItemCode::parse(code)?,
        name: name.into(),
        department: department.into(),
        modes: modes.to_vec(),
        time_limit_working_days: days,
        required_materials: materials.iter().map(|m| m.to_string()).collect(),
        form_schema,
        committed_working_days: None,
        rectification_working_days: None,
        deferrable_materials: Vec::new(),
        commitment_materials: Vec::new(),
    })
}

fn regions(codes: &[&str]) -> Result<Vec<RegionCode>, Error> {
    codes.iter().map(|c| Ok(RegionCode::parse(*c)?)).collect()
}

fn agreements() -> Result<Vec<Agreement>, Error> {
    use HandlingMode::*;
    let region = json!({"type": "string", "pattern": "^[0-9]{6}$"});
    let name = json!({"type": "string", "minLength": 2, "maxLength": 50});
    let medical = item(
        "WH-0001",
        "基本医疗保险关系转移接续",
        "医疗保障局",
        &[FullyOnline, ReceivedHereHandledThere],
        15,
        &["身份证", "参保凭证"],
        form(
            json!({
                "insured_name": name,
                "from_region": region,
                "to_region": region,
                "insurance_type": {"enum": ["职工基本医疗保险", "城乡居民基本医疗保险"]},
            }),
            &["insured_name", "from_region", "to_region", "insurance_type"],
        ),
    )?;
    let nurse = item(
        "WH-0002",
        "护士执业注册",
        "卫生健康委员会",
        &[ReceivedHereHandledThere],
        20,
        &["身份证", "护士执业资格考试成绩合格证明", "健康体检证明"],
        form(
            json!({
                "applicant_name": name,
                "qualification_certificate_no": {"type": "string", "minLength": 6},
                "employer": {"type": "string", "minLength": 2},
            }),
            &["applicant_name", "qualification_certificate_no", "employer"],
        ),
    )?;
    let transport = item(
        "YSB-0101",
        "道路运输从业人员从业资格证换证",
        "交通运输局",
        &[FullyOnline, ReceivedHereHandledThere],
        5,
        &["身份证", "原从业资格证"],
        form(
            json!({
                "holder_name": name,
                "certificate_no": {"type": "string", "minLength": 6},
                "category": {"enum": ["道路旅客运输驾驶员", "道路货物运输驾驶员", "危险货物运输驾驶员"]},
            }),
            &["holder_name", "certificate_no", "category"],
        ),
    )?;
    let joint_medical = CatalogueItem {
        code: ItemCode::parse("YSB-0102")?,
        ..medical.clone()
    };
    let barber = item(
        "HB-JX-0042",
        "个体工商户设立登记（理发店）",
        "市场监督管理局",
        &[ReceivedHereHandledThere, FullyOnline],
        3,
        &[ID_COPY, crate::sample::LEASE],
        form(
            json!({
                "shop_name": {"type": "string", "minLength": 2, "maxLength": 60},
                "business_address": {"type": "string", "minLength": 5},
                "business_scope": {"type": "string", "minLength": 2},
                "registered_capital_yuan": {"type": "integer", "minimum": 0},
                "employees": {"type": "integer", "minimum": 0, "maximum": 1000},
            }),
            &["shop_name", "business_address", "business_scope"],
        ),
    )?;
    let social_card = item(
        "HB-JX-0007",
        "社会保障卡补换领",
        "人力资源和社会保障局",
        &[FullyOnline, ReceivedHereHandledThere, JointHandling],
        5,
        &["身份证"],
        form(
            json!({"holder_name": name, "reason": {"enum": ["遗失", "损坏", "信息变更"]}}),
            &["holder_name", "reason"],
        ),
    )?;
    // (1.1) The other items of the article's 一事联办 themes in Jiujiang: the barber
    // shop's and the convenience store's.
    let shop = json!({"type": "string", "minLength": 2, "maxLength": 60});
    let address = json!({"type": "string", "minLength": 5});
    let hygiene = item(
        "HB-JX-0043",
        "公共场所卫生许可（美容美发场所）",
        "卫生健康委员会",
        &[ReceivedHereHandledThere, FullyOnline],
        20,
        &[ID_COPY, crate::sample::LEASE, "卫生管理制度"],
        form(
            json!({
                "shop_name": shop,
                "business_address": address,
                "floor_area_m2": {"type": "integer", "minimum": 1, "maximum": 100000},
                "chairs": {"type": "integer", "minimum": 1, "maximum": 500},
            }),
            &["shop_name", "business_address", "floor_area_m2"],
        ),
    )?;
    let store = item(
        "HB-JX-0044",
        "个体工商户设立登记（便利店）",
        "市场监督管理局",
        &[ReceivedHereHandledThere, FullyOnline],
        3,
        &[ID_COPY, crate::sample::LEASE],
        form(
            json!({
                "shop_name": shop,
                "business_address": address,
                "business_scope": {"type": "string", "minLength": 2},
            }),
            &["shop_name", "business_address", "business_scope"],
        ),
    )?;
    let food = item(
        "HB-JX-0045",
        "食品经营许可",
        "市场监督管理局",
        &[ReceivedHereHandledThere, FullyOnline],
        10,
        &[
            ID_COPY,
            crate::sample::LEASE,
            "食品安全管理制度",
            "经营设施设备布局图",
        ],
        form(
            json!({
                "shop_name": shop,
                "business_address": address,
                "food_categories": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"enum": ["预包装食品销售", "散装食品销售", "热食类食品制售"]},
                },
            }),
            &["shop_name", "business_address", "food_categories"],
        ),
    )?;
    let themes = vec![
        Theme {
            code: ItemCode::parse(crate::sample::BARBER_THEME)?,
            name: "开理发店".into(),
            items: vec![barber.code.clone(), hygiene.code.clone()],
            shared_materials: vec![ID_COPY.into(), crate::sample::LEASE.into()],
            time_limit_working_days: 10,
        },
        Theme {
            code: ItemCode::parse("HB-JX-ZT02")?,
            name: "开便利店".into(),
            items: vec![store.code.clone(), food.code.clone()],
            shared_materials: vec![ID_COPY.into(), crate::sample::LEASE.into()],
            time_limit_working_days: 10,
        },
    ];
    // (1.1) The barber's licence is promised in 1 working day (承诺时限) of the 3 the
    // law allows.
    // (1.1) The lease may follow within days (容缺受理) or be replaced by the applicant's
    // signed commitment (告知承诺制); the identity card may not.
    let barber = CatalogueItem {
        committed_working_days: Some(1),
        deferrable_materials: vec![crate::sample::LEASE.into()],
        commitment_materials: vec![crate::sample::LEASE.into()],
        ..barber
    };
    // (1.1) A poor grade of a card replacement is rectified within 5 working days.
    let social_card = CatalogueItem {
        rectification_working_days: Some(5),
        ..social_card
    };
    let circle: Vec<&str> = MEMBERS[..9].iter().map(|(_, _, r)| *r).collect();
    Ok(vec![
        Agreement {
            id: AgreementId::parse("wuhan-circle.cross-city")?,
            name: "武汉城市圈“1+8”跨市通办".into(),
            kind: AgreementKind::CrossCity,
            parties: Parties {
                regions: regions(&circle)?,
                members: Vec::new(),
            },
            valid_from: ts("2025-01-01T00:00:00+08:00")?,
            valid_until: ts("2030-12-31T23:59:59+08:00")?,
            items: vec![medical, nurse],
            themes: Vec::new(),
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
            items: vec![transport, joint_medical],
            themes: Vec::new(),
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
            items: vec![barber, social_card, hygiene, store, food],
            themes,
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

/// The unsigned sample registry with the given version, operator keys (by index) and
/// threshold. Every member has its sample key, valid 2025–2030.
pub fn registry_document(
    version: u64,
    operator_keys: &[u8],
    threshold: u32,
) -> Result<RegistryDocument, Error> {
    let mut members = Vec::new();
    for (node, name, region) in MEMBERS {
        let pair = key(node)?;
        members.push(Member {
            node: NodeId::parse(*node)?,
            name: (*name).into(),
            region: RegionCode::parse(*region)?,
            role: Role::Both,
            endpoint: format!("https://{node}.nodes.tongban.example/tongban/v1"),
            protocols: protocols_of(node),
            keys: vec![MemberKey {
                key_id: pair.key_id().clone(),
                algorithm: pair.algorithm().as_str().into(),
                public_key: crate::crypto::base64url(pair.public_key().as_bytes()),
                valid_from: ts("2025-01-01T00:00:00+08:00")?,
                valid_until: ts("2030-12-31T23:59:59+08:00")?,
                revoked: None,
            }],
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

fn registry_with(
    endpoints: &std::collections::BTreeMap<String, String>,
    protocols: Option<&[ProtocolVersion]>,
) -> Result<Vec<u8>, Error> {
    let mut document = registry_document(1, &[0, 1, 2], 2)?;
    for member in &mut document.members {
        if let Some(endpoint) = endpoints.get(member.node.as_str()) {
            member.endpoint.clone_from(endpoint);
            if let Some(protocols) = protocols {
                member.protocols = protocols.to_vec();
            }
        }
    }
    signed_registry(&document, &[0, 1])
}

/// The signed bytes of the sample registry, version 1: operator keys 0, 1, 2 with
/// threshold 2, signed by keys 0 and 1.
pub fn registry_bytes() -> Result<Vec<u8>, Error> {
    signed_registry(&registry_document(1, &[0, 1, 2], 2)?, &[0, 1])
}

/// The sample registry ([`registry_bytes`]), trusted as of its issue time.
pub fn registry() -> Result<Registry, Error> {
    Registry::bootstrap(&registry_bytes()?, &ts(REGISTRY_ISSUED)?)
}
