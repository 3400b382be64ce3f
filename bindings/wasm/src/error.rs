//! Errors as JavaScript `Error` objects that carry the stable code of the Rust error.

use wasm_bindgen::prelude::*;

/// The code of a JavaScript argument of the wrong type or shape. It belongs to the
/// package and never travels on the wire.
pub const ARGUMENT: &str = "wasm.argument";

/// The package's own codes, beside the protocol's: the JavaScript layer (`npm/api.js`)
/// throws all but `wasm.argument` before anything reaches WebAssembly, and the Rust side
/// throws `wasm.argument` for a document of the wrong shape. None travels on the wire.
pub const PACKAGE_CODES: &[(&str, &str)] = &[
    (ARGUMENT, "a JavaScript argument has the wrong type or shape, or is missing"),
    (
        "wasm.number",
        "a number is not a safe integer where an integer is meant, is out of range, or is not finite",
    ),
    (
        "wasm.foreign_object",
        "an object of the package's other module (tongban against tongban/forms) was passed",
    ),
    ("wasm.freed", "an object was used after its free()"),
    (
        "wasm.not_initialized",
        "a function of tongban/manual was called before init() finished, or init() failed",
    ),
];

/// What every exported function returns: a value, or a thrown `TongbanError`.
pub type JsResult<T> = Result<T, JsValue>;

/// A JavaScript `Error` named `TongbanError` with `code` set.
pub fn js_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("TongbanError");
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("code"), &code.into());
    error.into()
}

/// A `wasm.argument` error.
pub fn argument(message: impl std::fmt::Display) -> JsValue {
    js_error(ARGUMENT, &message.to_string())
}

/// Turns an SDK result into a result that throws a `TongbanError` with the same code.
pub trait OrThrow<T> {
    /// The value, or the error as a JavaScript `TongbanError`.
    fn or_throw(self) -> JsResult<T>;
}

impl<T, E: Into<tongban::Error>> OrThrow<T> for Result<T, E> {
    fn or_throw(self) -> JsResult<T> {
        self.map_err(|error| {
            let error: tongban::Error = error.into();
            js_error(error.code(), &error.to_string())
        })
    }
}
