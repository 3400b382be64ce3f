// Tests of the npm package through its public API, in Node: every function, both
// modules, and messages crossing between the package and the Rust `tongban` command.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AGREEMENT, CASE, CREATED, HUANGSHI, JIUJIANG, at, bodies, cli, codeOf, fixture, load,
  rejectionOf, repoFile, transferBody,
} from "./support.mjs";

const tongban = await load("forms");
const core = await load("core");
const {
  Case, KeyPair, Registry, Verifier, canonicalize, checkIdentifier, createMessage,
  errorCodes, parseMessage, replyTo, signMessage,
} = tongban;

const route = { from: HUANGSHI, to: JIUJIANG, agreement: AGREEMENT, case: CASE };
const registry = Registry.load(fixture("registry-v1"));
const huangshi = KeyPair.sample(HUANGSHI);
const jiujiang = KeyPair.sample(JIUJIANG);

/** A signed sample transfer from Huangshi and its signed receipt from Jiujiang. */
function transferAndReceipt() {
  const transfer = signMessage(
    createMessage({ ...route, type: "transfer", body: transferBody(), created: CREATED }),
    huangshi,
  );
  const verified = Verifier.withRegistry(registry, JIUJIANG).verify(transfer, at(30));
  const receipt = signMessage(
    replyTo(transfer, { type: "receipt", body: bodies(verified.sha256).receipt, created: at(60) }),
    jiujiang,
  );
  return { transfer, receipt };
}

test("canonicalize gives RFC 8785 text from text or bytes, and refuses what the parser refuses", () => {
  // RFC 8785 §3.2.2's example, in part.
  const input = '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "b": "€"}';
  const expected = '{"b":"€","numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27]}';
  assert.equal(canonicalize(input), expected);
  assert.equal(canonicalize(new TextEncoder().encode(input)), expected);
  assert.equal(codeOf(() => canonicalize('{"a":1,"a":2}')), "json.duplicate_key");
  assert.equal(codeOf(() => canonicalize(new Uint8Array([0x7b, 0xff, 0x7d]))), "json.invalid_utf8");
  assert.equal(codeOf(() => canonicalize(42)), "wasm.argument");
});

test("checkIdentifier accepts valid identifiers and names the rule a bad one breaks", () => {
  checkIdentifier("citizen_id", "420202199001011231");
  checkIdentifier("node", HUANGSHI);
  checkIdentifier("protocol_version", "1.0");
  assert.equal(codeOf(() => checkIdentifier("citizen_id", "420202199001011232")), "id.citizen_checksum");
  assert.equal(codeOf(() => checkIdentifier("protocol_version", "2.0")), "version.unsupported_major");
  assert.equal(codeOf(() => checkIdentifier("planet", "earth")), "wasm.argument");
});

test("errorCodes lists exactly the codes of the specification's §13", () => {
  const spec = repoFile("docs/PROTOCOL.md");
  const section = spec.slice(spec.indexOf("## 13. Error codes"), spec.indexOf("## 14."));
  const documented = [...section.matchAll(/^\| `([a-z0-9_]+\.[a-z0-9_]+)` \|/gm)].map((m) => m[1]);
  const listed = errorCodes().map((c) => c.code);
  const cliOnly = ["cli.io", "cli.usage", "conformance.failed"];
  assert.deepEqual(listed.sort(), documented.filter((c) => !cliOnly.includes(c)).sort());
  assert.ok(errorCodes().every((c) => c.meaning.length > 0));
});

test("sample keys are the registry's sample keys", () => {
  const published = JSON.parse(fixture("keys-sample")).keys;
  assert.deepEqual(published.find((k) => k.owner === HUANGSHI), huangshi.publicKey());
  assert.equal(huangshi.keyId, "huangshi.420200#sample");
});

test("keys are generated, exported and imported with the same public key", () => {
  const key = KeyPair.generate(HUANGSHI);
  assert.match(key.keyId, /^huangshi\.420200#[0-9a-f]{8}$/);
  assert.equal(key.node, HUANGSHI);
  const again = KeyPair.fromKeyFile(key.toKeyFile());
  assert.deepEqual(again.publicKey(), key.publicKey());
  assert.equal(KeyPair.generate(HUANGSHI, "huangshi.420200#kiosk-7").keyId, "huangshi.420200#kiosk-7");
  assert.notDeepEqual(KeyPair.generate(HUANGSHI).publicKey(), key.publicKey());
  assert.equal(codeOf(() => KeyPair.generate("Huangshi!")), "id.node_format");
  assert.equal(codeOf(() => KeyPair.fromKeyFile('{"kid":"x"}')), "key.malformed");
  key.free();
});

test("an SM2 key (suite sm2-sm3) signs in the browser's package and verifies in both builds", () => {
  const key = KeyPair.generate(HUANGSHI, null, "sm2-sm3");
  const entry = key.publicKey();
  assert.equal(entry.alg, "sm2-sm3");
  // The uncompressed point 04‖x‖y: 65 bytes, 87 characters of base64url, "B" first.
  assert.equal(entry.public_key.length, 87);
  assert.equal(entry.public_key[0], "B");
  const message = createMessage({ ...route, type: "withdrawal", body: { reason: "申请人决定暂缓开店", requested_by: "applicant" } });
  const signed = signMessage(message, key);
  assert.equal(JSON.parse(signed).signatures[0].alg, "sm2-sm3");
  for (const build of [tongban, core]) {
    const verified = build.Verifier.withKeys({ keys: [entry] }, JIUJIANG).verify(signed);
    assert.deepEqual(verified.signers, [key.keyId]);
  }
  // Imported again, the key signs the same way; an unknown suite is refused by name.
  const again = KeyPair.fromKeyFile(key.toKeyFile());
  assert.deepEqual(again.publicKey(), entry);
  assert.equal(codeOf(() => KeyPair.generate(HUANGSHI, null, "sm2")), "signature.unsupported_algorithm");
  key.free();
  again.free();
});

/** Huangshi's sample SM2 key (suite sm2-sm3), derived as the Rust SDK's `sample::sm2_key`
 * does: the secret is SHA-256 of `tongban sample key huangshi.420200#sm2`. */
function huangshiSm2() {
  const file = JSON.parse(huangshi.toKeyFile());
  const secret = createHash("sha256").update(`tongban sample key ${HUANGSHI}#sm2`).digest("base64url");
  const listed = JSON.parse(fixture("registry-v1")).members.find((m) => m.node === HUANGSHI).keys;
  const entry = listed.find((k) => k.alg === "sm2-sm3");
  return KeyPair.fromKeyFile(JSON.stringify({ ...file, kid: entry.kid, alg: entry.alg, public_key: entry.public_key, secret_key: secret }));
}

test("the Wuhan circle's agreement is on sm2-sm3: its messages verify against the registry signed with SM2, not with Ed25519", () => {
  const sm2 = huangshiSm2();
  const circle = { from: HUANGSHI, to: "wuhan.420100", agreement: "wuhan-circle.cross-city", case: "HS-2026-000124" };
  const withdrawal = { reason: "申请人决定暂缓办理", requested_by: "applicant" };
  const message = () => createMessage({ ...circle, type: "withdrawal", body: withdrawal, created: CREATED });
  const bySm2 = signMessage(message(), sm2);
  const byEd25519 = signMessage(message(), huangshi);
  for (const build of [tongban, core]) {
    const registryOfBuild = build.Registry.load(fixture("registry-v1"));
    const verifier = () => build.Verifier.withRegistry(registryOfBuild, null);
    assert.deepEqual(verifier().verify(bySm2, at(30)).signers, [sm2.keyId]);
    assert.equal(codeOf(() => verifier().verify(byEd25519, at(30))), "agreement.wrong_suite");
    // Under the Ed25519 agreement it is the other way round.
    const crossRiver = (key) => signMessage(createMessage({ ...route, type: "withdrawal", body: withdrawal, created: CREATED }), key);
    assert.equal(codeOf(() => verifier().verify(crossRiver(sm2), at(30))), "agreement.wrong_suite");
    assert.equal(verifier().verify(crossRiver(huangshi), at(30)).type, "withdrawal");
  }
  sm2.free();
});

test("createMessage builds every message type, checked as a receiver checks it", () => {
  for (const [type, body] of Object.entries(bodies("ab".repeat(32)))) {
    const init = { ...route, type, body, created: CREATED, validForSeconds: 600 };
    if (type === "receipt") init.inReplyTo = "01a21fe1-7900-7bf0-be1a-92fbe4aff3a5";
    const message = createMessage(init);
    assert.equal(message.type, type);
    assert.equal(message.protocol, "1.0");
    assert.match(message.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(Date.parse(message.expires) - Date.parse(message.created), 600_000);
    assert.deepEqual(message.body, body);
  }
  const bad = transferBody();
  bad.applicant.citizen_id = "420202199001011232";
  assert.equal(codeOf(() => createMessage({ ...route, type: "transfer", body: bad })), "id.citizen_checksum");
  assert.equal(codeOf(() => createMessage({ ...route, type: "receipt", body: bodies("ab".repeat(32)).receipt })), "message.invalid");
  assert.equal(codeOf(() => createMessage({ ...route, type: "status_update", body: { status: "in_review" }, validForSeconds: 8 * 86400 })), "time.bad_window");
  assert.equal(codeOf(() => createMessage({ ...route, type: "telegram", body: {} })), "message.unknown_type");
  assert.equal(codeOf(() => createMessage({ ...route, type: "status_update", body: { status: "in_review" }, valid_for: 1 })), "wasm.argument");
  // Without `created`, the message is created now.
  const now = createMessage({ ...route, type: "status_update", body: { status: "in_review" } });
  assert.ok(Math.abs(Date.parse(now.created) - Date.now()) < 60_000);
});

test("replyTo swaps the route and answers the message", () => {
  const transfer = createMessage({ ...route, type: "transfer", body: transferBody(), created: CREATED });
  const reply = replyTo(transfer, { type: "status_update", body: { status: "in_review" }, created: at(60) });
  assert.equal(reply.from, JIUJIANG);
  assert.equal(reply.to, HUANGSHI);
  assert.equal(reply.case, CASE);
  assert.equal(reply.in_reply_to, transfer.id);
});

test("a verified message lists the files it references; a 1.1 member in a 1.0 transfer is refused", () => {
  const key = KeyPair.generate(HUANGSHI);
  const keys = { keys: [key.publicKey()] };
  const body = transferBody();
  const power_of_attorney = { ...body.materials[0], name: "授权委托书", sha256: "ab".repeat(32) };
  const agent = { name: "陈立新", citizen_id: "420202198805050012", power_of_attorney };
  const byAgent = { ...body, channel: "window", agent, result_delivery: { method: "electronic" } };
  const transfer = createMessage({ ...route, type: "transfer", body: byAgent, created: CREATED, protocol: "1.1" });
  const verified = Verifier.withKeys(keys, JIUJIANG).verify(signMessage(transfer, key), at(10));
  assert.deepEqual(verified.files, [...body.materials, power_of_attorney]);
  // Not even built: the members do not exist in 1.0 (§2 step 8).
  const old = () => createMessage({ ...route, type: "transfer", body: byAgent, created: CREATED, protocol: "1.0" });
  assert.equal(codeOf(old), "message.invalid");
});

test("signMessage and Verifier.withKeys: verified once, refused when tampered, replayed or misaddressed", () => {
  const key = KeyPair.generate(HUANGSHI);
  const message = createMessage({ ...route, type: "status_update", body: { status: "in_review" }, created: CREATED });
  const wire = signMessage(message, key);
  assert.equal(wire, canonicalize(wire));
  const keys = { keys: [key.publicKey()] };
  const verified = Verifier.withKeys(keys, JIUJIANG).verify(wire, at(10));
  assert.equal(verified.type, "status_update");
  assert.equal(verified.id, message.id);
  assert.deepEqual(verified.signers, [key.keyId]);
  assert.deepEqual(verified.warnings, []);
  assert.equal(verified.canonical(), wire);
  assert.deepEqual(verified.envelope, parseMessage(wire));
  assert.match(verified.sha256, /^[0-9a-f]{64}$/);

  const verifier = Verifier.withKeys(JSON.stringify(keys), null);
  const first = verifier.verify(new TextEncoder().encode(wire), at(10));
  assert.equal(codeOf(() => verifier.verify(wire, at(11))), "replay.duplicate");
  // A message the receiver then refused is forgotten: the same bytes verify again, once.
  verifier.forget(first);
  assert.equal(verifier.verify(wire, at(12)).id, message.id);
  assert.equal(codeOf(() => verifier.verify(wire, at(13))), "replay.duplicate");
  const tampered = wire.replace("in_review", "suspended");
  assert.equal(codeOf(() => Verifier.withKeys(keys, null).verify(tampered, at(10))), "signature.invalid");
  assert.equal(codeOf(() => Verifier.withKeys(keys, HUANGSHI).verify(wire, at(10))), "message.wrong_receiver");
  assert.equal(codeOf(() => Verifier.withKeys(keys, null).verify(wire, at(7200))), "time.expired");
  const stranger = { keys: [KeyPair.generate(HUANGSHI).publicKey()] };
  assert.equal(codeOf(() => Verifier.withKeys(stranger, null).verify(wire, at(10))), "signature.unknown_key");
  // A second signature is appended, the first kept.
  const twice = signMessage(wire, KeyPair.generate(HUANGSHI, "huangshi.420200#second"));
  assert.equal(parseMessage(twice).signatures.length, 2);
});

test("parseMessage keeps members of a newer minor version, and signing covers them", () => {
  const message = createMessage({ ...route, type: "status_update", body: { status: "in_review" }, created: CREATED });
  const newer = { ...message, protocol: "1.1", priority: "urgent" };
  assert.equal(parseMessage(newer).priority, "urgent");
  const key = KeyPair.generate(HUANGSHI);
  const wire = signMessage(newer, key);
  const keys = { keys: [key.publicKey()] };
  assert.equal(Verifier.withKeys(keys, null).verify(wire, at(1)).envelope.priority, "urgent");
  assert.equal(codeOf(() => Verifier.withKeys(keys, null).verify(wire.replace("urgent", "normal"), at(1))), "signature.invalid");
});

test("a message signed by the Rust command verifies in JavaScript, byte for byte the same signature", () => {
  const dir = mkdtempSync(join(tmpdir(), "tongban-"));
  const keyFile = join(dir, "jiujiang.key.json");
  execFileSync(cli, ["keygen", "--out", keyFile, "--node", JIUJIANG]);
  const message = createMessage({ ...route, from: JIUJIANG, to: HUANGSHI, type: "status_update", body: { status: "in_review" }, created: CREATED });
  writeFileSync(join(dir, "message.json"), JSON.stringify(message));
  const signedInRust = execFileSync(cli, ["sign", "--key", keyFile, join(dir, "message.json")], { encoding: "utf8" });
  const key = KeyPair.fromKeyFile(readFileSync(keyFile, "utf8"));
  const verified = Verifier.withKeys({ keys: [key.publicKey()] }, null).verify(signedInRust, at(5));
  assert.equal(verified.id, message.id);
  assert.equal(signMessage(message, key), signedInRust.trim());
});

test("a message signed in JavaScript verifies with the Rust command", () => {
  const dir = mkdtempSync(join(tmpdir(), "tongban-"));
  const { transfer } = transferAndReceipt();
  writeFileSync(join(dir, "transfer.json"), transfer);
  writeFileSync(join(dir, "registry.json"), fixture("registry-v1"));
  const out = execFileSync(cli, [
    "verify", "--json", "--registry", join(dir, "registry.json"), "--receiver", JIUJIANG,
    "--at", at(30), join(dir, "transfer.json"),
  ], { encoding: "utf8" });
  const answer = JSON.parse(out);
  assert.equal(answer.ok, true);
  const verified = Verifier.withRegistry(registry, null).verify(transfer, at(30));
  assert.equal(answer.result.sha256, verified.sha256);
  assert.equal(answer.result.id, verified.id);
  // And a tampered one is refused by Rust with the code JavaScript gives.
  writeFileSync(join(dir, "tampered.json"), transfer.replace("陈丽华", "陈丽芳"));
  let refusal;
  try {
    execFileSync(cli, ["verify", "--json", "--registry", join(dir, "registry.json"), "--any-receiver", "--at", at(30), join(dir, "tampered.json")], { encoding: "utf8" });
  } catch (e) {
    refusal = JSON.parse(e.stdout);
  }
  assert.equal(refusal?.code, "signature.invalid");
  assert.equal(codeOf(() => Verifier.withRegistry(registry, null).verify(transfer.replace("陈丽华", "陈丽芳"), at(30))), "signature.invalid");
});

test("Registry: load, bootstrap, update, document, calendar and negotiation", () => {
  assert.equal(registry.version, 1);
  assert.match(registry.sha256, /^[0-9a-f]{64}$/);
  assert.equal(Registry.bootstrap(fixture("registry-v1"), CREATED).version, 1);
  assert.equal(codeOf(() => Registry.bootstrap(fixture("registry-expired"), CREATED)), "registry.expired");
  assert.equal(registry.update(fixture("registry-v2"), CREATED).version, 2);
  assert.equal(codeOf(() => registry.update(fixture("registry-v1"), CREATED)), "registry.rollback");
  assert.equal(codeOf(() => Registry.load(fixture("registry-v1").replace('"version":1', '"version":7'))), "registry.threshold");
  const document = registry.document();
  assert.ok(document.members.some((m) => m.node === JIUJIANG));
  // National Day 2026: 1–7 October are holidays, 10 October (Saturday) is worked.
  assert.equal(registry.addWorkingDays("2026-09-30", 3), "2026-10-10");
  assert.equal(codeOf(() => registry.addWorkingDays("2031-01-02", 1)), "calendar.unknown_year");
  // Huangshi and Jiujiang speak 1.1 (file exchange); Wuhan 1.0 only.
  assert.equal(registry.negotiate(HUANGSHI, JIUJIANG), "1.1");
  assert.equal(registry.negotiate(HUANGSHI, "wuhan.420100"), "1.0");
  assert.equal(codeOf(() => Registry.load("{}")), "registry.invalid");
});

test("checkForm validates form data against the item's schema (forms module)", () => {
  registry.checkForm(AGREEMENT, "HB-JX-0042", transferBody().form);
  const form = { ...transferBody().form, employees: 5000 };
  assert.equal(codeOf(() => registry.checkForm(AGREEMENT, "HB-JX-0042", form)), "item.form_invalid");
  try {
    registry.checkForm(AGREEMENT, "HB-JX-0042", { shop_name: "x" });
  } catch (e) {
    assert.match(e.message, /^\/body\/form/);
  }
  assert.equal(codeOf(() => registry.checkForm(AGREEMENT, "WH-0001", {})), "item.unknown");
});

test("the core module refuses what it cannot check: form data and transfers against a registry", () => {
  const coreRegistry = core.Registry.load(fixture("registry-v1"));
  assert.equal(codeOf(() => coreRegistry.checkForm(AGREEMENT, "HB-JX-0042", transferBody().form)), "item.form_unchecked");
  const { transfer, receipt } = transferAndReceipt();
  const verifier = core.Verifier.withRegistry(coreRegistry, null);
  assert.equal(codeOf(() => verifier.verify(transfer, at(30))), "item.form_unchecked");
  // Everything else is the same API and the same answers.
  assert.equal(verifier.verify(receipt, at(90)).type, "receipt");
  assert.equal(core.canonicalize('{"b":1,"a":2}'), '{"a":2,"b":1}');
});

test("Verifier.withRegistry applies the registry's checks", () => {
  const body = transferBody();
  body.mode = "joint_handling";
  const wrongMode = signMessage(createMessage({ ...route, type: "transfer", body, created: CREATED }), huangshi);
  assert.equal(codeOf(() => Verifier.withRegistry(registry, null).verify(wrongMode, at(30))), "item.mode_not_allowed");
  const bySomeoneElse = signMessage(
    createMessage({ ...route, type: "transfer", body: transferBody(), created: CREATED }),
    KeyPair.generate(HUANGSHI, "huangshi.420200#sample"),
  );
  assert.equal(codeOf(() => Verifier.withRegistry(registry, null).verify(bySomeoneElse, at(30))), "signature.invalid");
  assert.equal(codeOf(() => Verifier.withRegistry(registry, "wuhan.420100").verify(wrongMode, at(30))), "message.wrong_receiver");
});

test("a verifier's receiver is a required choice: a node id, or null for any node", () => {
  const { transfer } = transferAndReceipt();
  // Forgotten: an inbox that would accept mail replayed from another member's.
  assert.equal(codeOf(() => Verifier.withRegistry(registry)), "wasm.argument");
  assert.equal(codeOf(() => Verifier.withRegistry(registry, undefined)), "wasm.argument");
  assert.equal(codeOf(() => Verifier.withKeys({ keys: [] })), "wasm.argument");
  assert.equal(codeOf(() => Verifier.withRegistry(registry, 42)), "wasm.argument");
  assert.equal(codeOf(() => Verifier.withRegistry(registry, "Jiujiang")), "id.node_format");
  // The transfer is addressed to Jiujiang: Wuhan's inbox refuses it, Jiujiang's and an
  // explicit "any receiver" accept it.
  assert.equal(codeOf(() => Verifier.withRegistry(registry, "wuhan.420100").verify(transfer, at(30))), "message.wrong_receiver");
  assert.equal(Verifier.withRegistry(registry, JIUJIANG).verify(transfer, at(30)).type, "transfer");
  assert.equal(Verifier.withRegistry(registry, null).verify(transfer, at(30)).type, "transfer");
});

test("a case runs from transfer to decision, with its deadline, and refuses an illegal step", () => {
  const { transfer, receipt } = transferAndReceipt();
  const verifier = Verifier.withRegistry(registry, null);
  const tracked = new Case(CASE);
  assert.equal(tracked.status, "empty");
  assert.equal(tracked.window, undefined);
  const t = verifier.verify(transfer, at(30));
  assert.equal(tracked.apply(t, registry), "transferred");
  assert.equal(tracked.window, HUANGSHI);
  const r = verifier.verify(receipt, at(90));
  r.checkReceiptFor(t);
  assert.equal(tracked.apply(r, registry), "received");
  assert.equal(codeOf(() => t.checkReceiptFor(r)), "message.not_an_answer");

  // Received on Saturday 28 November 2026: the three working days are 30 November,
  // 1 and 2 December.
  const [track] = tracked.tracks(registry, CREATED);
  assert.equal(track.state, "received");
  assert.equal(track.received_on, "2026-11-28");
  assert.deepEqual(track.deadline, { due: "2026-12-02", remaining_working_days: 3, overdue: false, paused: false });
  assert.equal(tracked.tracks(registry, "2026-12-03T09:00:00+08:00")[0].deadline.overdue, true);

  const step = (type, body, seconds) =>
    verifier.verify(signMessage(replyTo(transfer, { type, body, created: at(seconds) }), jiujiang), at(seconds + 5));
  const decision = step("decision", bodies().decision, 300);
  assert.equal(codeOf(() => tracked.apply(decision, registry)), "lifecycle.illegal_transition");
  assert.equal(tracked.apply(step("status_update", { status: "in_review" }, 200), registry), "in_review");
  assert.equal(tracked.apply(decision, registry), "decided");
  assert.equal(tracked.status, "decided");
  assert.equal(codeOf(() => new Case("not a case id")), "id.case_format");
});


test("fileReference reads a file in pieces to its reference, and checkFile checks one (1.1, §23)", async () => {
  const { FileHasher, checkFile, fileReference } = tongban;
  const scan = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 7) % 251);
  const sha256 = (await import("node:crypto")).createHash("sha256").update(scan).digest("hex");
  const progress = [];
  const file = new Blob([scan], { type: "application/pdf" });
  const reference = await fileReference(file, { name: "营业场所租赁合同", onProgress: (done, total) => progress.push([done, total]) });
  assert.deepEqual(reference, { name: "营业场所租赁合同", sha256, media_type: "application/pdf", size: scan.length });
  assert.deepEqual(progress.map(([done]) => done), [1048576, 2097152, 3145728, scan.length]);
  assert.ok(progress.every(([, total]) => total === scan.length));
  // Bytes, and any piece size, give the same reference.
  assert.deepEqual(await fileReference(scan, { name: "营业场所租赁合同", mediaType: "application/pdf", pieceSize: 4097 }), reference);
  const hasher = new FileHasher();
  hasher.update(scan.subarray(0, 10));
  hasher.update(scan.subarray(10));
  assert.equal(hasher.size, scan.length);
  assert.deepEqual(hasher.reference("营业场所租赁合同", "application/pdf"), reference);
  hasher.free();

  await checkFile(reference, file);
  await checkFile(reference, file, { mediaType: "Application/PDF; charset=binary" });
  const other = scan.slice();
  other[12345] ^= 1;
  assert.equal(await rejectionOf(() => checkFile(reference, other)), "file.digest_mismatch");
  assert.equal(await rejectionOf(() => checkFile(reference, scan.subarray(1))), "file.size_mismatch");
  const longer = new Uint8Array(scan.length + 1);
  longer.set(scan);
  assert.equal(await rejectionOf(() => checkFile(reference, longer)), "file.size_mismatch");
  assert.equal(await rejectionOf(() => checkFile(reference, file, { mediaType: "text/html" })), "file.media_type_mismatch");
  // Arguments are checked before anything is read.
  assert.equal(await rejectionOf(() => fileReference("a path", { name: "x", mediaType: "text/plain" })), "wasm.argument");
  assert.equal(await rejectionOf(() => fileReference(new Blob(["x"]), { name: "x" })), "wasm.argument");
  assert.equal(await rejectionOf(() => fileReference(scan, { mediaType: "application/pdf" })), "wasm.argument");
  assert.equal(await rejectionOf(() => fileReference(scan, { name: "x", mediaType: "text/plain", pieceSize: 0 })), "wasm.number");
  assert.equal(await rejectionOf(() => checkFile({ name: "x" }, scan)), "message.invalid");
});

test("fileReference and FileHasher give a file's SM3 beside its SHA-256 when asked, and checkFile checks both (1.1, sm2-sm3)", async () => {
  const { FileHasher, checkFile, fileReference } = tongban;
  const { default: smCrypto } = await import("sm-crypto");
  const scan = new Uint8Array(2 * 1024 * 1024 + 5).map((_, i) => (i * 13) % 253);
  const sm3 = smCrypto.sm3(Array.from(scan)); // an implementation nobody here wrote
  const plain = await fileReference(scan, { name: "营业执照", mediaType: "application/pdf" });
  assert.equal(plain.sm3, undefined, "no SM3 unless asked: a 1.0 reference stays 1.0");
  const reference = await fileReference(scan, { name: "营业执照", mediaType: "application/pdf", sm3: true, pieceSize: 65537 });
  assert.deepEqual(reference, { ...plain, sm3 });
  const hasher = new FileHasher({ sm3: true });
  hasher.update(scan.subarray(0, 3));
  hasher.update(scan.subarray(3));
  assert.deepEqual(hasher.reference("营业执照", "application/pdf"), reference);
  hasher.free();

  assert.equal(await rejectionOf(() => checkFile(reference, scan)), "accepted");
  // The SHA-256 right and the SM3 another file's: both must match.
  const otherSm3 = smCrypto.sm3(Array.from(scan.subarray(1)));
  assert.equal(await rejectionOf(() => checkFile({ ...reference, sm3: otherSm3 }, scan)), "file.digest_mismatch");
  assert.equal(await rejectionOf(() => checkFile({ ...reference, sm3: sm3.toUpperCase() }, scan)), "id.digest_format");
  assert.equal(await rejectionOf(() => checkFile({ ...reference, sm3: 7 }, scan)), "message.invalid");
  assert.equal(await rejectionOf(() => fileReference(scan, { name: "x", mediaType: "text/plain", sm3: "yes" })), "wasm.argument");
  assert.throws(() => new FileHasher({ sm3: 1 }), (e) => e.code === "wasm.argument");
});

test("a files_received message is of version 1.1; createMessage takes the version, replyTo follows the answered one", () => {
  const files = transferBody().materials.map((m) => m.sha256);
  const init = { ...route, from: JIUJIANG, to: HUANGSHI, type: "files_received", body: { files }, inReplyTo: "01a21fe1-7900-7bf0-be1a-92fbe4aff3a5", created: CREATED };
  assert.equal(codeOf(() => createMessage(init)), "message.unknown_type");
  assert.equal(createMessage({ ...init, protocol: "1.1" }).protocol, "1.1");
  assert.equal(codeOf(() => createMessage({ ...init, protocol: "1.x" })), "version.format");
  const transfer = createMessage({ ...route, type: "transfer", body: transferBody(), created: CREATED, protocol: registry.negotiate(HUANGSHI, JIUJIANG) });
  assert.equal(transfer.protocol, "1.1");
  const answer = replyTo(transfer, { type: "files_received", body: { files }, created: CREATED });
  assert.equal(answer.protocol, "1.1");
  assert.equal(answer.in_reply_to, transfer.id);
});
