//! Writes the benchmark's inputs for the benchmarks outside Rust (the WASM package and
//! the JavaScript stacks in Node): the signed 3 KB benchmark transfer (also signed with
//! SM2, with a registry that puts its agreement on `sm2-sm3`), the sample
//! registry and the full-scale synthetic one (`sample::alliance_registry_bytes`), the time to verify at, the sender's public key and published seed, and
//! the schemas a schema-validating peer checks the message against.
//!
//! `cargo run -p tongban --example bench_fixture -- DIR`

use std::path::Path;
use tongban::sample::{self, HUANGSHI};
use tongban::*;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: bench_fixture DIR");
        std::process::exit(2);
    };
    if let Err(message) = write_fixture(Path::new(&dir)) {
        eprintln!("bench_fixture: {message}");
        std::process::exit(1);
    }
}

fn write_fixture(dir: &Path) -> Result<(), String> {
    fn fail(e: impl Into<Error>) -> String {
        let e = e.into();
        format!("[{}] {e}", e.code())
    }
    let created = Timestamp::parse(sample::CREATED).map_err(fail)?;
    let message = sample::benchmark_transfer(0, &created).map_err(fail)?;
    let key = sample::key(HUANGSHI).map_err(fail)?;
    // The sample registry, as `sample::registry` builds it.
    let registry_document = sample::registry_document(1, &[0, 1, 2], 2).map_err(fail)?;
    let registry = sample::signed_registry(&registry_document, &[0, 1]).map_err(fail)?;
    let Body::Transfer(transfer) = &message.body else {
        return Err("the benchmark message is not a transfer".into());
    };
    let form_schema = registry_document
        .agreements
        .iter()
        .flat_map(|agreement| &agreement.items)
        .find(|item| item.code == transfer.item)
        .map(|item| serde_json::Value::Object(item.form_schema.clone()))
        .ok_or("the benchmark item is not in the sample catalogue")?;
    let json = |value: &serde_json::Value| serde_json::to_vec_pretty(value).unwrap_or_default();
    // The same transfer signed with Huangshi's SM2 key, under a registry that puts its
    // agreement on sm2-sm3.
    let sm2_key = sample::sm2_key(HUANGSHI).map_err(fail)?;
    let mut unsigned = message.clone();
    unsigned.signatures.clear();
    let sm2_transfer = unsigned.sign_to_bytes(&sm2_key).map_err(fail)?;
    let fixture = serde_json::json!({
        "sm2_key_id": sm2_key.key_id().as_str(),
        "sm2_public_key": crypto::base64url(sm2_key.public_key().as_bytes()),
        "now": message.created.plus_seconds(30).map_err(fail)?.to_string(),
        "key_id": key.key_id().as_str(),
        "public_key": crypto::base64url(key.public_key().as_bytes()),
        "seed": crypto::base64url(&sample::seed(HUANGSHI)),
    });
    let files: [(&str, Vec<u8>); 8] = [
        ("transfer.json", message.to_canonical_bytes().map_err(fail)?),
        ("registry.json", registry),
        ("transfer-sm2.json", sm2_transfer),
        (
            "registry-sm2.json",
            sample::registry_bytes_with_cross_river_on_sm2().map_err(fail)?,
        ),
        (
            "alliance-registry.json",
            sample::alliance_registry_bytes().map_err(fail)?,
        ),
        (
            "envelope.schema.json",
            json(&schema::schema("envelope").unwrap_or_default()),
        ),
        ("form.schema.json", json(&form_schema)),
        ("fixture.json", json(&fixture)),
    ];
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    println!("wrote the benchmark fixture to {}", dir.display());
    Ok(())
}
