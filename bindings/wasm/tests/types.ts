// Compiled with `tsc --noEmit` (tests/tsconfig.json) against the built package: the
// declarations type every function and message, and reject what the API would refuse.
import {
  Case, KeyPair, Registry, Verifier, createMessage, replyTo, signMessage,
  type Envelope, type ItemState, type TrackStatus, type Transfer, type TongbanError,
} from "tongban/forms";
import { canonicalize } from "tongban";

declare const registryText: string;
declare const body: Transfer;

const registry: Registry = Registry.load(registryText);
const key: KeyPair = KeyPair.generate("huangshi.420200");
const transfer: Envelope = createMessage({
  from: "huangshi.420200", to: "jiujiang.360400", agreement: "hs-jj.cross-river",
  case: "HS-2026-000123", type: "transfer", body,
});
const wire: string = signMessage(transfer, key);
const verified = Verifier.withRegistry(registry, "jiujiang.360400").verify(wire);
const sha256: string = verified.sha256;
const tracked = new Case("HS-2026-000123");
const state: ItemState = tracked.apply(verified, registry);
const status: "empty" | "in_progress" | "decided" | "completed" = tracked.status;
const tracks: TrackStatus[] = tracked.tracks(registry);
const reply: Envelope = replyTo(transfer, { type: "status_update", body: { status: "in_review" } });
if (transfer.type === "transfer") {
  const applicant: string = transfer.body.applicant.name;
}
canonicalize(new Uint8Array([123, 125]));

// @ts-expect-error: a receipt body is not a status update
createMessage({ from: "a", to: "b", agreement: "c", case: "d", type: "status_update", body: { answers_sha256: "x" } });
// @ts-expect-error: bytes are a string or a Uint8Array
canonicalize(42);
// @ts-expect-error: no such status
replyTo(transfer, { type: "status_update", body: { status: "lost" } });
// @ts-expect-error: whose inbox is a required choice (a node id, or null for any)
Verifier.withRegistry(registry);
const inspector: Verifier = Verifier.withKeys({ keys: [key.publicKey()] }, null);
const window: string | undefined = tracked.window;

export function codeOf(error: unknown): string | undefined {
  return (error as TongbanError).code;
}
export { sha256, state, status, tracks, reply };
