// Every export of the package called with every wrong kind of value: each call throws a
// TongbanError with the code the README documents for that kind (wasm.argument,
// wasm.number, wasm.foreign_object, wasm.freed), never a TypeError or a RuntimeError
// from inside WebAssembly, and the module keeps working afterwards.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import {
  AGREEMENT, CASE, CREATED, HUANGSHI, JIUJIANG, at, bodies, fixture, load, packageDir, transferBody,
} from "./support.mjs";

const forms = await load("forms");
const core = await load("core");
const { Case, KeyPair, Registry, Verifier, TongbanError } = forms;

const route = { from: HUANGSHI, to: JIUJIANG, agreement: AGREEMENT, case: CASE };
const registryText = fixture("registry-v1");
const registry = Registry.load(registryText);
const key = KeyPair.sample(HUANGSHI);
const transferInit = { ...route, type: "transfer", body: transferBody(), created: CREATED };
const transfer = forms.signMessage(forms.createMessage(transferInit), key);
const keySet = { keys: [key.publicKey()] };

/** A fresh verified transfer (a verifier takes each message once). */
const verified = () => Verifier.withRegistry(registry, JIUJIANG).verify(transfer, at(30));
const receipt = forms.signMessage(
  forms.replyTo(transfer, { type: "receipt", body: bodies(verified().sha256).receipt, created: at(60) }),
  KeyPair.sample(JIUJIANG),
);
/** A fresh verified receipt of the transfer. */
const verifiedReceipt = () => Verifier.withRegistry(registry, HUANGSHI).verify(receipt, at(90));

/** The wrong values every argument is tried with. */
const WRONG = {
  undefined: undefined,
  null: null,
  number: 42,
  NaN: NaN,
  Infinity: Infinity,
  fraction: 1.5,
  negative: -1,
  unsafe: 2 ** 53 + 2,
  "2^32+3": 2 ** 32 + 3,
  bigint: 10n,
  boolean: true,
  symbol: Symbol("x"),
  function: () => "x",
  array: [],
  object: {},
  Date: new Date(Date.parse(CREATED)),
  "invalid Date": new Date(NaN),
  Uint16Array: new Uint16Array(2),
};

/**
 * The kinds of argument, and what each accepts of the wrong values (`null` = the call
 * may go on; its outcome is then a protocol error or a result, never a crash) or which
 * code it refuses them with.
 */
const KINDS = {
  string: (v) => (typeof v === "string" ? null : "wasm.argument"),
  optionalString: (v) => (v == null || typeof v === "string" ? null : "wasm.argument"),
  time: (v) =>
    v == null || typeof v === "string" || (v instanceof Date && !Number.isNaN(v.getTime()))
      ? null
      : "wasm.argument",
  bytes: (v) => (typeof v === "string" || v instanceof Uint8Array ? null : "wasm.argument"),
  document: (v) =>
    typeof v === "string" || (v?.constructor === Object) ? null : "wasm.argument",
  receiver: (v) => (v === null || typeof v === "string" ? null : "wasm.argument"),
  workingDays: (v) =>
    typeof v !== "number"
      ? "wasm.argument"
      : Number.isSafeInteger(v) && v >= 0 && v <= 0xffffffff ? null : "wasm.number",
  KeyPair: () => "wasm.argument",
  Registry: () => "wasm.argument",
  VerifiedMessage: () => "wasm.argument",
};

/** Every export and method: how to call it, its valid arguments, and their kinds. */
const CALLS = [
  ["canonicalize", (a) => forms.canonicalize(a), ["{}"], ["bytes"]],
  ["checkIdentifier", (a, b) => forms.checkIdentifier(a, b), ["node", HUANGSHI], ["string", "string"]],
  ["createMessage", (a) => forms.createMessage(a), [transferInit], ["document"]],
  ["replyTo", (a, b) => forms.replyTo(a, b), [transfer, { type: "status_update", body: { status: "in_review" } }], ["document", "document"]],
  ["signMessage", (a, b) => forms.signMessage(a, b), [forms.createMessage(transferInit), key], ["document", "KeyPair"]],
  ["parseMessage", (a) => forms.parseMessage(a), [transfer], ["document"]],
  ["KeyPair.generate", (a, b, c) => KeyPair.generate(a, b, c), [HUANGSHI, undefined, undefined], ["string", "optionalString", "optionalString"]],
  ["KeyPair.sample", (a) => KeyPair.sample(a), [HUANGSHI], ["string"]],
  ["KeyPair.fromKeyFile", (a) => KeyPair.fromKeyFile(a), [key.toKeyFile()], ["string"]],
  ["Registry.load", (a) => Registry.load(a), [registryText], ["bytes"]],
  ["Registry.bootstrap", (a, b) => Registry.bootstrap(a, b), [registryText, CREATED], ["bytes", "time"]],
  ["registry.update", (a, b) => registry.update(a, b), [fixture("registry-v2"), CREATED], ["bytes", "time"]],
  ["registry.checkForm", (a, b, c) => registry.checkForm(a, b, c), [AGREEMENT, "HB-JX-0042", transferBody().form], ["string", "string", "document"]],
  ["registry.addWorkingDays", (a, b) => registry.addWorkingDays(a, b), ["2026-11-30", 3], ["string", "workingDays"]],
  ["registry.negotiate", (a, b) => registry.negotiate(a, b), [HUANGSHI, JIUJIANG], ["string", "string"]],
  ["Verifier.withRegistry", (a, b) => Verifier.withRegistry(a, b), [registry, JIUJIANG], ["Registry", "receiver"]],
  ["Verifier.withKeys", (a, b) => Verifier.withKeys(a, b), [keySet, JIUJIANG], ["document", "receiver"]],
  ["verifier.verify", (a, b) => Verifier.withKeys(keySet, JIUJIANG).verify(a, b), [transfer, at(30)], ["bytes", "time"]],
  ["verified.checkReceiptFor", (a) => verifiedReceipt().checkReceiptFor(a), [verified()], ["VerifiedMessage"]],
  ["new Case", (a) => new Case(a), [CASE], ["string"]],
  ["case.apply", (a, b) => new Case(CASE).apply(a, b), [verified(), registry], ["VerifiedMessage", "Registry"]],
  ["case.tracks", (a, b) => new Case(CASE).tracks(a, b), [registry, at(60)], ["Registry", "time"]],
];

/** Runs `run`; returns the TongbanError's code, or null if it returned. Any other throw fails. */
function outcome(run) {
  try {
    run();
    return null;
  } catch (error) {
    assert.ok(error instanceof TongbanError, `expected a TongbanError, got ${error?.constructor?.name}: ${error?.message}`);
    assert.equal(error.name, "TongbanError");
    assert.equal(typeof error.code, "string");
    return error.code;
  }
}

test("every argument of every export, given every wrong kind of value, throws its documented code", () => {
  let tried = 0;
  for (const [name, run, valid, kinds] of CALLS) {
    assert.equal(outcome(() => run(...valid)), null, `${name} with valid arguments`);
    kinds.forEach((kind, position) => {
      for (const [label, value] of Object.entries(WRONG)) {
        const args = [...valid];
        args[position] = value;
        const expected = KINDS[kind](value);
        const code = outcome(() => run(...args));
        if (expected === null) {
          // Accepted by the JavaScript layer: the protocol decides, with its own code.
          assert.ok(code === null || !code.startsWith("wasm."), `${name} argument ${position} = ${label}: ${code}`);
        } else {
          assert.equal(code, expected, `${name} argument ${position} = ${label}`);
        }
        tried += 1;
      }
    });
  }
  assert.ok(tried > 500, `${tried} calls`);
  // Nothing above corrupted the module: a full round still works.
  assert.equal(verified().type, "transfer");
});

test("an argument left out is wasm.argument, as KeyPair.generate() and Verifier.withRegistry(registry) show", () => {
  assert.equal(outcome(() => KeyPair.generate()), "wasm.argument");
  assert.equal(outcome(() => Verifier.withRegistry(registry)), "wasm.argument");
  assert.equal(outcome(() => forms.canonicalize()), "wasm.argument");
  assert.equal(outcome(() => new Case()), "wasm.argument");
});

test("a method taken off its object and called alone is wasm.argument", () => {
  const { toKeyFile } = key;
  assert.equal(outcome(() => toKeyFile()), "wasm.argument");
  assert.equal(outcome(() => Object.getOwnPropertyDescriptor(Registry.prototype, "sha256").get.call({})), "wasm.argument");
  assert.equal(outcome(() => registry.checkForm.call(undefined, AGREEMENT, "HB-JX-0042", {})), "wasm.argument");
});

test("the classes have no public constructors but Case", () => {
  for (const Class of [KeyPair, Registry, Verifier, forms.VerifiedMessage]) {
    assert.equal(outcome(() => new Class()), "wasm.argument", Class.name);
  }
});

test("an object of the other module is wasm.foreign_object, another class wasm.argument", () => {
  const coreRegistry = core.Registry.load(registryText);
  const coreKey = core.KeyPair.sample(HUANGSHI);
  assert.equal(outcome(() => Verifier.withRegistry(coreRegistry, JIUJIANG)), "wasm.foreign_object");
  assert.equal(outcome(() => forms.signMessage(forms.createMessage(transferInit), coreKey)), "wasm.foreign_object");
  assert.equal(outcome(() => new Case(CASE).apply(verified(), coreRegistry)), "wasm.foreign_object");
  assert.equal(outcome(() => forms.signMessage(forms.createMessage(transferInit), registry)), "wasm.argument");
  assert.equal(outcome(() => Verifier.withRegistry(key, JIUJIANG)), "wasm.argument");
  assert.equal(outcome(() => Verifier.withRegistry({ sha256: "x" }, JIUJIANG)), "wasm.argument");
});

test("every method and getter of a freed object is wasm.freed, and free() twice is harmless", () => {
  const objects = {
    KeyPair: [KeyPair.generate(HUANGSHI), ["toKeyFile", "publicKey"], ["node", "keyId"]],
    Registry: [Registry.load(registryText), ["document", "update", "checkForm", "addWorkingDays", "negotiate"], ["version", "sha256"]],
    Verifier: [Verifier.withKeys(keySet, JIUJIANG), ["verify"], []],
    VerifiedMessage: [verified(), ["canonical", "checkReceiptFor"], ["envelope", "type", "id", "sha256", "signers", "warnings"]],
    Case: [new Case(CASE), ["apply", "tracks"], ["status", "window"]],
  };
  for (const [name, [object, methods, getters]] of Object.entries(objects)) {
    object.free();
    object.free();
    for (const method of methods) assert.equal(outcome(() => object[method]()), "wasm.freed", `${name}.${method}`);
    for (const getter of getters) assert.equal(outcome(() => object[getter]), "wasm.freed", `${name}.${getter}`);
  }
  const freedKey = KeyPair.generate(HUANGSHI);
  freedKey[Symbol.dispose]();
  assert.equal(outcome(() => forms.signMessage(forms.createMessage(transferInit), freedKey)), "wasm.freed");
  const freedRegistry = Registry.load(registryText);
  freedRegistry.free();
  assert.equal(outcome(() => Verifier.withRegistry(freedRegistry, JIUJIANG)), "wasm.freed");
});

test("numbers in documents: NaN, Infinity and unsafe integers are refused, never written as null or rounded", () => {
  const withForm = (value) => {
    const body = transferBody();
    body.form.employees = value;
    return { ...transferInit, body };
  };
  for (const value of [NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53) - 2]) {
    assert.equal(outcome(() => forms.createMessage(withForm(value))), "wasm.number", String(value));
    assert.equal(outcome(() => registry.checkForm(AGREEMENT, "HB-JX-0042", withForm(value).body.form)), "wasm.number");
  }
  assert.equal(outcome(() => forms.createMessage({ ...transferInit, validForSeconds: 1.5 })), "wasm.number");
  assert.equal(outcome(() => forms.createMessage({ ...transferInit, validForSeconds: NaN })), "wasm.number");
  assert.equal(outcome(() => forms.createMessage(withForm(10n))), "wasm.argument");
  assert.equal(outcome(() => forms.createMessage(withForm(new Date()))), "wasm.argument");
  assert.equal(outcome(() => forms.createMessage(withForm(new Map()))), "wasm.argument");
  assert.equal(outcome(() => forms.createMessage(withForm([1, undefined]))), "wasm.argument");
  const cyclic = withForm(0);
  cyclic.body.form.self = cyclic.body.form;
  assert.equal(outcome(() => forms.createMessage(cyclic)), "wasm.argument");
  let deep = {};
  for (let i = 0; i < 100_000; i += 1) deep = { deep };
  assert.equal(outcome(() => forms.createMessage(withForm(deep))), "json.too_deep");
  // A getter is read once: what is checked is what is signed.
  let reads = 0;
  const changing = withForm(3);
  Object.defineProperty(changing.body.form, "employees", {
    enumerable: true,
    get: () => (reads++ === 0 ? 3 : NaN),
  });
  assert.equal(forms.createMessage(changing).body.form.employees, 3);
  assert.equal(reads, 1);
  // An undefined member is left out, as JSON.stringify does: the idiom for "not given".
  assert.equal(outcome(() => forms.createMessage({ ...transferInit, inReplyTo: undefined })), null);
  // The same value twice in a document is not a cycle.
  const shared = { status: "in_review" };
  assert.equal(outcome(() => forms.canonicalize(JSON.stringify([shared, shared]))), null);
});

test("addWorkingDays takes an integer from 0 to 2^32−1, nothing else", () => {
  assert.equal(registry.addWorkingDays("2026-11-27", 0), "2026-11-27");
  for (const n of [-1, NaN, Infinity, 2 ** 32 + 3, 2.5]) {
    assert.equal(outcome(() => registry.addWorkingDays("2026-11-27", n)), "wasm.number", String(n));
  }
  assert.equal(outcome(() => registry.addWorkingDays("2026-11-27", "3")), "wasm.argument");
});

test("a time is an RFC 3339 string or a Date, never a number of milliseconds", () => {
  const verifier = Verifier.withKeys(keySet, JIUJIANG);
  assert.equal(verifier.verify(transfer, new Date(Date.parse(CREATED) + 30_000)).type, "transfer");
  const error = (() => {
    try {
      Verifier.withKeys(keySet, JIUJIANG).verify(transfer, Date.now());
    } catch (e) {
      return e;
    }
  })();
  assert.equal(error.code, "wasm.argument");
  assert.match(error.message, /new Date\(ms\)/);
});

test("TongbanError is one exported class for both modules, for the protocol's codes and the package's", () => {
  assert.equal(core.TongbanError, forms.TongbanError);
  let thrown;
  try {
    Verifier.withKeys(keySet, JIUJIANG).verify(transfer.replace('"HS-2026-000123"', '"HS-2026-000124"'), at(30));
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof core.TongbanError);
  assert.ok(thrown instanceof Error);
  assert.equal(thrown.code, "signature.invalid");
  assert.match(thrown.stack, /TongbanError/);
  const made = new TongbanError("signature.invalid", "made by an application");
  assert.equal(made.code, "signature.invalid");
});

test("every code the package throws is listed by errorCodes()", () => {
  const listed = new Set(forms.errorCodes().map((c) => c.code));
  for (const code of ["wasm.argument", "wasm.number", "wasm.foreign_object", "wasm.freed", "wasm.not_initialized", "json.too_deep"]) {
    assert.ok(listed.has(code), code);
  }
  assert.deepEqual(core.errorCodes(), forms.errorCodes());
});

test("tongban/manual: nothing works before init(), a bad source is wasm.not_initialized, then init() makes it work", () => {
  const manual = pathToFileURL(`${packageDir}/core/manual.js`).href;
  const wasm = `${packageDir}/core/tongban_bg.wasm`;
  const script = `
    import { readFileSync } from "node:fs";
    const m = await import(${JSON.stringify(manual)});
    const codeOf = async (run) => { try { await run(); return "none"; } catch (e) { return (e instanceof m.TongbanError) + " " + e.code; } };
    const before = await codeOf(() => m.KeyPair.sample(${JSON.stringify(HUANGSHI)}));
    const bad = await codeOf(() => m.init(new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9])));
    await m.init(readFileSync(${JSON.stringify(wasm)}));
    await m.init(readFileSync(${JSON.stringify(wasm)}));
    console.log(JSON.stringify([before, bad, m.KeyPair.sample(${JSON.stringify(HUANGSHI)}).keyId]));
  `;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.deepEqual(JSON.parse(out), [
    "true wasm.not_initialized", "true wasm.not_initialized", `${HUANGSHI}#sample`,
  ]);
});

test("bodies of every message type still build through the checked layer", () => {
  const made = forms.createMessage(transferInit);
  for (const [type, body] of Object.entries(bodies("0".repeat(64)))) {
    if (type === "transfer") continue;
    const reply = forms.replyTo(made, { type, body, created: CREATED });
    assert.equal(reply.type, type);
  }
});
