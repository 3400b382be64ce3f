#![forbid(unsafe_code)]
#![deny(missing_docs)]
//! # tongban-wasm — the tongban protocol for browsers and Node.js
//!
//! A thin layer over the `tongban` crate, built with wasm-bindgen into the npm package
//! `tongban` (see `npm/README.md`). Every function does exactly what the Rust SDK does,
//! with camelCase names; every error is a JavaScript `Error` named `TongbanError` whose
//! `code` is the stable code of the Rust error (§13 of the specification), plus the
//! package's own codes ([`error::PACKAGE_CODES`]).
//!
//! The package's public API is the JavaScript layer in `npm/api.js` over this one: it
//! checks every argument before it reaches WebAssembly, gives errors the exported
//! `TongbanError` class, and declares the types (`npm/index.d.ts`).
//!
//! JavaScript objects cross the boundary as JSON and go through the SDK's strict
//! parser, so a portal cannot build what a receiver would refuse to parse.

pub mod case;
pub mod convert;
pub mod error;
pub mod file;
pub mod keys;
pub mod message;
pub mod registry;
pub mod text;
pub mod verify;
