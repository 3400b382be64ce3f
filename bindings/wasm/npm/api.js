// The package's public API over the WebAssembly glue (`tongban.js`, written by
// wasm-bindgen). Every function and constructor checks its arguments here, before they
// reach WebAssembly, and every error it throws is a `TongbanError` with a stable code:
// a wrong type or a missing argument is `wasm.argument`, a number that is not a safe
// integer where an integer is meant (or not finite anywhere) `wasm.number`, an object of
// the other module `wasm.foreign_object`, an object used after `free()` `wasm.freed`.
import * as glue from "./tongban.js";
import { MODULE } from "./variant.js";
import { state } from "./state.js";
import {
  ARGUMENT, FOREIGN_OBJECT, FREED, NOT_INITIALIZED, NUMBER, TongbanError, adopt,
} from "../errors.js";

export { TongbanError };

/** Marks which module made an object, so that mixing the two modules is named. */
const MADE_BY = Symbol.for("tongban.module");
/** Lets the package's own code make objects whose constructors are not public. */
const INTERNAL = Symbol("tongban.internal");
/** Deeper than this, a document is refused before it is written as JSON. */
const MAX_DEPTH = 128;

const fail = (code, message) => new TongbanError(code, message);

/** Runs a call into WebAssembly; its errors become `TongbanError`s. */
function call(run) {
  if (!state.initialized) {
    throw fail(NOT_INITIALIZED, `${MODULE}/manual: call init() (or initSync()) before using the package`);
  }
  try {
    return run();
  } catch (error) {
    throw adopt(error);
  }
}

/** A value named for an error message: its type, and the value when it is short. */
function describe(value) {
  if (value === null) return "null";
  if (value === undefined) return "nothing (undefined)";
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${value}`;
  if (typeof value === "bigint") return `bigint ${value}n`;
  if (typeof value === "string") return value.length > 40 ? "a long string" : `string ${JSON.stringify(value)}`;
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return "a symbol";
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "an object";
}

function string(value, what) {
  if (typeof value !== "string") throw fail(ARGUMENT, `${what} must be a string, got ${describe(value)}`);
  return value;
}

function optionalString(value, what) {
  return value === undefined || value === null ? undefined : string(value, what);
}

/** A time: an RFC 3339 string or a `Date`; `undefined`/`null` mean now. */
function optionalTime(value, what) {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw fail(ARGUMENT, `${what} is an invalid Date`);
    return value.toISOString();
  }
  if (typeof value === "string") return value;
  const hint = typeof value === "number" ? " (for milliseconds, pass new Date(ms))" : "";
  throw fail(ARGUMENT, `${what} must be an RFC 3339 string or a Date, got ${describe(value)}${hint}`);
}

function integer(value, what, min, max) {
  if (typeof value !== "number") throw fail(ARGUMENT, `${what} must be a number, got ${describe(value)}`);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw fail(NUMBER, `${what} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** `string | Uint8Array`, as the glue takes it. */
function bytes(value, what) {
  if (typeof value === "string" || value instanceof Uint8Array) return value;
  throw fail(ARGUMENT, `${what} must be a string or a Uint8Array, got ${describe(value)}`);
}

/**
 * Writes `value` as JSON text if it is plain JSON data: objects, arrays, strings,
 * booleans, `null`, and finite numbers whose integers are safe. `undefined` members are
 * left out, as `JSON.stringify` does; everything else JSON would change silently is
 * refused. Each property is read once, so what is checked is what is written.
 */
function toJson(value, path, depth, seen) {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return String(value);
    case "number":
      if (!Number.isFinite(value)) throw fail(NUMBER, `${path} is ${value}, which JSON cannot carry`);
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
        throw fail(NUMBER, `${path} is ${value}, beyond ±(2^53−1), where integers lose precision`);
      }
      return JSON.stringify(value);
    case "object":
      break;
    default:
      throw fail(ARGUMENT, `${path} is ${describe(value)}, which JSON cannot carry`);
  }
  if (value === null) return "null";
  if (depth > MAX_DEPTH) throw fail("json.too_deep", `${path} is nested deeper than ${MAX_DEPTH} levels`);
  if (seen.has(value)) throw fail(ARGUMENT, `${path} refers back to itself`);
  seen.add(value);
  const parts = [];
  let text;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const element = value[i];
      if (element === undefined) throw fail(ARGUMENT, `${path}[${i}] is undefined, which JSON would write as null`);
      parts.push(toJson(element, `${path}[${i}]`, depth + 1, seen));
    }
    text = `[${parts.join(",")}]`;
  } else {
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      throw fail(ARGUMENT, `${path} is ${describe(value)}; only plain objects, arrays, strings, numbers, booleans and null`);
    }
    for (const name of Object.keys(value)) {
      const member = value[name];
      if (member !== undefined) parts.push(`${JSON.stringify(name)}:${toJson(member, `${path}.${name}`, depth + 1, seen)}`);
    }
    text = `{${parts.join(",")}}`;
  }
  seen.delete(value);
  return text;
}

/** A JSON document given as an object (checked, then written as JSON) or as JSON text. */
function document(value, what) {
  if (typeof value === "string") return value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw fail(ARGUMENT, `${what} must be an object or JSON text, got ${describe(value)}`);
  }
  return toJson(value, what, 0, new Set());
}

/** The glue object behind each of the package's objects, until it is freed. */
const HELD = new WeakMap();

/** The glue object inside one of the package's objects, checked. */
function inner(value, Class, what) {
  if (value instanceof Class) {
    const held = HELD.get(value);
    if (held === undefined) throw fail(FREED, `${what}: this ${Class.name} was freed (free() was called)`);
    return held;
  }
  const maker = value?.[MADE_BY];
  if (typeof maker === "string" && maker !== MODULE) {
    throw fail(FOREIGN_OBJECT, `${what}: a ${value.constructor.name} of ${maker} cannot be used with ${MODULE}; import both from one module`);
  }
  throw fail(ARGUMENT, `${what} must be a ${Class.name} of ${MODULE}, got ${describe(value)}`);
}

/** The glue object inside `object`, one of the package's own; throws `wasm.freed` once freed. */
function live(object) {
  if (!(object instanceof Held)) {
    throw fail(ARGUMENT, `called on ${describe(object)}, not on an object of ${MODULE} (a method taken off its object?)`);
  }
  return inner(object, object.constructor, object.constructor.name);
}

/** What every class of the package has: `free()`, disposal, its module's mark. */
class Held {
  constructor(token, held) {
    if (token !== INTERNAL) {
      throw fail(ARGUMENT, `${new.target.name} has no public constructor; see the package README`);
    }
    HELD.set(this, held);
  }

  /** Frees the WebAssembly memory behind the object (a key's secret is zeroed); twice is harmless. */
  free() {
    const held = HELD.get(this);
    HELD.delete(this);
    held?.free();
  }

  get [MADE_BY]() {
    return MODULE;
  }
}
if (typeof Symbol.dispose === "symbol") {
  Held.prototype[Symbol.dispose] = function dispose() {
    this.free();
  };
}

/** Getters and argument-less methods that only read the glue object: `free`-checked, errors adopted. */
function passThrough(Class, getters, methods) {
  for (const name of getters) {
    Object.defineProperty(Class.prototype, name, {
      get() {
        const held = live(this);
        return call(() => held[name]);
      },
      configurable: true,
    });
  }
  for (const name of methods) {
    Object.defineProperty(Class.prototype, name, {
      value() {
        const held = live(this);
        return call(() => held[name]());
      },
      writable: true,
      configurable: true,
    });
  }
}

/** A signing key of one node: Ed25519, or SM2 (suite `sm2-sm3`). */
export class KeyPair extends Held {
  static generate(node, keyId, alg) {
    string(node, "KeyPair.generate: node");
    const id = optionalString(keyId, "KeyPair.generate: keyId");
    const suite = optionalString(alg, "KeyPair.generate: alg");
    return new KeyPair(INTERNAL, call(() => glue.KeyPair.generate(node, id, suite)));
  }

  static sample(node) {
    string(node, "KeyPair.sample: node");
    return new KeyPair(INTERNAL, call(() => glue.KeyPair.sample(node)));
  }

  static fromKeyFile(text) {
    string(text, "KeyPair.fromKeyFile: text");
    return new KeyPair(INTERNAL, call(() => glue.KeyPair.fromKeyFile(text)));
  }
}

/** A trust registry whose operator signatures were verified. */
export class Registry extends Held {
  static load(text) {
    bytes(text, "Registry.load: text");
    return new Registry(INTERNAL, call(() => glue.Registry.load(text)));
  }

  static bootstrap(text, now) {
    bytes(text, "Registry.bootstrap: text");
    const at = optionalTime(now, "Registry.bootstrap: now");
    return new Registry(INTERNAL, call(() => glue.Registry.bootstrap(text, at)));
  }

  update(text, now) {
    const registry = live(this);
    bytes(text, "registry.update: text");
    const at = optionalTime(now, "registry.update: now");
    return new Registry(INTERNAL, call(() => registry.update(text, at)));
  }

  checkForm(agreement, item, form) {
    const registry = live(this);
    string(agreement, "registry.checkForm: agreement");
    string(item, "registry.checkForm: item");
    const text = document(form, "registry.checkForm: form");
    return call(() => registry.checkForm(agreement, item, text));
  }

  addWorkingDays(date, workingDays) {
    const registry = live(this);
    string(date, "registry.addWorkingDays: date");
    integer(workingDays, "registry.addWorkingDays: workingDays", 0, 0xffff_ffff);
    return call(() => registry.addWorkingDays(date, workingDays));
  }

  negotiate(a, b) {
    const registry = live(this);
    string(a, "registry.negotiate: a");
    string(b, "registry.negotiate: b");
    return call(() => registry.negotiate(a, b));
  }
}

passThrough(KeyPair, ["node", "keyId"], ["toKeyFile", "publicKey"]);
passThrough(Registry, ["version", "sha256"], ["document"]);

/** The receiver argument of a verifier: a node id, or `null` for any node. */
function receiver(value, what) {
  if (value === null || typeof value === "string") return value;
  throw fail(ARGUMENT, `${what}: pass the node whose mail this verifier accepts ("jiujiang.360400"), or null to accept mail for any node; got ${describe(value)}`);
}

/** Verifies messages (§8) and remembers the ones it accepted. */
export class Verifier extends Held {
  static withRegistry(registry, receiverNode) {
    const trusted = inner(registry, Registry, "Verifier.withRegistry: registry");
    const node = receiver(receiverNode, "Verifier.withRegistry: receiver");
    return new Verifier(INTERNAL, call(() => glue.Verifier.withRegistry(trusted, node)));
  }

  static withKeys(keySet, receiverNode) {
    const text = document(keySet, "Verifier.withKeys: keySet");
    const node = receiver(receiverNode, "Verifier.withKeys: receiver");
    return new Verifier(INTERNAL, call(() => glue.Verifier.withKeys(text, node)));
  }

  verify(message, now) {
    const verifier = live(this);
    bytes(message, "verifier.verify: message");
    const at = optionalTime(now, "verifier.verify: now");
    return new VerifiedMessage(INTERNAL, call(() => verifier.verify(message, at)));
  }

  forget(message) {
    const verifier = live(this);
    const verified = inner(message, VerifiedMessage, "verifier.forget: message");
    call(() => verifier.forget(verified));
  }
}

/** A message that passed verification; only `verifier.verify` makes one. */
export class VerifiedMessage extends Held {
  checkReceiptFor(answered) {
    const message = live(this);
    const other = inner(answered, VerifiedMessage, "verified.checkReceiptFor: answered");
    return call(() => message.checkReceiptFor(other));
  }
}

passThrough(VerifiedMessage, ["envelope", "type", "id", "sha256", "files", "signers", "warnings"], ["canonical"]);

/** A case as the lifecycle (§18) sees it. */
export class Case extends Held {
  constructor(caseId) {
    string(caseId, "new Case: caseId");
    super(INTERNAL, call(() => new glue.Case(caseId)));
  }

  apply(message, registry) {
    const tracked = live(this);
    const verified = inner(message, VerifiedMessage, "case.apply: message");
    const trusted = inner(registry, Registry, "case.apply: registry");
    return call(() => tracked.apply(verified, trusted));
  }

  tracks(registry, now) {
    const tracked = live(this);
    const trusted = inner(registry, Registry, "case.tracks: registry");
    const at = optionalTime(now, "case.tracks: now");
    return call(() => tracked.tracks(trusted, at));
  }
}

passThrough(Case, ["status", "window"], []);

export function canonicalize(input) {
  bytes(input, "canonicalize: input");
  return call(() => glue.canonicalize(input));
}

export function checkIdentifier(kind, value) {
  string(kind, "checkIdentifier: kind");
  string(value, "checkIdentifier: value");
  return call(() => glue.checkIdentifier(kind, value));
}

/** A message or reply init: a document whose `validForSeconds`, when given, is an integer. */
function messageInit(value, what) {
  const text = document(value, what);
  if (typeof value === "object" && value.validForSeconds !== undefined) {
    integer(value.validForSeconds, `${what}: validForSeconds`, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  }
  return text;
}

export function createMessage(init) {
  const text = messageInit(init, "createMessage: init");
  return call(() => glue.createMessage(text));
}

export function replyTo(message, init) {
  const answered = document(message, "replyTo: message");
  const text = messageInit(init, "replyTo: init");
  return call(() => glue.replyTo(answered, text));
}

export function signMessage(message, key) {
  const text = document(message, "signMessage: message");
  const secret = inner(key, KeyPair, "signMessage: key");
  return call(() => glue.signMessage(text, secret));
}

export function parseMessage(message) {
  const text = document(message, "parseMessage: message");
  return call(() => glue.parseMessage(text));
}

/** SHA-256 (and, with `{ sm3: true }`, SM3) and size of a file fed in pieces (`update`), for any source of bytes. */
export class FileHasher extends Held {
  constructor(options) {
    const sm3 = sm3Option(options, "new FileHasher: options");
    super(INTERNAL, call(() => new glue.FileHasher(sm3)));
  }

  update(piece) {
    const hasher = live(this);
    if (!(piece instanceof Uint8Array)) throw fail(ARGUMENT, `fileHasher.update: piece must be a Uint8Array, got ${describe(piece)}`);
    return call(() => hasher.update(piece));
  }

  reference(name, mediaType) {
    const hasher = live(this);
    string(name, "fileHasher.reference: name");
    string(mediaType, "fileHasher.reference: mediaType");
    return call(() => hasher.reference(name, mediaType));
  }
}

passThrough(FileHasher, ["size"], []);

/** The default piece: 1 MiB, a few milliseconds of hashing between two turns of the event loop. */
const PIECE = 1024 * 1024;

/** A `Blob` (a browser `File`) or a `Uint8Array`, and its size. */
function source(value, what) {
  if (value instanceof Uint8Array) return { size: value.byteLength, read: async (a, b) => value.subarray(a, b) };
  if (typeof Blob === "function" && value instanceof Blob) {
    return { size: value.size, read: async (a, b) => new Uint8Array(await value.slice(a, b).arrayBuffer()) };
  }
  throw fail(ARGUMENT, `${what} must be a Blob (a File) or a Uint8Array, got ${describe(value)}`);
}

/** The options of `fileReference` and `checkFile`: piece size and progress callback. */
function pieceOptions(options, what) {
  if (options === undefined || options === null) return { piece: PIECE, onProgress: undefined };
  if (typeof options !== "object") throw fail(ARGUMENT, `${what} must be an object, got ${describe(options)}`);
  const piece = options.pieceSize === undefined ? PIECE : integer(options.pieceSize, `${what}.pieceSize`, 1, 64 * PIECE);
  const { onProgress } = options;
  if (onProgress !== undefined && typeof onProgress !== "function") {
    throw fail(ARGUMENT, `${what}.onProgress must be a function, got ${describe(onProgress)}`);
  }
  return { piece, onProgress };
}

/** Feeds `bytes` to `feed` piece by piece, awaiting between pieces so the page stays responsive. */
async function feedPieces(bytes, piece, onProgress, feed) {
  for (let start = 0; start < bytes.size; start += piece) {
    const end = Math.min(start + piece, bytes.size);
    feed(await bytes.read(start, end));
    onProgress?.(end, bytes.size);
  }
}

export async function fileReference(file, options) {
  const bytes = source(file, "fileReference: file");
  const { piece, onProgress } = pieceOptions(options, "fileReference: options");
  const name = optionalString(options?.name, "fileReference: options.name") ?? optionalString(file.name, "fileReference: file.name");
  const mediaType = optionalString(options?.mediaType, "fileReference: options.mediaType") || (file.type || undefined);
  if (name === undefined) throw fail(ARGUMENT, "fileReference: give options.name (what the file is, e.g. 身份证复印件)");
  if (mediaType === undefined) throw fail(ARGUMENT, "fileReference: give options.mediaType (the file has no type)");
  const hasher = new FileHasher({ sm3: sm3Option(options, "fileReference: options") });
  try {
    await feedPieces(bytes, piece, onProgress, (chunk) => hasher.update(chunk));
    return hasher.reference(name, mediaType);
  } finally {
    hasher.free();
  }
}

/** Whether `options.sm3` asks for the SM3 digest too (1.1, an agreement on `sm2-sm3`). */
function sm3Option(options, what) {
  if (options === undefined || options === null || options.sm3 === undefined) return false;
  if (typeof options !== "object") throw fail(ARGUMENT, `${what} must be an object, got ${describe(options)}`);
  if (typeof options.sm3 !== "boolean") throw fail(ARGUMENT, `${what}.sm3 must be true or false, got ${describe(options.sm3)}`);
  return options.sm3;
}

/** A file reference given as an object or as JSON text: its digests, size and media type. */
function fileRef(value, what) {
  let reference = value;
  if (typeof value === "string") {
    try {
      reference = JSON.parse(value);
    } catch {
      throw fail("json.syntax", `${what} is not JSON`);
    }
  }
  const { sha256, sm3, size, media_type: mediaType } = reference ?? {};
  if (typeof reference !== "object" || reference === null || typeof sha256 !== "string" ||
      (sm3 !== undefined && typeof sm3 !== "string") ||
      typeof mediaType !== "string" || !Number.isSafeInteger(size) || size < 0) {
    throw fail("message.invalid", `${what} must be a file reference {name, sha256, sm3?, media_type, size}`);
  }
  return { sha256, sm3, size, mediaType };
}

export async function checkFile(reference, file, options) {
  const { sha256, sm3, size, mediaType } = fileRef(reference, "checkFile: reference");
  const bytes = source(file, "checkFile: file");
  const { piece, onProgress } = pieceOptions(options, "checkFile: options");
  const servedAs = optionalString(options?.mediaType, "checkFile: options.mediaType");
  const check = call(() => new glue.FileCheck(sha256, sm3, size, mediaType, servedAs));
  try {
    await feedPieces(bytes, piece, onProgress, (chunk) => call(() => check.update(chunk)));
    call(() => check.finish());
  } finally {
    check.free();
  }
}

export function errorCodes() {
  return call(() => glue.errorCodes());
}
