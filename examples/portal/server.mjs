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
//                  reference}, or 4xx {"code", "message"}
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
const { FileHasher, KeyPair, Registry, Verifier, checkFile, replyTo, signMessage } = await import(
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
  const created = options.at
    ? new Date(Date.parse(options.at) + 60_000).toISOString()
    : undefined;
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
  return { receipt: signedReceipt, files_received: filesReceived };
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
      let answer;
      try {
        answer = await receive(JSON.parse(await readBody(request)));
      } catch (e) {
        const status = e.status ?? (e.code === "json.too_large" ? 413 : 422);
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify({ code: e.code ?? "message.invalid", message: e.message }));
        console.error(`refused transfer: ${e.code} ${e.message}`);
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(answer));
      console.error("received a transfer and its files, sent a receipt and files_received");
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
