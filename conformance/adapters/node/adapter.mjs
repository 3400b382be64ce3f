// A second, independent implementation of the tongban protocol (docs/PROTOCOL.md) in
// JavaScript, for the conformance runner's adapter protocol: one JSON request per line on
// standard input, one JSON outcome per line on standard output.
//
// It shares no code with the Rust SDK: RFC 8785 comes from the `canonicalize` package,
// Ed25519 from Node's own crypto, body structure from `ajv` over the published JSON
// Schemas, and the strict JSON parser, identifier rules and the Ed25519 point checks
// that make verification strict are written here from the specification. It implements
// `canonicalize`, `identifier` and `verify` against a key set, and the library side of
// the file exchange (§23): `file_check` (a file's bytes against its reference) and
// `file_request` (signed file requests); and sealing to the receiver (§24): `seal` and
// `open` in both suites, and `decrypt` (each suite's primitive on its standard's example), HPKE by `@hpke/core` with `@hpke/dhkem-x25519`, SM2 decryption,
// its ECDH and KDF, SM3 and SM4-GCM by `sm-crypto-v2` (SM2 encryption with a given k,
// which no library offers, is put together from those parts as GB/T 32918.4 writes it).
// The registry, lifecycle and deadline operations, and the registry's sealing keys,
// answer "unsupported", so the runner reports them as skipped.
//
// TONGBAN_ADAPTER_BROKEN=duplicate-keys makes the parser accept duplicate keys: a
// deliberately broken implementation, to show that the suite catches it.

import { createCipheriv, createDecipheriv, createHash, createPublicKey, verify as edVerify } from "node:crypto";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import canonicalize from "canonicalize";
import smCrypto from "sm-crypto";
import { Aes128Gcm, CipherSuite, HkdfSha256 } from "@hpke/core";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import { kdf as sm2Kdf, sm2 as sm2v2, sm3 as sm3v2, sm4 } from "sm-crypto-v2";
import Ajv2020 from "ajv/dist/2020.js";

const BROKEN = process.env.TONGBAN_ADAPTER_BROKEN ?? "";
const MAX_BYTES = 1024 * 1024;
const MAX_DEPTH = 32;
const MAX_SAFE = 2 ** 53 - 1;
const NANOS = 1_000_000_000n;
const SKEW = 300n * NANOS;
const MAX_VALIDITY = 7n * 24n * 3600n * NANOS;

class Refusal extends Error {
  constructor(code, message) {
    super(message ?? code);
    this.code = code;
  }
}
const refuse = (code, message) => {
  throw new Refusal(code, message);
};

// ---------------------------------------------------------------- strict JSON (§2)

/** Parses bytes strictly, nested at most `maxDepth` deep; returns { value,
 * unsafeNumbers } or throws a Refusal. */
function parseStrict(bytes, maxDepth = MAX_DEPTH) {
  if (bytes.length > MAX_BYTES) refuse("json.too_large");
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) refuse("json.bom");
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    refuse("json.invalid_utf8");
  }
  let pos = 0;
  const unsafeNumbers = [];
  const ws = () => {
    while (pos < text.length && " \t\n\r".includes(text[pos])) pos++;
  };
  const syntax = (why) => refuse("json.syntax", `${why} at ${pos}`);
  const value = (depth) => {
    const c = text[pos];
    if ((c === "{" || c === "[") && depth > maxDepth) refuse("json.too_deep");
    if (c === "{") return object(depth);
    if (c === "[") return array(depth);
    if (c === '"') return string();
    if (c === "-" || (c >= "0" && c <= "9")) return number();
    for (const [word, v] of [["true", true], ["false", false], ["null", null]]) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return v;
      }
    }
    return syntax("expected a value");
  };
  const object = (depth) => {
    pos++;
    const out = {};
    const seen = new Set();
    ws();
    if (text[pos] === "}") {
      pos++;
      return out;
    }
    for (;;) {
      ws();
      if (text[pos] !== '"') syntax("expected a name");
      const key = string();
      if (seen.has(key) && BROKEN !== "duplicate-keys") refuse("json.duplicate_key", key);
      seen.add(key);
      ws();
      if (text[pos] !== ":") syntax("expected :");
      pos++;
      ws();
      Object.defineProperty(out, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
      ws();
      if (text[pos] === ",") pos++;
      else if (text[pos] === "}") {
        pos++;
        return out;
      } else syntax("expected , or }");
    }
  };
  const array = (depth) => {
    pos++;
    const out = [];
    ws();
    if (text[pos] === "]") {
      pos++;
      return out;
    }
    for (;;) {
      ws();
      out.push(value(depth + 1));
      ws();
      if (text[pos] === ",") pos++;
      else if (text[pos] === "]") {
        pos++;
        return out;
      } else syntax("expected , or ]");
    }
  };
  const hex4 = () => {
    const h = text.slice(pos, pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) syntax("bad \\u escape");
    pos += 4;
    return parseInt(h, 16);
  };
  const string = () => {
    pos++;
    let out = "";
    for (;;) {
      const c = text[pos];
      if (c === undefined) syntax("unterminated string");
      if (c === '"') {
        pos++;
        return out;
      }
      if (c < " ") syntax("control character in string");
      if (c !== "\\") {
        out += c;
        pos++;
        continue;
      }
      const e = text[pos + 1];
      pos += 2;
      const simple = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      if (e in simple) {
        out += simple[e];
      } else if (e === "u") {
        const unit = hex4();
        if (unit >= 0xd800 && unit <= 0xdbff) {
          if (text.slice(pos, pos + 2) !== "\\u") refuse("json.lone_surrogate");
          pos += 2;
          const low = hex4();
          if (low < 0xdc00 || low > 0xdfff) refuse("json.lone_surrogate");
          out += String.fromCharCode(unit, low);
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          refuse("json.lone_surrogate");
        } else {
          out += String.fromCharCode(unit);
        }
      } else syntax("bad escape");
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(pos));
    if (!m) syntax("bad number");
    pos += m[0].length;
    const v = Number(m[0]);
    if (!Number.isFinite(v)) refuse("json.number_out_of_range");
    if (m[2] !== undefined || m[3] !== undefined || Math.abs(v) > MAX_SAFE) unsafeNumbers.push(m[0]);
    return v;
  };
  ws();
  const result = value(1);
  ws();
  if (pos < text.length) refuse("json.trailing_data");
  return { value: result, unsafeNumbers };
}

// ---------------------------------------------------------------- identifiers (§4)

const PROVINCES = new Set("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split(" "));
const CREDIT = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const token = (re, code) => (v) => {
  if (!re.test(v)) refuse(code);
};

function calendarDate(y, m, d) {
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1];
}

/** Nanoseconds since the epoch (a BigInt) of an RFC 3339 time with at most nine
 * fractional digits, or a time.format refusal. */
function timestamp(v) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-](\d{2}):(\d{2}))$/.exec(v);
  const offsetOk = m && (m[8] === "Z" || (+m[9] <= 23 && +m[10] <= 59));
  if (!m || !offsetOk || !calendarDate(+m[1], +m[2], +m[3]) || +m[4] > 23 || +m[5] > 59 || +m[6] > 59) refuse("time.format");
  const seconds = Date.parse(`${v.slice(0, 19)}${m[8]}`) / 1000;
  return BigInt(seconds) * NANOS + BigInt((m[7] ?? "").padEnd(9, "0"));
}

const IDENTIFIERS = {
  region(v) {
    if (!/^[0-9]{6}$/.test(v)) refuse("id.region_format");
    if (!PROVINCES.has(v.slice(0, 2)) || (v.slice(2, 4) === "00" && v.slice(4) !== "00")) refuse("id.region_structure");
  },
  citizen_id(v) {
    if (!/^[0-9]{17}[0-9X]$/.test(v)) refuse("id.citizen_format");
    const [y, m, d] = [+v.slice(6, 10), +v.slice(10, 12), +v.slice(12, 14)];
    if (y < 1800 || y > 2099 || !calendarDate(y, m, d)) refuse("id.citizen_birth_date");
    const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const sum = w.reduce((s, wi, i) => s + wi * +v[i], 0);
    const c = (12 - (sum % 11)) % 11;
    if (v[17] !== (c === 10 ? "X" : String(c))) refuse("id.citizen_checksum");
  },
  credit_code(v) {
    if (v.length !== 18 || [...v].some((c) => !CREDIT.includes(c)) || !/^[0-9]{6}$/.test(v.slice(2, 8))) refuse("id.credit_format");
    const w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    const sum = w.reduce((s, wi, i) => s + wi * CREDIT.indexOf(v[i]), 0);
    if (v[17] !== CREDIT[(31 - (sum % 31)) % 31]) refuse("id.credit_checksum");
  },
  message_id: token(/^([0-7][0-9A-HJKMNP-TV-Z]{25}|[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$/, "id.message_format"),
  node: token(/^[a-z0-9][a-z0-9.-]{2,63}$/, "id.node_format"),
  case: token(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "id.case_format"),
  agreement: token(/^[a-z0-9][a-z0-9.-]{2,63}$/, "id.agreement_format"),
  item: token(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "id.item_format"),
  key_id: token(/^[A-Za-z0-9][A-Za-z0-9._:#-]{0,127}$/, "id.key_format"),
  digest: token(/^[0-9a-f]{64}$/, "id.digest_format"),
  timestamp,
  protocol_version(v) {
    const m = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/.exec(v);
    if (!m) refuse("version.format");
    if (m[1] !== "1") refuse("version.unsupported_major");
  },
};

// ---------------------------------------------------------------- messages (§5–§8)

const here = dirname(fileURLToPath(import.meta.url));
const schemas = join(here, "..", "..", "..", "schemas", "v1");
const ajv = new Ajv2020({ allErrors: false, strict: true, validateFormats: false });
const TYPES = ["transfer", "receipt", "status_update", "supplement_request", "supplement", "decision", "withdrawal", "protocol_error", "files_received", "shipment", "shipment_received", "delivery", "evaluation", "rectification"];
// The minor version (of major 1) that introduced each type added after 1.0 (§10).
const SINCE_MINOR = { files_received: 1, shipment: 1, shipment_received: 1, delivery: 1, evaluation: 1, rectification: 1 };
// Types that answer a message and so require in_reply_to (§2 step 8).
const ANSWERS = ["receipt", "files_received", "shipment_received", "rectification"];
// The time member of a body that is not after the message's created (§6).
const NOT_AFTER_CREATED = { delivery: "delivered_at", evaluation: "evaluated_at", rectification: "called_back_at" };
const bodyValidators = Object.fromEntries(
  TYPES.map((t) => [t, ajv.compile(JSON.parse(readFileSync(join(schemas, `${t}.json`), "utf8")))]),
);
// A pattern failure names the identifier's definition: report that identifier's code.
const DEF_CODES = {
  RegionCode: "id.region_format", CitizenId: "id.citizen_format", CreditCode: "id.credit_format",
  ItemCode: "id.item_format", Sha256Digest: "id.digest_format", Sm3Digest: "id.digest_format", Timestamp: "time.format",
  NodeId: "id.node_format", MessageId: "id.message_format", KeyId: "id.key_format",
};

const isString = (v) => typeof v === "string";

/** The value at a JSON Pointer (RFC 6901) in `value`. */
const valueAt = (value, pointer) =>
  pointer.split("/").slice(1).reduce((v, token) => v?.[token.replaceAll("~1", "/").replaceAll("~0", "~")], value);

/** The members of a transfer that a minor version added, with that minor (§6). */
const TRANSFER_MEMBERS_SINCE_MINOR = { channel: 1, agent: 1, result_delivery: 1, deferred_materials: 1, commitments: 1, theme: 1 };

/** The day (YYYY-MM-DD) in China time (UTC+8, §19) of an RFC 3339 timestamp. */
const chinaDay = (v) => new Date(Number((timestamp(v) / NANOS) * 1000n) + 8 * 3600 * 1000).toISOString().slice(0, 10);

/** §2 step 8 for a transfer: its members exist in its version and agree. */
function checkTransferMembers(transfer, minor, created) {
  for (const [member, since] of Object.entries(TRANSFER_MEMBERS_SINCE_MINOR)) {
    if (transfer[member] != null && minor < since) refuse("message.invalid", `/body/${member} in 1.${minor}`);
  }
  const delivery = transfer.result_delivery;
  if (delivery && (delivery.method === "post") !== (delivery.address != null)) {
    refuse("message.invalid", "/body/result_delivery/address: for a result by post, and only then");
  }
  if (transfer.agent && transfer.applicant.kind !== "natural_person") refuse("message.invalid", "/body/agent: for a natural person only");
  if (transfer.agent && transfer.agent.citizen_id === transfer.applicant.citizen_id) refuse("message.invalid", "/body/agent: the agent is the applicant");
  // (1.1) 容缺 and 告知承诺: each list holds something; a material is named once across
  // both and is not handed in as well; a promise is not for a day before the transfer's.
  const absent = [];
  for (const member of ["deferred_materials", "commitments"]) {
    if (transfer[member] == null) continue; // null is absent (§1)
    if (transfer[member].length === 0) refuse("message.invalid", `/body/${member}: at least one material`);
    for (const { material } of transfer[member]) {
      if (transfer.materials.some((m) => m.name === material)) refuse("message.invalid", `/body/${member}: handed in as well`);
      if (absent.includes(material)) refuse("message.invalid", `/body/${member}: named twice`);
      absent.push(material);
    }
  }
  for (const { promised_by: day } of transfer.deferred_materials ?? []) {
    if (!calendarDate(+day.slice(0, 4), +day.slice(5, 7), +day.slice(8, 10))) refuse("message.invalid", `/body/deferred_materials: ${day} is no date`);
  }
  if ((transfer.deferred_materials ?? []).some((d) => d.promised_by < chinaDay(created))) {
    refuse("message.invalid", "/body/deferred_materials: promised before the transfer's day");
  }
}

/** §2 step 8 for a decision (1.1): an electronic licence's data exists in its version,
 * belongs to an electronic licence, names its holder once, is valid from a real day not
 * after its last, and has the document's number. */
function checkDecisionMembers(decision, minor) {
  for (const document of decision.documents) {
    const licence = document.licence;
    if (licence == null) continue; // null is absent (§1)
    if (minor < 1) refuse("message.invalid", "/body/documents/licence in 1.0");
    if (document.kind !== "electronic_licence") refuse("message.invalid", "/body/documents/licence: for an electronic licence only");
    if ((licence.holder_citizen_id != null) === (licence.holder_credit_code != null)) refuse("message.invalid", "/body/documents/licence: one holder identifier");
    for (const day of [licence.valid_from, licence.valid_until]) {
      if (day != null && !calendarDate(+day.slice(0, 4), +day.slice(5, 7), +day.slice(8, 10))) refuse("message.invalid", `/body/documents/licence: ${day} is no date`);
    }
    if (licence.valid_until != null && licence.valid_until < licence.valid_from) refuse("message.invalid", "/body/documents/licence: valid_until before valid_from");
    if (document.number != null && document.number !== licence.number) refuse("message.invalid", "/body/documents/licence: not the document's number");
  }
}

/** The file references of a message's body (§23): a transfer's materials, its agent's
 * power of attorney and its commitments' statements, a supplement's materials, a
 * decision's documents. */
function referencesOf(doc) {
  const body = doc.body;
  if (doc.type === "transfer") {
    return [...body.materials, ...(body.agent ? [body.agent.power_of_attorney] : []), ...(body.commitments ?? []).map((c) => c.statement)];
  }
  if (doc.type === "supplement") return body.materials;
  if (doc.type === "decision") return body.documents.map((d) => d.file);
  return [];
}

/** The licences of a decision's documents (1.1), each with its data. */
const licencesOf = (doc) => (doc.type === "decision" ? doc.body.documents.map((d) => d.licence).filter((l) => l != null) : []);

// (1.1) §24.5: the types whose body is sealed to a receiver with a sealing key, the
// members of a sealed body that stay readable, and the sealed body's structure.
const UNSEALED = ["receipt", "files_received", "protocol_error"];
const READABLE = { transfer: ["item", "theme"] };
const sealedBodyValidator = ajv.compile(JSON.parse(readFileSync(join(schemas, "sealed_body.json"), "utf8")));
const isSealed = (doc) => doc.body !== null && typeof doc.body === "object" && Object.hasOwn(doc.body, "sealed");

/** §24.5: a sealed body's own rules, before it is opened. */
function checkSealedBody(doc, minor) {
  if (!sealedBodyValidator(doc.body)) {
    const error = sealedBodyValidator.errors[0];
    const def = /\$defs\/([A-Za-z0-9]+)\//.exec(error.schemaPath);
    const code = error.keyword === "pattern" && def ? DEF_CODES[def[1]] : undefined;
    refuse(code ?? "message.invalid", `/body${error.instancePath}: ${error.message}`);
  }
  if (minor < (SINCE_MINOR[doc.type] ?? 0)) refuse("message.unknown_type", `${doc.type} in ${doc.protocol}`);
  if (minor < 1) refuse("message.invalid", "/body/sealed in 1.0");
  if (UNSEALED.includes(doc.type)) refuse("message.invalid", `a ${doc.type} is never sealed`);
  // A member null is absent (§1).
  const readable = READABLE[doc.type] ?? [];
  for (const name of ["item", "theme"]) {
    if (doc.body[name] != null && !readable.includes(name)) refuse("message.invalid", `/body/${name} is not readable in a ${doc.type}`);
  }
  if (doc.type === "transfer" && doc.body.item == null) refuse("message.invalid", "/body/item: a sealed transfer keeps it readable");
}

/** §2: parses a message and checks its structure; returns the document. */
function parseMessage(bytes) {
  const { value: doc, unsafeNumbers } = parseStrict(bytes);
  return checkMessage(doc, unsafeNumbers);
}

/** §2 from step 4 on: a parsed document's version, type, members and body; a body
 * opened from a box (`arrivedSealed`) is checked as one in clear, but its files must be
 * sealed (§24.6). */
function checkMessage(doc, unsafeNumbers, arrivedSealed = false) {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) refuse("message.invalid");
  if (!isString(doc.protocol)) refuse("message.invalid", "protocol");
  IDENTIFIERS.protocol_version(doc.protocol);
  if (!isString(doc.type)) refuse("message.invalid", "type");
  if (!TYPES.includes(doc.type)) refuse("message.unknown_type");
  if (unsafeNumbers.length > 0) refuse("message.unsafe_number", unsafeNumbers[0]);
  const header = [["id", "message_id"], ["case", "case"], ["from", "node"], ["to", "node"], ["agreement", "agreement"], ["created", "timestamp"], ["expires", "timestamp"]];
  for (const [field, kind] of header) {
    if (!isString(doc[field])) refuse("message.invalid", field);
    IDENTIFIERS[kind](doc[field]);
  }
  if (doc.in_reply_to !== undefined && doc.in_reply_to !== null) {
    if (!isString(doc.in_reply_to)) refuse("message.invalid", "in_reply_to");
    IDENTIFIERS.message_id(doc.in_reply_to);
  }
  if (doc.signatures !== undefined) {
    if (!Array.isArray(doc.signatures)) refuse("message.invalid", "signatures");
    for (const s of doc.signatures) {
      const keys = s && typeof s === "object" ? Object.keys(s).sort().join(",") : "";
      if (keys !== "alg,kid,sig" || !isString(s.alg) || !isString(s.kid) || !isString(s.sig)) refuse("message.invalid", "signature entry");
      IDENTIFIERS.key_id(s.kid);
    }
  }
  const minor = Number(doc.protocol.split(".")[1]);
  if (isSealed(doc)) {
    checkSealedBody(doc, minor);
    return checkHeader(doc);
  }
  const validate = bodyValidators[doc.type];
  if (!validate(doc.body)) {
    const error = validate.errors[0];
    const def = /\$defs\/([A-Za-z0-9]+)\//.exec(error.schemaPath);
    // The schema's region pattern holds the structure too: the identifier's own check
    // tells a malformed code (id.region_format) from a misshapen one (id.region_structure).
    if (error.keyword === "pattern" && def?.[1] === "RegionCode") IDENTIFIERS.region(valueAt(doc.body, error.instancePath));
    const code = error.keyword === "pattern" && def ? DEF_CODES[def[1]] : undefined;
    refuse(code ?? "message.invalid", `/body${error.instancePath}: ${error.message}`);
  }
  const transfer = doc.type === "transfer" ? doc.body : undefined;
  const applicant = transfer?.applicant;
  if (applicant?.kind === "natural_person") IDENTIFIERS.citizen_id(applicant.citizen_id);
  if (transfer?.agent) IDENTIFIERS.citizen_id(transfer.agent.citizen_id);
  if (transfer?.result_delivery?.address) IDENTIFIERS.region(transfer.result_delivery.address.region);
  for (const licence of licencesOf(doc)) if (licence.holder_citizen_id != null) IDENTIFIERS.citizen_id(licence.holder_citizen_id);
  // §2 step 8: the type, and a transfer's members, must exist in the version the
  // message says; the members of a transfer agree with each other.
  if (minor < (SINCE_MINOR[doc.type] ?? 0)) refuse("message.unknown_type", `${doc.type} in ${doc.protocol}`);
  if (transfer) checkTransferMembers(transfer, minor, doc.created);
  if (doc.type === "decision") checkDecisionMembers(doc.body, minor);
  // (1.1) SM3 digests: a receipt's of the answered message, a file reference's.
  if (doc.type === "receipt" && doc.body.answers_sm3 != null && minor < 1) refuse("message.invalid", "/body/answers_sm3 in 1.0");
  if (minor < 1 && referencesOf(doc).some((r) => r.sm3 != null)) refuse("message.invalid", "/body/…/sm3 in 1.0");
  // (1.1) §24.6: a file is sealed exactly when its body arrived sealed, under a key of
  // 16 bytes (a member null is absent, §1).
  for (const reference of referencesOf(doc)) {
    if ((reference.sealed != null) !== arrivedSealed) refuse("message.invalid", `/body/…/sealed: ${arrivedSealed ? "a file of a sealed body is sealed" : "only in a sealed body"}`);
    if (arrivedSealed && decodeBase64url(reference.sealed.key)?.length !== 16) refuse("message.invalid", "/body/…/sealed/key: not 16 bytes");
  }
  const when = NOT_AFTER_CREATED[doc.type];
  if (when && doc.body[when] !== undefined && timestamp(doc.body[when]) > timestamp(doc.created)) {
    refuse("message.invalid", `/body/${when}: after created`);
  }
  checkHeader(doc);
  // §2 step 10: the credit code's check character, last.
  if (applicant?.kind === "legal_entity") IDENTIFIERS.credit_code(applicant.credit_code);
  for (const licence of licencesOf(doc)) {
    for (const code of [licence.issuer_credit_code, licence.holder_credit_code]) if (code != null) IDENTIFIERS.credit_code(code);
  }
  return doc;
}

/** §2 step 8's rules of the envelope's own members. */
function checkHeader(doc) {
  if (doc.from === doc.to) refuse("message.invalid", "from equals to");
  if (ANSWERS.includes(doc.type) && !isString(doc.in_reply_to)) refuse("message.invalid", "in_reply_to");
  const window = timestamp(doc.expires) - timestamp(doc.created);
  if (!(window > 0n && window <= MAX_VALIDITY)) refuse("time.bad_window");
  return doc;
}

/** §24.5: opens a verified message's sealed body with the receiver's key of the box's
 * kid, and checks the body inside as a body in clear. The document with that body. */
async function openBody(doc, sealingKeys) {
  if (!isSealed(doc)) return doc;
  const box = doc.body.sealed;
  // The readable members present (a member null is absent, §1).
  const readable = Object.fromEntries((READABLE[doc.type] ?? []).filter((n) => doc.body[n] != null).map((n) => [n, doc.body[n]]));
  const key = sealingKeys.find((k) => k.kid === box.kid && k.owner === doc.to);
  if (!key) refuse("seal.unknown_key", `no key ${box.kid}`);
  const opened = await open({ key, box, context: { from: doc.from, to: doc.to, id: doc.id, part: "body" } });
  // The members are a body's, one level below the message: as deep as in clear.
  const { value: members, unsafeNumbers } = parseStrict(Buffer.from(opened.plaintext, "base64url"), MAX_DEPTH - 1);
  if (members === null || typeof members !== "object" || Array.isArray(members)) refuse("message.invalid", "/body/sealed: not an object");
  for (const name of ["sealed", ...(READABLE[doc.type] ?? [])]) {
    if (Object.hasOwn(members, name)) refuse("message.invalid", `/body/sealed holds ${name}`);
  }
  return checkMessage({ ...doc, body: { ...readable, ...members } }, unsafeNumbers, true);
}

function canonicalBytes(value) {
  return Buffer.from(canonicalize(value), "utf8");
}

function decodeBase64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : undefined;
}

// ---------------------------------------------------------------- Ed25519 points (§7, §8)
// Node's crypto (OpenSSL) verifies cofactorless and itself refuses S ≥ L and an R that
// is not canonically encoded. What strict verification adds is checked here on the
// curve -x² + y² = 1 + d·x²·y²: small-order R, and public keys that are not canonically
// encoded or have a small-order component.

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const mod = (a) => ((a % P) + P) % P;
function power(base, exponent) {
  let result = 1n;
  for (let b = mod(base), e = exponent; e > 0n; e >>= 1n, b = (b * b) % P) {
    if (e & 1n) result = (result * b) % P;
  }
  return result;
}
const D = mod(-121665n * power(121666n, P - 2n));
const SQRT_MINUS_1 = power(2n, (P - 1n) / 4n);
const IDENTITY = [0n, 1n, 1n, 0n];

/** The point (extended coordinates) of a 32-byte encoding; undefined if the encoding is
 * not canonical (y ≥ p, or x = 0 with the sign bit set) or no point has this y. */
function decodePoint(bytes) {
  let y = 0n;
  for (let i = 31; i >= 0; i--) y = (y << 8n) | BigInt(i === 31 ? bytes[i] & 0x7f : bytes[i]);
  const negative = bytes[31] >> 7 === 1;
  if (y >= P) return undefined;
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * power(v, 3n) * power(u * power(v, 7n), (P - 5n) / 8n));
  if (mod(v * x * x) === mod(-u)) x = mod(x * SQRT_MINUS_1);
  if (mod(v * x * x) !== u) return undefined;
  if (x === 0n && negative) return undefined;
  if (((x & 1n) === 1n) !== negative) x = P - x;
  return [x, y, 1n, mod(x * y)];
}

function add([x1, y1, z1, t1], [x2, y2, z2, t2]) {
  const a = mod((y1 - x1) * (y2 - x2));
  const b = mod((y1 + x1) * (y2 + x2));
  const c = mod(2n * D * t1 * t2);
  const d = mod(2n * z1 * z2);
  const [e, f, g, h] = [b - a, d - c, d + c, b + a];
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

function multiply(point, scalar) {
  let result = IDENTITY;
  for (let p = point, n = scalar; n > 0n; n >>= 1n, p = add(p, p)) {
    if (n & 1n) result = add(result, p);
  }
  return result;
}

const isIdentity = ([x, y, z]) => x === 0n && y === z;

/** Refuses a public key that is not a canonical point encoding (`key.malformed`) or has
 * a small-order component (`key.weak`). */
function checkPublicKey(text) {
  const bytes = decodeBase64url(text);
  if (!bytes || bytes.length !== 32) refuse("key.malformed", "not 32 bytes of base64url");
  const point = decodePoint(bytes);
  if (!point) refuse("key.malformed", "not the canonical encoding of a curve point");
  if (isIdentity(multiply(point, 8n)) || !isIdentity(multiply(point, L))) refuse("key.weak");
}

/** Whether the R half of a signature decodes to a point of small order. */
function smallOrderR(signature) {
  const r = decodePoint(signature.subarray(0, 32));
  return r !== undefined && isIdentity(multiply(r, 8n));
}

/** The SM2 curve's field modulus p. */
const SM2_P = BigInt("0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF");
/** The distinguishing identifier of every SM2 signature of the protocol (§7). */
const SM2_ID = "1234567812345678";

/** Refuses an SM2 public key that is not the uncompressed point 04‖x‖y (65 bytes) with
 * coordinates below p on the curve (`key.malformed`); returns its hex for sm-crypto. */
function checkSm2PublicKey(text) {
  const bytes = decodeBase64url(text);
  if (!bytes || bytes.length !== 65 || bytes[0] !== 4) refuse("key.malformed", "not 04‖x‖y, 65 bytes");
  const hex = Buffer.from(bytes).toString("hex");
  const [x, y] = [BigInt(`0x${hex.slice(2, 66)}`), BigInt(`0x${hex.slice(66)}`)];
  if (x >= SM2_P || y >= SM2_P || !smCrypto.sm2.verifyPublicKey(hex)) {
    refuse("key.malformed", "not a point of the SM2 curve");
  }
  return hex;
}

/** The trusted keys of a key-set file, by kid; refuses a malformed or weak key, and a
 * key of an algorithm this implementation does not know (a key set is strict, §8). */
function loadKeys(keySetText) {
  const keys = new Map();
  for (const k of parseStrict(Buffer.from(keySetText, "utf8")).value.keys) {
    keys.set(k.kid, { owner: k.owner, ...loadKey(k.alg, k.public_key) });
  }
  return keys;
}

/** One public key of a suite, checked (`key.malformed`, `key.weak`) and decoded. */
function loadKey(alg, publicKey) {
  if (alg === "sm2-sm3") return { alg, hex: checkSm2PublicKey(publicKey) };
  if (alg !== "ed25519") refuse("key.malformed", `unknown algorithm ${alg}`);
  checkPublicKey(publicKey);
  return { alg, key: createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: publicKey }, format: "jwk" }) };
}

/** §8 step 2.4: a base64url signature of 64 bytes (both suites) that verifies. */
function checkSignature(key, input, sigText) {
  const signature = decodeBase64url(sigText);
  if (!signature || signature.length !== 64) refuse("signature.malformed");
  if (!signatureVerifies(key, input, signature)) refuse("signature.invalid");
}

/** Whether `signature` over `input` verifies under `key`: Ed25519 strictly (no
 * small-order R), SM2 over SM3(Z‖M) with the protocol's identifier, r‖s. */
function signatureVerifies(key, input, signature) {
  if (key.alg === "sm2-sm3") {
    const sig = Buffer.from(signature).toString("hex");
    return smCrypto.sm2.doVerifySignature(Array.from(input), sig, key.hex, { der: false, hash: true, userId: SM2_ID });
  }
  return !smallOrderR(signature) && edVerify(null, input, key.key, signature);
}

/** §8 step 2, for a message or a file request (§23.3): every Ed25519 or SM2 signature
 * over the document without `signatures` verifies, one of them by a key of `doc.from`;
 * signatures of other algorithms are skipped, never counted (revision 1.1.1). */
function checkSignatures(doc, keys) {
  const signatures = doc.signatures ?? [];
  if (signatures.length === 0) refuse("signature.missing");
  const unsigned = { ...doc };
  delete unsigned.signatures;
  const kids = new Set();
  let bySender = false;
  let checked = 0;
  for (const s of signatures) {
    if (kids.has(s.kid)) refuse("signature.malformed", "two signatures by one key");
    kids.add(s.kid);
    if (s.alg !== "ed25519" && s.alg !== "sm2-sm3") continue;
    checked += 1;
    const key = keys.get(s.kid);
    if (!key || key.alg !== s.alg) refuse("signature.unknown_key");
    checkSignature(key, canonicalBytes({ alg: s.alg, kid: s.kid, signed: unsigned }), s.sig);
    bySender ||= key.owner === doc.from;
  }
  if (checked === 0) refuse("signature.unsupported_algorithm");
  if (!bySender) refuse("signature.key_not_sender");
}

/** One verifier: trusted keys, an optional receiver, and the ids it accepted; with the
 * receiver's sealing keys, it opens sealed bodies and gives every accepted body. */
function verifier(keySetText, receiver, sealingKeys) {
  const keys = loadKeys(keySetText);
  const seen = new Set();
  return async (bytes, nowText) => {
    const doc = parseMessage(bytes);
    if (receiver && doc.to !== receiver) refuse("message.wrong_receiver");
    checkSignatures(doc, keys);
    const now = timestamp(nowText);
    if (timestamp(doc.created) > now + SKEW) refuse("time.not_yet_valid");
    if (timestamp(doc.expires) + SKEW < now) refuse("time.expired");
    // (1.1) A sealed body is opened before the id is recorded: a body refused once
    // opened leaves no replay record (§8 step 5).
    const opened = sealingKeys ? await openBody(doc, sealingKeys) : doc;
    const replayKey = `${doc.from} ${doc.id}`;
    if (seen.has(replayKey)) refuse("replay.duplicate");
    seen.add(replayKey);
    const sha256 = createHash("sha256").update(canonicalBytes(doc)).digest("hex");
    if (!sealingKeys) return { outcome: "accepted", type: doc.type, id: doc.id, sha256 };
    return { outcome: "accepted", type: doc.type, id: doc.id, sha256, body: opened.body };
  };
}

// ---------------------------------------------------------------- files (§23)

/** §23.4: a media type's essence, the part before any parameter, trimmed, lower case. */
const essence = (mediaType) => mediaType.split(";")[0].trim().toLowerCase();

/** §23.4: bytes served as `mediaType`, checked against a reference: media type, size,
 * then SHA-256. */
function checkFile(given, bytes, mediaType) {
  // §24.6: a sealed file is fetched as its sealed bytes, checked against their own
  // digest and length, served as application/octet-stream, and opened afterwards.
  const reference = given.sealed == null ? given : {
    media_type: "application/octet-stream", size: given.size + 16 * recordCount(given.size), sha256: given.sealed.sha256,
  };
  if (essence(mediaType) !== essence(reference.media_type)) refuse("file.media_type_mismatch");
  if (bytes.length !== reference.size) refuse("file.size_mismatch");
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (sha256 !== reference.sha256) refuse("file.digest_mismatch");
  // (1.1) The SM3 digest, when the reference gives one, with sm-crypto.
  if (reference.sm3 != null && smCrypto.sm3(Array.from(bytes)) !== reference.sm3) refuse("file.digest_mismatch", "SM3");
  return { outcome: "accepted" };
}

const REQUEST_MEMBERS = {
  method: isString, path: isString, sha256: isString, from: isString, to: isString,
  id: isString, created: isString, expires: isString,
};
const MAX_REQUEST_HEADER = 4096;
const MAX_REQUEST_WINDOW = 300n * NANOS;

/** §23.3: a holder's checks of file requests for one file, with one replay record. */
function fileRequests(keys, target) {
  const seen = new Set();
  return (header, nowText) => {
    if (header === null || header === undefined) refuse("file.request_missing");
    if (header.length > MAX_REQUEST_HEADER) refuse("file.request_invalid", "too long");
    const bytes = decodeBase64url(header);
    if (!bytes) refuse("file.request_invalid", "not unpadded base64url");
    let doc;
    try {
      doc = parseStrict(bytes).value;
    } catch (e) {
      refuse("file.request_invalid", e.message);
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) refuse("file.request_invalid");
    for (const [member, valid] of Object.entries(REQUEST_MEMBERS)) {
      if (!valid(doc[member])) refuse("file.request_invalid", member);
    }
    if (doc.signatures !== undefined && !Array.isArray(doc.signatures)) refuse("file.request_invalid", "signatures");
    try {
      IDENTIFIERS.digest(doc.sha256);
      IDENTIFIERS.node(doc.from);
      IDENTIFIERS.node(doc.to);
      IDENTIFIERS.message_id(doc.id);
      IDENTIFIERS.timestamp(doc.created);
      IDENTIFIERS.timestamp(doc.expires);
    } catch (e) {
      refuse("file.request_invalid", e.code);
    }
    for (const member of ["method", "path", "sha256", "to"]) {
      if (doc[member] !== target[member]) refuse("file.request_mismatch", member);
    }
    const [created, expires, now] = [timestamp(doc.created), timestamp(doc.expires), timestamp(nowText)];
    if (expires <= created || expires - created > MAX_REQUEST_WINDOW) refuse("file.request_stale", "window");
    if (created > now + SKEW || expires + SKEW < now) refuse("file.request_stale");
    checkSignatures(doc, keys);
    const replayKey = `${doc.from} ${doc.id}`;
    if (seen.has(replayKey)) refuse("file.request_replayed");
    seen.add(replayKey);
    return { outcome: "accepted", from: doc.from, id: doc.id };
  };
}

// ---------------------------------------------------------------- the adapter protocol

function bytesOf(input) {
  if (Array.isArray(input.concat)) return Buffer.concat(input.concat.map(bytesOf));
  if (typeof input.text === "string") return Buffer.from(input.text, "utf8");
  if (typeof input.base64 === "string") return Buffer.from(input.base64, "base64");
  if (input.fill) return Buffer.alloc(input.fill.count, input.fill.byte);
  throw new Error("no bytes in input");
}

function outcome(run) {
  try {
    return run();
  } catch (e) {
    if (e instanceof Refusal) return { outcome: "refused", code: e.code, message: e.message };
    throw e;
  }
}

// §24: sealing to the receiver.
const HPKE_SUITE = "hpke-x25519-sha256-aes128gcm";
const SM2_SUITE = "sm2-sm4-gcm";
const hpkeSuite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });
const P25519 = (1n << 255n) - 19n;
const littleEndian = (bytes) => bytes.reduceRight((n, b) => (n << 8n) | BigInt(b), 0n);
const bigEndian = (bytes) => bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
// The canonical u-coordinates of small order (§24.1: 8·P is the identity).
const SMALL_ORDER = new Set([0n, 1n, P25519 - 1n,
  littleEndian(Buffer.from("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", "hex")),
  littleEndian(Buffer.from("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", "hex"))]);
const SM2_N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const hex = (bytes) => Buffer.from(bytes).toString("hex");
const arrayBuffer = (bytes) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);

function sealingSuite(name) {
  if (name !== HPKE_SUITE && name !== SM2_SUITE) refuse("seal.unsupported_suite", `unknown sealing suite ${name}`);
  return name;
}

/** §24.1: a receiver's public key, checked as the registry checks it. */
function sealingPublicKey(suite, text) {
  const bytes = decodeBase64url(text);
  if (!bytes) refuse("key.malformed", "not unpadded base64url");
  if (suite === HPKE_SUITE) {
    if (bytes.length !== 32) refuse("key.malformed", "an X25519 key is 32 bytes");
    const u = littleEndian(bytes);
    if (u >= P25519) refuse("key.malformed", "not below 2^255 - 19");
    if (SMALL_ORDER.has(u)) refuse("key.weak", "of small order");
  } else if (bytes.length !== 65 || bytes[0] !== 4 || !onSm2Curve(bytes)) {
    refuse("key.malformed", "not an uncompressed point of the SM2 curve");
  }
  return bytes;
}

/** Whether the point is on the SM2 curve: sm-crypto-v2 answers false or throws. */
function onSm2Curve(bytes) {
  try {
    return sm2v2.verifyPublicKey(hex(bytes));
  } catch {
    return false;
  }
}

/** §24.3: the context bytes, HPKE's info and SM4-GCM's associated data. */
function contextBytes(context, alg, kid) {
  const { from, to, id, part } = context;
  return new TextEncoder().encode(canonicalize({ alg, from, id, kid, part, to, v: "tongban-seal/1" }));
}

async function seal(input) {
  const suite = sealingSuite(input.suite);
  const key = sealingPublicKey(suite, input.public_key);
  const ephemeral = Buffer.from(input.ephemeral, "base64url");
  const plaintext = bytesOf(input.plaintext);
  const info = contextBytes(input.context, suite, input.kid);
  if (ephemeral.length !== (suite === HPKE_SUITE ? 32 : 60)) refuse("seal.ephemeral", "wrong length");
  let enc, ct;
  if (suite === HPKE_SUITE) {
    const ekm = await hpkeSuite.kem.deriveKeyPair(arrayBuffer(ephemeral));
    const recipientPublicKey = await hpkeSuite.kem.importKey("raw", arrayBuffer(key), true);
    const sender = await hpkeSuite.createSenderContext({ recipientPublicKey, info: arrayBuffer(info), ekm });
    ct = Buffer.from(await sender.seal(arrayBuffer(plaintext)));
    enc = Buffer.from(sender.enc);
  } else {
    const envelope = ephemeral.subarray(0, 28);
    const k = ephemeral.subarray(28);
    if (bigEndian(k) === 0n || bigEndian(k) >= SM2_N) refuse("seal.ephemeral", "k is not from 1 to n - 1");
    // GB/T 32918.4 §6.1: C1 = [k]G, (x2, y2) = [k]PB, t = KDF(x2‖y2), C2 = M ⊕ t, C3 = SM3(x2‖M‖y2).
    const c1 = Buffer.from(sm2v2.getPublicKeyFromPrivateKey(hex(k)), "hex");
    const shared = sm2v2.ecdh(hex(k), hex(key), false).subarray(1);
    const t = sm2Kdf(shared, envelope.length);
    const c2 = envelope.map((b, i) => b ^ t[i]);
    const c3 = Buffer.from(sm3v2(Buffer.concat([shared.subarray(0, 32), envelope, shared.subarray(32)])), "hex");
    enc = Buffer.concat([c1, c3, c2]);
    const gcm = sm4.encrypt(plaintext, envelope.subarray(0, 16), {
      mode: "gcm", iv: envelope.subarray(16), associatedData: info, output: "array", outputTag: true,
    });
    ct = Buffer.concat([gcm.output, gcm.tag]);
  }
  return { outcome: "accepted", box: { alg: suite, kid: input.kid, enc: enc.toString("base64url"), ct: ct.toString("base64url") } };
}

async function open(input) {
  const { key, box, context } = input;
  const suite = sealingSuite(box.alg);
  if (suite !== key.alg) refuse("seal.wrong_suite", `the key is ${key.alg}`);
  if (box.kid !== key.kid) refuse("seal.unknown_key", `not ${key.kid}`);
  const enc = decodeBase64url(box.enc);
  const ct = decodeBase64url(box.ct);
  if (!enc || !ct) refuse("seal.malformed", "not unpadded base64url");
  if (enc.length !== (suite === HPKE_SUITE ? 32 : 125)) refuse("seal.malformed", "enc has the wrong length");
  if (suite === SM2_SUITE && enc[0] !== 4) refuse("seal.malformed", "C1 is not 04‖x‖y");
  if (ct.length < 16) refuse("seal.malformed", "ct is shorter than its tag");
  const info = contextBytes(context, box.alg, box.kid);
  const secret = Buffer.from(key.secret_key, "base64url");
  let plaintext;
  try {
    if (suite === HPKE_SUITE) {
      const recipientKey = await hpkeSuite.kem.importKey("raw", arrayBuffer(secret), false);
      const recipient = await hpkeSuite.createRecipientContext({ recipientKey, enc: arrayBuffer(enc), info: arrayBuffer(info) });
      plaintext = Buffer.from(await recipient.open(arrayBuffer(ct)));
    } else {
      const envelope = sm2v2.doDecrypt(hex(enc.subarray(1)), hex(secret), 1, { output: "array" });
      if (envelope.length !== 28) throw new Error("the SM2 ciphertext does not hold a key and a nonce");
      plaintext = Buffer.from(sm4.decrypt(ct.subarray(0, ct.length - 16), envelope.subarray(0, 16), {
        mode: "gcm", iv: envelope.subarray(16), associatedData: info, tag: ct.subarray(ct.length - 16), output: "array",
      }));
    }
  } catch (e) {
    refuse("seal.open_failed", String(e?.message ?? e));
  }
  return { outcome: "accepted", plaintext: plaintext.toString("base64url") };
}

/** §24.1: a sealing suite's primitive alone, on its standard's example. */
async function decrypt(input) {
  const ct = decodeBase64url(input.ct);
  let plaintext;
  try {
    if (input.alg === HPKE_SUITE) {
      const recipientKey = await hpkeSuite.kem.importKey("raw", arrayBuffer(decodeBase64url(input.secret_key)), false);
      const recipient = await hpkeSuite.createRecipientContext({
        recipientKey, enc: arrayBuffer(decodeBase64url(input.enc)), info: arrayBuffer(bytesOf(input.info)),
      });
      plaintext = Buffer.from(await recipient.open(arrayBuffer(ct), arrayBuffer(bytesOf(input.aad))));
    } else if (input.alg === "sm2-encryption") {
      plaintext = Buffer.from(sm2v2.doDecrypt(hex(ct.subarray(1)), hex(decodeBase64url(input.secret_key)), 1, { output: "array" }));
      if (plaintext.length === 0) throw new Error("SM2 decryption failed");
    } else if (input.alg === "sm4-gcm") {
      plaintext = Buffer.from(sm4.decrypt(ct.subarray(0, ct.length - 16), decodeBase64url(input.key), {
        mode: "gcm", iv: decodeBase64url(input.nonce), associatedData: bytesOf(input.aad), tag: ct.subarray(ct.length - 16), output: "array",
      }));
    } else {
      throw new Error(`unknown primitive ${input.alg}`);
    }
  } catch (e) {
    if (String(e?.message ?? e).startsWith("unknown primitive")) throw e;
    refuse("seal.open_failed", String(e?.message ?? e));
  }
  return { outcome: "accepted", plaintext: plaintext.toString("base64url") };
}

// §24.6: sealed files, in records of 16,384 bytes, each sealed with the suite's AEAD
// under the file key; the nonce is the record's index (11 bytes, big-endian) and 1 for
// the last record, 0 for the others; the associated data is the file's context.
const RECORD = 16384;

function fileKey(text) {
  const key = decodeBase64url(text);
  if (key?.length !== 16) refuse("seal.malformed", "a file key is 16 bytes of unpadded base64url");
  return key;
}

function recordNonce(index, last) {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 3);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

const recordCount = (size) => Math.max(1, Math.ceil(size / RECORD));

function sealRecord(suite, key, nonce, aad, plaintext) {
  if (suite === HPKE_SUITE) {
    const cipher = createCipheriv("aes-128-gcm", key, nonce);
    cipher.setAAD(aad);
    return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  }
  const gcm = sm4.encrypt(plaintext, key, { mode: "gcm", iv: nonce, associatedData: aad, output: "array", outputTag: true });
  return Buffer.concat([Buffer.from(gcm.output), Buffer.from(gcm.tag)]);
}

function openRecord(suite, key, nonce, aad, record) {
  const ct = record.subarray(0, record.length - 16);
  const tag = record.subarray(record.length - 16);
  try {
    if (suite === HPKE_SUITE) {
      const decipher = createDecipheriv("aes-128-gcm", key, nonce);
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ct), decipher.final()]);
    }
    return Buffer.from(sm4.decrypt(ct, key, { mode: "gcm", iv: nonce, associatedData: aad, tag, output: "array" }));
  } catch (e) {
    refuse("seal.open_failed", String(e?.message ?? e));
  }
}

/** A sealed file's suite, key and associated data (its context). */
function fileSealing(input) {
  const suite = sealingSuite(input.suite);
  return { suite, key: fileKey(input.key), aad: contextBytes(input.context, suite, input.kid) };
}

function sealFile(input) {
  const { suite, key, aad } = fileSealing(input);
  const plaintext = bytesOf(input.plaintext);
  const count = recordCount(plaintext.length);
  const records = [];
  for (let i = 0; i < count; i++) {
    records.push(sealRecord(suite, key, recordNonce(i, i === count - 1), aad, plaintext.subarray(i * RECORD, (i + 1) * RECORD)));
  }
  const sealed = Buffer.concat(records);
  return { outcome: "accepted", sealed: { key: input.key, sha256: createHash("sha256").update(sealed).digest("hex") }, length: sealed.length };
}

function openFile(input) {
  const { suite, key, aad } = fileSealing(input);
  const sealed = bytesOf(input.sealed);
  const count = recordCount(input.size);
  if (sealed.length !== input.size + 16 * count) refuse("seal.malformed", `${sealed.length} sealed bytes for a file of ${input.size}`);
  const file = [];
  for (let i = 0, at = 0; i < count; i++) {
    const length = Math.min(RECORD, input.size - i * RECORD) + 16;
    file.push(openRecord(suite, key, recordNonce(i, i === count - 1), aad, sealed.subarray(at, at + length)));
    at += length;
  }
  const bytes = Buffer.concat(file);
  return { outcome: "accepted", sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
}

async function outcomeOf(run) {
  try {
    return await run();
  } catch (e) {
    if (e instanceof Refusal) return { outcome: "refused", code: e.code, message: e.message };
    throw e;
  }
}

function execute({ operation, input }) {
  switch (operation) {
    case "canonicalize":
      return outcome(() => ({ outcome: "accepted", canonical: canonicalize(parseStrict(bytesOf(input)).value) }));
    case "identifier":
      return outcome(() => {
        if (!Object.hasOwn(IDENTIFIERS, input.kind)) throw new Error(`unknown kind ${input.kind}`);
        const check = IDENTIFIERS[input.kind];
        check(input.value);
        return { outcome: "accepted" };
      });
    case "verify": {
      if (typeof input.keys !== "string") return { outcome: "unsupported", message: "this adapter verifies against key sets, not trust registries" };
      let verify;
      try {
        verify = verifier(input.keys, input.receiver, input.sealing_keys);
      } catch (e) {
        return { outcome: "refused", code: e instanceof Refusal ? e.code : "key.malformed", message: String(e.message ?? e) };
      }
      return (async () => {
        const results = [];
        for (const m of input.messages) results.push(await outcomeOf(() => verify(bytesOf(m), m.now)));
        return { outcome: "accepted", results };
      })();
    }
    case "file_check":
      return outcome(() => checkFile(input.reference, bytesOf(input.bytes), input.media_type));
    case "file_request": {
      const check = fileRequests(loadKeys(input.keys), {
        method: input.method, path: input.path, sha256: input.sha256, to: input.holder,
      });
      const results = input.requests.map((r) => outcome(() => check(r.header, r.now)));
      return { outcome: "accepted", results };
    }
    case "digest": {
      const bytes = bytesOf(input.bytes);
      if (input.alg === "sm3") return { outcome: "accepted", digest: smCrypto.sm3(Array.from(bytes)) };
      if (input.alg === "sha256") return { outcome: "accepted", digest: createHash("sha256").update(bytes).digest("hex") };
      throw new Error(`unknown digest algorithm ${input.alg}`);
    }
    case "signature":
      return outcome(() => {
        checkSignature(loadKey(input.alg, input.public_key), bytesOf(input.message), input.sig);
        return { outcome: "accepted" };
      });
    case "decrypt":
      return outcomeOf(() => decrypt(input));
    case "seal":
      return outcomeOf(() => seal(input));
    case "open":
      return outcomeOf(() => open(input));
    case "seal_file":
      return outcome(() => sealFile(input));
    case "open_file":
      return outcome(() => openFile(input));
    default:
      return { outcome: "unsupported", message: `this adapter does not implement ${operation}` };
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === "") continue;
  let answer;
  try {
    answer = await execute(JSON.parse(line));
  } catch (e) {
    answer = { outcome: "error", message: String(e?.stack ?? e) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
