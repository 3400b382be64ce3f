//! Writes the seed corpora of the fuzz targets from the conformance vectors.
//!
//! `cargo run --release --example seed [VECTORS_DIR [CORPUS_DIR]]` (defaults:
//! `../conformance/vectors` and `corpus`, next to this crate) reads every vector file
//! under VECTORS_DIR, at any depth (so new folders such as `hostile/` are picked up),
//! resolves `fixture:NAME` strings and the byte forms `{"text"}`, `{"base64"}` and
//! `{"fill"}` (see `conformance/vectors/README.md`), and writes:
//!
//! - `parse_verify/`, `schema_differential/`: every message (`input.messages[*]`);
//! - `registry/`: every registry text (`input.registry`, `input.trusted`, and the
//!   fixtures named `registry-*`);
//! - `canonicalize/`: all of the above, every `canonicalize` input, key sets and the
//!   other fixtures: every JSON input;
//! - `schema_differential/` also gets one seed per SDK sample message: a zero byte and
//!   the sample's index (the target's input format, see its documentation).
//!
//! Each file is named by the SHA-256 of its contents, and a seed whose contents are in
//! the folder already (under any name) is not written again, so reruns add nothing.
//! Inputs over 128 KiB (the size-limit vectors) are skipped: they would only slow the
//! fuzzer down.
#![forbid(unsafe_code)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use tongban::digest::Sha256Digest;

const MAX_SEED_BYTES: usize = 128 * 1024;
/// The largest `{"fill"}` input read (as the conformance runner's limit).
const MAX_FILL_BYTES: usize = 64 * 1024 * 1024;
/// How many sample messages `schema_differential` chooses from (at least; an index
/// past the end is taken modulo their number).
const SAMPLE_MESSAGES: u8 = 11;

type Corpora = BTreeMap<&'static str, BTreeSet<Vec<u8>>>;

fn fail(message: String) -> ! {
    eprintln!("seed: {message}");
    std::process::exit(1);
}

/// Every `*.json` file under `dir`, at any depth, in a stable order.
fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| fail(format!("{}: {e}", dir.display())));
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "json") {
            out.push(path);
        }
    }
}

/// The SHA-256 of every file in `dir`: libFuzzer names the files it adds (and those
/// `cargo fuzz cmin` keeps) by their SHA-1, so a seed may be there under another name.
fn digests_in(dir: &Path) -> BTreeSet<String> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| fail(format!("{}: {e}", dir.display())));
    entries
        .filter_map(|entry| std::fs::read(entry.ok()?.path()).ok())
        .map(|bytes| Sha256Digest::of(&bytes).as_str().to_string())
        .collect()
}

/// The bytes of `{"text"}`, `{"base64"}` or `{"fill": {"byte", "count"}}`.
fn bytes_of(input: &Value) -> Option<Vec<u8>> {
    if let Some(text) = input.get("text").and_then(Value::as_str) {
        return Some(text.as_bytes().to_vec());
    }
    if let Some(encoded) = input.get("base64").and_then(Value::as_str) {
        return STANDARD.decode(encoded).ok();
    }
    let fill = input.get("fill")?;
    let byte = u8::try_from(fill.get("byte")?.as_u64()?).ok()?;
    let count = usize::try_from(fill.get("count")?.as_u64()?).ok()?;
    (count <= MAX_FILL_BYTES).then(|| vec![byte; count])
}

/// A text input, with `fixture:NAME` replaced by the fixture's text.
fn text_of(value: &Value, fixtures: &BTreeMap<String, String>) -> Option<Vec<u8>> {
    let text = value.as_str()?;
    let text = match text.strip_prefix("fixture:") {
        Some(name) => fixtures
            .get(name)
            .unwrap_or_else(|| fail(format!("unknown fixture {name}"))),
        None => text,
    };
    Some(text.as_bytes().to_vec())
}

fn add(corpora: &mut Corpora, targets: &[&'static str], bytes: Vec<u8>) {
    for target in targets {
        corpora.entry(target).or_default().insert(bytes.clone());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let vectors = args
        .first()
        .map(PathBuf::from)
        .unwrap_or_else(|| here.join("../conformance/vectors"));
    let out = args
        .get(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| here.join("corpus"));

    let mut files = Vec::new();
    json_files(&vectors, &mut files);
    let (fixture_files, vector_files): (Vec<PathBuf>, Vec<PathBuf>) =
        files.into_iter().partition(|p| {
            p.parent()
                .and_then(Path::file_name)
                .is_some_and(|d| d == "fixtures")
        });
    let mut fixtures = BTreeMap::new();
    let mut corpora = Corpora::new();
    for path in &fixture_files {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| fail(format!("{}: {e}", path.display())));
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        let targets: &[&str] = match name.starts_with("registry") {
            true => &["registry", "canonicalize"],
            false => &["canonicalize"],
        };
        add(&mut corpora, targets, text.clone().into_bytes());
        fixtures.insert(name, text);
    }

    for path in &vector_files {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| fail(format!("{}: {e}", path.display())));
        let vector: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| fail(format!("{}: {e}", path.display())));
        let Some(input) = vector.get("input") else {
            continue;
        };
        if let Some(bytes) = bytes_of(input) {
            add(&mut corpora, &["canonicalize"], bytes);
        }
        for message in input
            .get("messages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(bytes) = bytes_of(message) {
                let targets = ["parse_verify", "schema_differential", "canonicalize"];
                add(&mut corpora, &targets, bytes);
            }
        }
        for field in ["registry", "trusted"] {
            if let Some(bytes) = input.get(field).and_then(|v| text_of(v, &fixtures)) {
                add(&mut corpora, &["registry", "canonicalize"], bytes);
            }
        }
        if let Some(bytes) = input.get("keys").and_then(|v| text_of(v, &fixtures)) {
            add(&mut corpora, &["canonicalize"], bytes);
        }
    }
    for index in 0..SAMPLE_MESSAGES {
        add(&mut corpora, &["schema_differential"], vec![0, index]);
    }

    println!(
        "seed: {} vectors and {} fixtures under {}",
        vector_files.len(),
        fixture_files.len(),
        vectors.display()
    );
    for (target, seeds) in &corpora {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| fail(format!("{}: {e}", dir.display())));
        let present = digests_in(&dir);
        let (mut written, mut skipped) = (0, 0);
        for seed in seeds {
            if seed.len() > MAX_SEED_BYTES {
                skipped += 1;
                continue;
            }
            let digest = Sha256Digest::of(seed);
            if !present.contains(digest.as_str()) {
                let path = dir.join(digest.as_str());
                std::fs::write(&path, seed)
                    .unwrap_or_else(|e| fail(format!("{}: {e}", path.display())));
                written += 1;
            }
        }
        println!(
            "seed: {target}: {} seeds, {written} new, {skipped} over {MAX_SEED_BYTES} bytes skipped",
            seeds.len() - skipped
        );
    }
}
