//! The vector format: what a conformance vector says, and how it is stored.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One conformance vector: an operation, its inputs, and the outcome every conforming
/// implementation must produce.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vector {
    /// Unique id, `<category>/<name>` (a category may have folders, `hostile/json`); the
    /// file is `vectors/<id>.json`.
    pub id: String,
    /// One line saying what is tested.
    pub description: String,
    /// The operation: `canonicalize`, `identifier`, `verify`, `registry`, `lifecycle`
    /// or `deadline`.
    pub operation: String,
    /// The operation's inputs. A string `fixture:NAME` stands for the text of
    /// `vectors/fixtures/NAME.json`.
    pub input: Value,
    /// The expected outcome. Every member given must equal the implementation's.
    pub expected: Value,
}

impl Vector {
    /// The category: the vector's folder, the id up to its last `/` (`signatures`,
    /// `hostile/json`).
    pub fn category(&self) -> &str {
        self.id
            .rsplit_once('/')
            .map_or(&self.id, |(folder, _)| folder)
    }
}

/// The folder of the committed vectors.
pub fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

/// Reads every vector under `dir` (fixtures excluded), sorted by id.
pub fn load(dir: &Path) -> Result<Vec<Vector>, String> {
    let mut vectors = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|e| format!("cannot read {}: {e}", folder.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "fixtures") {
                    folders.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "json") {
                let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                let value =
                    tongban::json::parse_with_limits(&bytes, tongban::registry::REGISTRY_LIMITS)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                let vector: Vector = serde_json::from_value(value)
                    .map_err(|e| format!("{}: not a vector: {e}", path.display()))?;
                vectors.push(vector);
            }
        }
    }
    vectors.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(vectors)
}

/// Replaces every `fixture:NAME` string in `input` by the text of that fixture.
pub fn resolve_fixtures(input: &Value, dir: &Path) -> Result<Value, String> {
    Ok(match input {
        Value::String(s) => match s.strip_prefix("fixture:") {
            Some(name) => {
                let path = dir.join("fixtures").join(format!("{name}.json"));
                Value::String(
                    std::fs::read_to_string(&path)
                        .map_err(|e| format!("fixture {}: {e}", path.display()))?,
                )
            }
            None => input.clone(),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| resolve_fixtures(i, dir))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(k, v)| Ok((k.clone(), resolve_fixtures(v, dir)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}
