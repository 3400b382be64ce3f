// One verification of a signed transfer (1.3 KB) against the sample registry: the WASM
// package in Node (both modules' APIs; the forms module does the full check) against
// native Rust measured in the same run. Prints the times and the ratio.
//
//   node bindings/wasm/bench/verify.mjs [ROUNDS]
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AGREEMENT, CASE, CREATED, HUANGSHI, JIUJIANG, at, fixture, load, transferBody } from "../tests/support.mjs";

const rounds = Number(process.argv[2] ?? 2000);
const { KeyPair, Registry, Verifier, createMessage, signMessage } = await load("forms");
const registryText = fixture("registry-v1");
const registry = Registry.load(registryText);
const message = signMessage(
  createMessage({ from: HUANGSHI, to: JIUJIANG, agreement: AGREEMENT, case: CASE, type: "transfer", body: transferBody(), created: CREATED }),
  KeyPair.sample(HUANGSHI),
);
const now = at(30);

const dir = mkdtempSync(join(tmpdir(), "tongban-bench-"));
writeFileSync(join(dir, "registry.json"), registryText);
writeFileSync(join(dir, "transfer.json"), message);
console.error("building and timing native Rust (cargo run --release)…");
const native = JSON.parse(execFileSync("cargo", [
  "run", "--release", "-q", "-p", "tongban", "--example", "verify_timing", "--",
  join(dir, "registry.json"), join(dir, "transfer.json"), now, String(rounds),
], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })).ns_per_verify;

const verifyOnce = () => Verifier.withRegistry(registry, null).verify(message, now);
for (let i = 0; i < 200; i++) verifyOnce().free(); // warm up the JIT
const started = process.hrtime.bigint();
for (let i = 0; i < rounds; i++) verifyOnce().free();
const wasm = Number(process.hrtime.bigint() - started) / rounds;

const us = (ns) => `${(ns / 1000).toFixed(1)} µs`;
console.log(`message: ${Buffer.byteLength(message)} bytes, ${rounds} rounds, full verify against the registry`);
console.log(`native Rust (release)   ${us(native)}`);
console.log(`WASM in Node ${process.version}  ${us(wasm)}  (${(wasm / native).toFixed(2)}× native)`);
