// Shared helpers of the package's tests: the built package, the conformance fixtures,
// the sample keys (derived exactly as the Rust SDK's `sample` module does) and sample
// message bodies.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const root = new URL("../../../", import.meta.url);
const pkg = process.env.TONGBAN_PACKAGE ?? new URL("bindings/wasm/pkg/", root).pathname;

/** The directory of the built package. */
export const packageDir = pkg;

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
    "clerk": "杨庆华",
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
