//! # tongban-conformance — vectors and a runner any implementation can face
//!
//! Language-neutral vectors (`conformance/vectors/`, format in its README) say, for each
//! operation of the protocol and its inputs, the outcome every conforming implementation
//! must produce: the canonical bytes, the verified summary, or the refusal code. The
//! runner executes them against the Rust SDK in-process ([`run::Sdk`]) or against any
//! program that speaks the adapter protocol on its standard input and output
//! ([`run::Adapter`]), and reports a summary table, JSON, JUnit XML and HTML.
//!
//! ```
//! use tongban_conformance::{run, vector};
//!
//! let dir = vector::vectors_dir();
//! let vectors = vector::load(&dir)?;
//! let mut sdk = run::Sdk;
//! let first = run::run_one(&mut sdk, &vectors[0], &dir);
//! assert_eq!(first.verdict, run::Verdict::Passed);
//! # Ok::<(), String>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "endpoint")]
pub mod endpoint;
pub mod generate;
pub mod report;
pub mod run;
pub mod sdk;
pub mod vector;

use std::path::Path;

/// Writes the generated vectors and fixtures under `dir` (`<category>/<name>.json`,
/// `fixtures/<name>.json`), replacing what was there.
pub fn write_vectors(dir: &Path) -> Result<usize, String> {
    let generated = generate::generate();
    // Only the folders the generator writes are replaced; nothing else in `dir` is touched.
    let mut folders: std::collections::BTreeSet<&str> =
        generated.vectors.iter().map(|v| v.category()).collect();
    folders.insert("fixtures");
    for folder in folders {
        let path = dir.join(folder);
        if path.is_dir() {
            std::fs::remove_dir_all(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    for (name, text) in &generated.fixtures {
        let path = dir.join("fixtures").join(format!("{name}.json"));
        write(&path, text)?;
    }
    for vector in &generated.vectors {
        let path = dir.join(format!("{}.json", vector.id));
        let text = serde_json::to_string_pretty(vector).map_err(|e| e.to_string())? + "\n";
        write(&path, &text)?;
    }
    Ok(generated.vectors.len())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
