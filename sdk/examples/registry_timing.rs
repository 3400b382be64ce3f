//! Times loading a registry natively, and compiling its form schemas: the baseline the
//! WASM package's registry benchmark (`bindings/wasm/bench/registry.mjs`) compares
//! itself with in the same run.
//!
//! `cargo run --release -p tongban --example registry_timing -- REGISTRY ROUNDS` prints
//! `{"load_ms": …, "compile_all_ms": …, "first_check_ms": …, "resident_kib": …}`: the
//! median load (form schemas compiled on first use), the median of compiling every
//! item's schema after a load (what loading cost when every schema was compiled at
//! load), the first form check of one item (its schema compiled then), and the
//! process's resident memory growth for one loaded, fully compiled registry (Linux; 0
//! elsewhere).

use std::time::Instant;
use tongban::registry::Registry;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(message) = run(&args) {
        eprintln!("registry_timing: {message}");
        std::process::exit(1);
    }
}

/// Resident memory of this process in KiB, from /proc (0 where there is none).
fn resident_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(0.0)
}

fn millis(run: impl FnOnce()) -> f64 {
    let started = Instant::now();
    run();
    started.elapsed().as_secs_f64() * 1000.0
}

fn run(args: &[String]) -> Result<(), String> {
    let [registry, rounds] = args else {
        return Err("usage: registry_timing REGISTRY ROUNDS".into());
    };
    let bytes = std::fs::read(registry).map_err(|e| format!("{registry}: {e}"))?;
    let rounds: usize = rounds.parse().map_err(|_| "ROUNDS must be a number")?;
    let load = || Registry::load_trusted(&bytes).map_err(|e| format!("[{}] {e}", e.code()));
    // Memory first, before any allocation could be reused.
    let before = resident_kib();
    let held = load()?;
    held.compile_forms().map_err(|e| e.to_string())?;
    let resident = resident_kib().saturating_sub(before);
    drop(held);
    let mut loads = Vec::new();
    let mut compiles = Vec::new();
    for _ in 0..rounds.max(1) {
        let mut loaded = None;
        loads.push(millis(|| loaded = Some(load())));
        let registry = loaded.ok_or("no registry")??;
        let mut compiled = Ok(());
        compiles.push(millis(|| compiled = registry.compile_forms()));
        compiled.map_err(|e| e.to_string())?;
    }
    let registry = load()?;
    let agreement = &registry.document().agreements[0];
    let form = serde_json::Map::new();
    let first_check = millis(|| {
        std::hint::black_box(registry.check_form(&agreement.id, &agreement.items[0].code, &form))
            .ok();
    });
    drop(registry);
    println!(
        "{}",
        serde_json::json!({
            "bytes": bytes.len(),
            "load_ms": median(loads),
            "compile_all_ms": median(compiles),
            "first_check_ms": first_check,
            "resident_kib": resident,
        })
    );
    Ok(())
}
