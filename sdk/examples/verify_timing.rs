//! Times the full verification of one message against a registry, natively: the
//! baseline the WASM package's benchmark (`bindings/wasm/bench/verify.mjs`) compares
//! itself with in the same run.
//!
//! `cargo run --release -p tongban --example verify_timing -- REGISTRY MESSAGE NOW ROUNDS`
//! prints `{"ns_per_verify": …}`.

use std::time::Instant;
use tongban::registry::Registry;
use tongban::*;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(message) = run(&args) {
        eprintln!("verify_timing: {message}");
        std::process::exit(1);
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let [registry, message, now, rounds] = args else {
        return Err("usage: verify_timing REGISTRY MESSAGE NOW ROUNDS".into());
    };
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("{path}: {e}"));
    let registry = Registry::load_trusted(&read(registry)?).map_err(|e| e.to_string())?;
    let message = read(message)?;
    let now = Timestamp::parse(now.as_str()).map_err(|e| e.to_string())?;
    let rounds: u32 = rounds.parse().map_err(|_| "ROUNDS must be a number")?;
    let verify_once = || -> Result<Verified, Error> {
        // A fresh verifier each time, or the second round would be a replay.
        Verifier::new(&registry)
            .any_receiver()
            .verify(Unverified::parse(&message)?, &now)
    };
    verify_once().map_err(|e| format!("[{}] {e}", e.code()))?;
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(verify_once().map_err(|e| e.to_string())?);
    }
    let nanos = started.elapsed().as_nanos() / u128::from(rounds.max(1));
    println!("{{\"ns_per_verify\": {nanos}}}");
    Ok(())
}
