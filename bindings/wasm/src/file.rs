//! File references in the browser (§6, §23): a scan's SHA-256 (and, under an agreement
//! on `sm2-sm3`, its SM3) and size computed piece by piece, so that a portal can hash a 50 MiB file without holding it whole or freezing
//! the page, and a file checked against a reference the same way. The JavaScript layer
//! (`fileReference`, `checkFile` in `npm/api.js`) reads a `Blob` in pieces and feeds them.

use crate::convert::to_js;
use crate::error::{JsResult, OrThrow};
use tongban::file::{check_media_type, FileCheck, FileHasher};
use tongban::{FileRef, Sha256Digest, Sm3Digest};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A file reference as a JSON object.
    #[wasm_bindgen(typescript_type = "FileRef")]
    pub type FileRefObject;
}

/// SHA-256 (and SM3 when asked) and size of a file fed in pieces.
#[wasm_bindgen(js_name = FileHasher)]
pub struct JsFileHasher(FileHasher);

#[wasm_bindgen(js_class = FileHasher)]
impl JsFileHasher {
    /// A hasher that has seen no bytes; with `sm3`, its reference also carries the
    /// file's SM3 (1.1, an agreement on `sm2-sm3`).
    #[wasm_bindgen(constructor)]
    pub fn new(sm3: bool) -> JsFileHasher {
        JsFileHasher(if sm3 {
            FileHasher::with_sm3()
        } else {
            FileHasher::new()
        })
    }

    /// Feeds the next piece of the file.
    pub fn update(&mut self, piece: &[u8]) {
        self.0.update(piece);
    }

    /// The bytes fed so far.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> f64 {
        self.0.size() as f64
    }

    /// The reference to the file fed so far, with `name` and `media_type`.
    pub fn reference(&self, name: &str, media_type: &str) -> JsResult<FileRefObject> {
        let reference = self.0.clone().into_reference(name, media_type);
        Ok(to_js(&reference)?.unchecked_into())
    }
}

/// A file checked against its reference while its pieces are fed: too many bytes throw
/// at once (`file.size_mismatch`), and `finish` checks size and digest.
#[wasm_bindgen(js_name = FileCheck)]
pub struct JsFileCheck(FileCheck);

#[wasm_bindgen(js_class = FileCheck)]
impl JsFileCheck {
    /// A check of the file of a reference with digest `sha256` (and `sm3`, when the
    /// reference gives one), `size` bytes and media type `media_type`; with `served_as` (the type it was served or chosen as), that
    /// is checked first (`file.media_type_mismatch`). The JavaScript layer takes the
    /// reference apart (no JSON crosses here, which keeps the module small).
    #[wasm_bindgen(constructor)]
    pub fn new(
        sha256: &str,
        sm3: Option<String>,
        size: f64,
        media_type: String,
        served_as: Option<String>,
    ) -> JsResult<JsFileCheck> {
        if !((0.0..=9_007_199_254_740_991.0).contains(&size) && size.fract() == 0.0) {
            return Err(crate::error::js_error(
                "message.invalid",
                "a file reference's size is an integer from 0 to 2^53 − 1",
            ));
        }
        let reference = FileRef {
            name: String::new(),
            sha256: Sha256Digest::parse(sha256).or_throw()?,
            sm3: sm3
                .as_deref()
                .map(Sm3Digest::parse)
                .transpose()
                .or_throw()?,
            media_type,
            size: size as u64,
            sealed: None,
        };
        if let Some(served_as) = served_as {
            check_media_type(&reference, &served_as).or_throw()?;
        }
        Ok(JsFileCheck(FileCheck::new(&reference)))
    }

    /// Feeds the next piece; throws `file.size_mismatch` once the file is longer than
    /// the reference says.
    pub fn update(&mut self, piece: &[u8]) -> JsResult<()> {
        self.0.update(piece).or_throw()
    }

    /// The bytes fed so far.
    #[wasm_bindgen(getter)]
    pub fn received(&self) -> f64 {
        self.0.received() as f64
    }

    /// Checks the size and the digest of the whole file (`file.size_mismatch`,
    /// `file.digest_mismatch`).
    pub fn finish(&self) -> JsResult<()> {
        self.0.clone().finish().or_throw()
    }
}
