//! The system's random source, for key generation and message ids.

/// Fills `buf` from the system's random source.
///
/// # Panics
/// If the system has no random source at all (as key generation in every Ed25519
/// library does); on `wasm32-unknown-unknown` the source is the Web Crypto API.
pub(crate) fn fill_random(buf: &mut [u8]) {
    if let Err(e) = getrandom::getrandom(buf) {
        panic!("no system random source: {e}");
    }
}
