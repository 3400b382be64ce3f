#!/usr/bin/env bash
# Smoke test of the fuzz targets for CI: installs cargo-fuzz if missing, seeds the corpora
# from the conformance vectors, builds every target, and runs each for SECONDS (default
# 15) over its committed corpus. Fails on the first crash or property failure.
#
#   fuzz/smoke.sh [SECONDS]
#
# Runs on the default (stable) toolchain: with `--sanitizer none` cargo-fuzz passes only
# stable rustc flags, so neither nightly nor RUSTC_BOOTSTRAP is needed. New inputs go to a
# temporary directory, not to corpus/.
set -euo pipefail

seconds="${1:-15}"
cd "$(dirname "$0")"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "smoke: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

echo "smoke: seeding corpus/ from ../conformance/vectors"
cargo run --quiet --example seed

echo "smoke: building the targets"
cargo fuzz build --sanitizer none

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
targets=($(cargo fuzz list))
for i in "${!targets[@]}"; do
    target="${targets[$i]}"
    log="$scratch/$target.log"
    mkdir -p "$scratch/$target" "corpus/$target"
    echo "smoke: [$((i + 1))/${#targets[@]}] $target for ${seconds}s"
    if ! cargo fuzz run "$target" --sanitizer none "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=30 >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "smoke: $target FAILED (the input is under fuzz/artifacts/$target/)"
        exit 1
    fi
    grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 | sed "s/^/smoke: $target: /"
done
echo "smoke: all ${#targets[@]} targets ran ${seconds}s without a failure"
