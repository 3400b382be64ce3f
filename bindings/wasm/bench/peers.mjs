// Full verification of one signed transfer (the 2.9 KB benchmark message of
// `cargo run -p tongban --example bench_fixture`): the tongban WASM package in Node
// against two JavaScript stacks doing the same job on the same document, all measured
// in the same run.
//
//   tongban WASM    the forms module: `Verifier.withRegistry(registry, null).verify(message,
//                   now)`, a fresh verifier each round (a reused one refuses the second
//                   round as a replay). Parses, checks structure, resolves the key in
//                   the signed registry, checks the Ed25519 signature, the validity
//                   window, the registry's rules and the item's form schema.
//   jose            the same document as a compact JWS (EdDSA / Ed25519, payload = the
//                   RFC 8785 bytes of the document without `signatures`), signed once
//                   in setup: `compactVerify`, `JSON.parse`, re-canonicalize with
//                   `canonicalize` and compare (the payload must be canonical), then ajv
//                   against the envelope schema and the item's form schema.
//   noble           the tongban message itself: `JSON.parse`, drop `signatures`,
//                   `canonicalize`, build tongban's signing input
//                   `{"alg":"ed25519","kid":…,"signed":` + canonical + `}`, verify the
//                   signature with @noble/ed25519 (strict RFC 8032, like tongban's
//                   `verify_strict`), then the same ajv validation.
//
// The same transfer signed with SM2 instead (suite sm2-sm3), under a registry that puts
// its agreement on that suite:
//
//   tongban WASM SM2 the same `Verifier.withRegistry(…).verify`, the SM2 signature
//                    checked by the `sm2` crate compiled to WASM.
//   sm-crypto        the tongban message: `JSON.parse`, canonicalize the signing input as
//                    above, verify with sm-crypto's `doVerifySignature` (SM3 with Z for
//                    1234567812345678, r‖s), then the same ajv validation.
//
// The JavaScript stacks know the one public key and do no registry lookup, validity
// window or replay check, so they do less than tongban. Each stack is warmed up, then
// run in interleaved blocks (the order rotating every block); the time per stack is the
// median over its blocks. Prints a table (µs per verification, each JavaScript stack's
// time over the WASM package's: >1 means WASM is faster) and a last line `JSON {…}`.
//
//   node bindings/wasm/bench/peers.mjs [DIR] [ROUNDS]
//
// DIR is a fixture directory written by
// `cargo run -q -p tongban --example bench_fixture -- DIR`; without it (or when the
// first argument is a number) the script runs that command into a temporary directory.
// ROUNDS (default 2000) is the number of timed verifications per stack.
import { CompactSign, compactVerify, importJWK } from "jose";
import canonicalize from "canonicalize";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import smCrypto from "sm-crypto";
import { codeOf, load } from "../tests/support.mjs";

const BLOCKS = 10;
const WARMUP = 500;

// ---- arguments and fixture ---------------------------------------------------------

const args = process.argv.slice(2);
const generated = args.length === 0 || /^\d+$/.test(args[0]);
const dir = generated ? generateFixture() : args.shift();
const requested = Number(args[0] ?? 2000);
if (!Number.isInteger(requested) || requested < 1) {
  console.error("usage: node bindings/wasm/bench/peers.mjs [DIR] [ROUNDS]");
  process.exit(2);
}
const blocks = Math.min(BLOCKS, requested);
const perBlock = Math.ceil(requested / blocks);
const rounds = blocks * perBlock;

function generateFixture() {
  const root = fileURLToPath(new URL("../../../", import.meta.url));
  const out = mkdtempSync(join(tmpdir(), "tongban-peers-"));
  console.error(`writing the fixture (cargo run --example bench_fixture -- ${out})…`);
  execFileSync("cargo", ["run", "-q", "-p", "tongban", "--example", "bench_fixture", "--", out], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  return out;
}

const read = (name) => readFileSync(join(dir, name), "utf8");
const message = read("transfer.json"); // the signed transfer as received: canonical text
const registryText = read("registry.json");
const envelopeSchema = JSON.parse(read("envelope.schema.json"));
const formSchema = JSON.parse(read("form.schema.json"));
const fixture = JSON.parse(read("fixture.json"));
const { now, key_id: keyId } = fixture;
if (generated) rmSync(dir, { recursive: true });

function check(condition, what) {
  if (!condition) throw new Error(`setup check failed: ${what}`);
}

/** `text` with one ASCII byte of the case id changed (still a well-formed message). */
function tamper(text) {
  const at = text.indexOf('"case":"') + '"case":"'.length;
  check(at >= '"case":"'.length, "the message has a case id");
  return text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
}

const document = JSON.parse(message);
const { signatures: _, ...unsignedDocument } = document;
check(canonicalize(document) === message, "the fixture message is RFC 8785 canonical per `canonicalize`");

// ---- ajv: the envelope schema and the item's form schema, compiled once ---------------

// ajv's strict mode refuses unknown formats, and the envelope schema (generated by
// schemars) annotates integers with `uint32` and `uint64`: define them for what they
// mean rather than switching strict mode off (which would ignore them). `date-time`
// comes from ajv-formats.
const ajv = new Ajv2020();
addFormats(ajv);
ajv.addFormat("uint32", { type: "number", validate: (n) => Number.isInteger(n) && n >= 0 && n <= 2 ** 32 - 1 });
ajv.addFormat("uint64", { type: "number", validate: (n) => Number.isInteger(n) && n >= 0 && n <= 2 ** 64 - 1 });
const validateEnvelope = ajv.compile(envelopeSchema);
const validateForm = ajv.compile(formSchema);

function validate(doc) {
  if (!validateEnvelope(doc)) throw new Error(`envelope schema: ${ajv.errorsText(validateEnvelope.errors)}`);
  if (!validateForm(doc.body.form)) throw new Error(`form schema: ${ajv.errorsText(validateForm.errors)}`);
}

check(validateEnvelope(document), `ajv accepts the message: ${ajv.errorsText(validateEnvelope.errors)}`);
check(validateForm(document.body.form), `ajv accepts the form: ${ajv.errorsText(validateForm.errors)}`);
const { from: _from, ...withoutSender } = document;
check(!validateEnvelope(withoutSender), "ajv refuses an envelope without `from`");
check(
  !validateForm({ ...document.body.form, employees: -1 }),
  "ajv refuses a form with a negative number of employees",
);

// ---- 1. tongban WASM (forms module) -----------------------------------------------

const { Registry, Verifier } = await load("forms");
const registry = Registry.load(registryText);

/** Verifies `text` against `trusted` with a fresh verifier; the message's type. */
function verifyWith(trusted, text) {
  const verifier = Verifier.withRegistry(trusted, null);
  const verified = verifier.verify(text, now);
  const type = verified.type;
  verified.free();
  verifier.free();
  return type;
}

const tongban = (text = message) => verifyWith(registry, text);

check(tongban() === "transfer", "tongban verifies the fixture message");
check(codeOf(() => tongban(tamper(message))) === "signature.invalid", "tongban refuses a changed message as signature.invalid");

// ---- 2. jose + canonicalize + ajv ---------------------------------------------------

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const jwk = { kty: "OKP", crv: "Ed25519", x: fixture.public_key };
const privateJwk = await importJWK({ ...jwk, d: fixture.seed }, "EdDSA");
const publicJwk = await importJWK(jwk, "EdDSA");
const jws = await new CompactSign(utf8.encode(canonicalize(unsignedDocument)))
  .setProtectedHeader({ alg: "EdDSA", kid: keyId })
  .sign(privateJwk);
const joseOptions = { algorithms: ["EdDSA"] };

async function jose(token = jws) {
  const { payload } = await compactVerify(token, publicJwk, joseOptions);
  const text = strictUtf8.decode(payload);
  const doc = JSON.parse(text);
  if (canonicalize(doc) !== text) throw new Error("the payload is not canonical");
  validate(doc);
  return doc.type;
}

/** The JWS with one character of its payload changed. */
function tamperJws(token) {
  const [header, payload, signature] = token.split(".");
  const bytes = Buffer.from(payload, "base64url").toString("utf8");
  return [header, Buffer.from(tamper(bytes)).toString("base64url"), signature].join(".");
}

check((await jose()) === "transfer", "jose verifies the JWS");
check(await jose(tamperJws(jws)).then(() => false, () => true), "jose refuses a changed JWS");

// ---- 3. @noble/ed25519 + canonicalize + ajv -----------------------------------------

ed.hashes.sha512 = sha512; // makes the synchronous `ed.verify` usable
const publicKey = new Uint8Array(Buffer.from(fixture.public_key, "base64url"));
const strict = { zip215: false }; // RFC 8032 / FIPS 186-5, as tongban's `verify_strict`
check(
  Buffer.from(ed.getPublicKey(new Uint8Array(Buffer.from(fixture.seed, "base64url")))).equals(publicKey),
  "the fixture's seed derives its public key",
);

/** Whether the signature of `text` verifies; throws if it is not a signed message. */
function nobleSignature(text) {
  const doc = JSON.parse(text);
  const { signatures, ...unsigned } = doc;
  const [entry] = signatures;
  if (entry.alg !== "ed25519" || entry.kid !== keyId) throw new Error("unknown algorithm or key");
  const signingInput = utf8.encode(
    `{"alg":"ed25519","kid":${JSON.stringify(entry.kid)},"signed":${canonicalize(unsigned)}}`,
  );
  const signature = new Uint8Array(Buffer.from(entry.sig, "base64url"));
  return [ed.verify(signature, signingInput, publicKey, strict), doc];
}

function noble(text = message) {
  const [valid, doc] = nobleSignature(text);
  if (!valid) throw new Error("bad signature");
  validate(doc);
  return doc.type;
}

check(nobleSignature(message)[0] === true, "noble verifies the fixture message");
check(nobleSignature(tamper(message))[0] === false, "noble refuses a changed message");
check(noble() === "transfer", "the noble stack verifies the fixture message");

// ---- 4. the same transfer signed with SM2: the WASM package and sm-crypto ----------

const sm2Message = read("transfer-sm2.json");
const sm2Registry = Registry.load(read("registry-sm2.json"));
const sm2PublicKey = Buffer.from(fixture.sm2_public_key, "base64url").toString("hex");

const tongbanSm2 = (text = sm2Message) => verifyWith(sm2Registry, text);

/** Whether the SM2 signature of `text` verifies, with sm-crypto. */
function smCryptoSignature(text) {
  const doc = JSON.parse(text);
  const { signatures, ...unsigned } = doc;
  const [entry] = signatures;
  if (entry.alg !== "sm2-sm3" || entry.kid !== fixture.sm2_key_id) throw new Error("unknown algorithm or key");
  const signingInput = `{"alg":"sm2-sm3","kid":${JSON.stringify(entry.kid)},"signed":${canonicalize(unsigned)}}`;
  const signature = Buffer.from(entry.sig, "base64url").toString("hex");
  const options = { der: false, hash: true, userId: "1234567812345678" };
  return [smCrypto.sm2.doVerifySignature(Array.from(utf8.encode(signingInput)), signature, sm2PublicKey, options), doc];
}

function smCryptoStack(text = sm2Message) {
  const [valid, doc] = smCryptoSignature(text);
  if (!valid) throw new Error("bad signature");
  validate(doc);
  return doc.type;
}

check(tongbanSm2() === "transfer", "tongban verifies the SM2-signed message");
check(codeOf(() => tongbanSm2(tamper(sm2Message))) === "signature.invalid", "tongban refuses a changed SM2 message");
check(codeOf(() => Verifier.withRegistry(sm2Registry, null).verify(message, now)) === "agreement.wrong_suite",
  "tongban refuses the Ed25519 message under the agreement on sm2-sm3");
check(smCryptoSignature(sm2Message)[0] === true, "sm-crypto verifies the SM2-signed message");
check(smCryptoSignature(tamper(sm2Message))[0] === false, "sm-crypto refuses a changed message");

// ---- measurement --------------------------------------------------------------------

const stacks = [
  { key: "tongban_wasm", name: "tongban WASM (forms)", run: tongban },
  { key: "jose", name: "jose + canonicalize + ajv", run: jose, async: true },
  { key: "noble", name: "@noble/ed25519 + canonicalize + ajv", run: noble },
  { key: "tongban_wasm_sm2", name: "SM2: tongban WASM (forms)", run: tongbanSm2 },
  { key: "sm_crypto", name: "SM2: sm-crypto + canonicalize + ajv", run: smCryptoStack, base: "tongban_wasm_sm2" },
];

/** Nanoseconds per call of `stack` over `n` calls. */
async function time(stack, n) {
  const started = process.hrtime.bigint();
  if (stack.async) {
    for (let i = 0; i < n; i++) await stack.run();
  } else {
    for (let i = 0; i < n; i++) stack.run();
  }
  return Number(process.hrtime.bigint() - started) / n;
}

// A smoke run (few rounds) warms up as briefly: sm-crypto takes about 25 ms a round.
const warmup = Math.min(WARMUP, 2 * Math.ceil(requested / 2));
console.error(`warming up (${warmup} rounds per stack)…`);
for (const stack of stacks) await time(stack, warmup / 2);
for (const stack of stacks.toReversed()) await time(stack, warmup / 2);

console.error(`timing ${rounds} rounds per stack in ${blocks} interleaved blocks…`);
const samples = new Map(stacks.map((stack) => [stack, []]));
for (let block = 0; block < blocks; block++) {
  for (let i = 0; i < stacks.length; i++) {
    const stack = stacks[(block + i) % stacks.length];
    samples.get(stack).push(await time(stack, perBlock));
  }
}

const median = (values) => {
  const sorted = values.toSorted((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const us = new Map(stacks.map((stack) => [stack, median(samples.get(stack)) / 1000]));
// Each stack's time is compared with the WASM package's in the same suite; the WASM
// package's SM2 path with its Ed25519 path.
const baseOf = (stack) => stacks.find((s) => s.key === (stack.base ?? "tongban_wasm"));
const ratio = (stack) => us.get(stack) / us.get(baseOf(stack));

// ---- report -------------------------------------------------------------------------

const bytes = Buffer.byteLength(message);
console.log(`Node ${process.version}; message ${bytes} bytes (the JWS ${jws.length} characters)`);
console.log(`${rounds} rounds per stack in ${blocks} interleaved blocks of ${perBlock}; median of the blocks`);
console.log();
const width = Math.max(...stacks.map((stack) => stack.name.length));
console.log(`${"stack".padEnd(width)}   µs/verify   blocks (min–max µs)   × WASM`);
for (const stack of stacks) {
  const blockUs = samples.get(stack).map((ns) => ns / 1000);
  const spread = `${Math.min(...blockUs).toFixed(1)}–${Math.max(...blockUs).toFixed(1)}`;
  console.log(
    `${stack.name.padEnd(width)}   ${us.get(stack).toFixed(1).padStart(9)}   ${spread.padStart(19)}   ` +
      `${ratio(stack).toFixed(2).padStart(5)}`,
  );
}
console.log("(× WASM: the stack's time over the WASM package's in the same suite, >1 means WASM is faster;");
console.log(" for the WASM package's SM2 path, its time over its Ed25519 path)");

const round = (x, digits) => Number(x.toFixed(digits));
const result = {
  node: process.version,
  message_bytes: bytes,
  rounds,
  blocks,
  us_per_verify: Object.fromEntries(stacks.map((stack) => [stack.key, round(us.get(stack), 2)])),
  ratio_to_wasm: Object.fromEntries(stacks.slice(1).map((stack) => [stack.key, round(ratio(stack), 3)])),
};
console.log(`JSON ${JSON.stringify(result)}`);
