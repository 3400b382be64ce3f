//! A synthetic registry at the alliance's real size, for benchmarks: 295 members, and
//! the sample registry's three agreements grown to 401, 301 and 51 items, each item with
//! its own form schema of the kind real items have (names, identity numbers, enums,
//! patterns, bounds). The sample members and items stay in it, so the sample transfer
//! verifies against it. Deterministic: the same bytes every time.

use super::registry::{registry_document, signed_registry};
use crate::error::Error;
use crate::id::{ItemCode, NodeId, RegionCode};
use crate::registry::{CatalogueItem, Member, MemberKey};
use serde_json::{json, Value};

/// Members of the alliance (25 provinces, 295 cities).
pub const ALLIANCE_MEMBERS: usize = 295;
/// Items of the three agreements, in the sample registry's order.
pub const ALLIANCE_ITEMS: [usize; 3] = [401, 301, 51];

/// Province-level codes the synthetic cities are spread over (25, as in the alliance).
const PROVINCES: [&str; 25] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "50", "51", "52", "53", "61",
];

/// The signed full-scale registry (version 1, signed by sample operator keys 0 and 1),
/// about 1.1 MB of canonical JSON.
pub fn alliance_registry_bytes() -> Result<Vec<u8>, Error> {
    let mut document = registry_document(1, &[0, 1, 2], 2)?;
    let template = document.members[0].clone();
    let taken: Vec<String> = document
        .members
        .iter()
        .map(|m| m.region.as_str().to_owned())
        .collect();
    let mut n = 0;
    while document.members.len() < ALLIANCE_MEMBERS {
        let province = PROVINCES[n % PROVINCES.len()];
        let city = 1 + n / PROVINCES.len();
        n += 1;
        let region = format!("{province}{city:02}00");
        if taken.contains(&region) {
            continue;
        }
        document.members.push(member(&template, &region)?);
    }
    for (agreement, count) in document.agreements.iter_mut().zip(ALLIANCE_ITEMS) {
        let template = agreement.items[0].clone();
        let mut index = 0;
        while agreement.items.len() < count {
            index += 1;
            agreement.items.push(CatalogueItem {
                code: ItemCode::parse(format!("AL-{}-{index:04}", agreement.items.len()))?,
                name: format!("联盟通办事项 {index}"),
                form_schema: form_schema(index),
                ..template.clone()
            });
        }
    }
    signed_registry(&document, &[0, 1])
}

/// A member for `region`, with its own sample key.
fn member(template: &Member, region: &str) -> Result<Member, Error> {
    let node = format!("city{region}.{region}");
    let pair = super::key(&node)?;
    Ok(Member {
        node: NodeId::parse(&node)?,
        name: format!("{region} 政务服务中心"),
        region: RegionCode::parse(region)?,
        endpoint: format!("https://{node}.nodes.tongban.example/tongban/v1"),
        keys: vec![MemberKey {
            key_id: pair.key_id().clone(),
            public_key: crate::crypto::base64url(pair.public_key().as_bytes()),
            ..template.keys[0].clone()
        }],
        ..template.clone()
    })
}

/// The `index`-th synthetic form schema: a dozen fields of the kinds real forms have.
fn form_schema(index: usize) -> serde_json::Map<String, Value> {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "applicant_name": {"title": "申请人姓名", "type": "string", "minLength": 2, "maxLength": 50},
            "citizen_id": {"title": "公民身份号码", "type": "string", "pattern": "^[0-9]{17}[0-9X]$"},
            "phone": {"title": "联系电话", "type": "string", "pattern": "^1[3-9][0-9]{9}$"},
            "region": {"type": "string", "pattern": "^[0-9]{6}$"},
            "address": {"title": "详细地址", "type": "string", "minLength": 5, "maxLength": 200},
            "category": {"enum": [format!("类别{index}-甲"), format!("类别{index}-乙"), format!("类别{index}-丙")]},
            "amount_yuan": {"type": "integer", "minimum": 0, "maximum": 100_000_000 + index},
            "people": {"type": "integer", "minimum": 1, "maximum": 1000},
            "start_date": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
            "reason": {"title": "申请事由", "type": "string", "maxLength": 500},
            "attachments_note": {"type": "string"},
            format!("field_{index}"): {"type": "string", "minLength": 1},
        },
        "required": ["applicant_name", "citizen_id", "category", format!("field_{index}")],
    });
    match schema {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    #[test]
    fn the_alliance_registry_has_the_alliance_size_and_loads() {
        let bytes = alliance_registry_bytes().expect("registry");
        assert!(bytes.len() > 1_000_000, "{} bytes", bytes.len());
        let registry = Registry::load_trusted(&bytes).expect("loads");
        let document = registry.document();
        assert_eq!(document.members.len(), ALLIANCE_MEMBERS);
        let items: Vec<usize> = document.agreements.iter().map(|a| a.items.len()).collect();
        assert_eq!(items, ALLIANCE_ITEMS);
        registry.compile_forms().expect("every schema compiles");
    }
}
