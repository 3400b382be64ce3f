//! `registry`: any bytes as a first registry (`Registry::bootstrap`) and, separately, as
//! an update of the sample registry (`Registry::update`), both at the vectors' `now`.
//!
//! Properties:
//! - nothing panics, and every refusal has a stable code listed in `ERROR_CODES`;
//! - an accepted registry's typed document serializes back to JSON. When that JSON is
//!   what the operator signed (the input without `signatures` equals it: no unknown
//!   members, no `null`s or defaults the typed model drops or adds), its canonical bytes
//!   bootstrap again to the same version and document, and to the same digest when the
//!   signatures are equal too. Otherwise the signatures no longer cover it, and the only
//!   acceptable refusal is `registry.threshold`;
//! - an accepted update has a greater version than the sample registry and bootstraps
//!   on its own to the same version and digest (an update needs its own threshold too).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use tongban::registry::{Registry, REGISTRY_LIMITS};
use tongban_fuzz::{check_error, now, registry};

fn without_signatures(document: &Value) -> Value {
    let mut document = document.clone();
    if let Value::Object(members) = &mut document {
        members.remove("signatures");
    }
    document
}

fn reserializes(data: &[u8], accepted: &Registry) {
    let raw = tongban::json::parse_with_limits(data, REGISTRY_LIMITS)
        .unwrap_or_else(|e| panic!("an accepted registry does not parse: {e}"));
    let typed = serde_json::to_value(accepted.document())
        .unwrap_or_else(|e| panic!("an accepted registry does not serialize: {e}"));
    let again = Registry::bootstrap(&tongban::canonical::to_canonical_bytes(&typed), now());
    if without_signatures(&raw) != without_signatures(&typed) {
        if let Err(e) = again {
            assert_eq!(
                e.code(),
                "registry.threshold",
                "re-serialized registry: {e}"
            );
        }
        return;
    }
    let again = again.unwrap_or_else(|e| panic!("the re-serialized registry is refused: {e}"));
    assert_eq!(again.version(), accepted.version());
    assert_eq!(again.document(), accepted.document());
    if raw == typed {
        assert_eq!(again.digest(), accepted.digest());
    }
}

fuzz_target!(|data: &[u8]| {
    match Registry::bootstrap(data, now()) {
        Ok(accepted) => reserializes(data, &accepted),
        Err(e) => {
            check_error(&e);
        }
    }
    match registry().update(data, now()) {
        Ok(next) => {
            assert!(next.version() > registry().version());
            let alone = Registry::bootstrap(data, now())
                .unwrap_or_else(|e| panic!("an accepted update does not bootstrap: {e}"));
            assert_eq!(alone.version(), next.version());
            assert_eq!(alone.digest(), next.digest());
        }
        Err(e) => {
            check_error(&e);
        }
    }
});
