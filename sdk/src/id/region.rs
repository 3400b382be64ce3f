//! GB/T 2260 administrative region codes.

use super::{id_error, string_id};
use crate::error::{IdError, IdRule};

/// A six-digit GB/T 2260 region code, e.g. `420200` (Huangshi) or `360400` (Jiujiang).
///
/// Digits 1–2 name a province-level division, 3–4 a prefecture within it (`00` for the
/// province itself, `90` for county-level cities the province administers directly, such
/// as Xiantao `429004`), 5–6 a county (`00` for the prefecture itself). A code with a
/// `00` prefecture and a non-`00` county is malformed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode(String);

/// The level of administration a [`RegionCode`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionLevel {
    /// A province, autonomous region or municipality (`420000`).
    Province,
    /// A prefecture-level city (`420200`).
    Prefecture,
    /// A county, district or county-level city (`420202`, `429004`).
    County,
}

/// Province-level codes of GB/T 2260 (mainland, Taiwan, Hong Kong, Macao).
const PROVINCES: &[&str] = &[
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

fn validate(value: &str) -> Result<(), IdError> {
    if value.len() != 6 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(id_error(
            IdRule::RegionFormat,
            value,
            "region code must be six digits",
        ));
    }
    if !PROVINCES.contains(&&value[0..2]) {
        return Err(id_error(
            IdRule::RegionStructure,
            value,
            "the first two digits are not a province-level code",
        ));
    }
    if &value[2..4] == "00" && &value[4..6] != "00" {
        return Err(id_error(
            IdRule::RegionStructure,
            value,
            "a county part needs a prefecture part",
        ));
    }
    Ok(())
}

string_id!(
    RegionCode,
    validate,
    "^(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|81|82)((0[1-9]|[1-9][0-9])[0-9]{2}|0000)$",
    "GB/T 2260 six-digit administrative region code"
);

impl RegionCode {
    /// The level this code names.
    pub fn level(&self) -> RegionLevel {
        match (&self.0[2..4], &self.0[4..6]) {
            ("00", _) => RegionLevel::Province,
            (_, "00") => RegionLevel::Prefecture,
            _ => RegionLevel::County,
        }
    }

    /// The province-level code containing this region (`420202` → `420000`).
    pub fn province(&self) -> RegionCode {
        RegionCode(format!("{}0000", &self.0[0..2]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_codes() {
        for code in [
            "420200", "360400", "420100", "429004", "110000", "420202", "810000",
        ] {
            assert!(RegionCode::parse(code).is_ok(), "{code}");
        }
        let xiantao = RegionCode::parse("429004").expect("valid");
        assert_eq!(xiantao.level(), RegionLevel::County);
        assert_eq!(xiantao.province().as_str(), "420000");
        assert_eq!(
            RegionCode::parse("420200").expect("valid").level(),
            RegionLevel::Prefecture
        );
        assert_eq!(
            RegionCode::parse("420000").expect("valid").level(),
            RegionLevel::Province
        );
    }

    #[test]
    fn bad_codes() {
        let code = |v: &str| RegionCode::parse(v).map_err(|e| e.code()).err();
        assert_eq!(code("42020"), Some("id.region_format"));
        assert_eq!(code("42020a"), Some("id.region_format"));
        assert_eq!(code("４２０２００"), Some("id.region_format"));
        assert_eq!(code("990000"), Some("id.region_structure"));
        assert_eq!(code("000000"), Some("id.region_structure"));
        assert_eq!(code("420012"), Some("id.region_structure"));
    }
}
