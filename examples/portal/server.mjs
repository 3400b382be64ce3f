// Serves the portal page and stands in for Jiujiang's endpoint, on loopback.
//
//   node examples/portal/server.mjs [--port N] [--at RFC3339] [--root DIR]
//
// GET /            the portal (this folder, or DIR: the portal built by a bundler)
// GET /tongban/…   the npm package, built by bindings/wasm/build.sh
// GET /registry.json  the sample trust registry
// PUT /files/SHA256  a scan the page sends before its transfer (protocol 1.1, §23): the
//                  body is the file (at most 50 MiB), stored only if it hashes to SHA256
//                  → 201, or 4xx {"code", "message"} (file.digest_mismatch, file.too_large)
// POST /transfer   {"message": signed transfer, "key": the window's public key entry}
//                  → 200 {"receipt": Jiujiang's signed receipt, "files_received": its
//                  signed files_received, once every file it references is held and matches its
//                  reference, "status_update" and "decision": its review and approval, made
//                  at once (a real authority decides days later; the demonstration goes on
//                  to the applicant's evaluation)}, or 4xx {"code", "message"}
// POST /evaluation {"message": the window's signed evaluation (好差评, protocol 1.1)}
//                  → 200 {"receipt": Jiujiang's signed receipt}, or 4xx {"code", "message"}:
//                  verified with the key that sent the case's transfer (no other key may
//                  grade the case) and applied to Jiujiang's copy of the case (once, after
//                  the decision, as §18 says)
//
// The files stand in for the exchange between nodes: in a deployment the window's node
// holds them and Jiujiang's node fetches them (examples/partner-node); here the page
// sends them to this stand-in for both, which checks them as Jiujiang would.
//
// A demonstration only: the page's key is made in the page, so it is not in the
// registry; the demo endpoint trusts the key the page presents for the signature, and
// checks everything else (sender, receiver, item, form data) against the registry.
// Jiujiang signs with its sample key, whose secret is public.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values: options } = parseArgs({
  options: {
    port: { type: "string", default: "8080" }, at: { type: "string" }, root: { type: "string" },
  },
});
const here = options.root ? resolve(options.root) : fileURLToPath(new URL(".", import.meta.url));
const root = fileURLToPath(new URL("../../", import.meta.url));
const pkg = process.env.TONGBAN_PACKAGE ?? join(root, "bindings/wasm/pkg");
const { Case, FileHasher, KeyPair, Registry, Verifier, checkFile, replyTo, signMessage } = await import(
  new URL(`file://${pkg}/forms/node.js`).href
);

const HUANGSHI = "huangshi.420200";
const JIUJIANG = "jiujiang.360400";
const registryText = await readFile(join(root, "conformance/vectors/fixtures/registry-v1.json"), "utf8");
const registry = Registry.load(registryText);
const jiujiang = KeyPair.sample(JIUJIANG);
const MAX_BODY = 1024 * 1024 + 4096;
const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".css": "text/css", ".json": "application/json", ".wasm": "application/wasm",
  ".ts": "text/plain",
};

const MAX_FILE = 50 * 1024 * 1024;
/** The scans the page sent, by SHA-256: { bytes, type }. */
const files = new Map();

const refusal = (code, message, status) => Object.assign(new Error(message), { code, status });

/** The status of a refusal with `code`, as §21.3 gives it for the codes met here. */
function statusOf(code = "") {
  if (code === "json.too_large") return 413;
  if (/^(signature|key)\./.test(code)) return 401;
  if (code.startsWith("lifecycle.") || code === "replay.duplicate") return 409;
  if (code === "agreement.not_party") return 403;
  return 422;
}

/** Answers a POST whose JSON body `handle` turns into the answer (200), or refuses it
 * as §21.3 does; logs `done` or the refusal of `what`. */
async function answerPost(request, response, handle, what, done) {
  let answer;
  try {
    answer = await handle(JSON.parse(await readBody(request)));
  } catch (e) {
    refuse(response, e, what);
    return;
  }
  response.writeHead(200, { "content-type": "application/json" });
  response.end(JSON.stringify(answer));
  console.error(done);
}

/** Answers a refusal `e` as §21.3 does: its status and {"code", "message"}. */
function refuse(response, e, what) {
  response.writeHead(e.status ?? statusOf(e.code), { "content-type": "application/json" });
  response.end(JSON.stringify({ code: e.code ?? "message.invalid", message: e.message }));
  console.error(`refused ${what}: ${e.code} ${e.message}`);
}

/** Jiujiang's copy of each case it received, by case id: { fromWindow, own, tracked }:
 * the window's later messages are verified with the key that sent the transfer (and
 * must be addressed to Jiujiang), Jiujiang's own with its key. */
const cases = new Map();

/** `seconds` after the demonstration's fixed clock, or now. */
const later = (seconds) => (options.at ? new Date(Date.parse(options.at) + seconds * 1000).toISOString() : undefined);

/** Applies Jiujiang's signed message `text` to its copy of the case. */
function applyOwn(held, text) {
  held.tracked.apply(held.own.verify(text, options.at), registry);
  return text;
}

/** Signs Jiujiang's answer `init` to `answered` and applies it to the case. */
function signedAnswer(held, answered, init) {
  return applyOwn(held, signMessage(replyTo(answered.canonical(), init), jiujiang));
}

/** Stores a scan whose bytes hash to `sha256`, read in pieces, at most 50 MiB. */
async function upload(request, sha256) {
  const hasher = new FileHasher();
  const pieces = [];
  try {
    for await (const piece of request) {
      hasher.update(new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength));
      if (hasher.size > MAX_FILE) throw refusal("file.too_large", "more than 50 MiB", 413);
      pieces.push(piece);
    }
    const got = hasher.reference("upload", "application/octet-stream").sha256;
    if (got !== sha256) throw refusal("file.digest_mismatch", `the bytes hash to ${got}`, 422);
  } finally {
    hasher.free();
  }
  files.set(sha256, { bytes: new Uint8Array(Buffer.concat(pieces)), type: request.headers["content-type"] ?? "" });
}

/** Jiujiang's answer to a transfer: its signed receipt text, and once every file it
 * references is here and matches its reference, its signed files_received. Throws a
 * TongbanError. */
async function receive({ message, key }) {
  if (key?.owner !== HUANGSHI) {
    throw Object.assign(new Error("only Huangshi's windows may send here"), { code: "agreement.not_party" });
  }
  const verified = Verifier.withKeys({ keys: [key] }, JIUJIANG).verify(message, options.at);
  const { body } = verified.envelope;
  registry.checkForm(verified.envelope.agreement, body.item, body.form);
  const created = later(60);
  const receipt = replyTo(verified.canonical(), {
    type: "receipt",
    body: {
      answers_sha256: verified.sha256,
      outcome: { status: "accepted", reference: `JJ-${verified.id.slice(0, 8)}` },
    },
    created,
  });
  const signedReceipt = signMessage(receipt, jiujiang);
  // Every file the transfer references: its materials and (1.1) an agent's power of attorney.
  for (const reference of verified.files) {
    const held = files.get(reference.sha256);
    if (!held) throw refusal("file.not_found", `${reference.name} was not sent`, 409);
    await checkFile(reference, held.bytes, { mediaType: held.type });
  }
  const digests = [...new Set(verified.files.map((m) => m.sha256))];
  const filesReceived = digests.length === 0 ? null : signMessage(
    replyTo(verified.canonical(), { type: "files_received", body: { files: digests }, created }),
    jiujiang,
  );
  // Jiujiang's copy of the case, which the applicant's evaluation will move.
  const held = {
    fromWindow: Verifier.withKeys({ keys: [key] }, JIUJIANG),
    own: Verifier.withKeys({ keys: [jiujiang.publicKey()] }, HUANGSHI),
    tracked: new Case(verified.envelope.case),
  };
  held.tracked.apply(verified, registry);
  for (const text of [signedReceipt, filesReceived].filter(Boolean)) applyOwn(held, text);
  const review = signedAnswer(held, verified, {
    type: "status_update", body: { status: "in_review" }, created: later(120),
  });
  const decision = signedAnswer(held, verified, {
    type: "decision",
    body: { outcome: "approved", decided_by: "九江市浔阳区市场监督管理局", documents: [] },
    created: later(180),
  });
  cases.set(verified.envelope.case, held);
  return { receipt: signedReceipt, files_received: filesReceived, status_update: review, decision };
}

/** Jiujiang's receipt of the window's evaluation of a case it decided. Throws a
 * TongbanError: an evaluation of no case here, by another key, twice or before the
 * decision is refused. */
function evaluate({ message }) {
  const caseId = JSON.parse(message)?.case;
  const held = cases.get(caseId);
  if (!held) throw refusal("lifecycle.no_track", `no case ${caseId} here`, 409);
  const verified = held.fromWindow.verify(message, options.at);
  if (verified.type !== "evaluation") {
    throw refusal("message.invalid", "only evaluations are taken here", 422);
  }
  held.tracked.apply(verified, registry);
  const receipt = replyTo(verified.canonical(), {
    type: "receipt",
    body: { answers_sha256: verified.sha256, outcome: { status: "accepted" } },
    created: later(270),
  });
  return { receipt: signMessage(receipt, jiujiang) };
}

async function readBody(request) {
  let size = 0;
  const chunks = [];
  for await (const chunk of request) {
    size += chunk.length;
    if (size > MAX_BODY) throw Object.assign(new Error("body too large"), { code: "json.too_large" });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function serveFile(response, path) {
  const file = normalize(path);
  if (!file.startsWith(here) && !file.startsWith(pkg)) throw Object.assign(new Error(), { status: 404 });
  const body = await readFile(file);
  response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
  response.end(body);
}

const server = createServer(async (request, response) => {
  const url = new URL(request.url, "http://localhost");
  try {
    if (request.method === "PUT" && /^\/files\/[0-9a-f]{64}$/.test(url.pathname)) {
      try {
        await upload(request, url.pathname.slice("/files/".length));
      } catch (e) {
        response.writeHead(e.status ?? 422, { "content-type": "application/json", connection: "close" });
        response.end(JSON.stringify({ code: e.code ?? "node.storage", message: e.message }));
        console.error(`refused a file: ${e.code} ${e.message}`);
        return;
      }
      response.writeHead(201).end();
    } else if (request.method === "POST" && url.pathname === "/transfer") {
      await answerPost(request, response, receive, "a transfer",
        "received a transfer and its files, sent a receipt, files_received and a decision");
    } else if (request.method === "POST" && url.pathname === "/evaluation") {
      await answerPost(request, response, evaluate, "an evaluation", "received an evaluation, sent a receipt");
    } else if (request.method === "GET" && url.pathname === "/registry.json") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(registryText);
    } else if (request.method === "GET" && url.pathname.startsWith("/tongban/")) {
      await serveFile(response, join(pkg, url.pathname.slice("/tongban/".length)));
    } else if (request.method === "GET") {
      await serveFile(response, join(here, url.pathname === "/" ? "index.html" : url.pathname));
    } else {
      response.writeHead(405).end();
    }
  } catch (e) {
    response.writeHead(e.status ?? (e.code === "ENOENT" ? 404 : 500)).end();
  }
});

server.listen(Number(options.port), "127.0.0.1", () => {
  console.log(`portal on http://127.0.0.1:${server.address().port}/`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
