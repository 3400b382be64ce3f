#!/usr/bin/env bash
# Reproduces the tables of BENCHMARKS.md on this machine, in one run (release builds):
#   1. the Rust verification path against its floor and its peers, the same with SM2
#      against the sm2 crate alone, sealing (§24) in both suites against the signature
#      floors and the AEAD alone, and batch verification (criterion: sdk/benches/verify.rs);
#   2. the WASM package in Node against two JavaScript stacks, and with SM2 against
#      sm-crypto (bindings/wasm/bench/peers.mjs),
#      and loading a registry at the alliance's full scale against native Rust
#      (bindings/wasm/bench/registry.mjs);
#   3. the reference node's durable acceptance rate under a bounded load from a second
#      process (examples/partner-node/examples/load.rs), on SQLite, then on a throwaway
#      PostgreSQL server (scripts/postgres.sh) with 1, 2 and 3 replicas sharing it, and
#      the file exchange between two
#      node processes: fetch throughput against SHA-256, the receiver's memory
#      (examples/partner-node/examples/files.rs).
# Every figure is a ratio to a floor or peer measured in the same run. Takes about 10
# minutes; the outputs are also kept in target/bench/.
#
#   ./scripts/bench.sh            # everything
#   ./scripts/bench.sh rust       # only part 1 (or: wasm, node)
set -euo pipefail
cd "$(dirname "$0")/.."
parts="${1:-rust wasm node}"
out=target/bench
mkdir -p "$out"
step() { printf '\n==> %s\n' "$*" >&2; }
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(rustc --version)"
echo "machine: $machine" | tee "$out/machine.txt"

if [[ " $parts " == *" rust "* ]]; then
  step "Rust: floor, full path, peers, batch (cargo bench -p tongban --bench verify)"
  cargo bench --locked -p tongban --bench verify -- --noplot 2>&1 | tee "$out/rust.txt" |
    grep -E '^(\||Message:|[a-z0-9]+/[a-z-]+ +time:)' >&2
fi

if [[ " $parts " == *" wasm "* ]]; then
  step "WASM package in Node against JavaScript stacks"
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
  bindings/wasm/build.sh >/dev/null
  cargo run --locked -q --release -p tongban --example bench_fixture -- "$out/fixture" >&2
  node bindings/wasm/bench/peers.mjs "$out/fixture" 2>&1 | tee "$out/wasm.txt" >&2
  step "WASM package: a registry at the alliance's full scale, against native Rust"
  node bindings/wasm/bench/registry.mjs "$out/fixture" 2>&1 | tee "$out/wasm-registry.txt" >&2
fi

if [[ " $parts " == *" node "* ]]; then
  step "Reference node: durable acceptance under load from a second process"
  cargo build --locked -q --release -p partner-node --bin partner-node
  cargo run --locked -q --release -p partner-node --example load -- 2>&1 | tee "$out/node.txt" >&2
  step "Reference node on PostgreSQL: 1, 2 and 3 replicas sharing one database"
  source scripts/postgres.sh
  trap postgres_stop EXIT
  postgres_start >&2
  for replicas in 1 2 3; do
    cargo run --locked -q --release -p partner-node --example load -- \
      --postgres "$TONGBAN_POSTGRES" --replicas "$replicas" 2>&1 | tee "$out/node-postgres-$replicas.txt" >&2
  done
  postgres_stop
  step "Reference node: ten files of 50 MiB fetched between two node processes"
  cargo run --locked -q --release -p partner-node --example files -- 2>&1 | tee "$out/files.txt" >&2
fi
step "done: outputs in $out/"
