#!/usr/bin/env bash
# Builds the npm package `tongban` into bindings/wasm/pkg/, installing what it needs:
# the wasm32 target, wasm-bindgen's CLI at exactly the version of the wasm-bindgen
# crate in Cargo.lock, and (from the npm registry) binaryen's wasm-opt and the
# JSON Schema to TypeScript compiler.
#
#   bindings/wasm/build.sh            # core and forms modules, optimized
#
# The package holds two builds of the same API: `tongban` (the core) and
# `tongban/forms` (the core plus form-schema validation). The core must stay within
# the size budget (CORE_BUDGET_BYTES gzipped) or the build fails.
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD
ROOT=$(cd ../.. && pwd)
PKG=$HERE/pkg
# 305,000 since protocol 1.1's transfer members (agent, result delivery), 311,000 since its
# post (shipment, shipment_received, delivery), 306,000 once every body is read through one
# deserializer, 313,000 since 容缺受理 and 告知承诺, 317,000 since an electronic licence's
# data, 322,000 since 一事联办's themes, 350,000 since the SM2 suite, 352,000 since its SM3
# digests (BENCHMARKS.md; the national-suite issue allows at most 360 KB), 353,000 since
# the verify path's word-at-a-time string scan and its envelope read without the body,
# 354,000 since a member's tls_keys (protocol 1.1, §21.5), 358,000 since its sealing_keys
# (§24.2: each X25519 key's small-order check, each SM2 key's point check, the seal.* codes),
# 360,000 (the national-suite issue's cap, with no room left) since sealed bodies (§24.5:
# a hop reads and verifies a sealed message, and refuses a body in clear that must be sealed).
CORE_BUDGET_BYTES=360000

step() { printf '\n== %s\n' "$*" >&2; }

step "toolchain"
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi
BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock")
if [ -z "$BINDGEN_VERSION" ]; then
    echo "wasm-bindgen is not in Cargo.lock" >&2
    exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $BINDGEN_VERSION" ]; then
    echo "installing wasm-bindgen-cli $BINDGEN_VERSION (a few minutes, once)" >&2
    cargo install wasm-bindgen-cli --version "=$BINDGEN_VERSION"
fi
if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
fi

VERSION=$(awk -F'"' '/^\[workspace.package\]/ { p = 1 } p && /^version/ { print $2; exit }' "$ROOT/Cargo.toml")
rm -rf "$PKG"
mkdir -p "$PKG"
node scripts/types.mjs "$PKG/types.d.ts"

for variant in core forms; do
    step "$variant module"
    features=()
    [ "$variant" = forms ] && features=(--features forms)
    cargo build -p tongban-wasm --target wasm32-unknown-unknown --profile wasm-release --locked "${features[@]}"
    out=$PKG/$variant
    mkdir -p "$out"
    wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name tongban \
        "$ROOT/target/wasm32-unknown-unknown/wasm-release/tongban_wasm.wasm"
    echo "wasm-opt -Oz ($variant)" >&2
    node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
        --enable-sign-ext --enable-mutable-globals \
        "$out/tongban_bg.wasm" -o "$out/tongban_bg.opt.wasm"
    mv "$out/tongban_bg.opt.wasm" "$out/tongban_bg.wasm"
    # The public API: the checked JavaScript layer and its declarations, per module.
    cp npm/api.js npm/state.js npm/manual.js npm/index.js npm/node.js \
        npm/index.d.ts npm/manual.d.ts "$out/"
    cp "$PKG/types.d.ts" "$out/types.d.ts"
    name=tongban
    [ "$variant" = forms ] && name=tongban/forms
    printf '// Which module of the package this is, for error messages.\nexport const MODULE = "%s";\n' \
        "$name" > "$out/variant.js"
done
rm "$PKG/types.d.ts"
cp npm/errors.js "$PKG/errors.js"
# The error-code union of the declarations, from the built module's errorCodes(): the
# same list as the Rust SDK's ERROR_CODES and the package's own codes.
node scripts/codes.mjs "$PKG"
REPOSITORY=$(awk -F'"' '/^\[workspace.package\]/ { p = 1 } p && /^repository/ { print $2; exit }' "$ROOT/Cargo.toml")
sed -e "s/\"version\": \"VERSION\"/\"version\": \"$VERSION\"/" -e "s|REPOSITORY|$REPOSITORY|" \
    npm/package.json > "$PKG/package.json"
# Absolute links, so that they work in the installed package too.
sed "s|](REPOSITORY|]($REPOSITORY|g" npm/README.md > "$PKG/README.md"

step "sizes"
for variant in core forms; do
    raw=$(wc -c < "$PKG/$variant/tongban_bg.wasm")
    gz=$(gzip -9 -c "$PKG/$variant/tongban_bg.wasm" | wc -c)
    printf '%-6s tongban_bg.wasm  %8d bytes  %8d bytes gzipped\n' "$variant" "$raw" "$gz"
    if [ "$variant" = core ] && [ "$gz" -gt "$CORE_BUDGET_BYTES" ]; then
        echo "the core module is over its budget of $CORE_BUDGET_BYTES bytes gzipped" >&2
        exit 1
    fi
done
echo "package: $PKG (npm pack it, or import it from there)" >&2
