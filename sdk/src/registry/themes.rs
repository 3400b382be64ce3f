//! (1.1) The themes of an agreement's catalogue (一事联办, §15): the rules a registry's
//! themes follow, checked when it loads.

use super::{invalid, Agreement, MAX_TIME_LIMIT_WORKING_DAYS};
use crate::error::Error;
use std::collections::BTreeSet;

/// Checks the themes of `agreement`, the `a`-th of the registry: codes listed once; at
/// least two items, each of the catalogue and listed once; each shared material
/// required by at least two of the theme's items; an overall limit of at most 1,000
/// working days. A violation is `registry.invalid` at its path.
pub(super) fn check_themes(agreement: &Agreement, a: usize) -> Result<(), Error> {
    let mut codes = BTreeSet::new();
    for (t, theme) in agreement.themes.iter().enumerate() {
        let at = |field: &str| format!("/agreements/{a}/themes/{t}/{field}");
        if !codes.insert(&theme.code) {
            return Err(invalid(
                at("code"),
                format!("{} is listed twice", theme.code),
            ));
        }
        if theme.items.len() < 2 {
            return Err(invalid(at("items"), "a theme has at least two items"));
        }
        let mut items = Vec::new();
        for (i, code) in theme.items.iter().enumerate() {
            let Some(item) = agreement.items.iter().find(|item| &item.code == code) else {
                return Err(invalid(
                    at(&format!("items/{i}")),
                    format!("{code} is not an item of the agreement's catalogue"),
                ));
            };
            if theme.items[..i].contains(code) {
                return Err(invalid(
                    at(&format!("items/{i}")),
                    format!("{code} is listed twice"),
                ));
            }
            items.push(item);
        }
        for (m, material) in theme.shared_materials.iter().enumerate() {
            let requiring = items
                .iter()
                .filter(|item| item.required_materials.contains(material))
                .count();
            if requiring < 2 || theme.shared_materials[..m].contains(material) {
                return Err(invalid(
                    at(&format!("shared_materials/{m}")),
                    "listed once, and required by at least two of the theme's items",
                ));
            }
        }
        if theme.time_limit_working_days > MAX_TIME_LIMIT_WORKING_DAYS {
            return Err(invalid(
                at("time_limit_working_days"),
                format!("must be at most {MAX_TIME_LIMIT_WORKING_DAYS}"),
            ));
        }
    }
    Ok(())
}
