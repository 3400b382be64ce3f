//! What the fuzz targets share: the fixed `now` of the conformance vectors, the signed
//! sample trust registry (built once with the SDK's own `tongban::sample` helpers), and
//! the check every target makes of a refusal.
#![forbid(unsafe_code)]

use std::sync::OnceLock;
use tongban::registry::Registry;
use tongban::{Error, NodeId, Timestamp, ERROR_CODES};

pub use tongban::sample::{HUANGSHI, JIUJIANG};

/// The time the conformance vectors verify at: a minute after their messages were
/// created (`T1` in `conformance/src/generate/mod.rs`).
pub const NOW: &str = "2026-11-28T10:01:00+08:00";

/// A member of the sample registry that is no party to the Huangshi–Jiujiang agreement.
pub const WUHAN: &str = "wuhan.420100";

/// [`NOW`] as a timestamp.
pub fn now() -> &'static Timestamp {
    static NOW_TS: OnceLock<Timestamp> = OnceLock::new();
    NOW_TS.get_or_init(|| Timestamp::parse(NOW).expect("NOW is a timestamp"))
}

/// The signed sample registry, version 1 (operator keys 0, 1, 2, threshold 2, signed
/// by keys 0 and 1): the bytes of `tongban::sample::registry()` and of the conformance
/// fixture `registry-v1`, its sample endpoints unchanged.
pub fn registry_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        tongban::sample::registry_with_endpoints(&Default::default()).expect("the sample registry")
    })
}

/// The sample registry, bootstrapped at [`NOW`].
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        Registry::bootstrap(registry_bytes(), now()).expect("the sample registry bootstraps")
    })
}

/// A node id that is known to be valid.
pub fn node(name: &str) -> NodeId {
    NodeId::parse(name).expect("a sample node id")
}

/// Every refusal carries a stable code: a dotted `area.name` listed in the SDK's
/// `ERROR_CODES` (PROTOCOL.md §13). Returns the code.
pub fn check_error(error: &Error) -> &'static str {
    check_code(error.code(), error)
}

/// [`check_error`] for an error type of its own (e.g. `JsonError`) with its code.
pub fn check_code(code: &'static str, error: &dyn std::fmt::Display) -> &'static str {
    assert!(
        code.split_once('.')
            .is_some_and(|(area, name)| !area.is_empty() && !name.is_empty()),
        "code {code:?} is not area.name: {error}"
    );
    assert!(
        ERROR_CODES.iter().any(|(listed, _)| *listed == code),
        "code {code:?} is not in ERROR_CODES: {error}"
    );
    code
}
