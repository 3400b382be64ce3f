#!/usr/bin/env bash
# Runs the deterministic simulation of three reference nodes under crashes, partitions,
# held and slow links over many seeds (a release build), and prints a summary: faults
# injected, messages exchanged, and what the set checker found.
#
#   ./scripts/simulate.sh            # seeds 1..5000
#   ./scripts/simulate.sh 20000 5001 # 20000 seeds from 5001 on
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5000}"
first="${2:-1}"
exec cargo run --release --locked -q -p partner-node --features simulation --example simulate -- \
  --runs "$runs" --first "$first"
