// Shared helpers of the package's tests: the built package, the conformance fixtures,
// the sample keys (derived exactly as the Rust SDK's `sample` module does) and sample
// message bodies.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = new URL("../../../", import.meta.url);
const pkg = process.env.TONGBAN_PACKAGE ?? new URL("bindings/wasm/pkg/", root).pathname;

/** The directory of the built package. */
export const packageDir = pkg;

/** The folders this process packed the package into. */
const packedIn = new Map();

/**
 * The package as a user installs it: `npm pack` of the built package, unpacked into
 * `work` (emptied first) once per process; returns the unpacked folder.
 */
export function packed(work) {
  if (!packedIn.has(work)) {
    const unpacked = join(work, "unpacked");
    rmSync(work, { recursive: true, force: true });
    mkdirSync(unpacked, { recursive: true });
    const out = execFileSync("npm", ["pack", pkg, "--pack-destination", work, "--silent"], { encoding: "utf8" });
    execFileSync("tar", ["-xzf", join(work, out.trim().split("\n").pop()), "-C", unpacked]);
    packedIn.set(work, join(unpacked, "package"));
  }
  return packedIn.get(work);
}

/** Installs the packed package into `project/node_modules/tongban`. */
export function install(packedDir, project) {
  mkdirSync(join(project, "node_modules"), { recursive: true });
  cpSync(packedDir, join(project, "node_modules/tongban"), { recursive: true });
}

/** Where the tests write: target/wasm/ of the workspace. */
export const targetDir = fileURLToPath(new URL("target/wasm/", root));

/** Debian's Chromium, headless, with the flags this machine's closed network needs. */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

/**
 * Starts the portal's demo server (examples/portal/server.mjs) at the fixed time `at`,
 * serving the pages of `pages` (default: the portal's own); returns `{ server, base }`.
 */
export async function servePortal(pages, at) {
  const { spawn } = await import("node:child_process");
  const args = [fileURLToPath(new URL("examples/portal/server.mjs", root)), "--port", "0", "--at", at];
  if (pages) args.push("--root", pages);
  const server = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  const base = await new Promise((resolve, reject) => {
    server.once("exit", (code) => reject(new Error(`demo server exited with ${code}`)));
    server.stdout.on("data", (data) => {
      const match = /portal on (http:\S+)/.exec(String(data));
      if (match) resolve(match[1]);
    });
  });
  return { server, base };
}

/** The package's Node entry of `variant` (`core` or `forms`). */
export const load = (variant) => import(pathToFileURL(`${pkg}/${variant}/node.js`).href);

/** The text of a conformance fixture. */
export const fixture = (name) =>
  readFileSync(new URL(`conformance/vectors/fixtures/${name}.json`, root), "utf8");

/** A file of the repository. */
export const repoFile = (path) => readFileSync(new URL(path, root), "utf8");

/** The `tongban` command built by cargo (TONGBAN_BIN overrides). */
export const cli = process.env.TONGBAN_BIN ?? new URL("target/debug/tongban", root).pathname;

export const HUANGSHI = "huangshi.420200";
export const JIUJIANG = "jiujiang.360400";
export const AGREEMENT = "hs-jj.cross-river";
export const CASE = "HS-2026-000123";
/** The sample time: a Saturday in 2026 (China time). */
export const CREATED = "2026-11-28T10:00:00+08:00";

/** CREATED plus `seconds`, in UTC. */
export const at = (seconds) =>
  new Date(Date.parse(CREATED) + seconds * 1000).toISOString().replace(".000Z", "Z");

/** The sample transfer body: registering a barber shop in Jiujiang from Huangshi. */
export const transferBody = () => structuredClone(TRANSFER);

const TRANSFER = {
  "applicant": {
    "citizen_id": "420202199001011231",
    "kind": "natural_person",
    "name": "陈丽华",
    "phone": "13907140000"
  },
  "form": {
    "business_address": "江西省九江市浔阳区庐山北路88号",
    "business_scope": "理发服务；美容服务",
    "employees": 3,
    "registered_capital_yuan": 50000,
    "shop_name": "黄石市磁湖理发店九江分店"
  },
  "item": "HB-JX-0042",
  "item_name": "个体工商户设立登记（理发店）",
  "materials": [
    {
      "media_type": "application/pdf",
      "name": "身份证复印件",
      "sha256": "3addfcaca8de5820746515460a135533663ba37e12a94dfa1d1e0b11c775fbd2",
      "size": 184320
    },
    {
      "media_type": "application/pdf",
      "name": "经营场所租赁合同",
      "sha256": "e5690199e77c87b8dc57b854f2833b805f5d10ade7e97cf2f6a77b6223c521cc",
      "size": 512000
    }
  ],
  "mode": "received_here_handled_there",
  "window": {
    "clerk": "何静怡",
    "region": "420200",
    "service_centre": "黄石市市民之家",
    "window": "跨域通办专窗 12号"
  }
};

const file = (name) => ({
  name,
  media_type: "application/pdf",
  sha256: createHash("sha256").update(name).digest("hex"),
  size: 1024,
});

/** A valid body of every message type; `answers` is the digest a receipt binds. */
export const bodies = (answers) => ({
  transfer: transferBody(),
  receipt: { answers_sha256: answers, outcome: { status: "accepted", reference: "JJ-2026-1" } },
  status_update: { status: "in_review" },
  supplement_request: {
    items: [{ material: "经营场所租赁合同", reason: "缺少出租方签字" }],
    due_working_days: 5,
  },
  supplement: { materials: [file("经营场所租赁合同（已签字）")], note: "已补签" },
  decision: {
    outcome: "approved",
    decided_by: "九江市浔阳区市场监督管理局",
    documents: [{ kind: "electronic_licence", number: "92360403MA3A2B3C4D", file: file("营业执照") }],
  },
  withdrawal: { requested_by: "applicant", reason: "申请人撤回" },
  protocol_error: { code: "json.syntax", message: "unexpected end of input" },
});

/** Awaits `run` and returns the `code` of the TongbanError it rejects with, or "accepted". */
export async function rejectionOf(run) {
  try {
    await run();
  } catch (e) {
    if (e?.name !== "TongbanError" || typeof e.code !== "string") throw e;
    return e.code;
  }
  return "accepted";
}

/** Runs `run` and returns the `code` of the TongbanError it throws. */
export function codeOf(run) {
  try {
    run();
  } catch (e) {
    if (e?.name !== "TongbanError" || typeof e.code !== "string") throw e;
    return e.code;
  }
  throw new Error("expected a TongbanError, nothing was thrown");
}
