// A registry at the alliance's real size (295 members; 401 + 301 + 51 items, each with
// its own form schema; about 1 MB): how long `Registry.load` takes in each module of the
// package in Node, how long the first form check of an item takes (its schema compiled
// then), how long checking a form of every item takes (what loading cost when every
// schema was compiled at load), and the WebAssembly memory it needs, against native Rust
// measured in the same run (sdk/examples/registry_timing.rs). Prints times and ratios.
//
//   node bindings/wasm/bench/registry.mjs FIXTURE_DIR [ROUNDS]
//
// FIXTURE_DIR is written by `cargo run -p tongban --example bench_fixture -- DIR`.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { packageDir } from "../tests/support.mjs";

const [dir, roundsArg] = process.argv.slice(2);
if (!dir) {
  console.error("usage: node bindings/wasm/bench/registry.mjs FIXTURE_DIR [ROUNDS]");
  process.exit(2);
}
const rounds = Number(roundsArg ?? 15);
const registryPath = join(dir, "alliance-registry.json");
const text = readFileSync(registryPath, "utf8");

console.error("building and timing native Rust (cargo run --release)…");
const native = JSON.parse(execFileSync("cargo", [
  "run", "--release", "-q", "-p", "tongban", "--example", "registry_timing", "--",
  registryPath, String(rounds),
], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }));

const median = (samples) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];
const time = (run) => {
  const started = performance.now();
  run();
  return performance.now() - started;
};
const ms = (x) => `${x.toFixed(1)} ms`;

/** Loads one module, instantiated through its glue so that its memory can be read. */
async function measure(variant) {
  const bytes = readFileSync(join(packageDir, variant, "tongban_bg.wasm"));
  const glue = await import(pathToFileURL(join(packageDir, variant, "tongban.js")).href);
  const { memory } = glue.initSync({ module: bytes });
  const api = await import(pathToFileURL(join(packageDir, variant, "manual.js")).href);
  api.initSync(bytes);
  const before = memory.buffer.byteLength;
  const kept = api.Registry.load(text);
  const grown = memory.buffer.byteLength - before;
  const loads = [];
  for (let i = 0; i < rounds; i++) {
    let registry;
    loads.push(time(() => (registry = api.Registry.load(text))));
    registry.free();
  }
  const items = kept.document().agreements.flatMap((a) => a.items.map((item) => [a.id, item.code]));
  const check = ([agreement, item]) => {
    try {
      kept.checkForm(agreement, item, {});
    } catch (error) {
      if (!["item.form_invalid", "item.form_unchecked"].includes(error.code)) throw error;
    }
  };
  const first = time(() => check(items[0]));
  const every = time(() => items.forEach(check));
  const afterAll = memory.buffer.byteLength - before;
  kept.free();
  return { variant, load: median(loads), first, every, items: items.length, grown, afterAll };
}

const results = [await measure("core"), await measure("forms")];
const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
console.log(`registry: ${Buffer.byteLength(text)} bytes, ${results[0].items} items, median of ${rounds} loads`);
console.log(`native Rust (release)     load ${ms(native.load_ms)}, compile every form schema ${ms(native.compile_all_ms)}, first form check ${ms(native.first_check_ms)}, resident ${(native.resident_kib / 1024).toFixed(1)} MiB`);
for (const r of results) {
  const schemas = r.variant === "forms"
    ? `first form check ${ms(r.first)}, every item's form ${ms(r.every)} (${(r.every / native.compile_all_ms).toFixed(1)}× native)`
    : "forms are not checked (item.form_unchecked)";
  const memory = r.variant === "forms" ? `+${mib(r.grown)} loaded, +${mib(r.afterAll)} with every schema` : `+${mib(r.grown)} loaded`;
  console.log(`WASM ${r.variant.padEnd(5)} in Node ${process.version}  load ${ms(r.load)} (${(r.load / native.load_ms).toFixed(2)}× native), ${schemas}; memory ${memory}`);
}
