//! The sample catalogues of the three agreements: real service items of the 跨市通办,
//! 跨省通办 and 跨江通办 lists, each with its competent department, handling modes,
//! statutory time limit, required materials and form schema, and (1.1) the themes of
//! 一事联办 from the source article. Items are appended, never reordered: conformance
//! vectors edit the first item of an agreement by its position.

use crate::error::Error;
use crate::id::ItemCode;
use crate::message::HandlingMode::{self, *};
use crate::registry::{CatalogueItem, Theme};
use serde_json::{json, Value};

/// The copy of the applicant's identity card that shop registrations require.
const ID_COPY: &str = "身份证复印件";
/// The identity card copy of a company's legal representative.
const REPRESENTATIVE_ID_COPY: &str = "法定代表人身份证复印件";
/// The proof that a company may use its registered address.
const PREMISES_PROOF: &str = "住所使用证明";

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

/// A form whose every property is required.
fn form_of_all(properties: Value) -> serde_json::Map<String, Value> {
    let names: Vec<String> = properties
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let required: Vec<&str> = names.iter().map(String::as_str).collect();
    form(properties, &required)
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

fn region() -> Value {
    json!({"type": "string", "pattern": "^[0-9]{6}$"})
}

fn person() -> Value {
    json!({"type": "string", "minLength": 2, "maxLength": 50})
}

fn text(min: u32) -> Value {
    json!({"type": "string", "minLength": min})
}

fn day() -> Value {
    json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})
}

fn medical_insurance_transfer(code: &str) -> Result<CatalogueItem, Error> {
    item(
        code,
        "基本医疗保险关系转移接续",
        "医疗保障局",
        &[FullyOnline, ReceivedHereHandledThere],
        15,
        &["身份证", "参保凭证"],
        form(
            json!({
                "insured_name": person(),
                "from_region": region(),
                "to_region": region(),
                "insurance_type": {"enum": ["职工基本医疗保险", "城乡居民基本医疗保险"]},
            }),
            &["insured_name", "from_region", "to_region", "insurance_type"],
        ),
    )
}

fn medical_registration(code: &str, name: &str) -> Result<CatalogueItem, Error> {
    item(
        code,
        name,
        "医疗保障局",
        &[FullyOnline, ReceivedHereHandledThere],
        1,
        &["身份证"],
        form_of_all(json!({
            "insured_name": person(),
            "insured_region": region(),
            "destination_region": region(),
            "reason": {"enum": ["异地长期居住", "常驻异地工作", "异地转诊就医", "临时外出就医"]},
        })),
    )
}

fn pension_transfer(code: &str) -> Result<CatalogueItem, Error> {
    item(
        code,
        "企业职工基本养老保险关系转移接续",
        "人力资源和社会保障局",
        &[FullyOnline, ReceivedHereHandledThere],
        15,
        &["身份证", "参保缴费凭证"],
        form_of_all(json!({
            "insured_name": person(),
            "from_region": region(),
            "to_region": region(),
        })),
    )
}

fn unemployment_benefit(code: &str) -> Result<CatalogueItem, Error> {
    item(
        code,
        "失业保险金申领",
        "人力资源和社会保障局",
        &[FullyOnline, ReceivedHereHandledThere],
        10,
        &["身份证", "解除或终止劳动合同证明"],
        form_of_all(json!({
            "applicant_name": person(),
            "last_employer": text(2),
            "contract_ended_on": day(),
        })),
    )
}

fn housing_fund_transfer(code: &str) -> Result<CatalogueItem, Error> {
    item(
        code,
        "住房公积金异地转移接续",
        "住房公积金管理中心",
        &[FullyOnline, ReceivedHereHandledThere],
        5,
        &["身份证"],
        form_of_all(json!({
            "depositor_name": person(),
            "from_centre": text(4),
            "account_no": {"type": "string", "pattern": "^[0-9]{8,20}$"},
        })),
    )
}

fn driving_licence_renewal(code: &str) -> Result<CatalogueItem, Error> {
    item(
        code,
        "机动车驾驶证期满换证",
        "公安局交通管理部门",
        &[ReceivedHereHandledThere],
        1,
        &["身份证", "机动车驾驶证", "身体条件证明"],
        form_of_all(json!({
            "holder_name": person(),
            "licence_no": {"type": "string", "minLength": 12, "maxLength": 18},
            "vehicle_class": {"enum": ["A1", "A2", "A3", "B1", "B2", "C1", "C2", "C3", "D", "E", "F"]},
        })),
    )
}

fn household_move(code: &str, name: &str) -> Result<CatalogueItem, Error> {
    item(
        code,
        name,
        "公安局",
        &[ReceivedHereHandledThere],
        20,
        &["身份证", "居民户口簿", "合法稳定住所证明"],
        form_of_all(json!({
            "mover_name": person(),
            "from_region": region(),
            "to_region": region(),
            "reason": {"enum": ["投靠亲属", "购房落户", "就业落户", "人才引进"]},
        })),
    )
}

/// A 个体工商户 registration: the shop's name, address and business scope.
fn shop_registration(code: &str, name: &str, materials: &[&str]) -> Result<CatalogueItem, Error> {
    item(
        code,
        name,
        "市场监督管理局",
        &[ReceivedHereHandledThere, FullyOnline],
        3,
        materials,
        form_of_all(json!({
            "shop_name": {"type": "string", "minLength": 2, "maxLength": 60},
            "business_address": text(5),
            "business_scope": text(2),
        })),
    )
}

/// The items of the Wuhan "1+8" city circle (跨市通办).
pub(super) fn circle() -> Result<Vec<CatalogueItem>, Error> {
    let nurse = item(
        "WH-0002",
        "护士执业注册",
        "卫生健康委员会",
        &[ReceivedHereHandledThere],
        20,
        &["身份证", "护士执业资格考试成绩合格证明", "健康体检证明"],
        form(
            json!({
                "applicant_name": person(),
                "qualification_certificate_no": {"type": "string", "minLength": 6},
                "employer": {"type": "string", "minLength": 2},
            }),
            &["applicant_name", "qualification_certificate_no", "employer"],
        ),
    )?;
    let physician = item(
        "WH-0011",
        "医师执业注册",
        "卫生健康委员会",
        &[ReceivedHereHandledThere],
        20,
        &["身份证", "医师资格证书", "健康体检证明", "聘用证明"],
        form_of_all(json!({
            "physician_name": person(),
            "qualification_certificate_no": text(6),
            "practice_category": {"enum": ["临床", "中医", "口腔", "公共卫生"]},
            "employer": text(2),
        })),
    )?;
    let disability = item(
        "WH-0012",
        "残疾人证迁移",
        "残疾人联合会",
        &[ReceivedHereHandledThere],
        10,
        &["身份证", "残疾人证"],
        form_of_all(json!({
            "holder_name": person(),
            "certificate_no": {"type": "string", "pattern": "^[0-9]{17}[0-9X][1-7][1-4]$"},
            "to_region": region(),
        })),
    )?;
    let identity_card = item(
        "WH-0009",
        "居民身份证换领",
        "公安局",
        &[ReceivedHereHandledThere],
        30,
        &["原居民身份证", "数码照片回执"],
        form_of_all(json!({
            "holder_name": person(),
            "reason": {"enum": ["有效期满", "证件损坏", "登记项目变更"]},
        })),
    )?;
    let social_card = item(
        "WH-0013",
        "社会保障卡申领",
        "人力资源和社会保障局",
        &[FullyOnline, ReceivedHereHandledThere],
        20,
        &["身份证", "数码照片回执"],
        form_of_all(json!({"holder_name": person(), "collect_at": text(4)})),
    )?;
    Ok(vec![
        medical_insurance_transfer("WH-0001")?,
        nurse,
        medical_registration("WH-0003", "异地就医登记备案")?,
        pension_transfer("WH-0004")?,
        unemployment_benefit("WH-0005")?,
        housing_fund_transfer("WH-0006")?,
        driving_licence_renewal("WH-0007")?,
        household_move("WH-0008", "户口迁移（准予迁入）")?,
        identity_card,
        shop_registration("WH-0010", "个体工商户设立登记", &[ID_COPY, "经营场所证明"])?,
        physician,
        disability,
        social_card,
    ])
}

/// The items of the 云上办 alliance (跨省通办).
pub(super) fn cross_province() -> Result<Vec<CatalogueItem>, Error> {
    let transport = item(
        "YSB-0101",
        "道路运输从业人员从业资格证换证",
        "交通运输局",
        &[FullyOnline, ReceivedHereHandledThere],
        5,
        &["身份证", "原从业资格证"],
        form(
            json!({
                "holder_name": person(),
                "certificate_no": {"type": "string", "minLength": 6},
                "category": {"enum": ["道路旅客运输驾驶员", "道路货物运输驾驶员", "危险货物运输驾驶员"]},
            }),
            &["holder_name", "certificate_no", "category"],
        ),
    )?;
    let employment = item(
        "YSB-0110",
        "就业创业证申领",
        "人力资源和社会保障局",
        &[FullyOnline, ReceivedHereHandledThere],
        5,
        &["身份证"],
        form_of_all(json!({
            "holder_name": person(),
            "employment_status": {"enum": ["就业", "失业", "创业"]},
        })),
    )?;
    let graduate_file = item(
        "YSB-0111",
        "高校毕业生档案转递",
        "人力资源和社会保障局",
        &[FullyOnline, ReceivedHereHandledThere],
        5,
        &["身份证", "毕业证书"],
        form_of_all(json!({
            "graduate_name": person(),
            "university": text(4),
            "graduated_in": {"type": "integer", "minimum": 1977, "maximum": 2100},
            "to_region": region(),
        })),
    )?;
    let birth_certificate = item(
        "YSB-0112",
        "出生医学证明补发",
        "卫生健康委员会",
        &[ReceivedHereHandledThere],
        20,
        &["监护人身份证", "出生医学证明存根证明"],
        form_of_all(json!({
            "child_name": person(),
            "born_on": day(),
            "birth_region": region(),
        })),
    )?;
    Ok(vec![
        transport,
        medical_insurance_transfer("YSB-0102")?,
        medical_registration("YSB-0103", "跨省异地就医直接结算备案")?,
        pension_transfer("YSB-0104")?,
        driving_licence_renewal("YSB-0105")?,
        household_move("YSB-0106", "户口迁移（跨省迁入）")?,
        housing_fund_transfer("YSB-0107")?,
        unemployment_benefit("YSB-0108")?,
        shop_registration("YSB-0109", "个体工商户设立登记", &[ID_COPY, "经营场所证明"])?,
        employment,
        graduate_file,
        birth_certificate,
    ])
}

/// A theme of the cross-river agreement whose shared materials are the ones named.
fn theme(
    code: &str,
    name: &str,
    items: &[&CatalogueItem],
    shared: &[&str],
) -> Result<Theme, Error> {
    Ok(Theme {
        code: ItemCode::parse(code)?,
        name: name.into(),
        items: items.iter().map(|item| item.code.clone()).collect(),
        shared_materials: shared.iter().map(|m| m.to_string()).collect(),
        time_limit_working_days: 10,
    })
}

/// The items and themes of the Huangshi – Jiujiang agreement (跨江通办).
pub(super) fn cross_river() -> Result<(Vec<CatalogueItem>, Vec<Theme>), Error> {
    let lease = crate::sample::LEASE;
    let shop = json!({"type": "string", "minLength": 2, "maxLength": 60});
    let address = text(5);
    let barber = item(
        "HB-JX-0042",
        "个体工商户设立登记（理发店）",
        "市场监督管理局",
        &[ReceivedHereHandledThere, FullyOnline],
        3,
        &[ID_COPY, lease],
        form(
            json!({
                "shop_name": shop,
                "business_address": address,
                "business_scope": text(2),
                "registered_capital_yuan": {"type": "integer", "minimum": 0},
                "employees": {"type": "integer", "minimum": 0, "maximum": 1000},
            }),
            &["shop_name", "business_address", "business_scope"],
        ),
    )?;
    // (1.1) The barber's licence is promised in 1 working day (承诺时限) of the 3 the
    // law allows. The lease may follow within days (容缺受理) or be replaced by the
    // applicant's signed commitment (告知承诺制); the identity card may not.
    let barber = CatalogueItem {
        committed_working_days: Some(1),
        deferrable_materials: vec![lease.into()],
        commitment_materials: vec![lease.into()],
        ..barber
    };
    let social_card = item(
        "HB-JX-0007",
        "社会保障卡补换领",
        "人力资源和社会保障局",
        &[FullyOnline, ReceivedHereHandledThere, JointHandling],
        5,
        &["身份证"],
        form(
            json!({"holder_name": person(), "reason": {"enum": ["遗失", "损坏", "信息变更"]}}),
            &["holder_name", "reason"],
        ),
    )?;
    // (1.1) A poor grade of a card replacement is rectified within 5 working days.
    let social_card = CatalogueItem {
        rectification_working_days: Some(5),
        ..social_card
    };
    let hygiene = item(
        "HB-JX-0043",
        "公共场所卫生许可（美容美发场所）",
        "卫生健康委员会",
        &[ReceivedHereHandledThere, FullyOnline],
        20,
        &[ID_COPY, lease, "卫生管理制度"],
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
    let store = shop_registration(
        "HB-JX-0044",
        "个体工商户设立登记（便利店）",
        &[ID_COPY, lease],
    )?;
    let food = item(
        "HB-JX-0045",
        "食品经营许可",
        "市场监督管理局",
        &[ReceivedHereHandledThere, FullyOnline],
        10,
        &[ID_COPY, lease, "食品安全管理制度", "经营设施设备布局图"],
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
    let car_care = shop_registration(
        "HB-JX-0046",
        "个体工商户设立登记（汽车美容店）",
        &[ID_COPY, lease],
    )?;
    let drainage = item(
        "HB-JX-0047",
        "城镇污水排入排水管网许可",
        "城市管理局",
        &[ReceivedHereHandledThere, FullyOnline],
        15,
        &[
            ID_COPY,
            lease,
            "排水户内部排水管网平面图",
            "污水预处理设施说明",
        ],
        form_of_all(json!({
            "shop_name": shop,
            "business_address": address,
            "daily_discharge_m3": {"type": "integer", "minimum": 0, "maximum": 10000},
        })),
    )?;
    let company = item(
        "HB-JX-0048",
        "企业设立登记",
        "市场监督管理局",
        &[ReceivedHereHandledThere, FullyOnline],
        3,
        &[REPRESENTATIVE_ID_COPY, "公司章程", PREMISES_PROOF],
        form_of_all(json!({
            "company_name": text(4),
            "registered_address": address,
            "registered_capital_yuan": {"type": "integer", "minimum": 1},
            "legal_representative": person(),
        })),
    )?;
    let seals = item(
        "HB-JX-0049",
        "公章刻制备案",
        "公安局",
        &[ReceivedHereHandledThere, FullyOnline],
        1,
        &[REPRESENTATIVE_ID_COPY],
        form_of_all(json!({
            "company_name": text(4),
            "seals": {
                "type": "array",
                "minItems": 1,
                "items": {"enum": ["公章", "财务专用章", "发票专用章", "合同专用章", "法定代表人名章"]},
            },
        })),
    )?;
    let tax = item(
        "HB-JX-0050",
        "新办纳税人涉税事项",
        "税务局",
        &[ReceivedHereHandledThere, FullyOnline],
        1,
        &[REPRESENTATIVE_ID_COPY, PREMISES_PROOF],
        form_of_all(json!({
            "company_name": text(4),
            "taxpayer_type": {"enum": ["小规模纳税人", "一般纳税人"]},
            "invoices_needed": {"type": "boolean"},
        })),
    )?;
    let social_insurance = item(
        "HB-JX-0051",
        "单位社会保险登记",
        "人力资源和社会保障局",
        &[ReceivedHereHandledThere, FullyOnline],
        5,
        &[REPRESENTATIVE_ID_COPY],
        form_of_all(json!({
            "company_name": text(4),
            "employees": {"type": "integer", "minimum": 0, "maximum": 100000},
        })),
    )?;
    let housing_fund = item(
        "HB-JX-0052",
        "住房公积金单位缴存登记",
        "住房公积金管理中心",
        &[ReceivedHereHandledThere, FullyOnline],
        5,
        &[REPRESENTATIVE_ID_COPY],
        form_of_all(json!({
            "company_name": text(4),
            "contribution_rate_percent": {"type": "integer", "minimum": 5, "maximum": 12},
        })),
    )?;
    let shared = [ID_COPY, lease];
    let company_shared = [REPRESENTATIVE_ID_COPY, PREMISES_PROOF];
    let company_items = [&company, &seals, &tax, &social_insurance, &housing_fund];
    let themes = vec![
        theme(
            crate::sample::BARBER_THEME,
            "开理发店",
            &[&barber, &hygiene],
            &shared,
        )?,
        theme("HB-JX-ZT02", "开便利店", &[&store, &food], &shared)?,
        theme(
            "HB-JX-ZT03",
            "开汽车美容店",
            &[&car_care, &drainage],
            &shared,
        )?,
        theme("HB-JX-ZT04", "企业开办", &company_items, &company_shared)?,
    ];
    let items = vec![
        barber,
        social_card,
        hygiene,
        store,
        food,
        car_care,
        drainage,
        company,
        seals,
        tax,
        social_insurance,
        housing_fund,
    ];
    Ok((items, themes))
}
