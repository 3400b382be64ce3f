// Type-checked by tests/typecheck.mjs against the packed package, under every compiler
// and configuration it lists: the declarations type every function and message, and
// reject what the API would refuse.
import {
  Case, KeyPair, Registry, TongbanError, Verifier, createMessage, errorCodes, replyTo,
  signMessage,
  type Envelope, type ErrorCode, type FileRef, type ItemState, type MessageType,
  type TrackStatus, type Transfer,
} from "tongban/forms";
import { canonicalize, TongbanError as CoreError } from "tongban";
import { init, initSync, type ModuleSource } from "tongban/manual";

declare const registryText: string;
declare const body: Transfer;
declare function note(text: string): void;

const registry: Registry = Registry.load(registryText);
const key: KeyPair = KeyPair.generate("huangshi.420200");
// The national suite: an SM2 key; a suite's name is checked.
const sm2Key: KeyPair = KeyPair.generate("huangshi.420200", null, "sm2-sm3");
// @ts-expect-error: "sm2" names no suite
KeyPair.generate("huangshi.420200", null, "sm2");
const transfer: Envelope = createMessage({
  from: "huangshi.420200", to: "jiujiang.360400", agreement: "hs-jj.cross-river",
  case: "HS-2026-000123", type: "transfer", body,
});
const wire: string = signMessage(transfer, key);
const verified = Verifier.withRegistry(registry, "jiujiang.360400").verify(wire, new Date());
const sha256: string = verified.sha256;
const sm3: string = verified.sm3;
const type: MessageType = verified.type;
const tracked = new Case("HS-2026-000123");
const state: ItemState = tracked.apply(verified, registry);
const status: "empty" | "in_progress" | "decided" | "completed" = tracked.status;
const tracks: TrackStatus[] = tracked.tracks(registry, "2026-11-30T10:00:00+08:00");
// (1.1) A track's files: per message, in order, the references its receiver fetches.
const trackFiles: { message: string; references: FileRef[]; acknowledged: boolean }[] =
  tracks[0].files ?? [];
const reply: Envelope = replyTo(transfer, { type: "status_update", body: { status: "in_review" } });
if (transfer.type === "transfer") {
  // (1.1) A body may travel sealed to the receiver (§24.5): its members are in the box.
  if ("sealed" in transfer.body) {
    const kid: string = transfer.body.sealed.kid;
  } else {
    const applicant: string = transfer.body.applicant.name;
  }
}
canonicalize(new Uint8Array([123, 125]));
const codes: ErrorCode[] = errorCodes().map((c) => c.code);
const due: string = registry.addWorkingDays("2026-11-30", 3);

try {
  Verifier.withKeys({ keys: [key.publicKey()] }, null).verify(wire);
} catch (error) {
  if (error instanceof TongbanError) {
    const code: ErrorCode = error.code;
    if (error.code === "replay.duplicate") note("seen before");
  }
  if (error instanceof CoreError && error.code === "wasm.freed") note("freed");
}
key[Symbol.dispose]();
key.free();

declare const wasmBytes: Uint8Array;
const source: ModuleSource = wasmBytes;
initSync(wasmBytes);
init("/assets/tongban_bg.wasm").then(() => undefined);

// @ts-expect-error: a misspelt code is not an ErrorCode
const misspelt: ErrorCode = "signature.invalidd";
// @ts-expect-error: no such message type
const lost: MessageType = "telegram";
// @ts-expect-error: a receipt body is not a status update
createMessage({ from: "a", to: "b", agreement: "c", case: "d", type: "status_update", body: { answers_sha256: "x" } });
// @ts-expect-error: bytes are a string or a Uint8Array
canonicalize(42);
// @ts-expect-error: no such status
replyTo(transfer, { type: "status_update", body: { status: "lost" } });
// @ts-expect-error: whose inbox is a required choice (a node id, or null for any)
Verifier.withRegistry(registry);
// @ts-expect-error: a time is a string or a Date, not milliseconds
verified.type === "transfer" && Verifier.withKeys("{}", null).verify(wire, Date.now());
// @ts-expect-error: KeyPair has no public constructor
new KeyPair();
// @ts-expect-error: a key is not a registry
Verifier.withRegistry(key, null);
// Protocol 1.1's members of a transfer: an agent with a power of attorney, the result by post.
const byAgent: Transfer = {
  ...body,
  channel: "self_service",
  agent: { name: "陈立新", citizen_id: "420202198805050012", power_of_attorney: body.materials[0] },
  result_delivery: { method: "post", address: { recipient: "陈丽华", phone: "13907140000", region: "420202", address: "湖滨大道 16 号" } },
};
// Protocol 1.1's 容缺受理 and 告知承诺: the lease promised for later, or replaced by a commitment.
const deferred: Transfer = { ...body, deferred_materials: [{ material: "经营场所租赁合同", promised_by: "2026-12-04" }] };
const committed: Transfer = { ...body, commitments: [{ material: "经营场所租赁合同", statement: body.materials[0] }] };
// Protocol 1.1's 一事联办: the transfer names its case's theme.
const themed: Transfer = { ...body, theme: "HB-JX-ZT01" };
// @ts-expect-error: a theme is named by its code
const themedByName: Transfer = { ...body, theme: { name: "开理发店" } };
// @ts-expect-error: a commitment references its signed statement
const unsigned: Transfer = { ...body, commitments: [{ material: "经营场所租赁合同" }] };
// Protocol 1.1's electronic licence data on a decision's document.
const licensed: Envelope = replyTo(transfer, {
  type: "decision",
  body: {
    outcome: "approved", decided_by: "九江市浔阳区市场监督管理局",
    documents: [{
      kind: "electronic_licence", number: "92360403MA3A2B3C4M", file: body.materials[0],
      licence: {
        type_code: "SCJG-YYZZ-GTGSH", type_name: "营业执照", number: "92360403MA3A2B3C4M",
        issuer: "九江市浔阳区市场监督管理局", issuer_credit_code: "11360403MB00004230",
        holder: "黄石市磁湖理发店九江分店", holder_credit_code: "92360403MA3A2B3C4M", valid_from: "2026-11-28",
      },
    }],
  },
});
// @ts-expect-error: no such channel
const byFax: Transfer = { ...body, channel: "fax" };
// @ts-expect-error: no such way of getting a result
const byPigeon: Transfer = { ...body, result_delivery: { method: "pigeon" } };
// Protocol 1.1's post: originals to the authority, the result handed over.
const parcel: Envelope = replyTo(transfer, {
  type: "shipment",
  body: { contents: "originals", carrier: "中国邮政EMS", waybill: "EK123456789CN", items: [{ name: "经营场所租赁合同（原件）" }] },
});
const handedOver: Envelope = replyTo(transfer, {
  type: "delivery",
  body: { method: "at_window", delivered_at: "2026-12-01T10:00:00+08:00", recipient: "陈丽华" },
});
const graded: Envelope = replyTo(transfer, {
  type: "evaluation",
  body: { grade: "very_satisfied", channel: "window", evaluated_at: "2026-12-01T10:05:00+08:00" },
});
// @ts-expect-error: the grades are the national five names, not stars
replyTo(transfer, { type: "evaluation", body: { grade: 5, channel: "window", evaluated_at: "2026-12-01T10:05:00+08:00" } });
// @ts-expect-error: a parcel holds originals or results
replyTo(transfer, { type: "shipment", body: { contents: "gifts", carrier: "EMS", waybill: "EK123456", items: [] } });
const inspector: Verifier = Verifier.withKeys({ keys: [key.publicKey()] }, null);
const window: string | undefined = tracked.window;

export { sm2Key, sha256, sm3, state, status, tracks, trackFiles, reply, type, codes, due, source, inspector, window, misspelt, lost,
  byAgent, byFax, byPigeon, parcel, handedOver, graded, deferred, committed, unsigned, themed, themedByName, licensed };
