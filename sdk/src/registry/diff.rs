//! What changes between two registries, for an operator rolling out an update.

use super::Registry;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The entries added, removed and changed from one registry to the next. Entries are
/// named `protocol`, `operator`, `operator key K`, `member N`, `member key K` (with its
/// owner), (1.1) `member TLS key P` (a pin, with its owner), `agreement A`, `item A/C`,
/// (1.1) `theme A/C` and `calendar Y`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RegistryDiff {
    /// Versions from and to.
    pub versions: (u64, u64),
    /// Entries only in the newer registry.
    pub added: Vec<String>,
    /// Entries only in the older registry.
    pub removed: Vec<String>,
    /// Entries in both whose content differs.
    pub changed: Vec<String>,
}

impl RegistryDiff {
    /// Whether nothing but the version and dates changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Every named entry of a registry, with its content.
fn entries(registry: &Registry) -> BTreeMap<String, Value> {
    let doc = registry.document();
    let mut out = BTreeMap::new();
    out.insert("protocol".to_string(), json(&doc.protocol));
    out.insert(
        "operator".to_string(),
        serde_json::json!({"name": doc.operator.name, "threshold": doc.operator.threshold}),
    );
    for key in &doc.operator.keys {
        out.insert(format!("operator key {}", key.key_id), json(key));
    }
    for member in &doc.members {
        let mut summary = member.clone();
        for key in &member.keys {
            let mut entry = json(key);
            if let Value::Object(fields) = &mut entry {
                fields.insert("owner".into(), json(&member.node));
            }
            out.insert(format!("member key {}", key.key_id), entry);
        }
        for pin in member.tls_keys.iter().flatten() {
            out.insert(
                format!("member TLS key {pin}"),
                serde_json::json!({"owner": member.node}),
            );
        }
        summary.keys.clear();
        summary.tls_keys = None;
        out.insert(format!("member {}", member.node), json(&summary));
    }
    for agreement in &doc.agreements {
        let mut summary = agreement.clone();
        for item in &agreement.items {
            out.insert(format!("item {}/{}", agreement.id, item.code), json(item));
        }
        for theme in &agreement.themes {
            out.insert(
                format!("theme {}/{}", agreement.id, theme.code),
                json(theme),
            );
        }
        summary.items.clear();
        summary.themes.clear();
        out.insert(format!("agreement {}", agreement.id), json(&summary));
    }
    for (year, days) in &doc.calendar.years {
        out.insert(format!("calendar {year}"), json(days));
    }
    out
}

fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// The difference from `old` to `new`.
pub fn diff(old: &Registry, new: &Registry) -> RegistryDiff {
    let (before, after) = (entries(old), entries(new));
    let mut result = RegistryDiff {
        versions: (old.version(), new.version()),
        ..RegistryDiff::default()
    };
    for (name, value) in &after {
        match before.get(name) {
            None => result.added.push(name.clone()),
            Some(previous) if previous != value => result.changed.push(name.clone()),
            Some(_) => {}
        }
    }
    result.removed = before
        .keys()
        .filter(|name| !after.contains_key(*name))
        .cloned()
        .collect();
    result
}
